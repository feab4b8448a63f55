/**
 * Spectral normalisation with PyTorch's `torch.nn.utils.spectral_norm` semantics.
 *
 * The weight W (PyTorch: weight_orig reshaped to (out, -1)) is divided by sigma = u . (W v).
 * In training mode every call first runs one power iteration, v = normalize(W^T u),
 * u = normalize(W v) (eps 1e-12), and stores u and v: the persistent state moves once per call,
 * so the number and order of calls matter (reference section 11, item 5). u and v enter sigma
 * as constants: no gradient flows through the power iteration. Eval mode uses the stored u, v.
 *
 * The kernel is kept HWIO, so W^T is simply reshape(kernel, [kh*kw*in, out]); v is therefore in
 * (kh, kw, in) order, a permutation of PyTorch's (in, kh, kw) that leaves sigma unchanged.
 */
import * as tf from '@tensorflow/tfjs'
import { fusedKernelsAvailable, spectralNormalize, spectralNormalizeSplit, spectralPower } from '../engine/fused-kernels'
import { INIT_WEIGHT, type ParamStore } from './params'
import type { RunContext } from './tracer'

const NORMALIZE_EPS = 1e-12

function normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x), NORMALIZE_EPS))
}

/** A spectral-normed conv kernel (HWIO) with its persistent u / v. */
export class SpectralNormKernel {
  readonly weight: tf.Variable
  readonly u: tf.Variable
  readonly v: tf.Variable
  private readonly rows: number
  private readonly cols: number

  /** shape: HWIO kernel shape (kh, kw, in, out). Registers `<name>.weight_orig`, `_u`, `_v`. */
  constructor(store: ParamStore, name: string, readonly shape: [number, number, number, number]) {
    const [kh, kw, cin, cout] = shape
    this.rows = kh * kw * cin
    this.cols = cout
    this.weight = store.add(`${name}.weight_orig`, shape, INIT_WEIGHT, { layout: 'conv' })
    this.u = store.add(`${name}.weight_u`, [cout], { kind: 'unitNormal' }, { trainable: false })
    this.v = store.add(`${name}.weight_v`, [this.rows], { kind: 'unitNormal' }, {
      trainable: false,
      layout: 'snV',
      kernelDims: [kh, kw, cin]
    })
  }

  /** The normalised HWIO kernel W / sigma; in training mode advances u and v first. */
  kernel(ctx: RunContext): tf.Tensor4D {
    if (ctx.training) this.powerIteration()
    return tf.tidy(() => {
      // clone() shares the data of the variables as they are now: the gradient tape keeps these
      // tensors, so a later call that reassigns u / v cannot change this call's backward pass,
      // and variables are tape leaves, so no gradient reaches the power iteration.
      const u = this.u.clone()
      const v = this.v.clone()
      if (fusedKernelsAvailable()) return spectralNormalize(this.weight, u, v) as tf.Tensor4D
      const w2 = tf.reshape(this.weight, [this.rows, this.cols])
      const wv = tf.matMul(tf.reshape(v, [1, this.rows]), w2)
      const sigma = tf.sum(tf.mul(tf.reshape(wv, [this.cols]), u))
      return tf.div(this.weight, sigma) as tf.Tensor4D
    })
  }

  /**
   * The normalised kernel split along its input channels at `at`: [W[:, :, :at], W[:, :, at:]]
   * / sigma (one fused kernel where available, else kernel() then a split). Advances u, v once.
   */
  kernelSplit(ctx: RunContext, at: number): [tf.Tensor4D, tf.Tensor4D] {
    if (!fusedKernelsAvailable()) {
      const whole = this.kernel(ctx)
      const parts = tf.split(whole, [at, this.shape[2] - at], 2) as [tf.Tensor4D, tf.Tensor4D]
      whole.dispose()
      return parts
    }
    if (ctx.training) this.powerIteration()
    return tf.tidy(() => spectralNormalizeSplit(this.weight as tf.Tensor4D, this.u.clone(), this.v.clone(), at)) as [tf.Tensor4D, tf.Tensor4D]
  }

  /** The current sigma estimate u . (W v) without iterating (for tests and reports). */
  sigma(): number {
    return tf.tidy(() => {
      const w2 = tf.reshape(this.weight, [this.rows, this.cols])
      const wv = tf.matMul(tf.reshape(this.v, [1, this.rows]), w2)
      return tf.sum(tf.mul(tf.reshape(wv, [this.cols]), this.u)).dataSync()[0]
    })
  }

  private powerIteration(): void {
    tf.tidy(() => {
      if (fusedKernelsAvailable()) {
        const [u, v] = spectralPower(this.weight, this.u)
        this.v.assign(v)
        this.u.assign(u)
        return
      }
      const w2 = tf.reshape(this.weight, [this.rows, this.cols])
      const v = normalize(tf.matMul(w2, tf.reshape(this.u, [this.cols, 1])))
      const u = normalize(tf.matMul(v, w2, true, false))
      this.v.assign(tf.reshape(v, [this.rows]))
      this.u.assign(tf.reshape(u, [this.cols]))
    })
  }
}
