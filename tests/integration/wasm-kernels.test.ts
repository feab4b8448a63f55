import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend, probeBackends } from '../../src/main/training/engine/backend'
import { resizeNearestGradValues } from '../../src/main/training/engine/cpu-kernels'
import {
  conv2DBackpropInputSubPixel,
  conv2DBackpropInputZeroInsert
} from '../../src/main/training/engine/wasm-conv-kernels'
import {
  WASM_KERNEL_REASONS,
  registerWasmKernels,
  registeredWasmKernels,
  unregisterWasmKernels
} from '../../src/main/training/engine/wasm-kernels'
import { UserError } from '../../src/shared/result'
import { expectMatchesCpu, values, type Fn } from '../helpers/backend-compare'
import { relativeError } from '../helpers/tensors'

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]]

function wasmBackend(): BackendWasm {
  return tf.findBackend('wasm') as BackendWasm
}

beforeAll(async () => {
  const result = await initBackend('wasm')
  expect(result.name).toBe('wasm')
})

describe('conv2d gradients on wasm match cpu', () => {
  const explicit: Pad = [[0, 0], [2, 1], [1, 2], [0, 0]]
  const pads: Pad[] = ['same', 'valid', 1, explicit]
  const cases: Array<{ batch: number; size: [number, number]; k: number; stride: number; pad: Pad }> = []
  for (const stride of [1, 2]) {
    for (const k of [3, 4]) {
      for (const pad of pads) {
        for (const size of [[8, 8], [9, 7]] as Array<[number, number]>) {
          for (const batch of [1, 3]) cases.push({ batch, size, k, stride, pad })
        }
      }
    }
  }

  it.each(cases)('batch $batch, $size, k$k, stride $stride, pad $pad', async ({ batch, size, k, stride, pad }) => {
    const f: Fn = (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad)
    await expectMatchesCpu([[batch, size[0], size[1], 3], [k, k, 3, 5]], f)
  })

  it.each([
    { strides: [1, 2] as [number, number], pad: 'same' as Pad },
    { strides: [2, 1] as [number, number], pad: 'valid' as Pad },
    { strides: [1, 3] as [number, number], pad: [[0, 0], [1, 0], [2, 1], [0, 0]] as Pad }
  ])('unequal strides $strides, pad $pad (zero-insertion path)', async ({ strides, pad }) => {
    const f: Fn = (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad)
    await expectMatchesCpu([[2, 9, 8, 3], [3, 4, 3, 5]], f)
  })

  it('zero-insertion and sub-pixel dx agree for equal strides', async () => {
    await tf.setBackend('wasm')
    const backend = wasmBackend()
    for (const [stride, pad, k] of [[2, 'same', 4], [2, 'valid', 3], [1, 'same', 3], [2, 1, 4], [3, 'same', 5]] as const) {
      const inputShape: [number, number, number, number] = [2, 11, 10, 3]
      const filter = tf.tensor4d(values([k, k, 3, 4], 3), [k, k, 3, 4])
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(inputShape) as tf.Tensor4D, filter, stride, pad).shape)
      const dy = tf.tensor(values(outShape, 4), outShape)
      const args = { inputs: { dy, filter }, backend, attrs: { strides: stride, pad, dataFormat: 'NHWC', inputShape } }
      const sub = conv2DBackpropInputSubPixel(args as never)
      const zero = conv2DBackpropInputZeroInsert(args as never)
      expect(sub?.shape).toEqual(inputShape)
      expect(zero.shape).toEqual(inputShape)
      const a = backend.readSync(sub!.dataId) as Float32Array
      const b = backend.readSync(zero.dataId) as Float32Array
      expect(relativeError(a, b), `stride ${stride} pad ${pad} k ${k}`).toBeLessThan(1e-5)
      backend.disposeData(sub!.dataId)
      backend.disposeData(zero.dataId)
      tf.dispose([filter, dy])
    }
  })

  it('matches at a CP-CSV-like shape (64x64, PyTorch 4/2/1)', async () => {
    const f: Fn = (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1)
    await expectMatchesCpu([[2, 64, 64, 3], [4, 4, 3, 8]], f)
  })

  it('conv2dTranspose (forward is Conv2DBackpropInput) and its gradients match', async () => {
    const f: Fn = (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 8, 8, 5], 2, 'same')
    await expectMatchesCpu([[2, 4, 4, 3], [4, 4, 5, 3]], f)
  })

  it('fused conv2d with bias and relu matches', async () => {
    const f: Fn = (x, w, b) =>
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: 2, pad: 'same', activation: 'relu' })
    await expectMatchesCpu([[2, 6, 6, 3], [3, 3, 3, 4], [4]], f)
  })

  it('leaks no tensors and no backend data', async () => {
    await tf.setBackend('wasm')
    const x = tf.tensor4d(values([2, 9, 9, 3], 1), [2, 9, 9, 3])
    const w = tf.tensor4d(values([4, 4, 3, 5], 2), [4, 4, 3, 5])
    const tensorsBefore = tf.memory().numTensors
    const dataBefore = wasmBackend().numDataIds()
    for (const pad of ['same', 'valid', 1] as const) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, pad)))([x, w])
      await Promise.all(grads.map((g) => g.data()))
      tf.dispose(grads)
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore)
    expect(wasmBackend().numDataIds()).toBe(dataBefore)
    tf.dispose([x, w])
  })
})

