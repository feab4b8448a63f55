import type { Db } from '../database'
import type { ClipInfo, FrameInfo, FrameStatus, Split, StoryDetail, StorySummary } from '../../../shared/domain'
import { FrameStore } from '../../frame-store'

interface StoryRow {
  id: number
  idx: number
  split: Split
  dataset_id: number
}

export function countStories(db: Db, datasetId: number, split?: Split): number {
  if (split) {
    return db
      .prepare('SELECT count(*) FROM stories WHERE dataset_id = ? AND split = ?')
      .pluck()
      .get(datasetId, split) as number
  }
  return db.prepare('SELECT count(*) FROM stories WHERE dataset_id = ?').pluck().get(datasetId) as number
}

/** A page of stories with the first caption and first frame of each position. */
export function listStories(
  db: Db,
  datasetId: number,
  opts: { split?: Split; offset: number; limit: number }
): StorySummary[] {
  const rows = (
    opts.split
      ? db
          .prepare(
            'SELECT id, idx, split FROM stories WHERE dataset_id = ? AND split = ? ORDER BY idx LIMIT ? OFFSET ?'
          )
          .all(datasetId, opts.split, opts.limit, opts.offset)
      : db
          .prepare('SELECT id, idx, split FROM stories WHERE dataset_id = ? ORDER BY idx LIMIT ? OFFSET ?')
          .all(datasetId, opts.limit, opts.offset)
  ) as { id: number; idx: number; split: Split }[]
  const positions = db.prepare(
    `SELECT sc.position,
            (SELECT text FROM captions c WHERE c.clip_id = sc.clip_id ORDER BY c.idx LIMIT 1) AS caption,
            (SELECT hash FROM frames f WHERE f.clip_id = sc.clip_id ORDER BY f.idx_in_clip LIMIT 1) AS hash
     FROM story_clips sc WHERE sc.story_id = ? ORDER BY sc.position`
  )
  return rows.map((r) => {
    const ps = positions.all(r.id) as { caption: string | null; hash: string }[]
    return {
      id: r.id,
      idx: r.idx,
      split: r.split,
      captions: ps.map((p) => p.caption ?? ''),
      thumbnails: ps.map((p) => FrameStore.assetPath(p.hash))
    }
  })
}

export function getStoryRow(db: Db, id: number): StoryRow | undefined {
  return db.prepare('SELECT id, idx, split, dataset_id FROM stories WHERE id = ?').get(id) as
    | StoryRow
    | undefined
}

/** A story with every clip, caption and frame, and each frame's labels and mask state. */
export function getStory(db: Db, id: number): StoryDetail | undefined {
  const story = getStoryRow(db, id)
  if (!story) return undefined
  const clips = db
    .prepare(
      `SELECT c.id, c.key, c.source_file AS sourceFile, e.name AS episode
       FROM story_clips sc JOIN clips c ON c.id = sc.clip_id JOIN episodes e ON e.id = c.episode_id
       WHERE sc.story_id = ? ORDER BY sc.position`
    )
    .all(id) as { id: number; key: string; sourceFile: string; episode: string }[]
  const captions = db.prepare('SELECT text FROM captions WHERE clip_id = ? ORDER BY idx').pluck()
  return {
    id: story.id,
    idx: story.idx,
    split: story.split,
    datasetId: story.dataset_id,
    clips: clips.map(
      (c): ClipInfo => ({
        ...c,
        captions: captions.all(c.id) as string[],
        frames: framesOfClip(db, c.id)
      })
    )
  }
}

interface FrameRow {
  id: number
  clip_id: number
  idx_in_clip: number
  width: number
  height: number
  hash: string
  status: FrameStatus
}

export function frameInfo(db: Db, row: FrameRow): FrameInfo {
  const labels = db
    .prepare(
      `SELECT ch.idx FROM frame_labels fl JOIN characters ch ON ch.id = fl.character_id
       WHERE fl.frame_id = ? AND fl.present = 1 ORDER BY ch.idx`
    )
    .pluck()
    .all(row.id) as number[]
  const handMasks = db
    .prepare(
      `SELECT ch.idx FROM masks m JOIN characters ch ON ch.id = m.character_id
       WHERE m.frame_id = ? AND m.source = 'hand' AND m.area > 0 ORDER BY ch.idx`
    )
    .pluck()
    .all(row.id) as number[]
  const imported = db
    .prepare("SELECT 1 FROM masks WHERE frame_id = ? AND source = 'imported' LIMIT 1")
    .pluck()
    .get(row.id)
  return {
    id: row.id,
    clipId: row.clip_id,
    idxInClip: row.idx_in_clip,
    width: row.width,
    height: row.height,
    asset: FrameStore.assetPath(row.hash),
    status: row.status,
    labels,
    handMasks,
    hasImportedMask: Boolean(imported)
  }
}

export function framesOfClip(db: Db, clipId: number): FrameInfo[] {
  const rows = db
    .prepare(
      'SELECT id, clip_id, idx_in_clip, width, height, hash, status FROM frames WHERE clip_id = ? ORDER BY idx_in_clip'
    )
    .all(clipId) as FrameRow[]
  return rows.map((r) => frameInfo(db, r))
}
