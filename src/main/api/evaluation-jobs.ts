/**
 * Evaluations and character-classifier trainings in one long-lived evaluation worker (its own
 * TF.js and onnxruntime), beside the training worker. Requests are resolved and checked here
 * before the worker starts (run, checkpoints, which metrics, which files); the worker then checks
 * the network files themselves before it computes or writes anything. Progress and the end
 * stream as `evaluation:progress` / `evaluation:finished` events. One job runs at a time.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Worker } from 'node:worker_threads'
import type { Db } from '../db/database'
import { EVAL_METRICS, type EvalMetric, type EvaluationJob, type WorkbenchEvent } from '../../shared/contract'
import type { Split } from '../../shared/domain'
import type { TrainConfig } from '../../shared/train-config'
import { UserError } from '../../shared/result'
import { getDataset } from '../db/repos/dataset-repo'
import { getClassifier, getEvaluationSettings, splitHasMasks } from '../db/repos/evaluation-repo'
import { getRun, listCheckpoints } from '../db/repos/run-repo'
import type { EvaluateSpec, FromEvaluationWorker, ToEvaluationWorker } from '../evaluation/evaluation-messages'
import { startWorker } from '../workers'

/** What a person (form, CLI) asks to evaluate. */
export interface EvaluateRequest {
  runId: number
  /** Checkpoint steps, 'all', or 'latest' (the default). */
  steps?: number[] | 'all' | 'latest'
  split?: Split | 'all'
  /** Absent: every metric whose network, classifier or ground truth is available. */
  metrics?: EvalMetric[]
  /** Override the workspace settings for this evaluation. */
  fidModel?: string
  fsdModel?: string
  fsdCompat?: boolean
}

const METRIC_NAMES: Record<EvalMetric, string> = { fid: 'FID', fsd: 'FSD', char: 'character accuracy', mask: 'mask IoU' }

