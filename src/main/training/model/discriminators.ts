/**
 * CP-CSV discriminators (reference 3.7): D_IMG (frames), D_SEG (masks) and D_STY (stories).
 *
 * Encoder: conv 4/2/1 c_in -> ndf + LeakyReLU(0.2) (spectral-normed only in D_STY), then three
 * SN-conv 4/2/1 + BatchNorm2d + LeakyReLU(0.2) blocks to 8*ndf at 4x4. No biases. Parameter
 * names follow upstream's nn.Sequential indices (`encoder.0`, `.2`/`.3`, `.5`/`.6`, `.8`/`.9`).
 * Conditional logits: the condition tiled to 4x4 and concatenated after the features,
 * SN-conv3x3 (computed without materialising the tiling, see jointConv) -> BatchNorm -> LeakyReLU,
 * SN-conv 4x4 / stride 4 (with bias) -> sigmoid.
 * Class head (D_IMG, D_SEG): Conv(8*ndf -> labels, k4, s4, p1, no bias): with that padding it
 * sees only the top-left 3x3 of the 4x4 map (B10), reproduced with an explicit pad.
 */
import * as tf from '@tensorflow/tfjs'
import { type TrainConfig, discriminatorConditionDim } from '../../../shared/train-config'
import type { FusedActivation } from '../engine/fused-kernels'
import { BatchNorm, type BatchNormOptions } from './batch-norm'
import { conv3x3, conv4x4Down, convKernel } from './layers'
import { INIT_ZERO, ParamStore, type ModelName, type ParamStoreOptions } from './params'
import { SpectralNormKernel } from './spectral-norm'
import type { RunContext } from './tracer'
import { VideoEncoder } from './video-encoder'

const SLOPE = 0.2
const LEAKY: FusedActivation = { kind: 'leakyRelu', alpha: SLOPE }

/** A conv kernel that is either plain or spectral-normed. */
type Kernel = { plain: tf.Variable } | { sn: SpectralNormKernel }

function kernelOf(k: Kernel, ctx: RunContext): tf.Tensor4D {
  return 'plain' in k ? (k.plain as tf.Tensor4D) : k.sn.kernel(ctx)
}

class Encoder {
  private readonly first: Kernel
  private readonly blocks: { sn: SpectralNormKernel; bn: BatchNorm }[]

  constructor(store: ParamStore, inChannels: number, ndf: number, snFirst: boolean, bn: BatchNormOptions) {
    this.first = snFirst
      ? { sn: new SpectralNormKernel(store, 'encoder.0', [4, 4, inChannels, ndf]) }
      : { plain: convKernel(store, 'encoder.0', [4, 4, inChannels, ndf]) }
    this.blocks = [1, 2, 3].map((i) => ({
      sn: new SpectralNormKernel(store, `encoder.${3 * i - 1}`, [4, 4, ndf << (i - 1), ndf << i]),
      bn: new BatchNorm(store, `encoder.${3 * i}`, ndf << i, bn)
    }))
  }

  /** x: (N, 64, 64, c_in) -> (N, 4, 4, 8*ndf). */
  apply(x: tf.Tensor4D, ctx: RunContext): tf.Tensor4D {
    return tf.tidy(() => {
      let h = tf.leakyRelu(conv4x4Down(x, kernelOf(this.first, ctx)), SLOPE)
      for (const b of this.blocks) h = b.bn.apply(conv4x4Down(h, b.sn.kernel(ctx)), ctx, LEAKY)
      return h
    })
  }
}

class ConditionalLogits {
  private readonly joint: SpectralNormKernel
  private readonly jointBn: BatchNorm
  private readonly out: SpectralNormKernel
  private readonly outBias: tf.Variable

  constructor(store: ParamStore, features: number, conditionDim: number, bn: BatchNormOptions) {
    this.joint = new SpectralNormKernel(store, 'logits.joint.0', [3, 3, features + conditionDim, features])
    this.jointBn = new BatchNorm(store, 'logits.joint.1', features, bn)
    this.outBias = store.add('logits.out.bias', [1], INIT_ZERO)
    this.out = new SpectralNormKernel(store, 'logits.out', [4, 4, features, 1])
  }

