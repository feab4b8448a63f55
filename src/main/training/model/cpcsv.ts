/**
 * The CP-CSV model set: generator, the three discriminators and their optimisers, plus
 * inference (`generateStories`) and weight (de)serialisation for checkpoints.
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainConfig } from '../../../shared/train-config'
import { Adam, type AdamState } from './adam'
import { FrameDiscriminator, StoryDiscriminator, type Discriminator } from './discriminators'
import { Generator, type PathNoise } from './generator'
import { learningRatesForEpoch } from './lr-schedule'
import type { ModelName, ParamStore } from './params'
import { EVAL_CONTEXT, tidyObject } from './tracer'

/** The four networks and the config they were built for. */
export interface CpcsvModels {
  config: TrainConfig
  generator: Generator
  dImg: FrameDiscriminator
  dSty: StoryDiscriminator
  /** null without segment learning. */
  dSeg: FrameDiscriminator | null
}

/** One torch-style Adam per network. */
export interface CpcsvOptimisers {
  g: Adam
  dImg: Adam
  dSty: Adam
  dSeg: Adam | null
}

/** Options of createCpcsv. */
export interface CreateOptions {
  /** Initialisation seed (defaults to config.seed). */
  seed?: number
  /** Zero-fill instead of random init, when weights are loaded right after (much faster). */
  zeroInit?: boolean
}

/** Builds G, D_img, D_sty and (with segment learning) D_seg with fresh weights. */
export function createCpcsv(config: TrainConfig, options: CreateOptions = {}): CpcsvModels {
  const store = { seed: options.seed ?? config.seed, zeroInit: options.zeroInit }
  return {
    config,
    generator: new Generator(config, store),
    dImg: new FrameDiscriminator('D_img', config, store),
    dSty: new StoryDiscriminator(config, store),
    dSeg: config.segmentLearning ? new FrameDiscriminator('D_seg', config, store) : null
  }
}

/** One Adam per network, betas and eps from the config, rates for `epoch` (default 0). */
export function createOptimisers(models: CpcsvModels, config: TrainConfig = models.config, epoch = 0): CpcsvOptimisers {
  const rates = learningRatesForEpoch(config, epoch)
  const make = (vars: tf.Variable[], lr: number): Adam => new Adam(vars, { lr, betas: config.betas, eps: config.adamEps })
  return {
    g: make(models.generator.store.trainableVariables(), rates.g),
    dImg: make(models.dImg.variables(), rates.dImg),
    dSty: make(models.dSty.variables(), rates.dSty),
    dSeg: models.dSeg ? make(models.dSeg.variables(), rates.dSeg) : null
  }
}

/** Sets every optimiser's rate for `epoch` (the schedule of lr-schedule.ts). */
export function applyLearningRates(optimisers: CpcsvOptimisers, config: TrainConfig, epoch: number): void {
  const rates = learningRatesForEpoch(config, epoch)
  optimisers.g.lr = rates.g
  optimisers.dImg.lr = rates.dImg
  optimisers.dSty.lr = rates.dSty
  if (optimisers.dSeg) optimisers.dSeg.lr = rates.dSeg
}

/** The networks by reference name, in dump order. */
export function networks(models: CpcsvModels): { model: ModelName; store: ParamStore }[] {
  const list: { model: ModelName; store: ParamStore }[] = [
    { model: 'G', store: models.generator.store },
    { model: 'D_img', store: models.dImg.store },
    { model: 'D_sty', store: models.dSty.store }
  ]
  if (models.dSeg) list.push({ model: 'D_seg', store: models.dSeg.store })
  return list
}

/** D_img, D_sty and (with segment learning) D_seg. */
export function discriminators(models: CpcsvModels): Discriminator[] {
  return [models.dImg, models.dSty, ...(models.dSeg ? [models.dSeg] : [])]
}

/** Trainable parameter counts per network (PyTorch's numel over parameters()). */
export function parameterCounts(models: CpcsvModels): Record<ModelName, number> {
  const counts: Record<ModelName, number> = { G: 0, D_img: 0, D_sty: 0, D_seg: 0 }
  for (const n of networks(models)) counts[n.model] = n.store.parameterCount()
  return counts
}

/** Output of generateStories, NHWC per frame. */
export interface GeneratedStories {
  /** (B, T, 64, 64, 3) in [-1, 1]. */
  images: tf.Tensor5D
  /** (B, T, 64, 64, 1) in [-1, 1], or null without segment learning. */
  masks: tf.Tensor5D | null
}

/**
 * Generates B stories with the story path in eval mode (BatchNorm on running statistics).
 * text: (B, T, textDim); labels: (B, T, labelNum); noise: eps (B, cond), h0 (B, text+labels),
 * z (T, B, zDim). The caller owns the returned tensors.
 */