describe('other gradients a DCGAN/CP-CSV model needs on wasm', () => {
  const cases: Array<[string, number[][], Fn]> = [
    ['batch norm over moments', [[2, 4, 4, 3], [3], [3]], (x, g, b) => {
      const m = tf.moments(x, [0, 1, 2])
      return tf.batchNorm(x, m.mean, m.variance, b, g, 1e-5)
    }],
    ['leakyRelu, relu', [[2, 3, 3, 2]], (x) => tf.add(tf.leakyRelu(x, 0.2), tf.relu(x))],
    ['tanh, sigmoid, softplus', [[2, 5]], (x) => tf.tanh(x).add(tf.sigmoid(x)).add(tf.softplus(x))],
    ['exp, log', [[2, 5]], (x) => tf.exp(x).add(tf.log(x.abs().add(1)))],
    ['nearest x2 upsampling', [[2, 3, 3, 2]], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 6])],
    ['matMul, transposed', [[4, 3], [5, 4]], (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true)],
    ['tile', [[1, 1, 1, 3]], (a) => tf.tile(a, [2, 3, 2, 1])],
    ['pad, slice', [[2, 3, 3, 2]], (x) => tf.pad(x, [[0, 0], [1, 1], [1, 2], [0, 0]]).slice([0, 1, 0, 0], [2, 3, 4, 2])],
    ['concat, split', [[2, 3, 2], [2, 3, 4]], (a, b) => {
      const [p, q] = tf.split(tf.concat([a, b], 2), [3, 3], 2)
      return p.mul(q)
    }],
    ['mean, sum, max', [[2, 3, 4]], (x) => tf.mean(x, [0, 1]).add(tf.sum(x, 2).sum()).add(tf.max(x, 1).sum())],
    ['sigmoid cross-entropy', [[4, 1]], (l) => tf.losses.sigmoidCrossEntropy(tf.tensor2d([[1], [0], [1], [0]]), l)],
    ['GRU cell', [[2, 6], [2, 4], [6, 12], [4, 12], [12]], (x, h, wx, wh, b) => {
      const [xz, xr, xh] = tf.split(tf.matMul(x as tf.Tensor2D, wx as tf.Tensor2D).add(b), 3, 1)
      const [hz, hr, hh] = tf.split(tf.matMul(h as tf.Tensor2D, wh as tf.Tensor2D), 3, 1)
      const z = tf.sigmoid(xz.add(hz))
      const c = tf.tanh(xh.add(tf.sigmoid(xr.add(hr)).mul(hh)))
      return z.mul(h).add(tf.scalar(1).sub(z).mul(c))
    }],
    ['gather (UnsortedSegmentSum)', [[5, 3]], (x) => tf.gather(x, tf.tensor1d([0, 2, 2, 4], 'int32'))],
    ['maxPool, avgPool', [[2, 4, 4, 3]], (x) =>
      tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid').add(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'))],
    ['maxPool same, stride 1', [[2, 5, 5, 3]], (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same')]
  ]

  it.each(cases)('%s', async (_name, shapes, f) => {
    await expectMatchesCpu(shapes, f)
  })

  it('nearest-neighbour gradient is the adjoint of the forward resize (cpu fix)', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend)
      tf.tidy(() => {
        const x = tf.tensor4d(values([2, 3, 4, 3], 1), [2, 3, 4, 3])
        const y = tf.image.resizeNearestNeighbor(x, [5, 7])
        const w = tf.tensor(values(y.shape, 2), y.shape)
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [5, 7]), w)))(x)
        const lhs = tf.sum(tf.mul(y, w)).dataSync()[0]
        const rhs = tf.sum(tf.mul(x, g)).dataSync()[0]
        expect(Math.abs(lhs - rhs), backend).toBeLessThan(1e-5)
      })
    }
    const dx = resizeNearestGradValues(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2, 1], [2, 1, 1, 1], false, false)
    expect(Array.from(dx)).toEqual([10, 26])
  })
})

