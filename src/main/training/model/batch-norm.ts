/**
 * BatchNorm over the last axis (BatchNorm1d on (N, C), BatchNorm2d on NHWC), PyTorch semantics:
 * training mode normalises with the biased batch variance and moves the running statistics
 * with momentum m as `running = (1 - m) * running + m * batch`, the running variance taking the
 * unbiased batch variance; eval mode uses the running statistics. Momentum 0.1 and eps 1e-5
 * are PyTorch's defaults (TF's momentum 0.9 is the same thing; TF.js's eps 1e-3 is not).
 */
import * as tf from '@tensorflow/tfjs'
import { type FusedActivation, batchNormTrain, batchNormTrainGrad, fusedKernelsAvailable } from '../engine/fused-kernels'
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

  /**
   * x: (N, C), (N, H, W, C) or (N, T, H, W, C); same shape out, through `activation` when given
   * (the layer's ReLU or leaky ReLU: fused into the native kernels where they run). Training mode
   * updates the running statistics.
   *
   * Training mode is one custom-gradient op: its forward kernels run off the gradient tape (so
   * the tape neither records nor clones their inputs) and its backward is the closed form
   *   dbeta = sum(dy), dgamma = <dy, x - mean> invstd,
   *   dx = (dy - dbeta / M - (x - mean) <dy, x - mean> invstd^2 / M) invstd gamma
   * (M values per channel, torch's CPU formulation) in 11 kernels instead of the ~25 autodiff runs.
   */
  apply<T extends tf.Tensor>(x: T, ctx: RunContext, activation?: FusedActivation): T {
    if (ctx.training && fusedKernelsAvailable()) return this.applyFused(x, activation)
    return tf.tidy(() => {
      const y = ctx.training ? this.applyComposed(x) : this.normalise(x, this.runningMean, this.runningVar)
      if (activation == null) return y
      return (activation.kind === 'relu' ? tf.relu(y) : tf.leakyRelu(y, activation.alpha)) as T
    })
  }

  private applyComposed<T extends tf.Tensor>(x: T): T {
    const axes = x.shape.slice(0, -1).map((_, i) => i)
    const count = x.size / x.shape[x.rank - 1]
    const fused = tf.customGrad((...args) => {
      const [input, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc]
      const { mean, variance } = tf.moments(input, axes)
      this.updateRunningStats(mean, variance, count)
      const invstd = tf.rsqrt(tf.add(variance, this.opts.eps))
      const centred = tf.sub(input, mean)
      save([centred, invstd, gamma])
      return {
        value: tf.add(tf.mul(centred, tf.mul(gamma, invstd)), beta),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          // torch's CPU kernel: k = <dy, x - mean> invstd^2 / M,
          // dx = (dy - sum(dy) / M - (x - mean) k) invstd gamma; M dy - sum(dy) would cancel badly.
          const [q, inv, g] = saved
          const dbeta = tf.sum(dy, axes)
          const dotp = tf.sum(tf.mul(dy, q), axes)
          const k = tf.div(tf.mul(dotp, tf.square(inv)), count)
          const inner = tf.sub(tf.sub(dy, tf.div(dbeta, count)), tf.mul(q, k))
          return [tf.mul(inner, tf.mul(inv, g)), tf.mul(dotp, inv), dbeta]
        }
      }
    })
    return fused(x, this.gamma, this.beta) as T
  }

  /**
   * Training mode as two kernels of the backend (wasm with the native kernels): forward (with
   * the running-statistics update) and backward each in one pass pair over the data,
   * per-channel sums in double. Same formulas as `apply`'s composed version; the backward
   * recomputes x - mean instead of saving it.
   */
  private applyFused<T extends tf.Tensor>(x: T, activation?: FusedActivation): T {
    const { eps, momentum } = this.opts
    const fused = tf.customGrad((...args) => {
      const [input, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc]
      const [y, mean, invstd, runningMean, runningVar] = batchNormTrain(input, gamma, beta, this.runningMean, this.runningVar, eps, momentum, activation)
      this.runningMean.assign(runningMean)
      this.runningVar.assign(runningVar)
      save([input, mean, invstd, gamma, y])
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, m, inv, g, ys] = saved
          return batchNormTrainGrad(dy, xs, m, inv, g, ys, activation)
        }
      }
    })
    return fused(x, this.gamma, this.beta) as T
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
