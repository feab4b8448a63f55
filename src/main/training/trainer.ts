import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { openDatabase, type Db } from '../db/database'
import { workspacePaths } from '../workspace'
import { UserError } from '../../shared/result'
import { hashSeed } from '../datasets/demo/random'
import { initBackend, type BackendName } from './engine/backend'
import { loadDatasetIndex, type DatasetIndex } from './data/dataset-index'
import { stepsPerEpoch, type BatchArrays } from './data/batch-sampler'
import { Prefetcher } from './data/prefetcher'
import { applyLearningRates, createCpcsv, createOptimisers, disposeCpcsv, loadOptimisers, loadWeights, serialiseOptimisers, serialiseWeights, type CpcsvModels, type CpcsvOptimisers } from './model/cpcsv'
import { disposeBatch, disposeStepNoise, sampleStepNoise, type CpcsvBatch } from './model/batch'
import { trainStep } from './model/train-step'
import { learningRatesForEpoch } from './model/lr-schedule'
import { readCheckpoint, writeCheckpoint } from './checkpoint'
import { RunLog } from './run-log'
import { disposeSamples, renderSamples } from './samples'
import type { FromTrainingWorker, ProgressStats, RunSpec } from './run-messages'

type Emit = (m: FromTrainingWorker) => void

/** Turns flat batch arrays into the model's tensors (the caller disposes them). */
export function batchTensors(a: BatchArrays, spec: Pick<RunSpec, 'config'>): CpcsvBatch {
  const c = spec.config
  const [B, T, N, S, D, L] = [c.storyBatch, c.videoLen, c.imageBatch, c.imageSize, c.textDim, c.labelNum]
  return {
    storyImages: tf.tensor5d(a.storyImages, [B, T, S, S, 3]),
    storyText: tf.tensor3d(a.storyText, [B, T, D]),
    storyLabels: tf.tensor3d(a.storyLabels, [B, T, L]),
    images: tf.tensor4d(a.images, [N, S, S, 3]),
    masks: tf.tensor4d(a.masks, [N, S, S, 1]),
    maskWeight: tf.tensor1d(a.maskWeight),
    imageText: tf.tensor2d(a.imageText, [N, D]),
    imageLabels: tf.tensor2d(a.imageLabels, [N, L]),
    imageContent: tf.tensor3d(a.imageContent, [N, T, D])
  }
}

/** Checks the dataset fits the model before anything is built, with a message naming both. */
export function checkDatasetFits(index: DatasetIndex, spec: Pick<RunSpec, 'config'>): void {
  const c = spec.config
  const problems: string[] = []
  if (index.textDim !== c.textDim) problems.push(`text vectors of ${index.textDim} dims, the model expects ${c.textDim}`)
  if (index.labelNum !== c.labelNum) problems.push(`${index.labelNum} label bits, the model expects ${c.labelNum}`)
  if (index.framesPerStory < c.videoLen) problems.push(`${index.framesPerStory} frames per story, the model needs ${c.videoLen}`)
  if (problems.length) throw new UserError(`dataset "${index.name}" does not fit preset ${c.preset}: ${problems.join('; ')}`)
}

/**
 * One training run: phases (D image, D story, D mask, G) inside ticks, progress per tick,
 * samples and checkpoints on schedule, cooperative stop that leaves a checkpoint. Batches and
 * noise are pure functions of (seed, step), so stop + resume equals an uninterrupted run.
 */
export class Trainer {
  private stopRequested = false
  private db!: Db
  private log!: RunLog
  private models!: CpcsvModels
  private optimisers!: CpcsvOptimisers
  /** Batches are built in the data worker; this thread only needs the epoch arithmetic. */
  private stepsPerEpoch = 1
  private prefetcher: Prefetcher | null = null
  private index!: DatasetIndex
  step = 0
  private lastCheckpoint = -1
  backend: BackendName = 'cpu'

  constructor(private readonly spec: RunSpec, private readonly emit: Emit) {}

  stop(): void {
    this.stopRequested = true
  }

  /** Runs to the end or to a stop; resolves after every resource is released. */
  async run(): Promise<'stopped' | 'finished'> {
    const { spec } = this
    const backend = await initBackend(spec.backend)
    this.backend = backend.name
    const paths = workspacePaths(spec.workspace)
    this.db = openDatabase(paths.database)
    try {
      this.index = loadDatasetIndex(this.db, spec.datasetId, spec.split, spec.maskPolicy)
      checkDatasetFits(this.index, spec)
      this.stepsPerEpoch = stepsPerEpoch(this.index.stories.length, spec.config.storyBatch)
      this.log = new RunLog(this.db, spec)
      this.models = createCpcsv(spec.config, { seed: spec.seed })
      this.optimisers = createOptimisers(this.models, spec.config, 0)
      if (spec.resumeFrom) this.resume(spec.resumeFrom)
      this.prefetcher = new Prefetcher({
        workspace: spec.workspace, datasetId: spec.datasetId, split: spec.split, maskPolicy: spec.maskPolicy, shape: spec.config, seed: spec.seed
      })
      this.log.writeConfig({ backend: backend.name, backendReason: backend.reason, stepsPerEpoch: this.stepsPerEpoch })
      this.log.started(backend.name, this.index.maskCoverage)
      this.emit({ type: 'started', seq: 0, runId: spec.runId, backend: backend.name, step: this.step, maskCoverage: this.index.maskCoverage })
      const status = await this.loop()
      this.log.ended(status, this.step)
      // 'ended' is posted by the caller once everything here is released, so a resume that
      // follows at once finds the worker free.
      return status
    } finally {
      await this.prefetcher?.close()
      this.log?.close()
      if (this.models) {
        disposeSamples(this.models)
        disposeCpcsv(this.models, this.optimisers)
      }
      this.db.close()
    }
  }

