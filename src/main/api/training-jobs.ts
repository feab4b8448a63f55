import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Worker } from 'node:worker_threads'
import type { Db } from '../db/database'
import type { WorkbenchEvent } from '../../shared/contract'
import type { RunSummary, Split } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { TRAIN_PRESETS, trainConfigFromPreset, validateTrainConfig, type TrainConfig, type TrainPresetName } from '../../shared/train-config'
import { getDataset } from '../db/repos/dataset-repo'
import { deleteRun, getRun, insertRun, listCheckpoints, listRuns, markOrphanedRuns, setRunFolder, setRunOwner, setRunStatus } from '../db/repos/run-repo'
import { loadDatasetIndex, type MaskSourcePolicy } from '../training/data/dataset-index'
import { checkDatasetFits } from '../training/trainer'
import type { BackendName } from '../training/engine/backend'
import type { FromTrainingWorker, RunSpec, ToTrainingWorker } from '../training/run-messages'
import { startWorker } from '../workers'

/** What a person (form, CLI) asks for when starting a run. */
export interface StartRequest {
  datasetId: number
  name?: string
  preset: TrainPresetName
  split?: Split | 'all'
  overrides?: Partial<TrainConfig>
  steps: number
  seed?: number
  backend?: BackendName | 'auto'
  tickSteps?: number
  checkpointEvery?: number
  sampleEvery?: number
  sampleStories?: number
  maskPolicy?: MaskSourcePolicy
  parentRunId?: number
}

const RUN_OPTION_KEYS = ['steps', 'seed', 'backend', 'tickSteps', 'checkpointEvery', 'sampleEvery', 'sampleStories', 'maskPolicy', 'split'] as const

/** The preset a dataset format trains with by default (text and label sizes must fit). */
export function defaultPresetFor(format: string): TrainPresetName {
  return format === 'clevr' || format === 'demo-clevr' ? 'clevr' : 'tiny'
}

/**
 * Starts, stops and resumes training runs in one long-lived worker thread (which owns TF.js),
 * records them in SQLite and forwards progress as events. One run trains at a time: a second
 * start is refused with the name of the run in the way.
 */
export class TrainingJobs {
  private worker: Worker | null = null
  private active: { runId: number; stopping: boolean } | null = null
  private readonly waiters = new Map<number, ((r: RunSummary) => void)[]>()

  constructor(
    private readonly db: Db,
    private readonly workspace: string,
    private readonly emit: (e: WorkbenchEvent) => void,
    private readonly log: (m: string) => void = (m) => console.error(m)
  ) {
    markOrphanedRuns(db)
  }

  get activeRunId(): number | null {
    return this.active?.runId ?? null
  }

  /** Validates, records and starts a new run; returns it (status 'queued' until the worker reports). */
  start(req: StartRequest): RunSummary {
    this.assertIdle()
    const dataset = getDataset(this.db, req.datasetId)
    if (!dataset) throw new UserError(`dataset ${req.datasetId} not found`, 'not_found')
    if (!(req.preset in TRAIN_PRESETS)) throw new UserError(`unknown preset ${req.preset}`)
    const seed = req.seed ?? 0
    const config = trainConfigFromPreset(req.preset, { ...(req.overrides ?? {}), seed })
    const problems = validateTrainConfig(config)
    if (problems.length) throw new UserError(`invalid training settings: ${problems.join('; ')}`, 'invalid_request')
    const split = req.split ?? 'train'
    const maskPolicy = req.maskPolicy ?? (dataset.format.startsWith('demo') ? 'hand+imported+truth' : 'hand+imported')
    const index = loadDatasetIndex(this.db, dataset.id, split, maskPolicy)
    const options = {
      split,
      steps: req.steps,
      seed,
      backend: req.backend ?? 'auto',
      tickSteps: req.tickSteps ?? 10,
      checkpointEvery: req.checkpointEvery ?? 500,
      sampleEvery: req.sampleEvery ?? 100,
      sampleStories: req.sampleStories ?? 4,
      maskPolicy
    }
    // Refuse before anything is recorded: a run that cannot start leaves no trace.
    checkDatasetFits(index, { config })
    const name = req.name?.trim() || `${req.preset}-${dataset.name}`
    const runId = insertRun(this.db, {
      name,
      datasetId: dataset.id,
      datasetName: dataset.name,
      split,
      preset: req.preset,
      config: { ...config, ...options },
      totalSteps: req.steps,
      parentRunId: req.parentRunId ?? null
    })
    const folder = join(this.workspace, 'runs', `${runId}-${name.replace(/[^\w.+-]+/g, '_')}`)
    mkdirSync(folder, { recursive: true })
    setRunFolder(this.db, runId, relative(this.workspace, folder))
    const spec: RunSpec = { runId, workspace: this.workspace, folder, datasetId: dataset.id, config, totalSteps: req.steps, ...options }
    this.launch(spec)
    return getRun(this.db, runId)!
  }