describe('a small conv GAN trains the same on wasm and cpu', () => {
  /** One D step and one G step with SGD; returns losses and all weights afterwards. */
  async function trainStep(backend: string): Promise<Float32Array[]> {
    await tf.setBackend(backend)
    const shapes: Record<string, number[]> = {
      fc: [8, 4 * 4 * 8], g1: [3, 3, 8, 4], g2: [3, 3, 4, 3], d1: [4, 4, 3, 4], d2: [4, 4, 4, 8], head: [4 * 4 * 8, 1]
    }
    const w = Object.fromEntries(Object.entries(shapes).map(([name, shape], i) =>
      [name, tf.variable(tf.tensor(values(shape, 20 + i).map((v) => v * 0.4), shape), true, `${name}-${backend}`)]))
    const bn = (x: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(x, [0, 1, 2])
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)))
    }
    const up = (x: tf.Tensor): tf.Tensor4D => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [x.shape[1]! * 2, x.shape[2]! * 2])
    const g = (z: tf.Tensor): tf.Tensor4D => {
      const h = tf.relu(bn(tf.conv2d(up(tf.reshape(tf.matMul(z as tf.Tensor2D, w.fc as tf.Tensor2D), [2, 4, 4, 8])), w.g1 as tf.Tensor4D, 1, 'same')))
      return tf.tanh(tf.conv2d(up(h), w.g2 as tf.Tensor4D, 1, 'same'))
    }
    const d = (x: tf.Tensor4D): tf.Tensor => {
      const h = tf.leakyRelu(tf.conv2d(x, w.d1 as tf.Tensor4D, 2, 'same'), 0.2) as tf.Tensor4D
      const h2 = tf.leakyRelu(bn(tf.conv2d(h, w.d2 as tf.Tensor4D, 2, 1)), 0.2)
      return tf.matMul(tf.reshape(h2, [2, -1]), w.head as tf.Tensor2D)
    }
    const z = tf.tensor2d(values([2, 8], 40), [2, 8])
    const real = tf.tensor4d(values([2, 16, 16, 3], 41), [2, 16, 16, 3])
    const ones = tf.ones([2, 1])
    const zeros = tf.zeros([2, 1])
    const sgd = tf.train.sgd(0.5)
    const dLoss = sgd.minimize(() => tf.add(
      tf.losses.sigmoidCrossEntropy(ones, d(real)), tf.losses.sigmoidCrossEntropy(zeros, d(g(z)))) as tf.Scalar,
    true, [w.d1, w.d2, w.head])
    const gLoss = sgd.minimize(() => tf.losses.sigmoidCrossEntropy(ones, d(g(z))) as tf.Scalar, true, [w.fc, w.g1, w.g2])
    const out = [dLoss!, gLoss!, ...Object.values(w)].map((t) => t.dataSync() as Float32Array)
    tf.dispose([dLoss!, gLoss!, z, real, ones, zeros, ...Object.values(w)])
    sgd.dispose()
    return out
  }

  it('losses and updated weights agree', async () => {
    const expected = await trainStep('cpu')
    const actual = await trainStep('wasm')
    expected.forEach((ref, i) => expect(relativeError(actual[i], ref), `tensor ${i}`).toBeLessThan(1e-5))
  })
})

