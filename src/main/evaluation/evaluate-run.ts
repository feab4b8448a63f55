/**
 * Scores checkpoints of a run (runs in the evaluation worker): generates every story of a split
 * with each checkpoint and compares it with the real stories, by FSD (R(2+1)D features of whole
 * stories), FID (InceptionV3 features of frames), character accuracy (the dataset's classifier
 * on generated frames against the labels they were generated from) and mask IoU (generated
 * figure-ground masks against ground truth).
 *
 * Everything that can be wrong with the request (run, checkpoints, split, network files,
 * classifier) is checked before anything is computed or written. Real statistics come from the
 * cache when present. Each checkpoint's scores are written as soon as they are known, so a
 * cancelled evaluation keeps the checkpoints it finished.
 */
import type { Db } from '../db/database'
import type { EvaluationRecord, EvalScore } from '../../shared/contract'
import type { TrainConfig } from '../../shared/train-config'
import { UserError } from '../../shared/result'
import { openDatabase } from '../db/database'
import { getRun, listCheckpoints } from '../db/repos/run-repo'
import { getClassifier } from '../db/repos/evaluation-repo'
import { readCheckpoint } from '../training/checkpoint'
import { initBackend } from '../training/engine/backend'
import { createCpcsv, disposeCpcsv, loadWeights } from '../training/model/cpcsv'
import { workspacePaths } from '../workspace'
import { join } from 'node:path'
import type * as tf from '@tensorflow/tfjs'
import { predictLabels, readClassifierFile, type ClassifierArchitecture } from './character-classifier'
import { EvalLog } from './eval-log'
import { checkEnoughStories, EvalStories, generateBatch, type StoryBatch } from './eval-stories'
import type { EvaluateSpec } from './evaluation-messages'
import { canonicalSettings, extractorVariant, type ExtractorKind, type FeatureExtractor } from './extractor'
import { openFidExtractor } from './fid'
import { openFsdExtractor } from './fsd'
import { LabelScoreAccumulator } from './label-scores'
import { MaskIouAccumulator } from './mask-iou'
import { frechetToReal, loadReferenceStats, realSamples, saveRealFeatures, type RealStatistics } from './reference-stats'

/** What the worker hears from an evaluation. */
export interface EvaluationHooks {
  progress(phase: string, done: number, total: number): void
  results(records: EvaluationRecord[]): void
  /** Polled between batches. */
  cancelled(): boolean
}

class Cancelled extends Error {}

interface LoadedClassifier {
  model: tf.LayersModel
  arch: ClassifierArchitecture
  names: string[]
  variant: string
  heldOut: { frameAcc: number; microF1: number }
}

interface Prepared {
  db: Db
  spec: EvaluateSpec
  config: TrainConfig
  datasetId: number
  stories: EvalStories
  checkpoints: { step: number; file: string }[]
  extractors: FeatureExtractor[]
  classifier: LoadedClassifier | null
  log: EvalLog
}

/** Progress over the whole job: real-statistics batches, then every checkpoint's batches. */
class Progress {
  done = 0
  constructor(private readonly hooks: EvaluationHooks, public total: number) {}
  async tick(phase: string, advance = 1): Promise<void> {
    this.done += advance
    this.hooks.progress(phase, this.done, this.total)
    // Lets the worker read a cancel message even when a batch had no asynchronous work.
    await new Promise((resolve) => setImmediate(resolve))
    if (this.hooks.cancelled()) throw new Cancelled()
  }
}

/** Runs one evaluation; resolves 'cancelled' when asked to stop between batches. */
export async function evaluateRun(spec: EvaluateSpec, hooks: EvaluationHooks): Promise<'finished' | 'cancelled'> {
  const db = openDatabase(workspacePaths(spec.workspace).database)
  let p: Prepared | null = null
  try {
    hooks.progress('checking the run, the data and the networks', 0, 1)
    p = await prepare(db, spec)
    const uncached = p.extractors.filter((e) => !loadReferenceStats(db, spec.workspace, statsKey(p!, e))).length
    const progress = new Progress(hooks, (uncached > 0 ? p.stories.batches : 0) + p.checkpoints.length * p.stories.batches)
    const reals = await realStatistics(p, progress)
    for (const c of p.checkpoints) {
      const records = await evaluateCheckpoint(p, c, reals, progress)
      p.log.write(c.step, records)
      hooks.results(records)
    }
    return 'finished'
  } catch (e) {
    if (e instanceof Cancelled) return 'cancelled'
    throw e
  } finally {
    if (p) await release(p)
    db.close()
  }
}

