/**
 * The CP-CSV / Pororo-SV research layout (reference doc 5.1), written so that the folder imports
 * again through `datasets/pororo-import.ts` with the same frames, captions, vectors, labels and
 * figure-ground masks:
 *
 * - `<episode>/<k>.png`: the clip's frames stacked top to bottom (RGB), as imported;
 * - `img_segment/<episode>_<k>.png`: the figure-ground union of each frame's chosen masks, 8-bit
 *   grey, 255 = character, 0 = background, stacked like the strip (a frame without any mask in a
 *   strip that has some is written as background); no file when no frame of the clip has a mask;
 * - `masks/<character>/<episode>_<k>.png`: one character's layer, same conventions;
 * - `labels.npy`, `descriptions.npy`, `descriptions_vec.npy`, `descriptions_attr.npy`,
 *   `frames_counter.npy` (np.save'd dicts), `descriptions.csv`, `img_cache4.npy`,
 *   `following_cache4.npy`, `train_seen_unseen_ids.npy`.
 */
import { UserError } from '../../shared/result'
import { encodeGreyPng, encodeRgbPng } from '../datasets/png'
import { exportCaptions, exportClipLabels } from './export-queries'
import type { WriterContext, WriterCounts } from './export-context'
import { characterDirs, characterGrey, figureGroundOf, readFrame, stackGrey, stackRgba } from './mask-images'
import { PororoIndex } from './pororo-index'
import { chooseMasks, type PlanClip } from './select-frames'

/** `img_segment` file stem of a clip: the last two key parts joined by '_' (pororo.py 184). */
export function segmentStem(key: string): string {
  return key.split('/').slice(-2).join('_')
}

function checkKeys(clips: PlanClip[]): void {
  const stems = new Map<string, string>()
  for (const c of clips) {
    if (!c.key.includes('/')) throw new UserError(`clip ${c.key}: the Pororo-SV layout needs keys of the form <episode>/<k>`)
    const stem = segmentStem(c.key)
    const other = stems.get(stem)
    if (other !== undefined) throw new UserError(`clips ${other} and ${c.key} would share img_segment/${stem}.png`)
    stems.set(stem, c.key)
  }
}

/** Writes the clip's strip and masks; returns how many of its frames had a mask. */
async function writeClip(ctx: WriterContext, clip: PlanClip, dirs: string[]): Promise<number> {
  const images = clip.frames.map((f) => {
    const img = readFrame(ctx.frames, f)
    if (img.width !== img.height) {
      throw new UserError(`frame ${f.id} of clip ${clip.key} is ${img.width}x${img.height}; the Pororo-SV layout stacks square frames`)
    }
    return img
  })
  const strip = stackRgba(images, clip.key)
  await ctx.sink.write(`${clip.key}.png`, encodeRgbPng(strip))
  const masks = clip.frames.map((f) => chooseMasks(ctx.db, f, ctx.options.sources))
  const masked = masks.filter((m) => m.source !== null).length
  if (masked === 0) return 0
  const sizes = images.map((i) => i.width * i.height)
  const stem = segmentStem(clip.key)
  const union = stackGrey(masks.map((m, i) => figureGroundOf(m, sizes[i])))
  await ctx.sink.write(`img_segment/${stem}.png`, encodeGreyPng(strip.width, strip.height, union))
  for (const c of ctx.characters) {
    const parts = masks.map((m, i) => characterGrey(m, c.idx, sizes[i]))
    if (parts.every((p) => p === null)) continue
    const grey = stackGrey(parts.map((p, i) => p ?? new Uint8Array(sizes[i])))
    await ctx.sink.write(`masks/${dirs[c.idx]}/${stem}.png`, encodeGreyPng(strip.width, strip.height, grey))
  }
  return masked
}

/** Writes the Pororo-SV layout of the plan's stories and clips. */
export async function writePororoLayout(ctx: WriterContext): Promise<WriterCounts> {
  const { plan } = ctx
  checkKeys(plan.clips)
  const dirs = characterDirs(ctx.characters)
  const index = new PororoIndex(ctx.characters.length)
  let maskedFrames = 0
  for (let i = 0; i < plan.clips.length; i++) {
    await ctx.step(i, plan.clips.length)
    const clip = plan.clips[i]
    maskedFrames += await writeClip(ctx, clip, dirs)
    index.addClip(clip.key, exportClipLabels(ctx.db, clip.id), exportCaptions(ctx.db, clip.id))
  }
  const keyOf = new Map(plan.clips.map((c) => [c.id, c.key]))
  for (const s of plan.stories) index.addStory(s.clipIds.map((id) => keyOf.get(id) as string), s.split)
  for (const [rel, bytes, compress] of index.files()) await ctx.sink.write(rel, bytes, compress)
  return {
    layout: 'pororo',
    stories: plan.stories.length,
    clips: plan.clips.length,
    frames: plan.frames.length,
    maskedFrames,
    annotations: 0
  }
}
