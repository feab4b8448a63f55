/**
 * Story encoder (upstream `CA_NET`, reference 3.2): Linear(T*text -> 2*cond) then ReLU on the
 * whole output, split into mu and logvar. The ReLU makes mu >= 0 and logvar >= 0 (sigma >= 1):
 * a StackGAN legacy quirk kept for parity. code = mu + exp(logvar / 2) * eps.
 */
import * as tf from '@tensorflow/tfjs'
import { Linear } from './layers'
import type { ParamStore } from './params'
import type { RunContext } from './tracer'

/** Story-encoder outputs. */
export interface StoryCode {
  /** Sampled code (N, cond). */
  code: tf.Tensor2D
  /** Mean (N, cond), >= 0. */
  mu: tf.Tensor2D
  /** Log-variance (N, cond), >= 0. */
  logvar: tf.Tensor2D
}

/** Parameters `story_encoder.fc.weight` / `.bias`. */
export class StoryEncoder {
  readonly fc: Linear

  constructor(store: ParamStore, storyTextDim: number, private readonly conditionDim: number) {
    this.fc = new Linear(store, 'story_encoder.fc', storyTextDim, 2 * conditionDim)
  }

  /**
   * content: (N, T * text), the story's text vectors frame after frame; eps: (N, cond) ~ N(0, 1).
   * Traced as `G.story_encoder.<call>.{0 code, 1 mu, 2 logvar}`.
   */
  apply(content: tf.Tensor2D, eps: tf.Tensor2D, ctx: RunContext): StoryCode {
    const out = tf.tidy(() => {
      const x = tf.relu(this.fc.apply(content))
      const mu = tf.slice(x, [0, 0], [-1, this.conditionDim]) as tf.Tensor2D
      const logvar = tf.slice(x, [0, this.conditionDim], [-1, this.conditionDim]) as tf.Tensor2D
      const code = tf.add(tf.mul(eps, tf.exp(tf.mul(logvar, 0.5))), mu) as tf.Tensor2D
      return { code, mu, logvar }
    })
    ctx.trace?.record('G.story_encoder', [out.code, out.mu, out.logvar])
    return out
  }
}

/** KL(N(mu, e^logvar) || N(0, 1)) as upstream's KL_loss: the MEAN (not sum) over all elements. */
export function klLoss(mu: tf.Tensor, logvar: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const element = tf.add(tf.add(tf.neg(tf.add(tf.square(mu), tf.exp(logvar))), 1), logvar)
    return tf.mul(tf.mean(element), -0.5) as tf.Scalar
  })
}
