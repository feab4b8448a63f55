/**
 * Figure-ground generator and its layer-wise fusion into the image branch (reference 3.5).
 *
 * The mask branch reads the same generator input as the image branch. Fusion happens only at
 * 4x4 and 8x8 (upstream comments out the 16..64 fusions): image = g(seg) * image + image, with
 * g = conv3x3 (no bias) from the mask features to the image width (`fuse4` = upstream `seg_c`,
 * `fuse8` = `seg_c1`). A multiplicative gate plus residual; there is no sigmoid on the gate.
 */
import * as tf from '@tensorflow/tfjs'
import type { BatchNormOptions } from './batch-norm'
import { DecoderBranch } from './image-generator'
import { conv3x3, convKernel } from './layers'
import type { ParamStore } from './params'
import { type RunContext, tidyObject } from './tracer'

/** Decoder output for N frames. */
export interface DecodeOutput {
  /** (N, 64, 64, 3) in [-1, 1]. */
  images: tf.Tensor4D
  /** (N, 64, 64, 1) in [-1, 1] (foreground high), or null without segment learning. */
  masks: tf.Tensor4D | null
}

/** Widths of the two decoder branches. */
export interface DecoderDims {
  inputDim: number
  /** ngf = 8 * GF_DIM. */
  imageChannels: number
  /** GF_SEG_DIM, or 0 without segment learning. */
  maskChannels: number
}

/** Image branch, optionally with the figure-ground branch fused in at 4x4 and 8x8. */
export class FigureGroundDecoder {
  readonly image: DecoderBranch
  readonly mask: DecoderBranch | null
  readonly fuse4: tf.Variable | null
  readonly fuse8: tf.Variable | null

  constructor(store: ParamStore, dims: DecoderDims, bn: BatchNormOptions) {
    this.image = new DecoderBranch(store, 'img', { inputDim: dims.inputDim, channels: dims.imageChannels, outChannels: 3 }, bn)
    if (dims.maskChannels > 0) {
      const s = dims.maskChannels
      const c = dims.imageChannels
      this.mask = new DecoderBranch(store, 'seg', { inputDim: dims.inputDim, channels: s, outChannels: 1 }, bn)
      this.fuse4 = convKernel(store, 'fuse4', [3, 3, s, c])
      this.fuse8 = convKernel(store, 'fuse8', [3, 3, s >> 1, c >> 1])
    } else {
      this.mask = null
      this.fuse4 = null
      this.fuse8 = null
    }
  }

  /**
   * z: (N, inputDim) generator input -> images and masks. The mask branch always runs to 64x64
   * (upstream does so on both paths, and its BatchNorm running statistics move with each call).
   */
  apply(z: tf.Tensor2D, ctx: RunContext): DecodeOutput {
    if (!this.mask) return this.imageOnly(z, ctx)
    const mask = this.mask
    return tidyObject(() => {
      let img = this.image.start(z, ctx)
      let seg = mask.start(z, ctx)
      img = this.fuse(img, seg, this.fuse4 as tf.Tensor4D, 'G.fuse4', ctx)
      seg = mask.up(1, seg, ctx)
      img = this.image.up(1, img, ctx)
      img = this.fuse(img, seg, this.fuse8 as tf.Tensor4D, 'G.fuse8', ctx)
      for (let i = 2; i <= 4; i++) {
        seg = mask.up(i, seg, ctx)
        img = this.image.up(i, img, ctx)
      }
      return { images: this.image.finish(img, ctx), masks: mask.finish(seg, ctx) }
    })
  }

  private imageOnly(z: tf.Tensor2D, ctx: RunContext): DecodeOutput {
    return tidyObject(() => {
      let img = this.image.start(z, ctx)
      for (let i = 1; i <= 4; i++) img = this.image.up(i, img, ctx)
      return { images: this.image.finish(img, ctx), masks: null }
    })
  }

  /** image * (1 + conv(seg)) written as conv(seg) * image + image; traced: the gate conv(seg). */
  private fuse(img: tf.Tensor4D, seg: tf.Tensor4D, kernel: tf.Tensor4D, name: string, ctx: RunContext): tf.Tensor4D {
    return tf.tidy(() => {
      const gate = conv3x3(seg, kernel)
      ctx.trace?.record(name, gate)
      return tf.add(tf.mul(gate, img), img)
    })
  }
}