/** The evaluation worker and its jobs (one at a time): start, follow, cancel, wait. */
export class EvaluationJobs {
  private worker: Worker | null = null
  private readonly jobs = new Map<string, EvaluationJob>()
  private active: string | null = null
  private readonly waiters = new Map<string, ((j: EvaluationJob) => void)[]>()

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
    private readonly emit: (e: WorkbenchEvent) => void,
    private readonly log: (m: string) => void = (m) => console.error(m)
  ) {}

  get activeJob(): EvaluationJob | null {
    return this.active ? this.get(this.active) ?? null : null
  }

  /** Resolves and checks an evaluation request, then starts it in the worker. */
  start(req: EvaluateRequest): EvaluationJob {
    this.assertIdle()
    const run = getRun(this.db, req.runId)
    if (!run) throw new UserError(`run ${req.runId} not found`, 'not_found')
    if (run.datasetId === null) throw new UserError(`run "${run.name}": its dataset ${run.datasetName} was deleted`)
    const steps = this.resolveSteps(run.id, run.name, req.steps ?? 'latest')
    const split = req.split ?? 'test'
    const settings = getEvaluationSettings(this.db)
    const fidModel = req.fidModel ? resolve(req.fidModel) : settings.fidModel
    const fsdModel = req.fsdModel ? resolve(req.fsdModel) : settings.fsdModel
    const config = run.config as unknown as TrainConfig
    const { metrics, notes } = this.chooseMetrics(req.metrics, { fidModel, fsdModel, datasetId: run.datasetId, split, config })
    const spec: EvaluateSpec = {
      jobId: randomUUID(),
      workspace: this.workspace,
      runId: run.id,
      steps,
      split,
      metrics,
      fidModel: metrics.includes('fid') ? fidModel : null,
      fsdModel: metrics.includes('fsd') ? fsdModel : null,
      fsdCompat: req.fsdCompat ?? settings.fsdCompat
    }
    const job = this.register({ jobId: spec.jobId, kind: 'evaluate', runId: run.id, runName: run.name, datasetId: run.datasetId, split, steps, metrics, notes })
    this.post({ type: 'evaluate', seq: 0, spec })
    return job
  }

  /** Trains (or retrains) the character classifier of a dataset in the worker. */
  trainClassifier(datasetId: number, epochs?: number): EvaluationJob {
    this.assertIdle()
    if (!getDataset(this.db, datasetId)) throw new UserError(`dataset ${datasetId} not found`, 'not_found')
    const job = this.register({ jobId: randomUUID(), kind: 'classifier', runId: null, runName: null, datasetId, split: 'train', steps: [], metrics: ['char'], notes: [] })
    this.post({ type: 'classifier', seq: 0, spec: { jobId: job.jobId, workspace: this.workspace, datasetId, epochs } })
    return job
  }

  get(jobId: string): EvaluationJob | undefined {
    const job = this.jobs.get(jobId)
    return job ? { ...job, results: [...job.results] } : undefined
  }

  /** Asks a running job to stop after its current batch; finished checkpoints keep their scores. */
  cancel(jobId: string): EvaluationJob {
    const job = this.jobs.get(jobId)
    if (!job) throw new UserError(`evaluation job ${jobId} not found`, 'not_found')
    if (job.state === 'running') this.worker?.postMessage({ type: 'cancel', seq: 0, jobId } satisfies ToEvaluationWorker)
    return this.get(jobId)!
  }

  /** Resolves when the job has ended (finished, failed or cancelled). */
  wait(jobId: string): Promise<EvaluationJob> {
    const job = this.jobs.get(jobId)
    if (!job) return Promise.reject(new UserError(`evaluation job ${jobId} not found`, 'not_found'))
    if (job.state !== 'running') return Promise.resolve(this.get(jobId)!)
    return new Promise((res) => this.waiters.set(jobId, [...(this.waiters.get(jobId) ?? []), res]))
  }

  async close(): Promise<void> {
    if (this.active) {
      this.cancel(this.active)
      await Promise.race([this.wait(this.active), new Promise((r) => setTimeout(r, 30_000))])
    }
    const w = this.worker
    this.worker = null
    await w?.terminate()
  }

  private assertIdle(): void {
    const job = this.activeJob
    if (job) {
      const what = job.kind === 'classifier' ? 'a character classifier is training' : `run "${job.runName}" is being evaluated`
      throw new UserError(`${what}; wait for it or cancel it first`, 'conflict')
    }
  }

  private resolveSteps(runId: number, runName: string, steps: number[] | 'all' | 'latest'): number[] {
    const have = listCheckpoints(this.db, runId).map((c) => c.step)
    if (have.length === 0) throw new UserError(`run "${runName}" has no checkpoint yet`)
    if (steps === 'latest') return [have[have.length - 1]]
    if (steps === 'all') return have
    const missing = steps.filter((s) => !have.includes(s))
    if (missing.length) throw new UserError(`run "${runName}" has no checkpoint at step ${missing.join(', ')} (has: ${have.join(', ')})`, 'not_found')
    return [...new Set(steps)].sort((a, b) => a - b)
  }

  /** The metrics to compute: the named ones (each must be possible) or every possible one. */
  private chooseMetrics(
    named: EvalMetric[] | undefined,
    c: { fidModel: string | null; fsdModel: string | null; datasetId: number; split: string; config: TrainConfig }
  ): { metrics: EvalMetric[]; notes: string[] } {
    const why = (m: EvalMetric): string | null => {
      if (m === 'fid' || m === 'fsd') {
        const path = m === 'fid' ? c.fidModel : c.fsdModel
        const net = m === 'fid' ? 'InceptionV3 (tools/export_fid_inception.py)' : 'R(2+1)D-18 (tools/export_r2p1d18.py)'
        if (!path) return `no ${net} ONNX file is set: give --${m}-model or set it in the Evaluate view`
        if (!existsSync(path)) return `its network file was not found: ${path}`
        return null
      }
      if (m === 'char') return getClassifier(this.db, c.datasetId) ? null : 'the dataset has no character classifier yet: train it in the Evaluate view or with cpcsv classifier'
      if (!c.config.segmentLearning) return "the run's model makes no figure-ground masks"
      return splitHasMasks(this.db, c.datasetId, c.split) ? null : `the ${c.split} split has no ground-truth masks`
    }
    if (named) {
      const problems = [...new Set(named)].map((m) => [m, why(m)] as const).filter(([, w]) => w !== null)
      if (problems.length) throw new UserError(problems.map(([m, w]) => `${METRIC_NAMES[m]}: ${w}`).join('; '))
      return { metrics: EVAL_METRICS.filter((m) => named.includes(m)), notes: [] }
    }
    const notes: string[] = []
    const metrics = EVAL_METRICS.filter((m) => {
      const w = why(m)
      if (w) notes.push(`${METRIC_NAMES[m]} left out: ${w}`)
      return w === null
    })
    if (metrics.length === 0) throw new UserError(`nothing to evaluate: ${notes.join('; ')}`)
    return { metrics, notes }
  }

  private register(j: Pick<EvaluationJob, 'jobId' | 'kind' | 'runId' | 'runName' | 'datasetId' | 'split' | 'steps' | 'metrics' | 'notes'>): EvaluationJob {
    const job: EvaluationJob = { ...j, state: 'running', phase: 'starting', done: 0, total: 0, error: null, results: [], classifier: null, startedAt: new Date().toISOString() }
    this.jobs.set(job.jobId, job)
    this.active = job.jobId
    this.emit({ type: 'evaluation:progress', job: this.get(job.jobId)! })
    return this.get(job.jobId)!
  }

  private post(msg: ToEvaluationWorker): void {
    this.ensureWorker().postMessage(msg)
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const w = startWorker('evaluation-worker.mjs', new URL('../evaluation/evaluation-worker.ts', import.meta.url))
    w.on('message', (m: FromEvaluationWorker) => this.onMessage(m))
    w.on('error', (e) => this.crashed(`evaluation worker crashed: ${e.message}`))
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null
      this.crashed(`evaluation worker exited with code ${code}`)
    })
    this.worker = w
    return w
  }

  private crashed(reason: string): void {
    if (!this.active) return
    this.log(`evaluation ${this.active}: ${reason}`)
    this.end(this.active, 'failed', reason)
  }

  private end(jobId: string, state: EvaluationJob['state'], error: string | null = null): void {
    const job = this.jobs.get(jobId)
    if (!job || job.state !== 'running') return
    Object.assign(job, { state, error, phase: state })
    if (this.active === jobId) this.active = null
    const snapshot = this.get(jobId)!
    this.emit({ type: 'evaluation:finished', job: snapshot })
    for (const w of this.waiters.get(jobId) ?? []) w(snapshot)
    this.waiters.delete(jobId)
  }

  private onMessage(m: FromEvaluationWorker): void {
    const job = this.jobs.get(m.jobId)
    if (!job) return
    switch (m.type) {
      case 'progress':
        Object.assign(job, { phase: m.phase, done: m.done, total: m.total })
        return this.emit({ type: 'evaluation:progress', job: this.get(m.jobId)! })
      case 'results':
        job.results.push(...m.records)
        return this.emit({ type: 'evaluation:progress', job: this.get(m.jobId)! })
      case 'classifier':
        job.classifier = m.info
        return
      case 'ended':
        return this.end(m.jobId, m.status)
      case 'failed':
        if (m.internal) this.log(`evaluation ${m.jobId} failed: ${m.message}`)
        return this.end(m.jobId, 'failed', m.internal ? `evaluation failed unexpectedly: ${m.message.split('\n')[0]}` : m.message)
    }
  }
}