async function prepare(db: Db, spec: EvaluateSpec): Promise<Prepared> {
  const run = getRun(db, spec.runId)
  if (!run) throw new UserError(`run ${spec.runId} not found`, 'not_found')
  if (run.datasetId === null) throw new UserError(`run "${run.name}": its dataset ${run.datasetName} was deleted`)
  const known = new Map(listCheckpoints(db, run.id).map((c) => [c.step, c.file]))
  const checkpoints = spec.steps.map((step) => {
    const file = known.get(step)
    if (file === undefined) throw new UserError(`run "${run.name}" has no checkpoint at step ${step}`, 'not_found')
    return { step, file: join(spec.workspace, run.folder, file) }
  })
  const config = run.config as unknown as TrainConfig
  const stories = new EvalStories(db, spec.workspace, run.datasetId, spec.split, config)
  checkEnoughStories(stories, run.datasetName, spec.metrics.includes('fsd'))
  if (spec.metrics.includes('mask')) checkMasks(config, stories, run.datasetName)
  const extractors: FeatureExtractor[] = []
  let classifier: LoadedClassifier | null = null
  // Before the classifier is rebuilt: TF.js creates its weights on the active backend.
  await initBackend('auto')
  try {
    if (spec.metrics.includes('fsd')) {
      extractors.push(await openFsdExtractor(need(spec.fsdModel, 'FSD'), { compat: spec.fsdCompat, frames: config.videoLen, side: config.imageSize }))
    }
    if (spec.metrics.includes('fid')) extractors.push(await openFidExtractor(need(spec.fidModel, 'FID'), config.imageSize))
    if (spec.metrics.includes('char')) classifier = loadClassifier(db, spec.workspace, run.datasetId, config)
  } catch (e) {
    await Promise.all(extractors.map((x) => x.close()))
    classifier?.model.dispose()
    throw e
  }
  const log = new EvalLog(db, join(spec.workspace, run.folder))
  return { db, spec, config, datasetId: run.datasetId, stories, checkpoints, extractors, classifier, log }
}

function need(path: string | null, metric: string): string {
  if (!path) throw new UserError(`${metric} needs a network file; none is set`)
  return path
}

function checkMasks(config: TrainConfig, stories: EvalStories, datasetName: string): void {
  if (!config.segmentLearning) throw new UserError('mask IoU needs a model with figure-ground masks (segment learning is off in this run)')
  if (stories.maskedFrames === 0) {
    throw new UserError(`mask IoU needs ground-truth masks; no frame of the ${stories.split} split of "${datasetName}" has a hand, imported or truth mask`)
  }
}

function loadClassifier(db: Db, workspace: string, datasetId: number, config: TrainConfig): LoadedClassifier {
  const row = getClassifier(db, datasetId)
  if (!row) throw new UserError('character accuracy needs the dataset\'s character classifier: train it first (Evaluate view, or cpcsv classifier --dataset <name>)')
  const { header, model } = readClassifierFile(join(workspace, row.file))
  if (header.architecture.labels !== config.labelNum) {
    model.dispose()
    throw new UserError(`the character classifier has ${header.architecture.labels} labels but the run's model ${config.labelNum}; train it again`)
  }
  return {
    model,
    arch: header.architecture,
    names: header.labelNames,
    variant: `classifier:${header.createdAt}`,
    heldOut: { frameAcc: row.heldOut.frameAcc, microF1: row.heldOut.microF1 }
  }
}

async function release(p: Prepared): Promise<void> {
  p.log.close()
  p.classifier?.model.dispose()
  await Promise.all(p.extractors.map((e) => e.close()))
}

function statsKey(p: Prepared, e: FeatureExtractor) {
  return {
    datasetId: p.datasetId,
    split: p.spec.split,
    extractor: e.kind,
    modelHash: e.modelHash,
    settings: canonicalSettings(e.settings),
    contentHash: p.stories.contentHash
  }
}

/** FSD samples are stories, FID samples frames. */
function samplesOf(kind: ExtractorKind, batch: { count: number }, T: number): number {
  return kind === 'fsd' ? batch.count : batch.count * T
}