  /** h: (N, 4, 4, F), cond: (N, condDim) -> probabilities (N,) in (0, 1). */
  apply(h: tf.Tensor4D, cond: tf.Tensor2D, ctx: RunContext): tf.Tensor1D {
    return tf.tidy(() => {
      const n = h.shape[0]
      const [wh, wc] = this.joint.kernelSplit(ctx, h.shape[3])
      const j = this.jointBn.apply(jointConv(h, cond, wh, wc), ctx, LEAKY)
      const logit = tf.add(tf.conv2d(j, this.out.kernel(ctx), 4, 'valid'), this.outBias)
      return tf.reshape(tf.sigmoid(logit), [n]) as tf.Tensor1D
    })
  }
}

/**
 * conv3x3(concat([h, tile(cond)], channels), w) for w = concat([wh, wc], input channels), computed
 * without the tiled condition.
 * The convolution is linear in its input channels, so it splits into conv3x3(h, w_h) plus the
 * condition's share. The condition is the same at every pixel, so its share at a pixel is the
 * sum, over the 3x3 taps that land inside the map, of cond . w_c[tap]: nine (N, C) x (C, out)
 * products mixed by a constant (pixels x taps) 0/1 matrix. For `tiny`'s D (64 feature and 489
 * condition channels at 4x4) this does 1/8 of the multiply-adds of the tiled convolution, with
 * the same value up to float rounding and the same gradients for h and w.
 */
export function jointConv(h: tf.Tensor4D, cond: tf.Tensor2D, wh: tf.Tensor4D, wc: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, hh, ww] = h.shape
    const [kh, kw, , out] = wc.shape
    const conditionDim = cond.shape[1]
    // TF.js's BatchMatMul gradient does not reduce broadcast batch dimensions: tile explicitly.
    const conds = tf.tile(tf.reshape(cond, [1, n, conditionDim]), [kh * kw, 1, 1])
    const perTap = tf.matMul(conds, tf.reshape(wc, [kh * kw, conditionDim, out]))
    const mix = tf.tensor2d(tapMask(hh, ww, kh, kw), [hh * ww, kh * kw])
    const share = tf.matMul(mix, tf.reshape(perTap, [kh * kw, n * out]))
    const condShare = tf.transpose(tf.reshape(share, [hh, ww, n, out]), [2, 0, 1, 3])
    return tf.add(conv3x3(h, wh), condShare) as tf.Tensor4D
  })
}

/** (pixels x taps) row-major: 1 where a 'same'-padded kh x kw tap at that pixel reads inside an hh x ww map. */
function tapMask(hh: number, ww: number, kh: number, kw: number): Float32Array {
  const mask = new Float32Array(hh * ww * kh * kw)
  const [padTop, padLeft] = [(kh - 1) >> 1, (kw - 1) >> 1]
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < ww; x++) {
      for (let i = 0; i < kh; i++) {
        for (let k = 0; k < kw; k++) {
          const [sy, sx] = [y + i - padTop, x + k - padLeft]
          if (sy >= 0 && sy < hh && sx >= 0 && sx < ww) mask[((y * ww + x) * kh + i) * kw + k] = 1
        }
      }
    }
  }
  return mask
}

class ClassHead {
  private readonly kernel: tf.Variable

  constructor(store: ParamStore, features: number, labels: number) {
    this.kernel = convKernel(store, 'classifier', [4, 4, features, labels])
  }

  /** h: (N, 4, 4, F) -> logits (N, 1, 1, labels). Pad 1 then k4/s4 'valid' (B10). */
  apply(h: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const padded = tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]])
      return tf.conv2d(padded, this.kernel as tf.Tensor4D, 4, 'valid')
    })
  }
}

/** What each discriminator shares: encoder, conditional logits, optional class head. */
export abstract class Discriminator {
  readonly store: ParamStore
  protected readonly encoder: Encoder
  protected readonly logitsHead: ConditionalLogits
  protected readonly classHead: ClassHead | null

  constructor(readonly model: ModelName, config: TrainConfig, options: ParamStoreOptions, inChannels: number, snFirst: boolean, withClasses: boolean) {
    const bn: BatchNormOptions = { momentum: config.bnMomentum, eps: config.bnEps }
    const ndf = config.dfDim
    this.store = new ParamStore(model, options)
    this.encoder = new Encoder(this.store, inChannels, ndf, snFirst, bn)
    this.logitsHead = new ConditionalLogits(this.store, 8 * ndf, discriminatorConditionDim(config), bn)
    this.classHead = withClasses ? new ClassHead(this.store, 8 * ndf, config.labelNum) : null
  }

