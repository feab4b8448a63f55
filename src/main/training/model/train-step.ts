/**
 * One CP-CSV training iteration, as upstream's trainer (reference 4.3):
 * 1. G generates stories and frames (+ masks) without gradients (noise `g1`);
 * 2. D_SEG, D_IMG and D_STY each take one Adam step on their loss (fakes and conditions fixed);
 * 3. G runs again (noise `g2`) and takes one Adam step on
 *    L_G = L_im + klCoeff*KL_im + ratio*(segmentRatio*L_seg + imageRatio*L_st + klCoeff*KL_st).
 * With useSeqConsistency, D_STY's loss adds its VideoEncoder's BCE on shuffled real stories
 * (shuffle drawn from the step's `orderSeed`) and L_st adds the VideoEncoder feature match.
 * Every call is in training mode, so BatchNorm running statistics and spectral-norm u / v move
 * with each call in upstream's order (G: story path then image path; D: as losses.ts).
 * Unlike upstream, the G phase differentiates only G (upstream also computes D gradients there
 * and throws them away, reference 11.6): D weights are untouched by the G phase.
 */
import * as tf from '@tensorflow/tfjs'
import type { CpcsvOptimisers, CpcsvModels } from './cpcsv'
import type { Adam } from './adam'
import { type CpcsvBatch, type GeneratorNoise, type StepNoise, imageCondition, storyCondition } from './batch'
import type { Discriminator } from './discriminators'
import type { GeneratorOutput } from './generator'
import { type DiscriminatorLoss, type OrderInput, discriminatorLoss, generatorLoss } from './losses'
import type { ModelName } from './params'
import { klLoss } from './story-encoder'
import { type RunContext, type Tracer, tidyObject } from './tracer'
import { orderShuffle, shuffleStories } from './video-encoder'

/** Loss values of one step (upstream's names in parentheses). */
export interface StepLosses {
  /** L_D of D_SEG (se_errD); 0 when skipped (no masks in the batch, or no segment learning). */
  dSeg: number
  dImg: number
  dSty: number
  dImgReal: number
  dImgFake: number
  dImgWrong: number
  dStyReal: number
  dStyFake: number
  dStyWrong: number
  /** D_STY's order-consistency BCE (consistency_loss_val, weighted by consistencyRatio in dSty); only when on. */
  dStyOrder?: number
  /** errG_total. */
  gTotal: number
  /** im_errG: adversarial + class loss against D_IMG. */
  gImg: number
  /** st_errG (weighted by imageRatio in gTotal). */
  gSty: number
  /** se_errG (weighted by segmentRatio in gTotal). */
  gSeg: number
  klImg: number
  klSty: number
  /** The generator's order-consistency MSE (weighted by consistencyRatio in gSty); only when on. */
  gStyOrder?: number
}

/** Hooks for checks and tests; normal training passes none. */
export interface TrainStepOptions {
  /** Records G outputs of the no-grad pass and D outputs of the D phase. */
  trace?: Tracer
  /** Receives each network's gradients (keyed by tf variable name) before its Adam step. */
  onGradients?: (model: ModelName, grads: Record<string, tf.Tensor>) => void
  /** Called after the D updates, before the G phase (reference checks resynchronise D here). */
  betweenPhases?: () => void
}

interface FakeSamples {
  stories: tf.Tensor5D
  images: tf.Tensor4D
  masks: tf.Tensor4D | null
  storyCond: tf.Tensor2D
  imageCond: tf.Tensor2D
}

/** Runs G's story and image paths (story first, as upstream's BatchNorm order needs). */
function generate(models: CpcsvModels, batch: CpcsvBatch, noise: GeneratorNoise, ctx: RunContext): { story: GeneratorOutput; image: GeneratorOutput } {
  const g = models.generator
  const story = g.story(batch.storyText, batch.storyLabels, noise.story, ctx)
  const image = g.images(batch.imageText, batch.imageLabels, batch.imageContent, noise.image, ctx)
  return { story, image }
}

function asStories(images: tf.Tensor4D, batch: CpcsvBatch): tf.Tensor5D {
  return tf.reshape(images, batch.storyImages.shape) as tf.Tensor5D
}

