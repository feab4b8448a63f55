/**
 * BatchNorm over the last axis (BatchNorm1d on (N, C), BatchNorm2d on NHWC), PyTorch semantics:
 * training mode normalises with the biased batch variance and moves the running statistics
 * with momentum m as `running = (1 - m) * running + m * batch`, the running variance taking the
 * unbiased batch variance; eval mode uses the running statistics. Momentum 0.1 and eps 1e-5
 * are PyTorch's defaults (TF's momentum 0.9 is the same thing; TF.js's eps 1e-3 is not).
 */
import * as tf from '@tensorflow/tfjs'
import { INIT_BN_GAMMA, INIT_ONE, INIT_ZERO, type ParamStore } from './params'
import type { RunContext } from './tracer'

/** momentum in PyTorch's convention (0.1) and eps (1e-5). */
export interface BatchNormOptions {
  momentum: number
  eps: number
}

/** Parameters `<name>.weight` / `.bias`, buffers `<name>.running_mean` / `.running_var`. */
export class BatchNorm {
  readonly gamma: tf.Variable
  readonly beta: tf.Variable
  readonly runningMean: tf.Variable
  readonly runningVar: tf.Variable

  constructor(store: ParamStore, readonly name: string, channels: number, private readonly opts: BatchNormOptions) {
    this.gamma = store.add(`${name}.weight`, [channels], INIT_BN_GAMMA)
    this.beta = store.add(`${name}.bias`, [channels], INIT_ZERO)
    this.runningMean = store.add(`${name}.running_mean`, [channels], INIT_ZERO, { trainable: false })
    this.runningVar = store.add(`${name}.running_var`, [channels], INIT_ONE, { trainable: false })
  }

  /** x: (N, C) or (N, H, W, C); same shape out. Training mode updates the running statistics. */
  apply<T extends tf.Tensor>(x: T, ctx: RunContext): T {
    return tf.tidy(() => {
      if (!ctx.training) return this.normalise(x, this.runningMean, this.runningVar)
      const axes = x.shape.slice(0, -1).map((_, i) => i)
      const { mean, variance } = tf.moments(x, axes)
      this.updateRunningStats(mean, variance, x.size / x.shape[x.rank - 1])
      return this.normalise(x, mean, variance)
    })
  }

  private normalise<T extends tf.Tensor>(x: T, mean: tf.Tensor, variance: tf.Tensor): T {
    const scale = tf.mul(this.gamma, tf.rsqrt(tf.add(variance, this.opts.eps)))
    return tf.add(tf.mul(tf.sub(x, mean), scale), this.beta) as T
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const m = this.opts.momentum
    // PyTorch stores the unbiased variance (n / (n - 1)) in running_var.
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance
    this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)))
    this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)))
  }
}
