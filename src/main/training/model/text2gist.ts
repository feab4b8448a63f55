/**
 * Text2Gist output (reference 3.3): a per-sample 1-D dynamic filter.
 *
 * - `gist_signal` (upstream `image_net`): Linear(motion -> C*L) + BatchNorm1d + tanh, viewed as
 *   a C-channel signal of length L (C = 3, L = 124 hard-coded upstream, reference 11.3).
 * - `gist_filter` (upstream `filter_net`): Linear(cond -> C*K) + BatchNorm1d, viewed as one
 *   C -> 1 kernel of width K = 21 per sample.
 * - Each sample's signal is cross-correlated with its own kernel, padding K // 2
 *   (upstream `DynamicFilterLayer1D` loops `F.conv1d` per sample).
 *
 * Here the loop becomes one batched product over explicit sliding windows: the signal is padded,
 * K shifted views are stacked to (N, C, L, K), multiplied by the kernel and summed over (C, K).
 * Only slice, stack, mul and sum are used, so every backend has the gradients. Where the fused
 * kernels run (wasm with the native library) it is one kernel with a closed-form gradient.
 */
import * as tf from '@tensorflow/tfjs'
import { dynamicFilter, fusedKernelsAvailable } from '../engine/fused-kernels'
import { BatchNorm, type BatchNormOptions } from './batch-norm'
import { Linear } from './layers'
import type { ParamStore } from './params'
import type { RunContext } from './tracer'

/** Sizes of the Text2Gist filter. */
export interface Text2GistDims {
  motionDim: number
  conditionDim: number
  /** Signal length L (124). */
  length: number
  /** Signal channels C (3). */
  channels: number
  /** Kernel width K (21), odd. */
  kernel: number
}

/** Parameters `gist_signal.*` and `gist_filter.*`. */
export class Text2Gist {
  readonly signal: Linear
  readonly signalBn: BatchNorm
  readonly filter: Linear
  readonly filterBn: BatchNorm

  constructor(store: ParamStore, private readonly dims: Text2GistDims, bn: BatchNormOptions) {
    const { motionDim, conditionDim, length, channels, kernel } = dims
    this.signal = new Linear(store, 'gist_signal.0', motionDim, channels * length)
    this.signalBn = new BatchNorm(store, 'gist_signal.1', channels * length, bn)
    this.filter = new Linear(store, 'gist_filter.0', conditionDim, channels * kernel)
    this.filterBn = new BatchNorm(store, 'gist_filter.1', channels * kernel, bn)
  }

  /**
   * motion: (N, motion) per frame; gist: (N, cond) Text2Gist GRU state -> o_t: (N, L).
   * Traced: `G.gist_signal` (N, C*L) after tanh, `G.gist_filter` (N, C*K).
   */
  apply(motion: tf.Tensor2D, gist: tf.Tensor2D, ctx: RunContext): tf.Tensor2D {
    return tf.tidy(() => {
      const signal = tf.tanh(this.signalBn.apply(this.signal.apply(motion), ctx))
      ctx.trace?.record('G.gist_signal', signal)
      const filter = this.filterBn.apply(this.filter.apply(gist), ctx)
      ctx.trace?.record('G.gist_filter', filter)
      return dynamicFilter1d(signal, filter, this.dims)
    })
  }
}

/**
 * out[n, p] = sum_c sum_k signal[n, c, p + k - K//2] * filter[n, c, k], zero outside the signal.
 * signal: (N, C*L) laid out (c, p); filter: (N, C*K) laid out (c, k) -> (N, L).
 */
export function dynamicFilter1d(signal: tf.Tensor2D, filter: tf.Tensor2D, dims: Pick<Text2GistDims, 'length' | 'channels' | 'kernel'>): tf.Tensor2D {
  return tf.tidy(() => {
    const { length, channels, kernel } = dims
    if (fusedKernelsAvailable()) return dynamicFilter(signal, filter, { length, channels, kernel })
    const n = signal.shape[0]
    const pad = Math.floor(kernel / 2)
    const padded = tf.pad(tf.reshape(signal, [n, channels, length]), [[0, 0], [0, 0], [pad, pad]])
    const windows: tf.Tensor[] = []
    for (let k = 0; k < kernel; k++) windows.push(tf.slice(padded, [0, 0, k], [n, channels, length]))
    const stacked = tf.stack(windows, 3)
    const weights = tf.reshape(filter, [n, channels, 1, kernel])
    return tf.sum(tf.mul(stacked, weights), [1, 3]) as tf.Tensor2D
  })
}
