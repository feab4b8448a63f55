/**
 * Where evaluation scores go: SQLite (`evaluations`, and `metrics` as `eval/<score>` for the
 * training charts), the run folder's metrics.jsonl, and a TensorBoard event file in the run
 * folder. The evaluation writes its own event file (suffix `.eval`) beside the training one:
 * TensorBoard merges every event file of a folder into one run, and the training worker may be
 * appending to its file at the same moment.
 */
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Db } from '../db/database'
import type { EvaluationRecord } from '../../shared/contract'
import { saveEvaluations } from '../db/repos/evaluation-repo'
import { EventFileWriter } from '../training/tensorboard'

/** Writes one run's evaluation scores to SQLite, metrics.jsonl and its `.eval` event file. */
export class EvalLog {
  private tb: EventFileWriter | null = null

  constructor(
    private readonly db: Db,
    /** Absolute run folder. */
    private readonly folder: string
  ) {}

  /** Records the scores of one checkpoint everywhere. Nothing is created before the first call. */
  write(step: number, records: EvaluationRecord[]): void {
    if (records.length === 0) return
    const wall = Date.now() / 1000
    saveEvaluations(this.db, records, wall)
    const scalars: Record<string, number> = {}
    for (const r of records) scalars[`eval/${r.score}`] = r.value
    this.tb ??= new EventFileWriter(this.folder, { suffix: '.eval' })
    this.tb.addScalars(scalars, step)
    this.tb.flush()
    appendFileSync(join(this.folder, 'metrics.jsonl'), `${JSON.stringify({ step, wall_time: wall, ...scalars })}\n`)
  }

  close(): void {
    this.tb?.close()
  }
}