/** Real statistics per extractor: cached, or computed in one pass over the real stories and cached. */
async function realStatistics(p: Prepared, progress: Progress): Promise<Map<ExtractorKind, RealStatistics>> {
  const out = new Map<ExtractorKind, RealStatistics>()
  const missing: FeatureExtractor[] = []
  for (const e of p.extractors) {
    const cached = loadReferenceStats(p.db, p.spec.workspace, statsKey(p, e))
    if (cached) out.set(e.kind, cached)
    else missing.push(e)
  }
  if (missing.length === 0) return out
  const T = p.config.videoLen
  const parts = new Map<ExtractorKind, Float32Array[]>(missing.map((e) => [e.kind, []]))
  for (let b = 0; b < p.stories.batches; b++) {
    const batch = p.stories.batch(b)
    for (const e of missing) parts.get(e.kind)!.push(await e.extract(batch.real, samplesOf(e.kind, batch, T)))
    await progress.tick(`real statistics of the ${p.spec.split} split`)
  }
  for (const e of missing) {
    const n = samplesOf(e.kind, { count: p.stories.count }, T)
    out.set(e.kind, saveRealFeatures(p.db, p.spec.workspace, statsKey(p, e), concat(parts.get(e.kind)!), n, e.dim))
  }
  return out
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, x) => a + x.length, 0))
  let o = 0
  for (const x of parts) {
    out.set(x, o)
    o += x.length
  }
  return out
}

/** What one checkpoint's generated stories add up to. */
class GeneratedScores {
  readonly features = new Map<ExtractorKind, Float32Array[]>()
  readonly labels: LabelScoreAccumulator | null
  readonly masks = new MaskIouAccumulator()

  constructor(private readonly p: Prepared) {
    for (const e of p.extractors) this.features.set(e.kind, [])
    this.labels = p.classifier ? new LabelScoreAccumulator(p.classifier.names) : null
  }

  async add(batch: StoryBatch, frames: Uint8Array, masks: Float32Array | null): Promise<void> {
    const T = this.p.config.videoLen
    for (const e of this.p.extractors) this.features.get(e.kind)!.push(await e.extract(frames, samplesOf(e.kind, batch, T)))
    const c = this.p.classifier
    if (c && this.labels) this.labels.add(predictLabels(c.model, frames, batch.count * T, c.arch), batch.labels, batch.count * T)
    if (masks && this.p.spec.metrics.includes('mask')) this.masks.add(masks, batch.truthMasks, batch.hasMask, this.p.config.imageSize ** 2)
  }
}

async function evaluateCheckpoint(
  p: Prepared,
  c: { step: number; file: string },
  reals: Map<ExtractorKind, RealStatistics>,
  progress: Progress
): Promise<EvaluationRecord[]> {
  const content = readCheckpoint(c.file, p.config)
  const models = createCpcsv(content.config, { zeroInit: true })
  const scores = new GeneratedScores(p)
  try {
    loadWeights(models, content.weights)
    for (let b = 0; b < p.stories.batches; b++) {
      const batch = p.stories.batch(b)
      const generated = generateBatch(models, batch, b)
      await scores.add(batch, generated.frames, generated.masks)
      await progress.tick(`checkpoint ${c.step}: ${(b + 1) * 100 / p.stories.batches | 0}% of ${p.stories.count} stories`)
    }
  } finally {
    disposeCpcsv(models)
  }
  return records(p, c.step, scores, reals)
}

function records(p: Prepared, step: number, s: GeneratedScores, reals: Map<ExtractorKind, RealStatistics>): EvaluationRecord[] {
  const createdAt = new Date().toISOString()
  const out: EvaluationRecord[] = []
  const add = (score: EvalScore, value: number, samples: number, variant: string, details: Record<string, unknown>): void => {
    out.push({ runId: p.spec.runId, step, split: p.spec.split, score, value, samples, variant, details, createdAt })
  }
  for (const e of p.extractors) {
    const real = reals.get(e.kind)!
    const n = samplesOf(e.kind, { count: p.stories.count }, p.config.videoLen)
    const value = frechetToReal(real, { data: concat(s.features.get(e.kind)!), n, dim: e.dim })
    add(e.kind, value, n, extractorVariant(e), { dim: e.dim, realSamples: realSamples(real), model: e.modelFile, settings: e.settings })
  }
  if (s.labels && p.classifier) {
    const scores = s.labels.scores()
    const details = { ...scores, classifierHeldOut: p.classifier.heldOut }
    add('char_f1', scores.microF1, s.labels.count, p.classifier.variant, details)
    add('frame_acc', scores.frameAcc, s.labels.count, p.classifier.variant, details)
  }
  const iou = p.spec.metrics.includes('mask') ? s.masks.result() : null
  if (iou) add('mask_iou', iou.mean, iou.frames, 'truth:hand+imported+truth', { pooled: iou.pooled })
  return out
}
