/**
 * Adam exactly as torch.optim.Adam (1.13, single-tensor path, no weight decay, no amsgrad):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * tf.train.adam places eps the same way (lr * m-hat / (sqrt(v-hat) + eps)) but defaults eps to
 * the backend's 1e-7, keeps beta^t as float32 running products and creates its slots lazily.
 * This one computes the bias corrections in float64 as torch does, and creates the moment slots
 * eagerly, so the tensor count does not change on the first step.
 */
import * as tf from '@tensorflow/tfjs'
import { adamUpdate, fusedKernelsAvailable, type AdamStep } from '../engine/fused-kernels'

/** The update of the header, from tf ops: [param, m, v] after one step. */
function composedUpdate(param: tf.Tensor, mPrev: tf.Tensor, vPrev: tf.Tensor, g: tf.Tensor, step: AdamStep): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const { b1, b2, stepSize, correction2, eps } = step
  const m = tf.add(tf.mul(mPrev, b1), tf.mul(g, 1 - b1))
  const v = tf.add(tf.mul(vPrev, b2), tf.mul(tf.square(g), 1 - b2))
  const denom = tf.add(tf.div(tf.sqrt(v), correction2), eps)
  return [tf.sub(param, tf.mul(tf.div(m, denom), stepSize)), m, v]
}

/** lr, (beta1, beta2) and eps as torch.optim.Adam takes them. */
export interface AdamOptions {
  lr: number
  betas: [number, number]
  eps: number
}

/** Serialised optimiser state: step count and both moments, keyed by variable name. */
export interface AdamState {
  step: number
  lr: number
  moments: Record<string, { m: Float32Array; v: Float32Array; shape: number[] }>
}

/** One optimiser over a fixed list of variables; `lr` may be changed between steps. */
export class Adam {
  /** Number of steps taken (PyTorch's `state['step']`). */
  step = 0
  lr: number
  private readonly slots: { variable: tf.Variable; m: tf.Variable; v: tf.Variable }[]

  constructor(variables: tf.Variable[], private readonly options: AdamOptions) {
    this.lr = options.lr
    // tidy frees the zero tensors; the slot variables keep their data (variables are not tracked).
    this.slots = tf.tidy(() => variables.map((variable) => ({
      variable,
      m: tf.variable(tf.zerosLike(variable), false),
      v: tf.variable(tf.zerosLike(variable), false)
    })))
  }

  /** Variables this optimiser updates. */
  get variables(): tf.Variable[] {
    return this.slots.map((s) => s.variable)
  }

  /**
   * One update from gradients keyed by variable name (as tf.variableGrads returns them).
   * A variable without a gradient is skipped, as PyTorch skips parameters whose grad is None.
   */
  apply(grads: Record<string, tf.Tensor>): void {
    this.step += 1
    const [b1, b2] = this.options.betas
    const stepSize = this.lr / (1 - b1 ** this.step)
    const correction2 = Math.sqrt(1 - b2 ** this.step)
    const step = { b1, b2, stepSize, correction2, eps: this.options.eps }
    // One kernel per variable where the backend has it (wasm with the native kernels).
    const update = fusedKernelsAvailable() ? adamUpdate : composedUpdate
    for (const slot of this.slots) {
      const g = grads[slot.variable.name]
      if (!g) continue
      tf.tidy(() => {
        const [p, m, v] = update(slot.variable, slot.m, slot.v, g, step)
        slot.m.assign(m)
        slot.v.assign(v)
        slot.variable.assign(p)
      })
    }
  }

  /** Copies the state out (for checkpoints); `nameOf` maps a variable to its checkpoint key. */
  serialise(nameOf: (v: tf.Variable) => string): AdamState {
    const moments: AdamState['moments'] = {}
    for (const s of this.slots) {
      moments[nameOf(s.variable)] = {
        m: s.m.dataSync() as Float32Array,
        v: s.v.dataSync() as Float32Array,
        shape: [...s.variable.shape]
      }
    }
    return { step: this.step, lr: this.lr, moments }
  }

  /** Restores state written by serialise(); throws on a missing or mis-shaped slot. */
  load(state: AdamState, nameOf: (v: tf.Variable) => string): void {
    for (const s of this.slots) {
      const key = nameOf(s.variable)
      const saved = state.moments[key]
      if (!saved || saved.m.length !== s.variable.size || saved.v.length !== s.variable.size) {
        throw new Error(`optimiser state for ${key} is missing or has the wrong size`)
      }
      tf.tidy(() => {
        s.m.assign(tf.tensor(saved.m, s.variable.shape))
        s.v.assign(tf.tensor(saved.v, s.variable.shape))
      })
    }
    this.step = state.step
    this.lr = state.lr
  }

  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose()
      s.v.dispose()
    }
  }
}
