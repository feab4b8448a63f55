/**
 * The tensors of one CP-CSV training step: the data batch, the generator noise, and the
 * discriminator conditions built from them. All image tensors NHWC in [-1, 1].
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainConfig } from '../../../shared/train-config'
import type { PathNoise } from './generator'

/**
 * One batch. B = storyBatch stories of T frames for the story path; N = imageBatch single
 * frames for the image path and D_SEG (every preset has N = T * B, but they are different
 * stories: upstream draws the image batch from its own loader).
 */
export interface CpcsvBatch {
  /** (B, T, 64, 64, 3) story frames in [-1, 1], frame t of story b at [b, t]. */
  storyImages: tf.Tensor5D
  /** (B, T, textDim) per-frame text vectors (Pororo-SV: 128 sentence + 228 attribute). */
  storyText: tf.Tensor3D
  /** (B, T, labelNum) per-frame character labels in {0, 1}. */
  storyLabels: tf.Tensor3D
  /** (N, 64, 64, 3) single frames in [-1, 1]. */
  images: tf.Tensor4D
  /** (N, 64, 64, 1) figure-ground masks in [-1, 1] (foreground 1, background -1). */
  masks: tf.Tensor4D
  /**
   * (N,) mask weight in [0, 1]: 1 for a frame with a hand-labelled mask, 0 for a frame without
   * one (its `masks` entry is then a placeholder, e.g. all -1). See losses.ts for how weights
   * enter the mask losses. A batch whose weights are all 0 skips the D_SEG update.
   */
  maskWeight: tf.Tensor1D
  /**
   * (N, textDim) text vector of each single frame. Upstream's image item is the *first* clip of a
   * story (a random square crop of that clip's strip), with that clip's text and labels
   * (reference 11.1), not a random frame of the story.
   */
  imageText: tf.Tensor2D
  /** (N, labelNum) labels of each single frame (the first clip's, see imageText). */
  imageLabels: tf.Tensor2D
  /**
   * (N, T, textDim) text vectors of all T clips of each single frame's story, the story
   * encoder's input (upstream `content[:, :, :TEXT.DIMENSION]`).
   */
  imageContent: tf.Tensor3D
}

/** Noise of one generator pass over both paths. */
export interface GeneratorNoise {
  /** eps (B, cond), h0 (B, text + labels), z (T, B, zDim). */
  story: PathNoise
  /** eps (N, cond), h0 (N, text + labels), z (1, N, zDim). */
  image: PathNoise
}

/** Noise of a training step: `g1` for the no-grad pass feeding D, `g2` for the G update. */
export interface StepNoise {
  g1: GeneratorNoise
  g2: GeneratorNoise
  /** Seed of the order-consistency shuffle (video-encoder.ts `orderShuffle`). */
  orderSeed: number
}

/** Draws N(0, 1) path noise for `rows` samples over `steps` GRU steps. */
export function samplePathNoise(config: TrainConfig, rows: number, steps: number, seed?: number): PathNoise {
  const motion = config.textDim + config.labelNum
  const s = (k: number): number | undefined => (seed === undefined ? undefined : seed * 3 + k)
  return {
    eps: tf.randomNormal([rows, config.conditionDim], 0, 1, 'float32', s(0)),
    h0: tf.randomNormal([rows, motion], 0, 1, 'float32', s(1)),
    z: tf.randomNormal([steps, rows, config.zDim], 0, 1, 'float32', s(2))
  }
}

/** Noise of one generator pass; `stories` defaults to config.storyBatch, `frames` to imageBatch. */
export function sampleGeneratorNoise(config: TrainConfig, seed?: number, stories = config.storyBatch, frames = config.imageBatch): GeneratorNoise {
  const s = (k: number): number | undefined => (seed === undefined ? undefined : seed * 2 + k)
  return {
    story: samplePathNoise(config, stories, config.videoLen, s(0)),
    image: samplePathNoise(config, frames, 1, s(1))
  }
}

/** Noise of one training step (deterministic when seeded). */
export function sampleStepNoise(config: TrainConfig, seed?: number): StepNoise {
  const s = (k: number): number | undefined => (seed === undefined ? undefined : (seed * 2 + k) % 2147483647)
  const orderSeed = seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Math.imul(seed, 0x9e3779b1) >>> 0
  return { g1: sampleGeneratorNoise(config, s(0)), g2: sampleGeneratorNoise(config, s(1)), orderSeed }
}

/** Frees the three tensors of one path's noise. */
export function disposePathNoise(n: PathNoise): void {
  tf.dispose([n.eps, n.h0, n.z])
}

/** Frees all noise of a step. */
export function disposeStepNoise(n: StepNoise): void {
  for (const g of [n.g1, n.g2]) {
    disposePathNoise(g.story)
    disposePathNoise(g.image)
  }
}

/** Frees every tensor of a batch. */
export function disposeBatch(b: CpcsvBatch): void {
  tf.dispose(Object.values(b) as tf.Tensor[])
}

/**
 * D_IMG / D_SEG condition (N, text + labels + cond): the frame's text, its labels and the
 * story-encoder mean of its story (upstream im_mu).
 */
export function imageCondition(batch: CpcsvBatch, storyMu: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([batch.imageText, batch.imageLabels, storyMu], 1) as tf.Tensor2D)
}

/**
 * D_STY condition (B, cond + text + labels): story-encoder mean, the frame-mean of the text,
 * and which characters appear anywhere in the story (upstream st_mu).
 */
export function storyCondition(batch: CpcsvBatch, storyMu: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const meanText = tf.mean(batch.storyText, 1)
    const present = tf.cast(tf.greater(tf.mean(batch.storyLabels, 1), 0), 'float32')
    return tf.concat([storyMu, meanText, present], 1) as tf.Tensor2D
  })
}
