/**
 * The CP-CSV generator (upstream `StoryGAN` in model.py): story encoder, context encoder,
 * Text2Gist and the figure-ground / image decoder, with its two entry points:
 * - `story`: upstream `sample_videos`, B stories of T frames;
 * - `images`: upstream `sample_images`, N single frames, each with its story's text.
 * Generator input per frame: [noise-GRU state (motion), story mean (cond), Text2Gist (L)].
 */
import * as tf from '@tensorflow/tfjs'
import { type TrainConfig, generatorInputDim } from '../../../shared/train-config'
import type { BatchNormOptions } from './batch-norm'
import { ContextEncoder } from './context-encoder'
import { FigureGroundDecoder } from './figure-ground'
import { ParamStore, type ParamStoreOptions } from './params'
import { StoryEncoder } from './story-encoder'
import { Text2Gist } from './text2gist'
import { type RunContext, tidyObject } from './tracer'

/** Noise of one generator call on one path. All N(0, 1). */
export interface PathNoise {
  /** Story-encoder reparameterisation noise (rows, cond). Drawn but unused on the image path. */
  eps: tf.Tensor2D
  /** Noise-GRU initial-state input (rows, motion = text + labels). */
  h0: tf.Tensor2D
  /** Noise-GRU per-step noise (steps, rows, zDim): T steps on the story path, 1 on the image path. */
  z: tf.Tensor3D
}

/** Output of one generator path. NHWC, frames story-major on the story path. */
export interface GeneratorOutput {
  /** (rows * steps, 64, 64, 3) in [-1, 1]. */
  images: tf.Tensor4D
  /** (rows * steps, 64, 64, 1) in [-1, 1], or null without segment learning. */
  masks: tf.Tensor4D | null
  /** Story-encoder mean (rows, cond): r_mu on the story path, c_mu on the image path. */
  mu: tf.Tensor2D
  /** Story-encoder log-variance (rows, cond). */
  logvar: tf.Tensor2D
}

/** CP-CSV's G; parameters named as in the reference dump (model `G`). */
export class Generator {
  readonly store: ParamStore
  readonly storyEncoder: StoryEncoder
  readonly context: ContextEncoder
  readonly text2gist: Text2Gist
  readonly decoder: FigureGroundDecoder

  constructor(readonly config: TrainConfig, options: ParamStoreOptions) {
    const c = config
    const bn: BatchNormOptions = { momentum: c.bnMomentum, eps: c.bnEps }
    const motionDim = c.textDim + c.labelNum
    this.store = new ParamStore('G', options)
    this.storyEncoder = new StoryEncoder(this.store, c.videoLen * c.textDim, c.conditionDim)
    this.context = new ContextEncoder(this.store, { motionDim, conditionDim: c.conditionDim, zDim: c.zDim }, bn)
    this.text2gist = new Text2Gist(this.store, {
      motionDim, conditionDim: c.conditionDim, length: c.gistLength, channels: c.gistChannels, kernel: c.gistKernel
    }, bn)
    this.decoder = new FigureGroundDecoder(this.store, {
      inputDim: generatorInputDim(c),
      imageChannels: 8 * c.gfDim,
      maskChannels: c.segmentLearning ? c.gfSegDim : 0
    }, bn)
  }

  /**
   * Story path. text: (B, T, textDim), labels: (B, T, labelNum), noise rows B, z (T, B, zDim).
   * Frame b*T+t gets the story mean of story b, or of story (b*T+t) mod B when
   * fixStoryCodeOrder is false (bug B1, upstream's tiling along the batch axis).
   */
  story(text: tf.Tensor3D, labels: tf.Tensor3D, noise: PathNoise, ctx: RunContext): GeneratorOutput {
    return tidyObject(() => {
      const [b, t, d] = text.shape
      const motion = tf.concat([text, labels], 2) as tf.Tensor3D
      const code = this.storyEncoder.apply(tf.reshape(text, [b, t * d]), noise.eps, ctx)
      const gist = this.context.gist(motion, code.code, ctx)
      const zm = this.context.noise(motion, noise.h0, noise.z, ctx)
      const mu = repeatStoryCode(code.mu, t, this.config.fixStoryCodeOrder)
      const motionFlat = tf.reshape(motion, [b * t, -1]) as tf.Tensor2D
      return this.decode(motionFlat, gist, zm, mu, code, ctx)
    })
  }

  /**
   * Image path. text: (N, textDim) and labels: (N, labelNum) of the frame; content:
   * (N, T, textDim) all frames of its story (for the story encoder, which is read at its mean).
   * noise rows N, z (1, N, zDim).
   */
  images(text: tf.Tensor2D, labels: tf.Tensor2D, content: tf.Tensor3D, noise: PathNoise, ctx: RunContext): GeneratorOutput {
    return tidyObject(() => {
      const [n, t, d] = content.shape
      const motionFlat = tf.concat([text, labels], 1) as tf.Tensor2D
      const motion = tf.expandDims(motionFlat, 1) as tf.Tensor3D
      // Reference 11.7: the sampled code is unused here (the mean is), but eps is still drawn.
      const code = this.storyEncoder.apply(tf.reshape(content, [n, t * d]), noise.eps, ctx)
      const gist = this.context.gist(motion, code.mu, ctx)
      const zm = this.context.noise(motion, noise.h0, noise.z, ctx)
      return this.decode(motionFlat, gist, zm, code.mu, code, ctx)
    })
  }

  private decode(
    motionFlat: tf.Tensor2D, gist: tf.Tensor2D, zm: tf.Tensor2D, mu: tf.Tensor2D,
    code: { mu: tf.Tensor2D; logvar: tf.Tensor2D }, ctx: RunContext
  ): GeneratorOutput {
    const o = this.text2gist.apply(motionFlat, gist, ctx)
    const z = tf.concat([zm, mu, o], 1) as tf.Tensor2D
    const out = this.decoder.apply(z, ctx)
    return { images: out.images, masks: out.masks, mu: code.mu, logvar: code.logvar }
  }

  dispose(): void {
    this.store.dispose()
  }
}

/**
 * Story code per frame: (B, cond) -> (B*T, cond). Fixed order repeats each story's row T times
 * (row b*T+t = story b); upstream (B1) tiles the whole batch T times (row i = story i mod B).
 */
export function repeatStoryCode(mu: tf.Tensor2D, t: number, fixed: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, c] = mu.shape
    if (!fixed) return tf.tile(mu, [t, 1])
    return tf.reshape(tf.tile(tf.expandDims(mu, 1), [1, t, 1]), [b * t, c]) as tf.Tensor2D
  })
}
