/**
 * The catalog reads an export needs, in a few bulk queries so a full Pororo-SV export does not
 * issue one statement per row. Read-only; masks come from `db/repos/mask-repo`.
 */
import type { Db } from '../db/database'
import type { FrameStatus, Split } from '../../shared/domain'

/** A story with its clip ids in story order. */
export interface ExportStory {
  id: number
  idx: number
  split: Split
  clipIds: number[]
}

export interface ExportClip {
  id: number
  /** Dataset-unique key, e.g. 'Pororo_ENGLISH1_1_ep1/0' or 'CLEVR_new_000012_3'. */
  key: string
  episode: string
  /** Position in the dataset's clip order (import order). */
  idx: number
}

export interface ExportFrame {
  id: number
  clipId: number
  idxInClip: number
  hash: string
  width: number
  height: number
  status: FrameStatus
  /** True when the frame has at least one hand mask with pixels (what "labeled" means). */
  handLabeled: boolean
}

export interface ExportCaption {
  text: string
  sentence: Float32Array | null
  attributes: Float32Array | null
}

/** Stories of a dataset in index order, optionally of one split. */
export function exportStories(db: Db, datasetId: number, split?: Split): ExportStory[] {
  const rows = db
    .prepare(
      `SELECT s.id, s.idx, s.split, sc.clip_id AS clipId FROM stories s JOIN story_clips sc ON sc.story_id = s.id
       WHERE s.dataset_id = ? AND (? IS NULL OR s.split = ?) ORDER BY s.idx, sc.position`
    )
    .all(datasetId, split ?? null, split ?? null) as { id: number; idx: number; split: Split; clipId: number }[]
  const out: ExportStory[] = []
  for (const r of rows) {
    const last = out[out.length - 1]
    if (last && last.id === r.id) last.clipIds.push(r.clipId)
    else out.push({ id: r.id, idx: r.idx, split: r.split, clipIds: [r.clipId] })
  }
  return out
}

/** Every clip of a dataset by id. */
export function exportClips(db: Db, datasetId: number): Map<number, ExportClip> {
  const rows = db
    .prepare(
      `SELECT c.id, c.key, c.idx, e.name AS episode FROM clips c JOIN episodes e ON e.id = c.episode_id
       WHERE c.dataset_id = ? ORDER BY c.idx`
    )
    .all(datasetId) as ExportClip[]
  return new Map(rows.map((r) => [r.id, r]))
}

/** Every frame of a dataset, grouped by clip id, each group in strip order (top to bottom). */
export function exportFrames(db: Db, datasetId: number): Map<number, ExportFrame[]> {
  const rows = db
    .prepare(
      `SELECT f.id, f.clip_id AS clipId, f.idx_in_clip AS idxInClip, f.hash, f.width, f.height, f.status,
              EXISTS (SELECT 1 FROM masks m WHERE m.frame_id = f.id AND m.source = 'hand' AND m.area > 0) AS handLabeled
       FROM frames f WHERE f.dataset_id = ? ORDER BY f.clip_id, f.idx_in_clip`
    )
    .all(datasetId) as (Omit<ExportFrame, 'handLabeled'> & { handLabeled: number })[]
  const out = new Map<number, ExportFrame[]>()
  for (const r of rows) {
    const frame: ExportFrame = { ...r, handLabeled: r.handLabeled === 1 }
    const list = out.get(r.clipId)
    if (list) list.push(frame)
    else out.set(r.clipId, [frame])
  }
  return out
}

/** Character indices present in any frame of the clip (a strip has one label vector upstream). */
export function exportClipLabels(db: Db, clipId: number): number[] {
  return db
    .prepare(
      `SELECT DISTINCT ch.idx FROM frame_labels fl JOIN frames f ON f.id = fl.frame_id
       JOIN characters ch ON ch.id = fl.character_id WHERE f.clip_id = ? AND fl.present = 1 ORDER BY ch.idx`
    )
    .pluck()
    .all(clipId) as number[]
}

const f32 = (blob: Buffer | null): Float32Array | null =>
  // Copied so the vector is 4-byte aligned whatever offset SQLite's buffer has.
  blob ? new Float32Array(Uint8Array.from(blob).buffer) : null

/** Captions of a clip in order, with their vectors. */
export function exportCaptions(db: Db, clipId: number): ExportCaption[] {
  const rows = db
    .prepare('SELECT text, sentence, attributes FROM captions WHERE clip_id = ? ORDER BY idx')
    .all(clipId) as { text: string; sentence: Buffer | null; attributes: Buffer | null }[]
  return rows.map((r) => ({ text: r.text, sentence: f32(r.sentence), attributes: f32(r.attributes) }))
}
