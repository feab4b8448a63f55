/** Runs one function on the `cpu` and `wasm` backends and compares outputs and gradients. */
import * as tf from '@tensorflow/tfjs'
import { expect } from 'vitest'
import { relativeError } from './tensors'

export type Fn = (...xs: tf.Tensor[]) => tf.Tensor

/** Deterministic values in [-0.5, 0.5), so cpu and wasm see identical inputs. */
export function values(shape: number[], seed: number): Float32Array {
  let state = seed * 7919 + 13
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1))
  for (let i = 0; i < out.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648
    out[i] = state / 2147483648 - 0.5
  }
  return out
}

/** f's output and (unless `gradients` is false) the gradients of <f(x), w> for every input, on one backend. */
export async function outputAndGrads(backend: string, shapes: number[][], f: Fn, gradients = true): Promise<Float32Array[]> {
  await tf.setBackend(backend)
  return tf.tidy(() => {
    const xs = shapes.map((shape, i) => tf.tensor(values(shape, i + 1), shape))
    const y = f(...xs)
    const w = tf.tensor(values(y.shape, 99), y.shape)
    const grads = gradients ? tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), w)))(xs) : []
    return [y, ...grads].map((t) => t.dataSync() as Float32Array)
  })
}

/**
 * f's output and every input gradient on wasm equal cpu's to `tolerance` (relative to scale).
 * `gradients: false` compares the output only, for ops whose TF.js gradient itself is missing.
 */
export async function expectMatchesCpu(shapes: number[][], f: Fn, tolerance = 1e-5, gradients = true): Promise<void> {
  const expected = await outputAndGrads('cpu', shapes, f, gradients)
  const actual = await outputAndGrads('wasm', shapes, f, gradients)
  expected.forEach((ref, i) => expect(relativeError(actual[i], ref), `output ${i}`).toBeLessThanOrEqual(tolerance))
}
