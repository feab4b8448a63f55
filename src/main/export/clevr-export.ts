/**
 * The CLEVR-SV layout (reference doc 5.3), written so that the folder imports again through
 * `datasets/clevr-import.ts`: `images/CLEVR_new_NNNNNN_k.png` (k = 1..4, the frames as stored),
 * `images/CLEVR_new_NNNNNN_k_mask.png` (figure-ground union of the chosen masks, objects 255,
 * background 0), `masks/<character>/CLEVR_new_NNNNNN_k.png` (one layer each) and
 * `CLEVR_dict.npy` (file name → the frame's 75-d vector). The layout has no split file: its
 * reader splits by scene number.
 */
import { UserError } from '../../shared/result'
import { encodeGreyPng } from '../datasets/png'
import { writeNpy, type NpyArray } from '../datasets/npy'
import type { WriterContext, WriterCounts } from './export-context'
import { exportCaptions } from './export-queries'
import { characterDirs, characterGrey, figureGroundOf } from './mask-images'
import { chooseMasks, type PlanClip } from './select-frames'

const FRAMES_PER_SCENE = 4

/**
 * Scene names: CLEVR-SV names are kept; other scenes are numbered by their name's trailing digits
 * (demo 'scene_000012' → 'CLEVR_new_000012'), or by story order when that would be ambiguous.
 */
export function clevrSceneNames(episodes: string[]): string[] {
  const named = episodes.map((e) => {
    if (/^CLEVR_new_\d+$/.test(e)) return e
    const m = /(\d+)$/.exec(e)
    return m ? `CLEVR_new_${m[1].padStart(6, '0')}` : null
  })
  if (named.every((n) => n !== null) && new Set(named).size === named.length) return named as string[]
  return episodes.map((_, i) => `CLEVR_new_${String(i).padStart(6, '0')}`)
}

function sceneClips(ctx: WriterContext): PlanClip[][] {
  const byId = new Map(ctx.plan.clips.map((c) => [c.id, c]))
  return ctx.plan.stories.map((s) => {
    const clips = s.clipIds.map((id) => byId.get(id) as PlanClip)
    if (clips.length !== FRAMES_PER_SCENE || clips.some((c) => c.frames.length !== 1)) {
      throw new UserError(`story ${s.idx} is not a CLEVR-SV scene (4 clips of one frame each)`)
    }
    return clips
  })
}

/** Writes one frame of a scene; returns 1 when it had masks. */
async function writeFrame(ctx: WriterContext, clip: PlanClip, stem: string, dirs: string[]): Promise<number> {
  const frame = clip.frames[0]
  await ctx.sink.write(`images/${stem}.png`, ctx.frames.read(frame.hash))
  const masks = chooseMasks(ctx.db, frame, ctx.options.sources)
  if (masks.source === null) return 0
  const { width, height } = frame
  await ctx.sink.write(`images/${stem}_mask.png`, encodeGreyPng(width, height, figureGroundOf(masks, width * height)))
  for (const c of ctx.characters) {
    const grey = characterGrey(masks, c.idx, width * height)
    if (grey) await ctx.sink.write(`masks/${dirs[c.idx]}/${stem}.png`, encodeGreyPng(width, height, grey))
  }
  return 1
}

function vectorOf(ctx: WriterContext, clip: PlanClip): NpyArray {
  const sentence = exportCaptions(ctx.db, clip.id)[0]?.sentence
  if (!sentence) throw new UserError(`clip ${clip.key} has no sentence vector; CLEVR_dict.npy needs one per frame`)
  return { dtype: 'float64', shape: [sentence.length], fortranOrder: false, data: Float64Array.from(sentence) }
}

/** Writes the CLEVR-SV layout of the plan's stories (scenes). */
export async function writeClevrLayout(ctx: WriterContext): Promise<WriterCounts> {
  const scenes = sceneClips(ctx)
  const names = clevrSceneNames(scenes.map((clips) => clips[0].episode))
  const dirs = characterDirs(ctx.characters)
  const dict = new Map<string, NpyArray>()
  const total = scenes.length * FRAMES_PER_SCENE
  let done = 0
  let maskedFrames = 0
  for (let s = 0; s < scenes.length; s++) {
    for (let k = 0; k < FRAMES_PER_SCENE; k++) {
      await ctx.step(done++, total)
      const stem = `${names[s]}_${k + 1}`
      maskedFrames += await writeFrame(ctx, scenes[s][k], stem, dirs)
      dict.set(`${stem}.png`, vectorOf(ctx, scenes[s][k]))
    }
  }
  await ctx.sink.write('CLEVR_dict.npy', writeNpy({ dtype: 'object', shape: [], data: [dict] }), true)
  return { layout: 'clevr', stories: scenes.length, clips: total, frames: total, maskedFrames, annotations: 0 }
}