describe('data-movement kernels on wasm match cpu', () => {
  async function onBoth(f: () => tf.Tensor): Promise<void> {
    await tf.setBackend('cpu')
    const expected = tf.tidy(() => f().arraySync())
    await tf.setBackend('wasm')
    const actual = tf.tidy(() => f().arraySync())
    expect(actual).toEqual(expected)
  }

  it('Identity (clone, and every tensor the tape saves) shares data and frees it only with the last user', async () => {
    await tf.setBackend('wasm')
    const backend = tf.backend() as BackendWasm
    const ids = backend.numDataIds()
    const a = tf.tensor([1, 2, 3, 4], [2, 2])
    const b = tf.clone(a)
    expect(backend.numDataIds()).toBe(ids + 1) // shared, not copied
    a.dispose()
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4])
    const c = tf.mul(b, 2)
    b.dispose()
    expect(Array.from(c.dataSync())).toEqual([2, 4, 6, 8])
    c.dispose()
    expect(backend.numDataIds()).toBe(ids)
    const ints = tf.clone(tf.tensor1d([5, 6], 'int32'))
    expect(ints.dtype).toBe('int32')
    expect(Array.from(ints.dataSync())).toEqual([5, 6])
    await onBoth(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.square(x), tf.exp(x))))(tf.tensor([0.5, -1, 2])))
  })

  it('Cast shares data for a same-dtype cast and converts otherwise', async () => {
    await tf.setBackend('wasm')
    const backend = tf.backend() as BackendWasm
    const ids = backend.numDataIds()
    const a = tf.tensor([1.5, -2, 0, 3])
    const same = tf.cast(a, 'float32')
    expect(backend.numDataIds()).toBe(ids + 1) // shared, not copied
    a.dispose()
    expect(Array.from(same.dataSync())).toEqual([1.5, -2, 0, 3])
    same.dispose()
    expect(backend.numDataIds()).toBe(ids)
    await onBoth(() => tf.cast(tf.tensor([1.7, -2.2, 0, 3]), 'int32'))
    await onBoth(() => tf.cast(tf.tensor([1.7, 0, -3, -0.25]), 'bool'))
    await onBoth(() => tf.cast(tf.tensor1d([0, -7, 2], 'int32'), 'bool'))
    await onBoth(() => tf.cast(tf.tensor1d([1, 0, 5], 'int32'), 'float32'))
  })

  it('Tile for several ranks, dtypes and block sizes', async () => {
    await onBoth(() => tf.tile(tf.tensor1d([1, 2, 3]), [4]))
    await onBoth(() => tf.tile(tf.tensor2d(values([5, 1], 3), [5, 1]), [2, 40]))
    await onBoth(() => tf.tile(tf.tensor3d(values([2, 3, 20], 4), [2, 3, 20]), [3, 1, 2]))
    await onBoth(() => tf.tile(tf.tensor4d(values([1, 1, 1, 7], 5), [1, 1, 1, 7]), [3, 5, 4, 1]))
    await onBoth(() => tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [3, 2]))
    await onBoth(() => tf.tile(tf.tensor2d([true, false], [1, 2], 'bool'), [2, 3]).cast('int32'))
  })

  it('Slice for several ranks, dtypes and run lengths', async () => {
    const x = (): tf.Tensor => tf.tensor(values([3, 5, 6, 20], 6), [3, 5, 6, 20])
    await onBoth(() => tf.slice(x(), [1, 0, 0, 0], [2, 5, 6, 20]))
    await onBoth(() => tf.slice(x(), [0, 1, 2, 3], [3, 3, 2, 5]))
    await onBoth(() => tf.slice(x(), [0, 2, 0, 0], [-1, 2, -1, -1]))
    await onBoth(() => tf.slice(tf.tensor1d([1, 2, 3, 4, 5], 'int32'), [1], [3]))
    await onBoth(() => tf.slice(tf.tensor(values([2, 3, 4, 5, 6], 7), [2, 3, 4, 5, 6]), [1, 1, 1, 1, 1], [1, 2, 2, 3, 4]))
    await onBoth(() => tf.slice(tf.tensor2d([true, false, true, true], [2, 2], 'bool'), [1, 0], [1, 2]).cast('int32'))
  })

  it('Unpack and SplitV along every axis', async () => {
    const x = (): tf.Tensor => tf.tensor(values([3, 4, 5, 2], 10), [3, 4, 5, 2])
    for (const axis of [0, 1, 2, 3, -1]) {
      await onBoth(() => tf.stack(tf.unstack(x(), axis).map((t, i) => t.mul(i + 1)), axis))
    }
    await onBoth(() => tf.concat(tf.split(x(), [1, 3, 1], 2).map((t, i) => t.add(i)), 2))
    await onBoth(() => tf.concat(tf.split(x(), 2, -1).reverse(), -1))
    await onBoth(() => tf.stack(tf.unstack(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 1)))
  })

  it('Concat and Pack along every axis, with empty and single inputs', async () => {
    const part = (seed: number, shape: number[]): tf.Tensor => tf.tensor(values(shape, seed), shape)
    for (const axis of [0, 1, 2, -1]) {
      const shape = [2, 3, 4]
      const wide = shape.slice()
      wide[(axis + 3) % 3] = 20
      await onBoth(() => tf.concat([part(1, shape), part(2, wide), part(3, shape)], axis))
      await onBoth(() => tf.stack([part(4, shape), part(5, shape), part(6, shape)], axis))
    }
    await onBoth(() => tf.stack(Array.from({ length: 21 }, (_, i) => part(i, [10, 3, 4])), 3))
    await onBoth(() => tf.concat([part(1, [2, 3]), tf.zeros([2, 0]), part(2, [2, 1])], 1))
    await onBoth(() => tf.concat([part(1, [2, 3])], 0))
    await onBoth(() => tf.stack([part(1, [2, 3])], 1))
    await onBoth(() => tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')]))
    await onBoth(() => tf.concat([tf.tensor1d([true], 'bool'), tf.tensor1d([false, true], 'bool')]).cast('int32'))
  })
})

