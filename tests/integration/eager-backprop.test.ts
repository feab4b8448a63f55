/**
 * The engine's freeing backpropagation (src/main/training/engine/eager-backprop.ts): the same
 * gradients as TF.js's own algorithm on graphs with reuse, several outputs, custom gradients and
 * higher-order gradients, no leaked tensors, and a backward pass that releases memory as it goes.
 */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/training/engine/backend'
import { values } from '../helpers/backend-compare'
import { relativeError } from '../helpers/tensors'

beforeAll(async () => {
  await initBackend('cpu')
})

/** A graph with a tensor used three times, a split (several outputs), broadcasting and a custom gradient. */
function graph(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const scaled = tf.customGrad((...args) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc]
    save([x])
    return { value: tf.mul(x, 3), gradFunc: (dy: tf.Tensor) => [tf.mul(dy, 3)] }
  })
  const h = tf.tanh(tf.matMul(a, b))
  const [p, q] = tf.split(h, 2, 1)
  const r = tf.add(tf.mul(p, q), tf.sigmoid(p))
  const s = tf.add(scaled(r), tf.sum(h, 1, true))
  return tf.sum(tf.mul(s, tf.square(h.slice([0, 0], [-1, s.shape[1] as number])))) as tf.Scalar
}

describe('eager backpropagation', () => {
  it('gives the gradients of the textbook chain rule, checked against finite differences', () => {
    const a = tf.tensor2d(values([3, 4], 1), [3, 4])
    const b = tf.tensor2d(values([4, 6], 2), [4, 6])
    const [da, db] = tf.grads((x, y) => graph(x, y))([a, b])
    // Central differences in float64 arithmetic on float32 data are good to about 1e-3 here.
    const eps = 1e-2
    const numeric = (which: 0 | 1): Float32Array => {
      const base = (which === 0 ? a : b).dataSync().slice()
      const out = new Float32Array(base.length)
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number): number => tf.tidy(() => {
          const data = base.slice()
          data[i] += delta
          const t = tf.tensor(data, (which === 0 ? a : b).shape)
          return graph(which === 0 ? t : a, which === 0 ? b : t).dataSync()[0]
        })
        out[i] = (at(eps) - at(-eps)) / (2 * eps)
      }
      return out
    }
    expect(relativeError(da.dataSync() as Float32Array, numeric(0))).toBeLessThan(2e-3)
    expect(relativeError(db.dataSync() as Float32Array, numeric(1))).toBeLessThan(2e-3)
    tf.dispose([a, b, da, db])
  })

  it('leaves no tensors behind, with variables and with explicit inputs', () => {
    const before = tf.memory().numTensors
    const initial = [tf.tensor2d(values([3, 4], 3), [3, 4]), tf.tensor2d(values([4, 6], 4), [4, 6])]
    const [a, b] = initial.map((t) => tf.variable(t))
    const { value, grads } = tf.variableGrads(() => graph(a, b), [a, b])
    tf.dispose([value, ...Object.values(grads)])
    const [ga, gb] = tf.grads((x, y) => graph(x, y))([a, b])
    tf.dispose([ga, gb, a, b, ...initial])
    expect(tf.memory().numTensors).toBe(before)
  })

  it('still computes second derivatives (gradients of gradients keep their tape)', () => {
    const x = tf.tensor1d([0.3, -1.2, 2])
    // d²/dx² of x³ is 6x.
    const second = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.pow(u, 3)))(t)))(x)
    expect(Array.from(second.dataSync())).toEqual([0.3, -1.2, 2].map((v) => expect.closeTo(6 * v, 4)))
    tf.dispose([x, second])
  })

  it('frees activations and their gradients during the backward pass', () => {
    // A chain of 40 products of a 64k-element tensor: each saves its input. Measured from inside
    // the backward pass, at its start and at its end.
    const probe = (samples: number[]): ((x: tf.Tensor) => tf.Tensor) => tf.customGrad((...args) => {
      const [x] = args as [tf.Tensor]
      return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => { samples.push(tf.memory().numBytes); return [tf.clone(dy)] } }
    })
    const atEnd: number[] = []
    const atStart: number[] = []
    const x = tf.variable(tf.ones([65536]))
    const { value, grads } = tf.variableGrads(() => {
      let h = probe(atEnd)(x) // its gradient runs last
      for (let i = 0; i < 40; i++) h = tf.mul(h, tf.scalar(1.01))
      return tf.sum(probe(atStart)(h)) as tf.Scalar // its gradient runs first
    }, [x])
    tf.dispose([value, ...Object.values(grads), x])
    // 40 saved activations of 256 KB each were released before the last gradient ran.
    expect(atStart[0] - atEnd[0]).toBeGreaterThan(30 * 65536 * 4)
  })
})