export function generateStories(models: CpcsvModels, text: tf.Tensor3D, labels: tf.Tensor3D, noise: PathNoise): GeneratedStories {
  return tidyObject(() => {
    const [b, t] = text.shape
    const out = models.generator.story(text, labels, noise, EVAL_CONTEXT)
    const images = tf.reshape(out.images, [b, t, 64, 64, 3]) as tf.Tensor5D
    const masks = out.masks ? (tf.reshape(out.masks, [b, t, 64, 64, 1]) as tf.Tensor5D) : null
    return { images, masks }
  })
}

/** A weight table: key `<model>/<name>` (e.g. `G/img_up1.1.weight`), TF layout, float32. */
export type WeightMap = Record<string, { shape: number[]; data: Float32Array }>

/** Copies every parameter and buffer (running stats, spectral-norm u / v) out of the models. */
export function serialiseWeights(models: CpcsvModels): WeightMap {
  const out: WeightMap = {}
  for (const { model, store } of networks(models)) {
    for (const e of store.entries.values()) {
      out[`${model}/${e.name}`] = { shape: [...e.variable.shape], data: e.variable.dataSync() as Float32Array }
    }
  }
  return out
}

/**
 * Loads a table written by serialiseWeights. Every tensor of the models must be present with
 * its shape; extra keys are reported as an error too, so a config mismatch cannot pass silently.
 */
export function loadWeights(models: CpcsvModels, weights: WeightMap): void {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const { model, store } of networks(models)) {
    for (const e of store.entries.values()) {
      const key = `${model}/${e.name}`
      seen.add(key)
      const w = weights[key]
      if (!w) problems.push(`missing ${key}`)
      else if (w.shape.join('x') !== e.variable.shape.join('x')) problems.push(`${key}: shape [${w.shape}] vs [${e.variable.shape}]`)
    }
  }
  for (const key of Object.keys(weights)) if (!seen.has(key)) problems.push(`unexpected ${key}`)
  if (problems.length > 0) throw new Error(`weights do not fit the model: ${problems.slice(0, 10).join('; ')}`)
  for (const { model, store } of networks(models)) {
    for (const e of store.entries.values()) {
      const w = weights[`${model}/${e.name}`]
      tf.tidy(() => e.variable.assign(tf.tensor(w.data, w.shape)))
    }
  }
}

/** Optimiser state keyed by network, for checkpoints. */
export type OptimiserStates = Partial<Record<'g' | 'dImg' | 'dSty' | 'dSeg', AdamState>>

/** Copies every optimiser's step, rate and moments out, keyed by parameter name. */
export function serialiseOptimisers(models: CpcsvModels, optimisers: CpcsvOptimisers): OptimiserStates {
  const nameOf = (store: ParamStore) => (v: tf.Variable): string => store.nameOf(v)
  const out: OptimiserStates = {
    g: optimisers.g.serialise(nameOf(models.generator.store)),
    dImg: optimisers.dImg.serialise(nameOf(models.dImg.store)),
    dSty: optimisers.dSty.serialise(nameOf(models.dSty.store))
  }
  if (optimisers.dSeg && models.dSeg) out.dSeg = optimisers.dSeg.serialise(nameOf(models.dSeg.store))
  return out
}

/** Restores optimiser state written by serialiseOptimisers; throws on a mismatch. */
export function loadOptimisers(models: CpcsvModels, optimisers: CpcsvOptimisers, states: OptimiserStates): void {
  const nameOf = (store: ParamStore) => (v: tf.Variable): string => store.nameOf(v)
  const need = (s: AdamState | undefined, what: string): AdamState => {
    if (!s) throw new Error(`checkpoint has no optimiser state for ${what}`)
    return s
  }
  optimisers.g.load(need(states.g, 'G'), nameOf(models.generator.store))
  optimisers.dImg.load(need(states.dImg, 'D_img'), nameOf(models.dImg.store))
  optimisers.dSty.load(need(states.dSty, 'D_sty'), nameOf(models.dSty.store))
  if (optimisers.dSeg && models.dSeg) optimisers.dSeg.load(need(states.dSeg, 'D_seg'), nameOf(models.dSeg.store))
}

/** Frees every variable of the models (and of the optimisers, when given). */
export function disposeCpcsv(models: CpcsvModels, optimisers?: CpcsvOptimisers): void {
  models.generator.dispose()
  for (const d of discriminators(models)) d.dispose()
  if (optimisers) {
    optimisers.g.dispose()
    optimisers.dImg.dispose()
    optimisers.dSty.dispose()
    optimisers.dSeg?.dispose()
  }
}
