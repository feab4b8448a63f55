/**
 * Upstream's optional order-consistency discriminator `VideoEncoder` (model.py l.151-210,
 * reference 3.7), attached to D_STY when `useSeqConsistency` is on, and its input shuffling
 * `create_random_shuffle` (miscc/utils.py l.20-44, reference 4.1).
 *
 * Layers on a (B, T, 64, 64, 3) story, all convolutions bias-free:
 * - torchvision's R2Plus1dStem (not spectral-normed): conv (1,7,7)/s(1,2,2)/p(0,3,3) 3->45,
 *   BN, ReLU, conv (3,1,1)/p(1,0,0) 45->64, BN, ReLU. (The reference table gives the second stem
 *   conv as (1,1,1) with temporal padding 1; torchvision's stem, which upstream imports, is
 *   (3,1,1) with padding 1, so T is kept.)
 * - eight SN-conv3d + BatchNorm3d + LeakyReLU(0.2) stages alternating (1,3,3)/s(1,2,2)/p(0,1,1)
 *   and (3,1,1)/s(2,1,1)/p(1,0,0): 64->128, 128->128, 128->128, 128->256, 256->256, 256->512,
 *   512->512, 512->512;
 * - global average pool, SN-Linear(512->128), BatchNorm1d, ReLU, SN-Linear(128->1): one logit.
 * A 3-D conv whose kernel is 1 along time is a 2-D conv on every frame; one whose kernel is 1 in
 * space is a 2-D conv on the (T, H*W) plane. Both are computed that way (exact, and the
 * backends' fast 2-D kernels apply). Parameter names follow upstream's nn.Sequential indices
 * under `seq_consisten_model.`; 3-D kernels are kept as the equivalent HWIO 2-D kernels.
 */
import * as tf from '@tensorflow/tfjs'
import type { FusedActivation } from '../engine/fused-kernels'
import { BatchNorm, type BatchNormOptions } from './batch-norm'
import { convKernel } from './layers'
import { INIT_ZERO, type ParamStore } from './params'
import { SpectralNormKernel } from './spectral-norm'
import type { RunContext } from './tracer'

const SLOPE = 0.2
const RELU: FusedActivation = { kind: 'relu' }
const PREFIX = 'seq_consisten_model'

type Pad2 = [[number, number], [number, number], [number, number], [number, number]]

/** (1, k, k) conv with stride (1, s, s) and padding (0, p, p) on (B, T, H, W, C). */
export function spatialConv(x: tf.Tensor5D, kernel: tf.Tensor4D, stride: number, pad: number): tf.Tensor5D {
  const [b, t, h, w, c] = x.shape
  const padding: Pad2 = [[0, 0], [pad, pad], [pad, pad], [0, 0]]
  const y = tf.conv2d(tf.reshape(x, [b * t, h, w, c]) as tf.Tensor4D, kernel, stride, padding)
  return tf.reshape(y, [b, t, y.shape[1], y.shape[2], y.shape[3]]) as tf.Tensor5D
}

/** (3, 1, 1) conv with stride (s, 1, 1) and padding (1, 0, 0) on (B, T, H, W, C). */
export function temporalConv(x: tf.Tensor5D, kernel: tf.Tensor4D, stride: number): tf.Tensor5D {
  const [b, t, h, w, c] = x.shape
  const padding: Pad2 = [[0, 0], [1, 1], [0, 0], [0, 0]]
  const y = tf.conv2d(tf.reshape(x, [b, t, h * w, c]) as tf.Tensor4D, kernel, [stride, 1], padding)
  return tf.reshape(y, [b, y.shape[1], h, w, y.shape[3]]) as tf.Tensor5D
}

interface Stage {
  sn: SpectralNormKernel
  bn: BatchNorm
  temporal: boolean
}

/** Channel plan of the eight SN stages after the stem: [in, out, temporal]. */
const STAGES: readonly [number, number, boolean][] = [
  [64, 128, false], [128, 128, true], [128, 128, false], [128, 256, true],
  [256, 256, false], [256, 512, true], [512, 512, false], [512, 512, true]
]

/** Spectral-normed nn.Linear: kernel (in, out) normalised as a 1x1 conv, plus a bias. */
class SnLinear {
  readonly sn: SpectralNormKernel
  readonly bias: tf.Variable

  constructor(store: ParamStore, name: string, inDim: number, outDim: number) {
    this.sn = new SpectralNormKernel(store, name, [1, 1, inDim, outDim])
    this.bias = store.add(`${name}.bias`, [outDim], INIT_ZERO)
  }

  apply(x: tf.Tensor2D, ctx: RunContext): tf.Tensor2D {
    return tf.tidy(() => {
      const [, , inDim, outDim] = this.sn.shape
      const kernel = tf.reshape(this.sn.kernel(ctx), [inDim, outDim]) as tf.Tensor2D
      return tf.add(tf.matMul(x, kernel), this.bias) as tf.Tensor2D
    })
  }
}

/** The order-consistency discriminator: a story in, one "shuffled" logit per story out. */
export class VideoEncoder {
  private readonly stem1: tf.Variable
  private readonly stemBn1: BatchNorm
  private readonly stem2: tf.Variable
  private readonly stemBn2: BatchNorm
  private readonly stages: Stage[]
  private readonly hidden: SnLinear
  private readonly hiddenBn: BatchNorm
  private readonly out: SnLinear

