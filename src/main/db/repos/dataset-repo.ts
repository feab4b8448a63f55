import type { Db } from '../database'
import type {
  CharacterInfo,
  DatasetDetail,
  DatasetFormat,
  DatasetSummary,
  Split
} from '../../../shared/domain'

interface DatasetRow {
  id: number
  name: string
  format: DatasetFormat
  source_path: string | null
  fingerprint: string
  frames_per_story: number
  sentence_dim: number
  attribute_dim: number
  notes: string
  created_at: string
}

function countsOf(db: Db, id: number): DatasetSummary['counts'] {
  const one = (sql: string): number => (db.prepare(sql).pluck().get(id) as number) ?? 0
  const splits: Record<Split, number> = { train: 0, val: 0, test: 0 }
  const rows = db
    .prepare('SELECT split, count(*) AS n FROM stories WHERE dataset_id = ? GROUP BY split')
    .all(id) as { split: Split; n: number }[]
  for (const r of rows) splits[r.split] = r.n
  return {
    stories: splits.train + splits.val + splits.test,
    clips: one('SELECT count(*) FROM clips WHERE dataset_id = ?'),
    frames: one('SELECT count(*) FROM frames WHERE dataset_id = ?'),
    characters: one('SELECT count(*) FROM characters WHERE dataset_id = ?'),
    labeledFrames: one("SELECT count(*) FROM frames WHERE dataset_id = ? AND status = 'done'"),
    handMaskedFrames: one(
      `SELECT count(DISTINCT m.frame_id) FROM masks m JOIN frames f ON f.id = m.frame_id
       WHERE f.dataset_id = ? AND m.source = 'hand' AND m.area > 0`
    ),
    splits
  }
}

function toSummary(db: Db, row: DatasetRow): DatasetSummary {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    sourcePath: row.source_path,
    createdAt: row.created_at,
    framesPerStory: row.frames_per_story,
    sentenceDim: row.sentence_dim,
    attributeDim: row.attribute_dim,
    counts: countsOf(db, row.id),
    notes: JSON.parse(row.notes) as string[]
  }
}

export function listDatasets(db: Db): DatasetSummary[] {
  const rows = db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[]
  return rows.map((r) => toSummary(db, r))
}

export function getDatasetRow(db: Db, id: number): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined
}

export function getDataset(db: Db, id: number): DatasetDetail | undefined {
  const row = getDatasetRow(db, id)
  if (!row) return undefined
  return { ...toSummary(db, row), characters: listCharacters(db, id) }
}

export function findDatasetByName(db: Db, name: string): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as DatasetRow | undefined
}

export function findDatasetBySource(db: Db, sourcePath: string): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE source_path = ?').get(sourcePath) as
    | DatasetRow
    | undefined
}

export function findDatasetByFingerprint(db: Db, fingerprint: string): DatasetRow | undefined {
  return db.prepare('SELECT * FROM datasets WHERE fingerprint = ?').get(fingerprint) as
    | DatasetRow
    | undefined
}

export function listCharacters(db: Db, datasetId: number): CharacterInfo[] {
  return db
    .prepare('SELECT id, idx, name, color FROM characters WHERE dataset_id = ? ORDER BY idx')
    .all(datasetId) as CharacterInfo[]
}

/** Deletes a dataset and everything that hangs off it (cascades); returns rows removed (0 or 1). */
export function deleteDataset(db: Db, id: number): number {
  return db.prepare('DELETE FROM datasets WHERE id = ?').run(id).changes
}

/** Hashes of frames no dataset refers to any more, among the given ones. */
export function unreferencedHashes(db: Db, hashes: Iterable<string>): string[] {
  const stmt = db.prepare('SELECT 1 FROM frames WHERE hash = ? LIMIT 1').pluck()
  const out: string[] = []
  for (const h of hashes) if (!stmt.get(h)) out.push(h)
  return out
}

export function datasetFrameHashes(db: Db, id: number): string[] {
  return db.prepare('SELECT DISTINCT hash FROM frames WHERE dataset_id = ?').pluck().all(id) as string[]
}