describe('element-wise kernels on wasm match cpu', () => {
  async function onBoth(f: () => tf.Tensor): Promise<void> {
    await tf.setBackend('cpu')
    const expected = tf.tidy(() => f().arraySync())
    await tf.setBackend('wasm')
    const actual = tf.tidy(() => f().arraySync())
    expect(actual).toEqual(expected)
  }
  const special = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 2, -2, 0.25, 3]

  it('comparisons: same shape, scalar either side, broadcast fallback, int32, specials', async () => {
    const a = (): tf.Tensor => tf.tensor2d(special, [3, 4])
    const b = (): tf.Tensor => tf.tensor2d([...special].reverse(), [3, 4])
    const ops = [tf.greater, tf.greaterEqual, tf.less, tf.lessEqual, tf.equal, tf.notEqual]
    for (const op of ops) {
      await onBoth(() => op(a(), b()).cast('int32'))
      await onBoth(() => op(a(), tf.scalar(0.5)).cast('int32'))
      await onBoth(() => op(tf.scalar(0), a()).cast('int32'))
      await onBoth(() => op(a(), tf.tensor1d([0, 1, -1, 2])).cast('int32'))
      await onBoth(() => op(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([3, 2, 1], 'int32')).cast('int32'))
    }
  })

  it('LeakyRelu (through Prelu) and Select, including NaN and infinities', async () => {
    // alpha is applied as float32 on wasm, so allow a last-bit difference.
    await expectMatchesCpu([[2, 5, 5, 3]], (x) => tf.leakyRelu(x, 0.01), 1e-6)
    await expectMatchesCpu([[7]], (x) => tf.leakyRelu(x, 0.2), 1e-6)
    // The sign of a zero result may differ (XNNPACK), which no consumer can observe.
    await onBoth(() => tf.leakyRelu(tf.tensor1d(special), 0.5).add(0))
    await onBoth(() => tf.leakyRelu(tf.scalar(-3), 0.5))
    const cond = (): tf.Tensor => tf.tensor2d([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], [3, 4], 'bool')
    await onBoth(() => tf.where(cond(), tf.tensor2d(special, [3, 4]), tf.tensor2d([...special].reverse(), [3, 4])))
    await onBoth(() => tf.where(cond(), tf.tensor2d(special, [3, 4], 'int32'), tf.zeros([3, 4], 'int32')))
    await onBoth(() => tf.where(tf.tensor2d([true, false, true], [3, 1], 'bool'), tf.ones([3, 2]), tf.zeros([3, 2])))
  })
})

