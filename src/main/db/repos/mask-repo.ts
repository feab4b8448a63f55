import type { Db } from '../database'
import type { FrameStatus, MaskSource } from '../../../shared/domain'
import { rleArea, rleFromBytes, rleToBytes, type Rle } from '../../../shared/rle'

export interface FrameRow {
  id: number
  dataset_id: number
  clip_id: number
  idx_in_clip: number
  hash: string
  width: number
  height: number
  status: FrameStatus
}

export interface MaskRow {
  id: number
  frame_id: number
  character_id: number | null
  source: MaskSource
  width: number
  height: number
  rle: Buffer
  area: number
  version: number
  updated_at: string
}

export function getFrameRow(db: Db, id: number): FrameRow | undefined {
  return db
    .prepare('SELECT id, dataset_id, clip_id, idx_in_clip, hash, width, height, status FROM frames WHERE id = ?')
    .get(id) as FrameRow | undefined
}

export function characterIdOf(db: Db, datasetId: number, idx: number): number | undefined {
  return db.prepare('SELECT id FROM characters WHERE dataset_id = ? AND idx = ?').pluck().get(datasetId, idx) as
    | number
    | undefined
}

/** Every mask of a frame (all sources), with the character's index instead of its row id. */
export function masksOfFrame(db: Db, frameId: number): (MaskRow & { character_idx: number | null })[] {
  return db
    .prepare(
      `SELECT m.*, c.idx AS character_idx FROM masks m LEFT JOIN characters c ON c.id = m.character_id
       WHERE m.frame_id = ? ORDER BY m.source, c.idx`
    )
    .all(frameId) as (MaskRow & { character_idx: number | null })[]
}

export const decodeRle = (blob: Buffer | Uint8Array): Rle => rleFromBytes(blob)

/**
 * Stores a hand-labelled mask as a new version (the previous content stays in mask_versions),
 * keeps the character's presence label consistent (pixels ⇒ present) and moves an unlabeled
 * frame to 'in_progress'. Runs in one transaction.
 */
export function saveHandMask(
  db: Db,
  frame: FrameRow,
  characterId: number,
  rle: Rle
): { version: number; area: number; updatedAt: string } {
  const now = new Date().toISOString()
  const area = rleArea(rle)
  const blob = rleToBytes(rle)
  return db.transaction(() => {
    const existing = db
      .prepare("SELECT id, version FROM masks WHERE frame_id = ? AND character_id = ? AND source = 'hand'")
      .get(frame.id, characterId) as { id: number; version: number } | undefined
    let maskId: number
    let version: number
    if (existing) {
      version = existing.version + 1
      maskId = existing.id
      db.prepare('UPDATE masks SET rle = ?, area = ?, version = ?, updated_at = ? WHERE id = ?').run(blob, area, version, now, maskId)
    } else {
      version = 1
      maskId = Number(
        db
          .prepare(
            `INSERT INTO masks (frame_id, character_id, source, width, height, rle, area, version, created_at, updated_at)
             VALUES (?, ?, 'hand', ?, ?, ?, ?, 1, ?, ?)`
          )
          .run(frame.id, characterId, frame.width, frame.height, blob, area, now, now).lastInsertRowid
      )
    }
    db.prepare('INSERT INTO mask_versions (mask_id, version, rle, area, created_at) VALUES (?, ?, ?, ?, ?)').run(
      maskId,
      version,
      blob,
      area,
      now
    )
    if (area > 0) setLabel(db, frame.id, characterId, true)
    if (frame.status === 'unlabeled') setStatus(db, frame.id, 'in_progress')
    return { version, area, updatedAt: now }
  })()
}

export function listVersions(db: Db, frameId: number, characterId: number): { version: number; area: number; createdAt: string }[] {
  return db
    .prepare(
      `SELECT v.version, v.area, v.created_at AS createdAt FROM mask_versions v JOIN masks m ON m.id = v.mask_id
       WHERE m.frame_id = ? AND m.character_id = ? AND m.source = 'hand' ORDER BY v.version DESC LIMIT 50`
    )
    .all(frameId, characterId) as { version: number; area: number; createdAt: string }[]
}

