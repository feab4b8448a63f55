import type { Db } from '../database'
import type { CheckpointInfo, RunStatus, RunSummary, SampleInfo } from '../../../shared/domain'

interface RunRow {
  id: number
  name: string
  dataset_id: number | null
  dataset_name: string
  split: string
  preset: string
  config: string
  backend: string | null
  status: RunStatus
  error: string | null
  step: number
  total_steps: number
  folder: string
  mask_coverage: string | null
  parent_run_id: number | null
  created_at: string
  updated_at: string
}

const toSummary = (r: RunRow): RunSummary => ({
  id: r.id,
  name: r.name,
  datasetId: r.dataset_id,
  datasetName: r.dataset_name,
  split: r.split,
  preset: r.preset,
  status: r.status,
  error: r.error,
  step: r.step,
  totalSteps: r.total_steps,
  backend: r.backend,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  folder: r.folder,
  maskCoverage: r.mask_coverage ? JSON.parse(r.mask_coverage) : null,
  config: JSON.parse(r.config) as Record<string, unknown>,
  parentRunId: r.parent_run_id
})

export function insertRun(
  db: Db,
  r: { name: string; datasetId: number; datasetName: string; split: string; preset: string; config: object; totalSteps: number; parentRunId?: number | null }
): number {
  const now = new Date().toISOString()
  return Number(
    db
      .prepare(
        `INSERT INTO runs (name, dataset_id, dataset_name, split, preset, config, status, total_steps, folder, parent_run_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, '', ?, ?, ?)`
      )
      .run(r.name, r.datasetId, r.datasetName, r.split, r.preset, JSON.stringify(r.config), r.totalSteps, r.parentRunId ?? null, now, now).lastInsertRowid
  )
}

export function setRunFolder(db: Db, id: number, folder: string): void {
  db.prepare('UPDATE runs SET folder = ? WHERE id = ?').run(folder, id)
}

export function getRun(db: Db, id: number): RunSummary | undefined {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
  return r ? toSummary(r) : undefined
}

export function findRunByName(db: Db, name: string): RunSummary | undefined {
  const r = db.prepare('SELECT * FROM runs WHERE name = ? ORDER BY id DESC LIMIT 1').get(name) as RunRow | undefined
  return r ? toSummary(r) : undefined
}

export function listRuns(db: Db): RunSummary[] {
  return (db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRow[]).map(toSummary)
}

export function setRunStatus(db: Db, id: number, status: RunStatus, error: string | null = null, totalSteps?: number): void {
  db.prepare('UPDATE runs SET status = ?, error = ?, total_steps = coalesce(?, total_steps), updated_at = ? WHERE id = ?').run(
    status,
    error,
    totalSteps ?? null,
    new Date().toISOString(),
    id
  )
}

export function deleteRun(db: Db, id: number): number {
  return db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes
}

export function listCheckpoints(db: Db, runId: number): CheckpointInfo[] {
  return db
    .prepare('SELECT step, epoch, file, bytes, created_at AS createdAt FROM checkpoints WHERE run_id = ? ORDER BY step')
    .all(runId) as CheckpointInfo[]
}

export function listSamples(db: Db, runId: number, step?: number): SampleInfo[] {
  const rows = (
    step === undefined
      ? db.prepare('SELECT step, position, story_id, file FROM samples WHERE run_id = ? ORDER BY step, position').all(runId)
      : db.prepare('SELECT step, position, story_id, file FROM samples WHERE run_id = ? AND step = ? ORDER BY position').all(runId, step)
  ) as { step: number; position: number; story_id: number | null; file: string }[]
  return rows.map((r) => ({ step: r.step, position: r.position, storyId: r.story_id, asset: `runs/${runId}/${r.file}` }))
}

/** Scalar series of a run: tag -> [step, value] pairs in step order. */
export function runMetrics(db: Db, runId: number, sinceStep = -1): Record<string, [number, number][]> {
  const rows = db
    .prepare('SELECT tag, step, value FROM metrics WHERE run_id = ? AND step > ? ORDER BY tag, step')
    .all(runId, sinceStep) as { tag: string; step: number; value: number }[]
  const out: Record<string, [number, number][]> = {}
  for (const r of rows) (out[r.tag] ??= []).push([r.step, r.value])
  return out
}

export function setRunOwner(db: Db, id: number, pid: number): void {
  db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(pid, id)
}

function alive(pid: number | null): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs left 'running' or 'queued' by a process that is gone (a crash, a closed window) are
 * marked failed so the UI does not show them as live; their last checkpoint stays resumable.
 * Runs owned by a live process (e.g. `cpcsv train` in a terminal) are left alone.
 */
export function markOrphanedRuns(db: Db): number {
  const rows = db.prepare("SELECT id, owner_pid FROM runs WHERE status IN ('running', 'queued')").all() as { id: number; owner_pid: number | null }[]
  let n = 0
  for (const r of rows) {
    if (alive(r.owner_pid)) continue
    setRunStatus(db, r.id, 'failed', 'the process training this run stopped unexpectedly; resume it from its last checkpoint')
    n++
  }
  return n
}