/** Phase 1: fakes and conditions for the D phase, as constants. Caller disposes. */
function generateFakes(models: CpcsvModels, batch: CpcsvBatch, noise: GeneratorNoise, trace?: Tracer): FakeSamples {
  return tidyObject(() => {
    const { story, image } = generate(models, batch, noise, { training: true, trace })
    return {
      stories: asStories(story.images, batch),
      images: image.images,
      masks: image.masks,
      storyCond: storyCondition(batch, story.mu),
      imageCond: imageCondition(batch, image.mu)
    }
  })
}

function scalars(values: tf.Scalar[]): number[] {
  const packed = tf.stack(values)
  const out = Array.from(packed.dataSync())
  packed.dispose()
  return out
}

/** One discriminator's update; returns its loss terms [total, real, wrong, fake, consistency]. */
function updateDiscriminator(
  d: Discriminator, optimiser: Adam, lossOf: (ctx: RunContext) => DiscriminatorLoss,
  ctx: RunContext, onGradients?: TrainStepOptions['onGradients']
): number[] {
  let terms: tf.Scalar[] = []
  const { value, grads } = tf.variableGrads(() => {
    const loss = lossOf(ctx)
    terms = [loss.real, loss.wrong, loss.fake, loss.consistency].map((t) => tf.keep(t.clone()))
    return loss.total
  }, d.variables())
  onGradients?.(d.model, grads)
  optimiser.apply(grads)
  const out = scalars([value, ...terms])
  tf.dispose([value, ...terms, ...Object.values(grads)])
  return out
}

/** D_STY's shuffled real stories and labels when order consistency is on (caller disposes). */
function orderInput(models: CpcsvModels, batch: CpcsvBatch, seed: number): OrderInput | null {
  if (!models.config.useSeqConsistency) return null
  const [stories, frames] = batch.storyImages.shape
  const shuffled = shuffleStories(batch.storyImages, orderShuffle(stories, frames, seed))
  return { ...shuffled, ratio: models.config.consistencyRatio }
}

/** Phase 2: D_SEG, D_IMG, D_STY updates. Returns the D entries of StepLosses. */
function discriminatorPhase(
  models: CpcsvModels, optimisers: CpcsvOptimisers, batch: CpcsvBatch, fakes: FakeSamples,
  withMasks: boolean, orderSeed: number, options: TrainStepOptions
): Partial<StepLosses> {
  const ctx: RunContext = { training: true, trace: options.trace }
  let dSeg = 0
  if (models.dSeg && optimisers.dSeg && fakes.masks && withMasks) {
    const masks = fakes.masks
    dSeg = updateDiscriminator(models.dSeg, optimisers.dSeg, (c) => discriminatorLoss(models.dSeg as Discriminator, {
      real: batch.masks, fake: masks, cond: fakes.imageCond, labels: batch.imageLabels, weight: batch.maskWeight
    }, c), ctx, options.onGradients)[0]
  }
  const im = updateDiscriminator(models.dImg, optimisers.dImg, (c) => discriminatorLoss(models.dImg, {
    real: batch.images, fake: fakes.images, cond: fakes.imageCond, labels: batch.imageLabels, weight: null
  }, c), ctx, options.onGradients)
  const order = orderInput(models, batch, orderSeed)
  let st: number[]
  try {
    st = updateDiscriminator(models.dSty, optimisers.dSty, (c) => discriminatorLoss(models.dSty, {
      real: batch.storyImages, fake: fakes.stories, cond: fakes.storyCond, labels: null, weight: null, order
    }, c), ctx, options.onGradients)
  } finally {
    if (order) tf.dispose([order.input, order.labels])
  }
  return {
    dSeg, dImg: im[0], dImgReal: im[1], dImgWrong: im[2], dImgFake: im[3],
    dSty: st[0], dStyReal: st[1], dStyWrong: st[2], dStyFake: st[3],
    ...(order ? { dStyOrder: st[4] } : {})
  }
}

/**
 * Upstream's `conditions.detach()`: the same values with no gradient history. A copy of the
 * values (a few kilobytes) rather than a zero-gradient op: the tape then holds no path from G's
 * weights through the condition, so the backward pass skips the discriminators' condition
 * branches (a batched product per head) instead of computing gradients that would be zeroed.
 */
function detach<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T
}

