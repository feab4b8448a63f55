/**
 * SQL of the evaluation tables (migration 0060): scores per checkpoint, the per-dataset character
 * classifier, cached real statistics and the workspace's evaluation settings.
 */
import type { Db } from '../database'
import type { ClassifierInfo, EvalScore, EvaluationRecord } from '../../../shared/contract'

interface EvaluationRow {
  run_id: number
  step: number
  split: string
  score: EvalScore
  value: number
  samples: number
  variant: string
  details: string
  created_at: string
}

const toRecord = (r: EvaluationRow): EvaluationRecord => ({
  runId: r.run_id,
  step: r.step,
  split: r.split,
  score: r.score,
  value: r.value,
  samples: r.samples,
  variant: r.variant,
  details: JSON.parse(r.details) as Record<string, unknown>,
  createdAt: r.created_at
})

/**
 * Stores scores of one checkpoint in one transaction: the `evaluations` rows (replacing a score
 * of the same run, step, split and variant) and the `metrics` rows (`eval/<score>`) that the
 * training charts read.
 */
export function saveEvaluations(db: Db, records: EvaluationRecord[], wallTime = Date.now() / 1000): void {
  const insert = db.prepare(
    `INSERT INTO evaluations (run_id, step, split, score, value, samples, variant, details, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, step, split, score, variant) DO UPDATE SET
       value = excluded.value, samples = excluded.samples, details = excluded.details, created_at = excluded.created_at`
  )
  const metric = db.prepare('INSERT OR REPLACE INTO metrics (run_id, step, tag, value, wall_time) VALUES (?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const r of records) {
      insert.run(r.runId, r.step, r.split, r.score, r.value, r.samples, r.variant, JSON.stringify(r.details), r.createdAt)
      metric.run(r.runId, r.step, `eval/${r.score}`, r.value, wallTime)
    }
  })()
}

/** Scores of the given runs (all runs when absent), by run, step and score. */
export function listEvaluations(db: Db, runIds?: number[]): EvaluationRecord[] {
  const rows = (
    runIds === undefined
      ? db.prepare('SELECT * FROM evaluations ORDER BY run_id, step, score, created_at').all()
      : runIds.length === 0
        ? []
        : db
            .prepare(`SELECT * FROM evaluations WHERE run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY run_id, step, score, created_at`)
            .all(...runIds)
  ) as EvaluationRow[]
  return rows.map(toRecord)
}

/** A stored classifier: its info plus the weight file, relative to the workspace. */
export interface ClassifierRecord extends ClassifierInfo {
  file: string
}

interface ClassifierRow {
  dataset_id: number
  file: string
  label_names: string
  train_frames: number
  held_out_frames: number
  held_out_from: string
  epochs: number
  held_out: string
  baseline: string
  created_at: string
}

/** The classifier of a dataset, if one was trained. */
export function getClassifier(db: Db, datasetId: number): ClassifierRecord | undefined {
  const r = db.prepare('SELECT * FROM classifiers WHERE dataset_id = ?').get(datasetId) as ClassifierRow | undefined
  if (!r) return undefined
  return {
    datasetId: r.dataset_id,
    file: r.file,
    labelNames: JSON.parse(r.label_names) as string[],
    trainFrames: r.train_frames,
    heldOutFrames: r.held_out_frames,
    heldOutFrom: r.held_out_from,
    epochs: r.epochs,
    heldOut: JSON.parse(r.held_out) as ClassifierInfo['heldOut'],
    baseline: JSON.parse(r.baseline) as ClassifierInfo['baseline'],
    createdAt: r.created_at
  }
}

