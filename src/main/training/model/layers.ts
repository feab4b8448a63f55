/**
 * Small building blocks with PyTorch semantics: Linear, plain conv kernels, the PyTorch GRU cell
 * and StackGAN's upBlock. Tensors are NHWC; kernels HWIO; Linear kernels (in, out).
 */
import * as tf from '@tensorflow/tfjs'
import { fusedKernelsAvailable, gruCell } from '../engine/fused-kernels'
import { BatchNorm, type BatchNormOptions } from './batch-norm'
import { INIT_WEIGHT, INIT_ZERO, type ParamStore } from './params'
import type { RunContext } from './tracer'

/** nn.Linear: y = x W^T + b, with W stored transposed as (in, out). Init N(0, 0.02), bias 0. */
export class Linear {
  readonly kernel: tf.Variable
  readonly bias: tf.Variable | null

  constructor(store: ParamStore, name: string, inDim: number, outDim: number, withBias = true) {
    this.kernel = store.add(`${name}.weight`, [inDim, outDim], INIT_WEIGHT, { layout: 'linear' })
    this.bias = withBias ? store.add(`${name}.bias`, [outDim], INIT_ZERO) : null
  }

  /** x: (N, in) -> (N, out). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = tf.matMul(x, this.kernel as tf.Tensor2D)
      return (this.bias ? tf.add(y, this.bias) : y) as tf.Tensor2D
    })
  }
}

/** A bias-free conv kernel (kh, kw, in, out), init N(0, 0.02): `<name>.weight`. */
export function convKernel(store: ParamStore, name: string, shape: [number, number, number, number]): tf.Variable {
  return store.add(`${name}.weight`, shape, INIT_WEIGHT, { layout: 'conv' })
}

/** Stride-1 3x3 conv with padding 1 (PyTorch `conv3x3`), i.e. TF 'same'. */
export function conv3x3(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, kernel, 1, 'same')
}

/** Conv 4x4 / stride 2 / pad 1 on an even size: TF 'same' pads (1, 1) there. */
export function conv4x4Down(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, kernel, 2, 'same')
}

/**
 * nn.GRUCell (PyTorch gate order r, z, n; separate input and hidden biases; the reset gate
 * multiplies the hidden matmul including its bias, i.e. Keras `resetAfter: true`):
 * r = s(Wir x + bir + Whr h + bhr), z = s(Wiz x + biz + Whz h + bhz),
 * n = tanh(Win x + bin + r * (Whn h + bhn)), h' = n + z * (h - n).
 * Init U(-1/sqrt(H), 1/sqrt(H)) for all four tensors, as PyTorch does (upstream keeps it).
 */
export class GruCell {
  readonly weightIh: tf.Variable
  readonly weightHh: tf.Variable
  readonly biasIh: tf.Variable
  readonly biasHh: tf.Variable

  constructor(store: ParamStore, name: string, inDim: number, readonly hidden: number) {
    const init = { kind: 'uniform' as const, bound: 1 / Math.sqrt(hidden) }
    this.weightIh = store.add(`${name}.weight_ih`, [inDim, 3 * hidden], init, { layout: 'linear' })
    this.weightHh = store.add(`${name}.weight_hh`, [hidden, 3 * hidden], init, { layout: 'linear' })
    this.biasIh = store.add(`${name}.bias_ih`, [3 * hidden], init)
    this.biasHh = store.add(`${name}.bias_hh`, [3 * hidden], init)
  }

  /** x: (N, in), h: (N, H) -> (N, H). */
  apply(x: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.step(this.inputGates(x), h))
  }

  /**
   * W_ih x + b_ih for any number of rows: the part of a step that does not depend on h, so a
   * sequence whose inputs are all known computes it for every step in one product.
   */
  inputGates(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.weightIh as tf.Tensor2D), this.biasIh))
  }

  /** One step from its input gates gi (N, 3H) and the state h (N, H) -> (N, H). */
  step(gi: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const gh = tf.add(tf.matMul(h, this.weightHh as tf.Tensor2D), this.biasHh) as tf.Tensor2D
      if (fusedKernelsAvailable()) return gruCell(gi, gh, h)
      const [ir, iz, inew] = tf.split(gi, 3, 1)
      const [hr, hz, hnew] = tf.split(gh, 3, 1)
      const r = tf.sigmoid(tf.add(hr, ir))
      const z = tf.sigmoid(tf.add(hz, iz))
      const n = tf.tanh(tf.add(inew, tf.mul(hnew, r)))
      return tf.add(tf.mul(tf.sub(h, n), z), n) as tf.Tensor2D
    })
  }
}

/** Nearest-neighbour x2 upsampling, as nn.Upsample(scale_factor=2, mode='nearest'). */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2])
}

/**
 * StackGAN upBlock: nearest x2, conv3x3 (no bias), BatchNorm2d, ReLU. Parameters follow the
 * nn.Sequential indices: `<name>.1.weight` (conv) and `<name>.2.*` (BatchNorm).
 */
export class UpBlock {
  readonly kernel: tf.Variable
  readonly bn: BatchNorm

  constructor(store: ParamStore, readonly name: string, inCh: number, outCh: number, bn: BatchNormOptions) {
    this.kernel = convKernel(store, `${name}.1`, [3, 3, inCh, outCh])
    this.bn = new BatchNorm(store, `${name}.2`, outCh, bn)
  }

  /** x: (N, H, W, in) -> (N, 2H, 2W, out). */
  apply(x: tf.Tensor4D, ctx: RunContext): tf.Tensor4D {
    return tf.tidy(() => this.bn.apply(conv3x3(upsample2x(x), this.kernel as tf.Tensor4D), ctx, { kind: 'relu' }))
  }
}
