/**
 * One decoder branch of the CP-CSV generator (reference 3.4 / 3.5): the image branch
 * (`img_fc`, `img_up1..4`, `img_out`: ngf channels at 4x4 down to 3 at 64x64) or the
 * figure-ground branch (`seg_fc`, `seg_up1..4`, `seg_out`: GF_SEG_DIM channels down to 1).
 *
 * fc = Linear(in -> ch*16, no bias) + BatchNorm1d + ReLU. Its 16*ch outputs are PyTorch's
 * (ch, 4, 4) C-order view; they are reshaped NCHW and transposed to NHWC here, so the Linear
 * weight stays in PyTorch's column order. The branch runs step by step so the generator can
 * fuse the two branches between steps.
 */
import * as tf from '@tensorflow/tfjs'
import { BatchNorm, type BatchNormOptions } from './batch-norm'
import { Linear, UpBlock, conv3x3, convKernel } from './layers'
import type { ParamStore } from './params'
import type { RunContext } from './tracer'

/** Sizes of one decoder branch. */
export interface DecoderBranchDims {
  /** Generator input size (motion + cond + gist length: 613 on Pororo-SV). */
  inputDim: number
  /** Channels at 4x4 (ngf = 8 * GF_DIM, or GF_SEG_DIM). */
  channels: number
  /** Output channels: 3 for images, 1 for masks. */
  outChannels: number
}

/** fc -> 4 up-blocks -> conv3x3 + tanh, run step by step. */
export class DecoderBranch {
  readonly fc: Linear
  readonly fcBn: BatchNorm
  readonly ups: UpBlock[]
  readonly outKernel: tf.Variable

  /** prefix: `img` or `seg`; parameters `<prefix>_fc.*`, `<prefix>_up1..4.*`, `<prefix>_out.0.weight`. */
  constructor(store: ParamStore, readonly prefix: string, private readonly dims: DecoderBranchDims, bn: BatchNormOptions) {
    const c = dims.channels
    this.fc = new Linear(store, `${prefix}_fc.0`, dims.inputDim, c * 16, false)
    this.fcBn = new BatchNorm(store, `${prefix}_fc.1`, c * 16, bn)
    this.ups = [1, 2, 3, 4].map((i) => new UpBlock(store, `${prefix}_up${i}`, c >> (i - 1), c >> i, bn))
    this.outKernel = convKernel(store, `${prefix}_out.0`, [3, 3, c >> 4, dims.outChannels])
  }

  /** z: (N, inputDim) -> (N, 4, 4, ch). Traced as `G.<prefix>_fc` (N, 16*ch), PyTorch order. */
  start(z: tf.Tensor2D, ctx: RunContext): tf.Tensor4D {
    return tf.tidy(() => {
      const h = this.fcBn.apply(this.fc.apply(z), ctx, { kind: 'relu' })
      ctx.trace?.record(`G.${this.prefix}_fc`, h)
      const nchw = tf.reshape(h, [-1, this.dims.channels, 4, 4])
      return tf.transpose(nchw, [0, 2, 3, 1]) as tf.Tensor4D
    })
  }

  /** Up-block i (1..4): doubles the size, halves the channels. Traced as `G.<prefix>_up<i>`. */
  up(i: number, x: tf.Tensor4D, ctx: RunContext): tf.Tensor4D {
    const y = this.ups[i - 1].apply(x, ctx)
    ctx.trace?.record(`G.${this.prefix}_up${i}`, y)
    return y
  }

  /** Final conv3x3 (no bias) + tanh: (N, 64, 64, outChannels) in [-1, 1]. Traced `G.<prefix>_out`. */
  finish(x: tf.Tensor4D, ctx: RunContext): tf.Tensor4D {
    const y = tf.tidy(() => tf.tanh(conv3x3(x, this.outKernel as tf.Tensor4D)))
    ctx.trace?.record(`G.${this.prefix}_out`, y)
    return y
  }
}