export function getVersion(db: Db, frameId: number, characterId: number, version: number): Rle | undefined {
  const blob = db
    .prepare(
      `SELECT v.rle FROM mask_versions v JOIN masks m ON m.id = v.mask_id
       WHERE m.frame_id = ? AND m.character_id = ? AND m.source = 'hand' AND v.version = ?`
    )
    .pluck()
    .get(frameId, characterId, version) as Buffer | undefined
  return blob ? rleFromBytes(blob) : undefined
}

export function setLabel(db: Db, frameId: number, characterId: number, present: boolean): void {
  db.prepare(
    `INSERT INTO frame_labels (frame_id, character_id, present, source) VALUES (?, ?, ?, 'hand')
     ON CONFLICT (frame_id, character_id) DO UPDATE SET present = excluded.present, source = 'hand'`
  ).run(frameId, characterId, present ? 1 : 0)
}

export function setStatus(db: Db, frameId: number, status: FrameStatus): void {
  db.prepare('UPDATE frames SET status = ?, status_updated_at = ? WHERE id = ?').run(status, new Date().toISOString(), frameId)
}

/** Does the frame have a hand mask with pixels for this character? */
export function hasHandPixels(db: Db, frameId: number, characterId: number): boolean {
  return Boolean(
    db
      .prepare("SELECT 1 FROM masks WHERE frame_id = ? AND character_id = ? AND source = 'hand' AND area > 0")
      .pluck()
      .get(frameId, characterId)
  )
}

/** First frame of the dataset (optionally of a split) not yet done or skipped, after a given frame. */
export function nextUnlabeled(
  db: Db,
  datasetId: number,
  opts: { split?: string; afterFrameId?: number }
): { frameId: number; storyId: number } | undefined {
  const after = opts.afterFrameId ?? 0
  const splitFilter = opts.split ? 'AND s.split = @split' : ''
  return db
    .prepare(
      `SELECT f.id AS frameId, (SELECT sc.story_id FROM story_clips sc JOIN stories s ON s.id = sc.story_id
                                 WHERE sc.clip_id = f.clip_id ${splitFilter} ORDER BY s.idx LIMIT 1) AS storyId
       FROM frames f
       WHERE f.dataset_id = @datasetId AND f.status IN ('unlabeled', 'in_progress') AND f.id > @after
         AND EXISTS (SELECT 1 FROM story_clips sc JOIN stories s ON s.id = sc.story_id WHERE sc.clip_id = f.clip_id ${splitFilter})
       ORDER BY f.id LIMIT 1`
    )
    .get({ datasetId, after, split: opts.split }) as { frameId: number; storyId: number } | undefined
}

/** Labeling progress of a dataset: frame statuses and per-character hand-mask counts. */
export function labelingProgress(db: Db, datasetId: number) {
  const statuses = db
    .prepare('SELECT status, count(*) AS n FROM frames WHERE dataset_id = ? GROUP BY status')
    .all(datasetId) as { status: FrameStatus; n: number }[]
  const byStatus: Record<FrameStatus, number> = { unlabeled: 0, in_progress: 0, done: 0, skipped: 0 }
  for (const s of statuses) byStatus[s.status] = s.n
  const perCharacter = db
    .prepare(
      `SELECT c.idx, c.name, c.color,
              (SELECT count(*) FROM masks m JOIN frames f ON f.id = m.frame_id
                 WHERE m.character_id = c.id AND m.source = 'hand' AND m.area > 0) AS frames,
              (SELECT ifnull(sum(m.area), 0) FROM masks m WHERE m.character_id = c.id AND m.source = 'hand') AS pixels
       FROM characters c WHERE c.dataset_id = ? ORDER BY c.idx`
    )
    .all(datasetId) as { idx: number; name: string; color: string; frames: number; pixels: number }[]
  const recent = db
    .prepare(
      `SELECT id AS frameId, status, status_updated_at AS updatedAt FROM frames
       WHERE dataset_id = ? AND status_updated_at IS NOT NULL ORDER BY status_updated_at DESC LIMIT 20`
    )
    .all(datasetId) as { frameId: number; status: FrameStatus; updatedAt: string }[]
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0)
  return { frames: total, byStatus, perCharacter, recent }
}