/** Records (or replaces) the classifier of a dataset. */
export function saveClassifier(db: Db, c: ClassifierRecord): void {
  db.prepare(
    `INSERT OR REPLACE INTO classifiers
       (dataset_id, file, label_names, train_frames, held_out_frames, held_out_from, epochs, held_out, baseline, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(
    c.datasetId, c.file, JSON.stringify(c.labelNames), c.trainFrames, c.heldOutFrames, c.heldOutFrom, c.epochs,
    JSON.stringify(c.heldOut), JSON.stringify(c.baseline), c.createdAt
  )
}

/** What identifies cached real statistics. */
export interface ReferenceStatsKey {
  datasetId: number
  split: string
  extractor: 'fid' | 'fsd'
  modelHash: string
  /** Canonical JSON of the preprocessing settings. */
  settings: string
  contentHash: string
}

/** A cache entry of real statistics. */
export interface ReferenceStatsRow {
  id: number
  samples: number
  dim: number
  /** Relative to the workspace. */
  folder: string
  createdAt: string
}

/** The cache entry of a key, if any. */
export function findReferenceStats(db: Db, k: ReferenceStatsKey): ReferenceStatsRow | undefined {
  return db
    .prepare(
      `SELECT id, samples, dim, folder, created_at AS createdAt FROM reference_stats
       WHERE dataset_id = ? AND split = ? AND extractor = ? AND model_hash = ? AND settings = ? AND content_hash = ?`
    )
    .get(k.datasetId, k.split, k.extractor, k.modelHash, k.settings, k.contentHash) as ReferenceStatsRow | undefined
}

/** Records (or replaces) the cache entry of a key. */
export function saveReferenceStats(db: Db, k: ReferenceStatsKey, row: Omit<ReferenceStatsRow, 'id'>): void {
  db.prepare(
    `INSERT OR REPLACE INTO reference_stats
       (dataset_id, split, extractor, model_hash, settings, content_hash, samples, dim, folder, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(k.datasetId, k.split, k.extractor, k.modelHash, k.settings, k.contentHash, row.samples, row.dim, row.folder, row.createdAt)
}

/** Forgets a cache entry (its files were found missing or unreadable). */
export function deleteReferenceStats(db: Db, id: number): void {
  db.prepare('DELETE FROM reference_stats WHERE id = ?').run(id)
}

/** The evaluation settings of the workspace. */
export interface EvaluationSettings {
  fidModel: string | null
  fsdModel: string | null
  fsdCompat: boolean
}

/** The stored settings; unset paths are null, the FSD mode defaults to resize (not compat). */
export function getEvaluationSettings(db: Db): EvaluationSettings {
  const rows = db.prepare('SELECT key, value FROM evaluation_settings').all() as { key: string; value: string }[]
  const map = new Map(rows.map((r) => [r.key, r.value]))
  return { fidModel: map.get('fidModel') ?? null, fsdModel: map.get('fsdModel') ?? null, fsdCompat: map.get('fsdCompat') === 'true' }
}

/** Sets the given settings; a null path removes the stored one, an absent key leaves it. */
export function setEvaluationSettings(db: Db, s: Partial<EvaluationSettings>): void {
  const put = db.prepare('INSERT OR REPLACE INTO evaluation_settings (key, value) VALUES (?, ?)')
  const drop = db.prepare('DELETE FROM evaluation_settings WHERE key = ?')
  db.transaction(() => {
    for (const key of ['fidModel', 'fsdModel'] as const) {
      const v = s[key]
      if (v === null) drop.run(key)
      else if (v !== undefined) put.run(key, v)
    }
    if (s.fsdCompat !== undefined) put.run('fsdCompat', String(s.fsdCompat))
  })()
}

/** Whether any frame of a dataset split (or of all splits) has a mask of any source. */
export function splitHasMasks(db: Db, datasetId: number, split: string): boolean {
  const row = db
    .prepare(
      `SELECT 1 FROM masks m
       JOIN frames f ON f.id = m.frame_id
       JOIN story_clips sc ON sc.clip_id = f.clip_id
       JOIN stories s ON s.id = sc.story_id
       WHERE f.dataset_id = ? AND (? = 'all' OR s.split = ?) LIMIT 1`
    )
    .get(datasetId, split, split)
  return row !== undefined
}
