import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Db } from '../db/database'
import { EventFileWriter } from './tensorboard'
import type { ProgressStats, RunSpec } from './run-messages'

/**
 * Everything a run leaves behind, in both places that read it: the run folder (config.json,
 * metrics.jsonl, TensorBoard event file, checkpoints/, samples/) for stock tools, and SQLite
 * (runs, metrics, checkpoints, samples) for the workbench UI.
 */
export class RunLog {
  readonly tb: EventFileWriter
  private readonly insertMetric
  constructor(
    private readonly db: Db,
    private readonly spec: RunSpec
  ) {
    for (const d of ['checkpoints', 'samples']) mkdirSync(join(spec.folder, d), { recursive: true })
    this.tb = new EventFileWriter(spec.folder)
    this.insertMetric = db.prepare('INSERT OR REPLACE INTO metrics (run_id, step, tag, value, wall_time) VALUES (?, ?, ?, ?, ?)')
  }

  /** The fully resolved config, written once before step 0 (a resume keeps the original). */
  writeConfig(extra: Record<string, unknown>): void {
    const file = join(this.spec.folder, 'config.json')
    if (existsSync(file)) return
    const { resumeFrom: _r, ...spec } = this.spec
    writeFileSync(file, `${JSON.stringify({ ...spec, ...extra }, null, 2)}\n`)
  }

  started(backend: string, maskCoverage: unknown): void {
    this.db
      .prepare("UPDATE runs SET status = 'running', backend = ?, mask_coverage = ?, error = NULL, total_steps = ?, updated_at = ? WHERE id = ?")
      .run(backend, JSON.stringify(maskCoverage), this.spec.totalSteps, new Date().toISOString(), this.spec.runId)
  }

  /** One tick: every loss term, learning rates and speed as scalars, in all three records. */
  tick(stats: ProgressStats): void {
    const wall = Date.now() / 1000
    const scalars: Record<string, number> = { 'speed/it_per_sec': stats.itPerSec }
    for (const [k, v] of Object.entries(stats.losses)) scalars[`loss/${k}`] = v
    for (const [k, v] of Object.entries(stats.lr)) scalars[`lr/${k}`] = v
    this.db.transaction(() => {
      for (const [tag, value] of Object.entries(scalars)) if (Number.isFinite(value)) this.insertMetric.run(this.spec.runId, stats.step, tag, value, wall)
      this.db.prepare('UPDATE runs SET step = ?, updated_at = ? WHERE id = ?').run(stats.step, new Date().toISOString(), this.spec.runId)
    })()
    this.tb.addScalars(scalars, stats.step)
    this.tb.flush()
    appendFileSync(join(this.spec.folder, 'metrics.jsonl'), `${JSON.stringify({ step: stats.step, wall_time: wall, ...scalars })}\n`)
  }

  scalar(tag: string, value: number, step: number): void {
    const wall = Date.now() / 1000
    this.insertMetric.run(this.spec.runId, step, tag, value, wall)
    this.tb.addScalar(tag, value, step)
    appendFileSync(join(this.spec.folder, 'metrics.jsonl'), `${JSON.stringify({ step, wall_time: wall, [tag]: value })}\n`)
  }

  sample(step: number, position: number, storyId: number | null, png: Uint8Array, width: number, height: number): string {
    const name = `step-${String(step).padStart(7, '0')}-s${String(position).padStart(2, '0')}.png`
    const file = join(this.spec.folder, 'samples', name)
    writeFileSync(file, png)
    this.tb.addImage(`samples/story_${position}`, png, width, height, step)
    this.db
      .prepare('INSERT OR REPLACE INTO samples (run_id, step, story_id, position, file, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.spec.runId, step, storyId, position, relative(this.spec.folder, file), new Date().toISOString())
    return file
  }

  checkpoint(step: number, epoch: number, file: string, bytes: number): void {
    this.db
      .prepare('INSERT OR REPLACE INTO checkpoints (run_id, step, epoch, file, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.spec.runId, step, epoch, relative(this.spec.folder, file), bytes, new Date().toISOString())
  }

  ended(status: 'stopped' | 'finished', step: number): void {
    this.tb.close()
    this.db.prepare('UPDATE runs SET status = ?, step = ?, updated_at = ? WHERE id = ?').run(status, step, new Date().toISOString(), this.spec.runId)
  }

  close(): void {
    try {
      this.tb.close()
    } catch {}
  }
}