  constructor(store: ParamStore, bn: BatchNormOptions) {
    const p = `${PREFIX}.story_encoder`
    this.stem1 = convKernel(store, `${p}.0.0`, [7, 7, 3, 45])
    this.stemBn1 = new BatchNorm(store, `${p}.0.1`, 45, bn)
    this.stem2 = convKernel(store, `${p}.0.3`, [3, 1, 45, 64])
    this.stemBn2 = new BatchNorm(store, `${p}.0.4`, 64, bn)
    this.stages = STAGES.map(([cin, cout, temporal], i) => ({
      sn: new SpectralNormKernel(store, `${p}.${3 * i + 1}`, temporal ? [3, 1, cin, cout] : [3, 3, cin, cout]),
      bn: new BatchNorm(store, `${p}.${3 * i + 2}`, cout, bn),
      temporal
    }))
    this.hidden = new SnLinear(store, `${PREFIX}.detector.0`, 512, 128)
    this.hiddenBn = new BatchNorm(store, `${PREFIX}.detector.1`, 128, bn)
    this.out = new SnLinear(store, `${PREFIX}.detector.3`, 128, 1)
  }

  /** stories: (B, T, 64, 64, 3) in [-1, 1] -> logits (B,). Traced `D_sty.order`. */
  apply(stories: tf.Tensor5D, ctx: RunContext): tf.Tensor1D {
    return tf.tidy(() => {
      let h = this.stemBn1.apply(spatialConv(stories, this.stem1 as tf.Tensor4D, 2, 3), ctx, RELU)
      h = this.stemBn2.apply(temporalConv(h, this.stem2 as tf.Tensor4D, 1), ctx, RELU)
      for (const s of this.stages) {
        const kernel = s.sn.kernel(ctx)
        const y = s.temporal ? temporalConv(h, kernel, 2) : spatialConv(h, kernel, 2, 1)
        h = s.bn.apply(y, ctx, { kind: 'leakyRelu', alpha: SLOPE })
      }
      const pooled = tf.mean(h, [1, 2, 3]) as tf.Tensor2D
      const hidden = this.hiddenBn.apply(this.hidden.apply(pooled, ctx), ctx, RELU)
      const logit = tf.reshape(this.out.apply(hidden, ctx), [stories.shape[0]]) as tf.Tensor1D
      ctx.trace?.record('D_sty.order', logit)
      return logit
    })
  }

  /** Spectral-normed kernels (stages and detector), for tests and reports. */
  spectralKernels(): SpectralNormKernel[] {
    return [...this.stages.map((s) => s.sn), this.hidden.sn, this.out.sn]
  }
}

/** How one batch of stories is shuffled: a source frame per output frame, and the labels. */
export interface OrderShuffle {
  /** (B*T) index into the flattened (B*T) real frames for every output frame. */
  sources: Int32Array
  /** (B) 1 where the story was shuffled, 0 where it is intact. */
  labels: Float32Array
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function isSorted(xs: number[]): boolean {
  return xs.every((x, i) => i === 0 || xs[i - 1] <= x)
}

/**
 * `create_random_shuffle` as a pure function of a seed: each story is shuffled (label 1) with
 * probability 0.5. A shuffled story's frames are permuted into any order but the sorted one
 * and, when a randomly drawn story (any of the B, itself included) is another one, the frame at
 * one random position is replaced by that story's frame at the same position. Stories left
 * intact get label 0. Needs T >= 2 (one frame has no order to break).
 */
export function orderShuffle(stories: number, frames: number, seed: number): OrderShuffle {
  if (frames < 2) throw new Error('order shuffling needs at least 2 frames per story')
  const random = prng(seed)
  const sources = new Int32Array(stories * frames)
  const labels = new Float32Array(stories)
  for (let b = 0; b < stories; b++) {
    const order = Array.from({ length: frames }, (_, t) => t)
    const shuffled = random() < 0.5
    const src = order.map((t) => b * frames + t)
    if (shuffled) {
      labels[b] = 1
      do {
        for (let i = frames - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1))
          ;[order[i], order[j]] = [order[j], order[i]]
        }
      } while (isSorted(order))
      order.forEach((t, i) => (src[i] = b * frames + t))
      const other = Math.floor(random() * stories)
      const position = Math.floor(random() * frames)
      if (other !== b) src[position] = other * frames + position
    }
    sources.set(src, b * frames)
  }
  return { sources, labels }
}

/** Applies a shuffle to real stories (B, T, H, W, C): the D input and its labels (B,). */
export function shuffleStories(stories: tf.Tensor5D, plan: OrderShuffle): { input: tf.Tensor5D; labels: tf.Tensor1D } {
  return tf.tidy(() => {
    const [b, t, h, w, c] = stories.shape
    const flat = tf.reshape(stories, [b * t, h, w, c])
    const input = tf.reshape(tf.gather(flat, tf.tensor1d(plan.sources, 'int32')), [b, t, h, w, c]) as tf.Tensor5D
    return { input, labels: tf.tensor1d(plan.labels) }
  })
}
