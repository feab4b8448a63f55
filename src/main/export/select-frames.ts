/**
 * What an export contains: which stories, clips and frames pass the options, and which masks
 * stand for each frame (hand masks win over imported ones, per frame).
 */
import type { Db } from '../db/database'
import { decodeRle, masksOfFrame } from '../db/repos/mask-repo'
import type { ExportOnly, ExportSources } from '../../shared/contract'
import type { Split } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { rleDecode } from '../../shared/rle'
import { exportClips, exportFrames, exportStories, type ExportClip, type ExportFrame, type ExportStory } from './export-queries'

export interface PlanClip extends ExportClip {
  /** Frames of the clip, top to bottom of its strip. */
  frames: ExportFrame[]
}

export interface PlannedFrame extends ExportFrame {
  clip: ExportClip
}

export interface ExportPlan {
  /** Stories kept, in story order (story layouts); for frame formats, the stories of the split. */
  stories: ExportStory[]
  /** Clips kept, in dataset clip order. */
  clips: PlanClip[]
  /** Frames kept, in clip then strip order. */
  frames: PlannedFrame[]
}

/** Does one frame pass the `only` option? 'labeled' = has a hand mask with pixels. */
export function frameMatches(frame: ExportFrame, only: ExportOnly): boolean {
  if (only === 'labeled') return frame.handLabeled
  if (only === 'done') return frame.status === 'done'
  return true
}

function planFromClips(
  clips: Map<number, ExportClip>,
  frames: Map<number, ExportFrame[]>,
  clipIds: Iterable<number>,
  stories: ExportStory[],
  keep: (f: ExportFrame) => boolean
): ExportPlan {
  const wanted = new Set(clipIds)
  const planClips: PlanClip[] = []
  const planFrames: PlannedFrame[] = []
  for (const clip of clips.values()) {
    if (!wanted.has(clip.id)) continue
    const kept = (frames.get(clip.id) ?? []).filter(keep)
    if (kept.length === 0) continue
    planClips.push({ ...clip, frames: kept })
    for (const f of kept) planFrames.push({ ...f, clip })
  }
  return { stories, clips: planClips, frames: planFrames }
}

/**
 * Story layouts (CP-CSV / Pororo-SV, CLEVR-SV) train on whole stories, so a story is kept only
 * when every frame of every clip passes `only`; its clips are written whole.
 */
export function planStories(db: Db, datasetId: number, opts: { only: ExportOnly; split?: Split }): ExportPlan {
  const all = exportStories(db, datasetId, opts.split)
  const frames = exportFrames(db, datasetId)
  const clipOk = (clipId: number): boolean => {
    const list = frames.get(clipId) ?? []
    return list.length > 0 && list.every((f) => frameMatches(f, opts.only))
  }
  const stories = all.filter((s) => s.clipIds.every(clipOk))
  return planFromClips(exportClips(db, datasetId), frames, stories.flatMap((s) => s.clipIds), stories, () => true)
}

/**
 * Frame formats (COCO, PNG masks): every frame that passes `only`; with a split, only frames of
 * clips that belong to a story of that split.
 */
export function planFrames(db: Db, datasetId: number, opts: { only: ExportOnly; split?: Split }): ExportPlan {
  const stories = exportStories(db, datasetId, opts.split)
  const clips = exportClips(db, datasetId)
  const clipIds = opts.split ? stories.flatMap((s) => s.clipIds) : clips.keys()
  return planFromClips(clips, exportFrames(db, datasetId), clipIds, stories, (f) => frameMatches(f, opts.only))
}

/** One mask layer of a frame: a character's (or, with no character, a figure-ground union). */
export interface MaskLayer {
  characterIdx: number | null
  /** width·height bytes, row-major, 0/1. */
  mask: Uint8Array
  area: number
}

export interface FrameMasks {
  source: 'hand' | 'imported' | null
  layers: MaskLayer[]
}

/**
 * The masks that stand for a frame: its hand masks with pixels when it has any; otherwise, with
 * 'hand+imported', its imported masks (empty ones included: "no figure here" is data too).
 */
export function chooseMasks(db: Db, frame: ExportFrame, sources: ExportSources): FrameMasks {
  const rows = masksOfFrame(db, frame.id)
  const hand = rows.filter((r) => r.source === 'hand' && r.area > 0)
  const imported = sources === 'hand+imported' ? rows.filter((r) => r.source === 'imported') : []
  const source = hand.length > 0 ? 'hand' : imported.length > 0 ? 'imported' : null
  const picked = source === 'hand' ? hand : imported
  const layers = picked.map((r): MaskLayer => {
    if (r.width !== frame.width || r.height !== frame.height) {
      throw new UserError(`mask ${r.id} of frame ${frame.id} is ${r.width}x${r.height}, but the frame is ${frame.width}x${frame.height}`)
    }
    try {
      return { characterIdx: r.character_idx, mask: rleDecode(decodeRle(r.rle), r.width * r.height), area: r.area }
    } catch (e) {
      throw new UserError(`mask ${r.id} of frame ${frame.id} is corrupt: ${(e as Error).message}`)
    }
  })
  return { source, layers }
}