  /** Features (rows, 4, 4, 8*ndf) of a batch of inputs (see subclasses for the input shape). */
  abstract features(x: tf.Tensor, ctx: RunContext): tf.Tensor4D

  /** Probability that (features, condition) is a real, matching pair: (rows,). Traced `<D>.logits`. */
  logits(features: tf.Tensor4D, cond: tf.Tensor2D, ctx: RunContext): tf.Tensor1D {
    const p = this.logitsHead.apply(features, cond, ctx)
    ctx.trace?.record(`${this.model}.logits`, p)
    return p
  }

  /** Character logits (rows, labels), or null without a class head. Traced `<D>.classifier`. */
  classify(features: tf.Tensor4D, ctx: RunContext): tf.Tensor2D | null {
    if (!this.classHead) return null
    const head = this.classHead
    return tf.tidy(() => {
      const out = head.apply(features)
      ctx.trace?.record(`${this.model}.classifier`, out)
      return tf.reshape(out, [out.shape[0], -1]) as tf.Tensor2D
    })
  }

  /** Order-consistency logits (B,) of stories, or null without a VideoEncoder (all but D_STY). */
  orderLogits(_stories: tf.Tensor5D, _ctx: RunContext): tf.Tensor1D | null {
    return null
  }

  /** Trainable variables (Adam's list). */
  variables(): tf.Variable[] {
    return this.store.trainableVariables()
  }

  /** Every spectral-normed kernel, for tests and reports. */
  spectralKernels(): SpectralNormKernel[] {
    const found: SpectralNormKernel[] = []
    const visit = (o: unknown): void => {
      if (o instanceof SpectralNormKernel) found.push(o)
      else if (Array.isArray(o)) o.forEach(visit)
      else if (o && typeof o === 'object' && !(o instanceof tf.Tensor) && !(o instanceof ParamStore)) {
        Object.values(o).forEach(visit)
      }
    }
    visit([this.encoder, this.logitsHead])
    return found
  }

  dispose(): void {
    this.store.dispose()
  }
}

/** D_IMG (3 channels) or D_SEG (1-channel masks): per-frame features, class head. */
export class FrameDiscriminator extends Discriminator {
  constructor(model: 'D_img' | 'D_seg', config: TrainConfig, options: ParamStoreOptions) {
    super(model, config, options, model === 'D_img' ? 3 : 1, false, true)
  }

  /** x: (N, 64, 64, C) in [-1, 1] -> (N, 4, 4, 8*ndf). Traced `<D>.encoder`. */
  features(x: tf.Tensor, ctx: RunContext): tf.Tensor4D {
    const h = this.encoder.apply(x as tf.Tensor4D, ctx)
    ctx.trace?.record(`${this.model}.encoder`, h)
    return h
  }
}

/**
 * D_STY (upstream STAGE1_D_STY_V2): frames encoded one by one, features averaged over T; with
 * `useSeqConsistency` it also owns the order-consistency VideoEncoder (trained with D_STY).
 */
export class StoryDiscriminator extends Discriminator {
  readonly order: VideoEncoder | null

  constructor(config: TrainConfig, options: ParamStoreOptions) {
    super('D_sty', config, options, 3, true, false)
    const bn: BatchNormOptions = { momentum: config.bnMomentum, eps: config.bnEps }
    this.order = config.useSeqConsistency ? new VideoEncoder(this.store, bn) : null
  }

  override orderLogits(stories: tf.Tensor5D, ctx: RunContext): tf.Tensor1D | null {
    return this.order ? this.order.apply(stories, ctx) : null
  }

  override spectralKernels(): SpectralNormKernel[] {
    return [...super.spectralKernels(), ...(this.order?.spectralKernels() ?? [])]
  }

  /**
   * x: (B, T, 64, 64, 3) stories in [-1, 1] -> (B, 4, 4, 8*ndf), the mean over frames.
   * Traced `D_sty.encoder`: the per-frame features (B*T, ...) before averaging.
   */
  features(x: tf.Tensor, ctx: RunContext): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, t, h, w, c] = x.shape
      const perFrame = this.encoder.apply(tf.reshape(x, [b * t, h, w, c]) as tf.Tensor4D, ctx)
      ctx.trace?.record('D_sty.encoder', perFrame)
      const [, fh, fw, fc] = perFrame.shape
      return tf.mean(tf.reshape(perFrame, [b, t, fh, fw, fc]), 1) as tf.Tensor4D
    })
  }
}
