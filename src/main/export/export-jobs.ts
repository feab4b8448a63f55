/**
 * Exports started through the API. They run in the main process as async work that yields
 * between clips (a worker would need its own build entry); progress streams as
 * `export:progress` events and the end as `export:finished`.
 */
import { randomUUID } from 'node:crypto'
import { isAbsolute, join } from 'node:path'
import type { ExportJob, WorkbenchEvent } from '../../shared/contract'
import { UserError } from '../../shared/result'
import type { HandlerGroup } from '../api/handler-types'
import { ExportCancelled } from './export-context'
import type { ExportOptions } from './export-options'
import { prepareExport, runExport, type ExportWorkspace } from './run-export'

export class ExportJobs {
  private readonly jobs = new Map<string, ExportJob>()
  private readonly cancelled = new Set<string>()
  private readonly runs = new Map<string, Promise<ExportJob>>()

  constructor(
    private readonly ws: ExportWorkspace,
    private readonly emit: (e: WorkbenchEvent) => void,
    private readonly log: (msg: string) => void = (m) => console.error(m)
  ) {}

  /** Validates at once (unknown dataset, existing output) and starts the export. */
  start(opts: ExportOptions): ExportJob {
    const prep = prepareExport(this.ws, opts)
    const out = prep.options.out
    const clash = [...this.jobs.values()].find((j) => j.state === 'running' && j.out === out)
    if (clash) throw new UserError(`an export to ${out} is already running`, 'conflict')
    const job: ExportJob = {
      jobId: randomUUID(),
      state: 'running',
      datasetId: prep.dataset.id,
      format: prep.options.format,
      out,
      phase: 'preparing',
      done: 0,
      total: 0,
      error: null,
      result: null
    }
    this.jobs.set(job.jobId, job)
    this.emit({ type: 'export:progress', job: { ...job } })
    this.runs.set(job.jobId, this.run(job, { ...opts, dataset: prep.dataset.id, out }))
    return { ...job }
  }

  get(jobId: string): ExportJob | undefined {
    const job = this.jobs.get(jobId)
    return job ? { ...job } : undefined
  }

  /** Asks a running export to stop; it removes what it wrote and ends as 'cancelled'. */
  cancel(jobId: string): ExportJob | undefined {
    if (this.jobs.get(jobId)?.state === 'running') this.cancelled.add(jobId)
    return this.get(jobId)
  }

  /** Resolves when the job has ended. */
  async wait(jobId: string): Promise<ExportJob | undefined> {
    await this.runs.get(jobId)
    return this.get(jobId)
  }

  /** Cancels every running export and waits for each to clean up. */
  async close(): Promise<void> {
    for (const [id, job] of this.jobs) if (job.state === 'running') this.cancelled.add(id)
    await Promise.all(this.runs.values())
  }

  private async run(job: ExportJob, opts: ExportOptions): Promise<ExportJob> {
    try {
      const result = await runExport(this.ws, opts, {
        cancelled: () => this.cancelled.has(job.jobId),
        onProgress: (p) => {
          Object.assign(job, p)
          this.emit({ type: 'export:progress', job: { ...job } })
        }
      })
      Object.assign(job, { state: 'finished', phase: 'done', done: job.total, result })
    } catch (e) {
      if (!(e instanceof UserError)) this.log(`export ${job.jobId} failed: ${(e as Error)?.stack ?? String(e)}`)
      const message = e instanceof UserError ? e.message : `export failed unexpectedly: ${(e as Error)?.message ?? String(e)}`
      Object.assign(job, { state: e instanceof ExportCancelled ? 'cancelled' : 'failed', error: message })
    }
    this.cancelled.delete(job.jobId)
    this.emit({ type: 'export:finished', job: { ...job } })
    return { ...job }
  }
}

const found = (jobId: string, job: ExportJob | undefined): ExportJob => {
  if (!job) throw new UserError(`export job ${jobId} not found`, 'not_found')
  return job
}

/**
 * The export channels over one ExportJobs. A relative `out` is taken inside the workspace's
 * exports folder: the person typing it cannot know the server's working directory.
 */
export function exportHandlers(jobs: ExportJobs, exportsDir: string): HandlerGroup<'export:start' | 'export:status' | 'export:cancel'> {
  return {
    'export:start': (req) =>
      jobs.start({
        dataset: req.datasetId,
        format: req.format,
        only: req.only,
        split: req.split,
        sources: req.sources,
        zip: req.zip,
        out: req.out === undefined || isAbsolute(req.out) ? req.out : join(exportsDir, req.out),
        force: req.force
      }),
    'export:status': ({ jobId }) => found(jobId, jobs.get(jobId)),
    'export:cancel': ({ jobId }) => found(jobId, jobs.cancel(jobId))
  }
}