  /** Continues a stopped, finished or failed run from its last checkpoint, for `steps` more steps. */
  resume(runId: number, steps?: number): RunSummary {
    this.assertIdle()
    const run = this.runOrFail(runId)
    if (run.datasetId === null) throw new UserError(`run ${run.name}: its dataset ${run.datasetName} was deleted`)
    const last = listCheckpoints(this.db, runId).pop()
    if (!last) throw new UserError(`run ${run.name} has no checkpoint to resume from`)
    const c = run.config as unknown as TrainConfig & Record<string, unknown>
    const config = Object.fromEntries(Object.entries(c).filter(([k]) => !(RUN_OPTION_KEYS as readonly string[]).includes(k))) as unknown as TrainConfig
    const totalSteps = steps !== undefined ? last.step + steps : Math.max(run.totalSteps, last.step)
    const folder = join(this.workspace, run.folder)
    const spec: RunSpec = {
      runId,
      workspace: this.workspace,
      folder,
      datasetId: run.datasetId,
      split: c.split as Split | 'all',
      config,
      totalSteps,
      seed: c.seed as number,
      backend: c.backend as BackendName | 'auto',
      tickSteps: c.tickSteps as number,
      checkpointEvery: c.checkpointEvery as number,
      sampleEvery: c.sampleEvery as number,
      sampleStories: c.sampleStories as number,
      maskPolicy: c.maskPolicy as MaskSourcePolicy,
      resumeFrom: join(folder, last.file)
    }
    setRunStatus(this.db, runId, 'queued', null, totalSteps)
    this.launch(spec)
    return getRun(this.db, runId)!
  }

  stop(runId: number): RunSummary {
    const run = this.runOrFail(runId)
    if (this.active?.runId !== runId) throw new UserError(`run ${run.name} is not training in this workbench`, 'conflict')
    this.active.stopping = true
    this.worker?.postMessage({ type: 'stop', seq: 0 } satisfies ToTrainingWorker)
    return run
  }

  delete(runId: number): number {
    const run = this.runOrFail(runId)
    if (this.active?.runId === runId) throw new UserError(`run ${run.name} is training; stop it before deleting it`, 'conflict')
    const n = deleteRun(this.db, runId)
    if (run.folder && existsSync(join(this.workspace, run.folder))) rmSync(join(this.workspace, run.folder), { recursive: true, force: true })
    this.emit({ type: 'training:status', run: { ...run, status: run.status } })
    return n
  }

  /** Resolves when the run leaves the queued/running state. */
  wait(runId: number): Promise<RunSummary> {
    const run = getRun(this.db, runId)
    if (run && run.status !== 'running' && run.status !== 'queued') return Promise.resolve(run)
    return new Promise((resolve) => this.waiters.set(runId, [...(this.waiters.get(runId) ?? []), resolve]))
  }

  async close(): Promise<void> {
    if (this.active) {
      this.worker?.postMessage({ type: 'stop', seq: 0 } satisfies ToTrainingWorker)
      await Promise.race([this.wait(this.active.runId), new Promise((r) => setTimeout(r, 120_000))])
    }
    await this.worker?.terminate()
    this.worker = null
  }

  private assertIdle(): void {
    if (this.active) {
      const r = getRun(this.db, this.active.runId)
      throw new UserError(`run "${r?.name}" is training; stop it (or wait for it) before starting another`, 'conflict')
    }
    const other = listRuns(this.db).find((r) => r.status === 'running')
    if (other) throw new UserError(`run "${other.name}" is training in another workbench process; stop it first`, 'conflict')
  }

  private runOrFail(runId: number): RunSummary {
    const run = getRun(this.db, runId)
    if (!run) throw new UserError(`run ${runId} not found`, 'not_found')
    return run
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const w = startWorker('training-worker.mjs', new URL('../training/training-worker.ts', import.meta.url))
    w.on('message', (m: FromTrainingWorker) => this.onMessage(m))
    w.on('error', (e) => this.crashed(`training worker crashed: ${e.message}`))
    w.on('exit', (code) => {
      this.worker = null
      if (this.active) this.crashed(`training worker exited with code ${code}`)
    })
    this.worker = w
    return w
  }

  private launch(spec: RunSpec): void {
    this.active = { runId: spec.runId, stopping: false }
    setRunOwner(this.db, spec.runId, process.pid)
    this.ensureWorker().postMessage({ type: 'start', seq: 0, spec } satisfies ToTrainingWorker)
    this.status(spec.runId)
  }

  private status(runId: number): void {
    const run = getRun(this.db, runId)
    if (run) this.emit({ type: 'training:status', run })
  }

  private settle(runId: number): void {
    if (this.active?.runId === runId) this.active = null
    const run = getRun(this.db, runId)
    if (!run) return
    this.emit({ type: 'training:status', run })
    for (const w of this.waiters.get(runId) ?? []) w(run)
    this.waiters.delete(runId)
  }

  private crashed(reason: string): void {
    const runId = this.active?.runId
    if (runId === undefined) return
    this.log(`run ${runId}: ${reason}`)
    setRunStatus(this.db, runId, 'failed', `${reason}; resume from the last checkpoint`)
    this.settle(runId)
  }

  private onMessage(m: FromTrainingWorker): void {
    switch (m.type) {
      case 'started':
        return this.status(m.runId)
      case 'progress':
        return this.emit({ type: 'training:progress', runId: m.runId, progress: m.stats })
      case 'sample':
        return this.emit({ type: 'training:sample', runId: m.runId, step: m.step })
      case 'checkpoint':
        return this.emit({ type: 'training:checkpoint', runId: m.runId, step: m.step })
      case 'log':
        return this.emit({ type: 'training:log', runId: m.runId, line: m.line })
      case 'ended':
        return this.settle(m.runId)
      case 'failed': {
        if (m.internal) this.log(`run ${m.runId} failed: ${m.message}`)
        const message = m.internal ? `training failed unexpectedly: ${m.message.split('\n')[0]}` : m.message
        setRunStatus(this.db, m.runId, 'failed', message)
        return this.settle(m.runId)
      }
    }
  }
}