  private epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch)
  }

  private resume(file: string): void {
    const ckpt = readCheckpoint(file, this.spec.config)
    loadWeights(this.models, ckpt.weights)
    loadOptimisers(this.models, this.optimisers, ckpt.optimisers)
    this.step = ckpt.step
    this.lastCheckpoint = ckpt.step
    this.emit({ type: 'log', seq: 0, runId: this.spec.runId, line: `resumed from ${file} at step ${ckpt.step}` })
  }

  private async loop(): Promise<'stopped' | 'finished'> {
    const { spec } = this
    let epoch = -1
    let tickStart = performance.now()
    let tickSteps = 0
    const sums: Record<string, number> = {}
    while (this.step < spec.totalSteps) {
      if (this.stopRequested) break
      const e = this.epochOf(this.step)
      if (e !== epoch) {
        epoch = e
        applyLearningRates(this.optimisers, spec.config, epoch)
      }
      const losses = this.oneStep(await this.prefetcher!.get(this.step))
      for (const [k, v] of Object.entries(losses)) sums[k] = (sums[k] ?? 0) + v
      this.step++
      tickSteps++
      const last = this.step === spec.totalSteps
      if (tickSteps >= spec.tickSteps || last) {
        this.tick(sums, tickSteps, performance.now() - tickStart, epoch)
        for (const k of Object.keys(sums)) delete sums[k]
        tickSteps = 0
        tickStart = performance.now()
      }
      if (this.step % spec.sampleEvery === 0 || last) this.samples()
      if (this.step % spec.checkpointEvery === 0) this.checkpoint(epoch)
      // Let the stop message (and anything else queued) in between steps.
      await new Promise((r) => setImmediate(r))
    }
    if (this.lastCheckpoint !== this.step) this.checkpoint(this.epochOf(Math.max(0, this.step - 1)))
    return this.step >= spec.totalSteps ? 'finished' : 'stopped'
  }

  private oneStep(arrays: BatchArrays): Record<string, number> {
    const batch = batchTensors(arrays, this.spec)
    const noise = sampleStepNoise(this.spec.config, hashSeed(this.spec.seed, 7, this.step) % 2147483647)
    try {
      return trainStep(this.models, this.optimisers, batch, noise) as unknown as Record<string, number>
    } finally {
      disposeBatch(batch)
      disposeStepNoise(noise)
    }
  }

  private tick(sums: Record<string, number>, steps: number, ms: number, epoch: number): void {
    const losses = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps]))
    const itPerSec = (steps * 1000) / Math.max(ms, 1)
    const mem = tf.memory()
    const stats: ProgressStats = {
      step: this.step,
      totalSteps: this.spec.totalSteps,
      epoch,
      losses,
      lr: { ...learningRatesForEpoch(this.spec.config, epoch) },
      itPerSec,
      etaSec: (this.spec.totalSteps - this.step) / Math.max(itPerSec, 1e-9),
      memory: { numTensors: mem.numTensors, numBytes: mem.numBytes, rssBytes: process.memoryUsage().rss }
    }
    this.log.tick(stats)
    this.emit({ type: 'progress', seq: 0, runId: this.spec.runId, stats })
  }

  private samples(): void {
    const r = renderSamples(this.models, this.db, this.spec, this.index, this.step, this.log)
    if (r.maskIoU !== null) this.log.scalar('eval/mask_iou', r.maskIoU, this.step)
    this.log.scalar('eval/frame_l1', r.frameL1, this.step)
    this.emit({ type: 'sample', seq: 0, runId: this.spec.runId, step: this.step, files: r.files, maskIoU: r.maskIoU })
  }

  private checkpoint(epoch: number): void {
    const file = join(this.spec.folder, 'checkpoints', `step-${String(this.step).padStart(7, '0')}.ckpt`)
    const bytes = writeCheckpoint(file, {
      step: this.step,
      epoch,
      seed: this.spec.seed,
      config: this.spec.config,
      weights: serialiseWeights(this.models),
      optimisers: serialiseOptimisers(this.models, this.optimisers),
      meta: { backend: this.backend, dataset: this.index.name, runId: this.spec.runId }
    })
    this.lastCheckpoint = this.step
    this.log.checkpoint(this.step, epoch, file, bytes)
    this.emit({ type: 'checkpoint', seq: 0, runId: this.spec.runId, step: this.step, file })
  }
}