describe('matrix products on wasm match cpu', () => {
  const shapes: Array<[number, number, number]> = [[10, 64, 48], [2, 30, 70], [40, 2, 50], [1, 300, 8], [300, 1, 8], [6, 5, 1]]
  const cases = shapes.flatMap(([m, k, n]) =>
    [[false, false], [false, true], [true, false], [true, true]].map(([ta, tb]) => ({ m, k, n, ta, tb })))

  it.each(cases)('($m x $k)·($k x $n), transposeA $ta, transposeB $tb', async ({ m, k, n, ta, tb }) => {
    const f: Fn = (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb)
    await expectMatchesCpu([ta ? [k, m] : [m, k], tb ? [n, k] : [k, n]], f)
  })

  it('batched and rank-3 products (stock path) still match', async () => {
    await expectMatchesCpu([[3, 4, 5], [3, 6, 5]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true))
    await expectMatchesCpu([[1, 7, 5], [1, 7, 6]], (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false))
  })
})

describe('reductions on wasm match cpu', () => {
  it('Sum and Mean over several axis sets, with keepDims', async () => {
    const shape = [3, 5, 6, 7]
    const x = (): tf.Tensor => tf.tensor(values(shape, 9), shape)
    const axesList: Array<number | number[]> = [[0, 1, 2], [0], [0, 1], [0, 1, 2, 3], [1, 2], 3, [2, 0, 1], -4]
    for (const axes of axesList) {
      for (const keepDims of [false, true]) {
        for (const op of [tf.sum, tf.mean]) {
          await tf.setBackend('cpu')
          const expected = tf.tidy(() => op(x(), axes, keepDims))
          await tf.setBackend('wasm')
          const actual = tf.tidy(() => op(x(), axes, keepDims))
          expect(actual.shape, `axes ${String(axes)} keepDims ${keepDims}`).toEqual(expected.shape)
          expect(relativeError(actual.dataSync() as Float32Array, expected.dataSync() as Float32Array)).toBeLessThan(1e-5)
          tf.dispose([expected, actual])
        }
      }
    }
    await tf.setBackend('wasm')
    expect(tf.tidy(() => tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).arraySync())).toEqual([4, 6])
  })
})

describe('kernel registration', () => {
  it('registers every project kernel once and is idempotent', () => {
    registerWasmKernels()
    const first = Object.keys(WASM_KERNEL_REASONS).map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)
    registerWasmKernels()
    const second = Object.keys(WASM_KERNEL_REASONS).map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)
    expect(second).toEqual(first)
    expect(registeredWasmKernels().sort()).toEqual(Object.keys(WASM_KERNEL_REASONS).sort())
  })

  it('unregister restores the stock kernels and registering again replaces them', () => {
    unregisterWasmKernels()
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined()
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeDefined()
    expect(registeredWasmKernels()).toEqual([])
    registerWasmKernels()
    expect(registeredWasmKernels().length).toBe(Object.keys(WASM_KERNEL_REASONS).length)
  })
})

describe('backend selection', () => {
  it('auto picks the best available backend and explains the skipped ones', async () => {
    const probe = await probeBackends()
    const native = probe.find((info) => info.name === 'tensorflow')
    const result = await initBackend('auto')
    if (native?.available === true) {
      expect(result.name).toBe('tensorflow')
      return
    }
    // Here libtensorflow cannot be installed, so auto must land on wasm and say why.
    expect(result.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(result.reason).toMatch(/tensorflow skipped: .*@tensorflow\/tfjs-node/)
    const tensorflow = result.available.find((info) => info.name === 'tensorflow')
    expect(tensorflow?.available).toBe(false)
    expect(tensorflow?.reason).toMatch(/not installed|failed to load/)
    expect(result.available.find((info) => info.name === 'wasm')).toMatchObject({ available: true, active: true })
    expect(result.available.find((info) => info.name === 'cpu')?.available).toBe(true)
  })

  it('honours an explicit cpu request and switches back to wasm', async () => {
    const cpu = await initBackend('cpu')
    expect(cpu.name).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect(cpu.available.find((info) => info.name === 'cpu')?.active).toBe(true)
    const wasm = await initBackend('wasm')
    expect(wasm.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
  })

  it('rejects an unavailable or unknown backend with a UserError', async () => {
    const native = (await probeBackends()).find((info) => info.name === 'tensorflow')
    if (native?.available !== true) {
      await expect(initBackend('tensorflow')).rejects.toThrow(/Backend 'tensorflow' is not available: .*tfjs-node/)
      await expect(initBackend('tensorflow')).rejects.toBeInstanceOf(UserError)
    }
    await expect(initBackend('gpu' as never)).rejects.toBeInstanceOf(UserError)
    expect(tf.getBackend()).toBe('wasm')
  })
})