/** Phase 3: the generator update. Returns the G entries of StepLosses. */
function generatorPhase(
  models: CpcsvModels, optimiser: Adam, batch: CpcsvBatch, noise: GeneratorNoise,
  withMasks: boolean, onGradients?: TrainStepOptions['onGradients']
): Partial<StepLosses> {
  const c = models.config
  const ctx: RunContext = { training: true }
  let terms: tf.Scalar[] = []
  const { value, grads } = tf.variableGrads(() => {
    const { story, image } = generate(models, batch, noise, ctx)
    const imageCond = detach(imageCondition(batch, image.mu))
    const storyCond = detach(storyCondition(batch, story.mu))
    let seg: tf.Scalar = tf.scalar(0)
    if (models.dSeg && image.masks && withMasks) {
      seg = generatorLoss(models.dSeg, image.masks, imageCond, batch.imageLabels, batch.maskWeight, ctx).total
    }
    const img = generatorLoss(models.dImg, image.images, imageCond, batch.imageLabels, null, ctx).total
    const orderMatch = c.useSeqConsistency ? { real: batch.storyImages, ratio: c.consistencyRatio } : null
    const styLoss = generatorLoss(models.dSty, asStories(story.images, batch), storyCond, null, null, ctx, orderMatch)
    const sty = styLoss.total
    const klImg = klLoss(image.mu, image.logvar)
    const klSty = klLoss(story.mu, story.logvar)
    terms = [img, sty, seg, klImg, klSty, styLoss.consistency].map((t) => tf.keep(t.clone()))
    const rest = tf.addN([tf.mul(seg, c.segmentRatio), tf.mul(sty, c.imageRatio), tf.mul(klSty, c.klCoeff)])
    return tf.add(tf.add(img, tf.mul(klImg, c.klCoeff)), tf.mul(rest, c.ratio)) as tf.Scalar
  }, models.generator.store.trainableVariables())
  onGradients?.('G', grads)
  optimiser.apply(grads)
  const [gTotal, gImg, gSty, gSeg, klImg, klSty, gStyOrder] = scalars([value, ...terms])
  tf.dispose([value, ...terms, ...Object.values(grads)])
  return { gTotal, gImg, gSty, gSeg, klImg, klSty, ...(c.useSeqConsistency ? { gStyOrder } : {}) }
}

/** Whether the batch has any mask weight (D_SEG is skipped otherwise). Reads N floats. */
function hasMasks(batch: CpcsvBatch): boolean {
  const w = batch.maskWeight.dataSync()
  for (let i = 0; i < w.length; i++) if (w[i] > 0) return true
  return false
}

/**
 * One full iteration: D phases then G. Updates weights, BatchNorm statistics, spectral-norm
 * state and optimiser moments in place; returns the loss values. Leaves no tensors behind.
 */
export function trainStep(
  models: CpcsvModels, optimisers: CpcsvOptimisers, batch: CpcsvBatch, noise: StepNoise,
  options: TrainStepOptions = {}
): StepLosses {
  const withMasks = models.dSeg !== null && hasMasks(batch)
  const fakes = generateFakes(models, batch, noise.g1, options.trace)
  let d: Partial<StepLosses>
  try {
    d = discriminatorPhase(models, optimisers, batch, fakes, withMasks, noise.orderSeed, options)
  } finally {
    tf.dispose([fakes.stories, fakes.images, fakes.storyCond, fakes.imageCond, ...(fakes.masks ? [fakes.masks] : [])])
  }
  options.betweenPhases?.()
  const g = generatorPhase(models, optimisers.g, batch, noise.g2, withMasks, options.onGradients)
  return { ...d, ...g } as StepLosses
}

/** The D phases alone (steps 1-2), e.g. to test that they leave G untouched. */
export function trainDiscriminators(
  models: CpcsvModels, optimisers: CpcsvOptimisers, batch: CpcsvBatch, noise: GeneratorNoise,
  options: TrainStepOptions = {}, orderSeed = 0
): Partial<StepLosses> {
  const withMasks = models.dSeg !== null && hasMasks(batch)
  const fakes = generateFakes(models, batch, noise, options.trace)
  try {
    return discriminatorPhase(models, optimisers, batch, fakes, withMasks, orderSeed, options)
  } finally {
    tf.dispose([fakes.stories, fakes.images, fakes.storyCond, fakes.imageCond, ...(fakes.masks ? [fakes.masks] : [])])
  }
}

/** The G phase alone (step 3). */
export function trainGenerator(
  models: CpcsvModels, optimisers: CpcsvOptimisers, batch: CpcsvBatch, noise: GeneratorNoise,
  onGradients?: TrainStepOptions['onGradients']
): Partial<StepLosses> {
  return generatorPhase(models, optimisers.g, batch, noise, models.dSeg !== null && hasMasks(batch), onGradients)
}
