import { randomUUID } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import type { ImportJob } from '../../shared/domain'
import type { WorkbenchEvent } from '../../shared/contract'
import type { FromImportWorker, ImportTask, ToImportWorker } from '../datasets/import-messages'
import { startWorker } from '../workers'

/**
 * Runs imports in worker threads (each with its own database connection) so the main thread
 * keeps serving requests and streaming progress while a large folder is read.
 */
export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>()
  private readonly workers = new Map<string, Worker>()
  private readonly waiters = new Map<string, ((job: ImportJob) => void)[]>()

  constructor(
    private readonly workspace: string,
    private readonly emit: (e: WorkbenchEvent) => void,
    private readonly log: (msg: string) => void = (m) => console.error(m)
  ) {}

  start(task: ImportTask): ImportJob {
    const jobId = randomUUID()
    const job: ImportJob = {
      jobId,
      state: 'running',
      path: task.kind === 'folder' ? task.path : null,
      phase: 'starting',
      done: 0,
      total: 0,
      datasetId: null,
      error: null,
      unchanged: false
    }
    this.jobs.set(jobId, job)
    const worker = startWorker('import-worker.mjs', new URL('../datasets/import-worker.ts', import.meta.url))
    this.workers.set(jobId, worker)
    worker.on('message', (m: FromImportWorker) => this.onMessage(jobId, m))
    worker.on('error', (e) => this.finish(jobId, { state: 'failed', error: `import worker crashed: ${e.message}` }))
    worker.on('exit', (code) => {
      if (this.jobs.get(jobId)?.state === 'running') {
        this.finish(jobId, { state: 'failed', error: `import worker exited with code ${code}` })
      }
    })
    const msg: ToImportWorker = { type: 'start', seq: 1, workspace: this.workspace, task }
    worker.postMessage(msg)
    this.emit({ type: 'import:progress', job: { ...job } })
    return { ...job }
  }

  get(jobId: string): ImportJob | undefined {
    const j = this.jobs.get(jobId)
    return j ? { ...j } : undefined
  }

  cancel(jobId: string): ImportJob | undefined {
    const worker = this.workers.get(jobId)
    if (worker) worker.postMessage({ type: 'cancel', seq: 2 } satisfies ToImportWorker)
    return this.get(jobId)
  }

  /** Resolves when the job leaves the running state. */
  wait(jobId: string): Promise<ImportJob> {
    const job = this.jobs.get(jobId)
    if (!job || job.state !== 'running') return Promise.resolve({ ...(job as ImportJob) })
    return new Promise((resolve) => this.waiters.set(jobId, [...(this.waiters.get(jobId) ?? []), resolve]))
  }

  get running(): number {
    return [...this.jobs.values()].filter((j) => j.state === 'running').length
  }

  async close(): Promise<void> {
    for (const [id, w] of this.workers) {
      w.postMessage({ type: 'cancel', seq: 3 } satisfies ToImportWorker)
      await w.terminate()
      this.workers.delete(id)
    }
  }

  private onMessage(jobId: string, m: FromImportWorker): void {
    const job = this.jobs.get(jobId)
    if (!job || job.state !== 'running') return
    if (m.type === 'progress') {
      Object.assign(job, { phase: m.phase, done: m.done, total: m.total, path: m.path ?? job.path })
      this.emit({ type: 'import:progress', job: { ...job } })
    } else if (m.type === 'finished') {
      this.finish(jobId, { state: 'finished', datasetId: m.datasetId, unchanged: m.unchanged, phase: 'done' })
    } else {
      if (m.internal) this.log(`import ${jobId} failed: ${m.message}`)
      const error = m.internal ? `import failed unexpectedly: ${m.message.split('\n')[0]}` : m.message
      this.finish(jobId, { state: m.cancelled ? 'cancelled' : 'failed', error: m.cancelled ? 'import cancelled' : error })
    }
  }

  private finish(jobId: string, patch: Partial<ImportJob>): void {
    const job = this.jobs.get(jobId)
    if (!job || job.state !== 'running') return
    Object.assign(job, patch)
    const worker = this.workers.get(jobId)
    this.workers.delete(jobId)
    void worker?.terminate()
    this.emit({ type: 'import:finished', job: { ...job } })
    if ((job.state as ImportJob['state']) === 'finished') this.emit({ type: 'datasets:changed' })
    for (const w of this.waiters.get(jobId) ?? []) w({ ...job })
    this.waiters.delete(jobId)
  }
}
