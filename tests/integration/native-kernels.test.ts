/**
 * The native kernel library behind wasm's Conv2D, its gradients and BatchMatMul
 * (src/main/training/engine/native-kernels.ts): every path it picks (direct kernels for few
 * channels, im2col + GEMM with chunking and K blocking, pointwise, threaded row and column
 * splits, the portable non-AVX2 kernel) and the fused batch norm and Adam kernels against the
 * `cpu` backend or the composed tf ops, plus the fallback to XNNPACK when it is switched off.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/training/engine/backend'
import { type FusedActivation, fusedKernelsAvailable } from '../../src/main/training/engine/fused-kernels'
import { nativeKernels, nativeKernelsStatus, setNativeKernelsEnabled } from '../../src/main/training/engine/native-kernels'
import { Adam } from '../../src/main/training/model/adam'
import { BatchNorm } from '../../src/main/training/model/batch-norm'
import { GruCell } from '../../src/main/training/model/layers'
import { ParamStore } from '../../src/main/training/model/params'
import { SpectralNormKernel } from '../../src/main/training/model/spectral-norm'
import { dynamicFilter1d } from '../../src/main/training/model/text2gist'
import { TRAIN_CONTEXT } from '../../src/main/training/model/tracer'
import { expectMatchesCpu, values, type Fn } from '../helpers/backend-compare'
import { relativeError } from '../helpers/tensors'

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]]

const ROOT = path.resolve(__dirname, '../..')
const built = nativeKernels() != null

beforeAll(async () => {
  const result = await initBackend('wasm')
  expect(result.name).toBe('wasm')
  expect(result.reason).toContain(nativeKernelsStatus())
})

afterEach(() => setNativeKernelsEnabled(true))

describe('native kernel library', () => {
  it('is built by npm install on this machine (scripts/build-native.mjs)', () => {
    // A machine without a C++ compiler trains without it; this one has g++ (see README).
    expect(nativeKernelsStatus()).toMatch(/^native kernels \((avx2\+fma|generic), \d+ threads\)$/)
  })
})

describe.skipIf(!built)('native kernel arguments are checked', () => {
  it('rejects wrong counts, types and sizes with an error naming the call', () => {
    const native = nativeKernels()!
    const f = (n: number): Float32Array => new Float32Array(n)
    const geometry = [1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1]
    expect(() => native.conv2d(0, f(32), f(54), f(47), geometry)).toThrow('conv2d: operand sizes do not match the geometry')
    expect(() => native.conv2d(0, f(32), f(54), f(48), geometry.slice(1))).toThrow('conv2d: geometry must be an array of 15 integers')
    expect(() => (native.conv2d as (...a: unknown[]) => void)(0, f(32))).toThrow('conv2d expects (kind, a, b, out, geometry)')
    expect(() => native.matmul(new Int32Array(6) as unknown as Float32Array, f(6), f(4), [1, 2, 2, 3, 0, 0, 1, 1])).toThrow('matmul: operands must be Float32Arrays')
    expect(() => native.adam(f(3), f(3), f(3), f(2), f(3), f(3), f(3), [0.5, 0.5, 0.999, 0.001, 1e-3, 1, 1e-8])).toThrow('adam: operands differ in size')
    expect(() => native.resizeNearest(0, f(16), f(64), [1, 4, 4, 1, 8, 8], Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7), new Int32Array(8))).toThrow('resizeNearest: row table out of range')
  })
})

describe.skipIf(!built)('native conv2d and its gradients match cpu', () => {
  interface Case { x: number[]; k: number; co: number; stride: number | [number, number]; pad: Pad; dilation?: number }
  const explicit: Pad = [[0, 0], [2, 1], [1, 2], [0, 0]]
  const cases: Array<[string, Case]> = [
    ['few channels (direct), k3 same', { x: [2, 9, 7, 3], k: 3, co: 5, stride: 1, pad: 'same' }],
    ['few channels, k4 stride 2 pad 1 (PyTorch 4/2/1)', { x: [3, 16, 16, 3], k: 4, co: 8, stride: 2, pad: 1 }],
    ['few channels, stride 2 valid', { x: [1, 9, 9, 4], k: 3, co: 6, stride: 2, pad: 'valid' }],
    ['few channels, explicit asymmetric pads', { x: [2, 8, 9, 3], k: 3, co: 4, stride: 1, pad: explicit }],
    ['few channels, strides [1, 2]', { x: [2, 9, 10, 3], k: 3, co: 4, stride: [1, 2], pad: 'same' }],
    ['one channel in and out', { x: [2, 12, 12, 1], k: 3, co: 1, stride: 1, pad: 'same' }],
    ['planar: 37 wide (ragged 16-pixel blocks), 8 -> 3, valid', { x: [2, 13, 37, 8], k: 3, co: 3, stride: 1, pad: 'valid' }],
    ['planar: 5x5 kernel, 7 outputs (output groups 3 + 4)', { x: [2, 20, 21, 5], k: 5, co: 7, stride: 1, pad: 'same' }],
    ['channel blocks past 8 (12 -> 13)', { x: [2, 8, 8, 12], k: 3, co: 13, stride: 1, pad: 'same' }],
    ['many channels (im2col + GEMM), K past one block', { x: [2, 10, 10, 64], k: 3, co: 40, stride: 1, pad: 'same' }],
    ['many channels, stride 2', { x: [2, 12, 12, 24], k: 4, co: 32, stride: 2, pad: 1 }],
    ['rows over several im2col chunks', { x: [2, 40, 40, 3], k: 3, co: 20, stride: 1, pad: 'same' }],
    ['wide input, narrow output (17 -> 9)', { x: [2, 8, 8, 17], k: 3, co: 9, stride: 1, pad: 'same' }],
    ['many channels, explicit asymmetric pads (stride-1 dx as a flipped convolution)', { x: [2, 8, 9, 20], k: 3, co: 18, stride: 1, pad: explicit }],
    ['many channels, strides [1, 2] (dx by col2im)', { x: [2, 9, 10, 20], k: 3, co: 18, stride: [1, 2], pad: 'same' }],
    ['few inputs at stride 2 (dx by GEMM, filter by GEMM)', { x: [2, 16, 16, 3], k: 4, co: 16, stride: 2, pad: 1 }],
    ['stride 2 with 12 inputs (direct input gradient)', { x: [2, 16, 16, 12], k: 4, co: 16, stride: 2, pad: 1 }],
    ['4x4 stride 2 valid on odd sizes, few inputs (phases of unequal size)', { x: [2, 11, 13, 5], k: 4, co: 7, stride: 2, pad: 'valid' }],
    ['4x4 stride 2 on a map 33 wide (planar phases)', { x: [2, 6, 33, 9], k: 4, co: 12, stride: 2, pad: 1 }],
    ['6x6 stride 3 same (9 phases)', { x: [2, 12, 14, 5], k: 6, co: 9, stride: 3, pad: 'same' }],
    ['few rows and a large filter (filter gradient as one product)', { x: [2, 4, 4, 130], k: 3, co: 260, stride: 1, pad: 'same' }],
    ['pointwise 1x1', { x: [3, 6, 5, 20], k: 1, co: 24, stride: 1, pad: 'valid' }],
    ['4x4 valid over a 4x4 map (discriminator output)', { x: [3, 4, 4, 40], k: 4, co: 1, stride: 4, pad: 'valid' }]
  ]
  it.each(cases)('%s', async (_name, c) => {
    const f: Fn = (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation ?? 1)
    await expectMatchesCpu([c.x, [c.k, c.k, c.x[3], c.co]], f, 2e-5)
  })

  it('dilation 2 (forward only: TF.js has no gradient for dilated conv2d)', async () => {
    for (const [ci, co] of [[3, 5], [20, 24]]) {
      const f: Fn = (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2)
      await expectMatchesCpu([[2, 11, 11, ci], [3, 3, ci, co]], f, 2e-5, false)
    }
  })

  it('conv2dTranspose (its forward is Conv2DBackpropInput) matches', async () => {
    const f: Fn = (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 16, 16, 6], 2, 'same')
    await expectMatchesCpu([[2, 8, 8, 10], [4, 4, 6, 10]], f, 2e-5)
  })

  it('leaves no tensors and no backend data behind', async () => {
    await tf.setBackend('wasm')
    const backend = tf.findBackend('wasm') as BackendWasm
    const x = tf.tensor4d(values([2, 9, 9, 6], 1), [2, 9, 9, 6])
    const w = tf.tensor4d(values([3, 3, 6, 20], 2), [3, 3, 6, 20])
    const before = { tensors: tf.memory().numTensors, data: backend.numDataIds() }
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, w]))
    expect(tf.memory().numTensors).toBe(before.tensors)
    expect(backend.numDataIds()).toBe(before.data)
    tf.dispose([x, w])
  })
})

describe.skipIf(!built)('native matMul matches cpu', () => {
  const cases: Array<[string, number[][], boolean, boolean]> = [
    ['plain, small', [[4, 3], [3, 5]], false, false],
    ['transposed A', [[30, 40], [30, 50]], true, false],
    ['transposed B', [[40, 30], [50, 30]], false, true],
    ['both transposed', [[30, 40], [50, 30]], true, true],
    ['threads split rows', [[500, 200], [200, 3]], false, false],
    ['threads split columns', [[3, 200], [200, 500]], false, false],
    ['K past one block, edge tiles', [[37, 613], [613, 29]], false, false],
    ['batched', [[4, 7, 9], [4, 9, 5]], false, false],
    ['matrix times vector (n = 1)', [[300, 200], [200, 1]], false, false],
    ['transposed matrix times vector', [[200, 300], [200, 1]], true, false],
    ['row vector times matrix (m = 1)', [[1, 200], [200, 300]], false, false],
    ['row vector times transposed matrix (spectral norm)', [[1, 50], [70, 50]], false, true],
    ['two rows times a matrix (recurrent cell)', [[2, 300], [300, 70]], false, false],
    ['two rows times a transposed matrix', [[2, 300], [70, 300]], false, true],
    ['two transposed rows times a matrix', [[300, 2], [300, 70]], true, false],
    ['few rows: 10 frames through a dense layer (two slivers, ragged strip, K blocks)', [[10, 613], [613, 250]], false, false],
    ['few rows: 16 rows, a 4 KiB row stride', [[16, 130], [130, 1024]], false, false],
    ['few rows: 7 rows times a transposed matrix (dot tiles, ragged K and N)', [[7, 203], [37, 203]], false, true],
    ['few rows: 11 rows, both transposed', [[150, 11], [45, 150]], true, true],
    ['few rows: 20 rows times a transposed matrix (dot tiles up to 32 rows)', [[20, 300], [70, 300]], false, true]
  ]
  it.each(cases)('%s', async (_name, shapes, ta, tb) => {
    const f: Fn = (a, b) => tf.matMul(a, b, ta, tb)
    await expectMatchesCpu(shapes, f, 2e-5)
  })

  // Forward only: TF.js's BatchMatMul gradient does not sum over a broadcast batch.
  it.each([
    ['batch broadcast on A', [[1, 7, 9], [4, 9, 5]], false, false],
    ['batch broadcast on B, transposed', [[4, 9, 7], [5, 9]], true, true]
  ] as Array<[string, number[][], boolean, boolean]>)('%s', async (_name, shapes, ta, tb) => {
    await expectMatchesCpu(shapes, (a, b) => tf.matMul(a, b, ta, tb), 2e-5, false)
  })
})

describe.skipIf(!built)('native nearest-neighbour resize and its gradient match cpu', () => {
  it.each([
    ['x2 upsampling', [3, 5, 4, 6], [10, 8], false, false],
    ['align corners, 5x4 -> 7x9', [2, 5, 4, 3], [7, 9], true, false],
    ['half-pixel centres, downscale', [2, 9, 8, 4], [4, 3], false, true]
  ] as Array<[string, number[], [number, number], boolean, boolean]>)('%s', async (_name, shape, size, alignCorners, halfPixelCenters) => {
    const f: Fn = (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, alignCorners, halfPixelCenters)
    await expectMatchesCpu([shape], f, 1e-6)
  })
})

describe('with the native kernels switched off, XNNPACK takes over', () => {
  it('conv2d, its gradients and a transposed matMul still match cpu', async () => {
    setNativeKernelsEnabled(false)
    expect(nativeKernels()).toBeNull()
    await expectMatchesCpu([[2, 9, 9, 3], [4, 4, 3, 8]], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1))
    await expectMatchesCpu([[40, 30], [50, 30]], (a, b) => tf.matMul(a, b, false, true))
    await expectMatchesCpu([[2, 5, 4, 6]], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [10, 8]))
  })
})

describe.skipIf(!built)('portable kernel and one thread (CPCSV_NATIVE_GENERIC, CPCSV_NATIVE_THREADS)', () => {
  it('gives the AVX2, multi-threaded results', () => {
    const probe = path.join(ROOT, 'tests', 'helpers', 'native-probe.ts')
    const run = (env: Record<string, string>): { info: { threads: number; simd: string }; conv: number[]; dw: number[]; dx: number[]; mm: number[] } => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', probe], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 })
      expect(r.status, r.stderr).toBe(0)
      return JSON.parse(r.stdout.trim().split('\n').pop()!)
    }
    const fast = run({})
    const generic = run({ CPCSV_NATIVE_GENERIC: '1', CPCSV_NATIVE_THREADS: '1' })
    expect(generic.info).toEqual({ threads: 1, simd: 'generic' })
    expect(fast.info.threads).toBeGreaterThanOrEqual(1)
    for (const key of ['conv', 'dw', 'dx', 'mm'] as const) {
      expect(relativeError(Float32Array.from(generic[key]), Float32Array.from(fast[key])), key).toBeLessThan(1e-5)
    }
  })
})

describe.skipIf(!built)('fused training kernels (batch norm, Adam) equal the composed tf ops', () => {
  /** y, dx, dgamma, dbeta and the running statistics of one training-mode BatchNorm call. */
  async function batchNormRun(backend: string, fused: boolean, shape: number[], activation?: FusedActivation): Promise<Float32Array[]> {
    await tf.setBackend(backend)
    setNativeKernelsEnabled(fused)
    const channels = shape[shape.length - 1]
    const store = new ParamStore('G', { seed: 3 })
    const bn = new BatchNorm(store, 'bn', channels, { momentum: 0.1, eps: 1e-5 })
    tf.tidy(() => {
      bn.gamma.assign(tf.tensor1d(values([channels], 5)).add(1))
      bn.beta.assign(tf.tensor1d(values([channels], 6)))
    })
    // An offset mean and a spread of scales, where one-pass float sums would lose digits.
    const x0 = tf.tidy(() => tf.tensor(values(shape, 1), shape).mul(tf.linspace(0.5, 4, channels)).add(3))
    const x = tf.variable(x0)
    const w = tf.tensor(values(shape, 9), shape)
    let y: Float32Array = new Float32Array()
    const { value, grads } = tf.variableGrads(() => {
      const out = bn.apply(x, TRAIN_CONTEXT, activation)
      y = out.dataSync() as Float32Array
      return tf.sum(tf.mul(out, w)) as tf.Scalar
    }, [x, bn.gamma, bn.beta])
    const result = [y, grads[x.name], grads[bn.gamma.name], grads[bn.beta.name], bn.runningMean, bn.runningVar]
      .map((t) => (t instanceof tf.Tensor ? (t.dataSync() as Float32Array).slice() : t))
    tf.dispose([x0, x, w, value, ...Object.values(grads)])
    store.dispose()
    setNativeKernelsEnabled(true)
    return result
  }

  const relu: FusedActivation = { kind: 'relu' }
  const leaky: FusedActivation = { kind: 'leakyRelu', alpha: 0.2 }
  it.each([
    [[10, 9, 7, 6], undefined], [[4, 2, 5, 5, 3], undefined], [[6, 20], undefined], [[40, 64, 64, 4], undefined],
    [[10, 9, 7, 6], relu], [[6, 20], relu], [[10, 9, 7, 6], leaky], [[40, 16, 16, 8], leaky]
  ] as Array<[number[], FusedActivation | undefined]>)('batch norm over %j, activation %j, matches cpu', async (shape, activation) => {
    const reference = await batchNormRun('cpu', false, shape, activation)
    const fused = await batchNormRun('wasm', true, shape, activation)
    const names = ['y', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var']
    reference.forEach((ref, i) => expect(relativeError(fused[i], ref), names[i]).toBeLessThan(2e-6))
  }, 60_000)

  it('batch norm runs as two fused kernels on wasm and leaks nothing', async () => {
    await tf.setBackend('wasm')
    expect(fusedKernelsAvailable()).toBe(true)
    for (const fused of [false, true]) {
      const before = tf.memory().numTensors
      await batchNormRun('wasm', fused, [3, 4, 4, 5])
      expect(tf.memory().numTensors, fused ? 'fused' : 'composed').toBe(before)
    }
    setNativeKernelsEnabled(false)
    expect(fusedKernelsAvailable()).toBe(false)
  })

  it('the leaky-ReLU gradient is fused on wasm and matches cpu', async () => {
    await expectMatchesCpu([[3, 7, 5, 4]], (x) => tf.leakyRelu(x, 0.2), 1e-6)
    await tf.setBackend('wasm')
    expect(fusedKernelsAvailable()).toBe(true)
  })

  it('the tanh forward and gradient kernels match cpu across the saturating range', async () => {
    await expectMatchesCpu([[3, 7, 5, 4]], (x) => tf.tanh(tf.mul(x, 24)), 1e-6)
    await expectMatchesCpu([[2, 9]], (x) => tf.tanh(tf.mul(x, 1e-3)), 1e-6)
    await tf.setBackend('wasm')
    expect(fusedKernelsAvailable()).toBe(true)
  })

  it("spectral norm's power iteration and W / sigma with its gradient are fused and equal the composed ops", async () => {
    await tf.setBackend('wasm')
    const run = (fused: boolean): Float32Array[] => {
      setNativeKernelsEnabled(fused)
      expect(fusedKernelsAvailable()).toBe(fused)
      const store = new ParamStore('D_img', { seed: 11 })
      const sn = new SpectralNormKernel(store, 'sn', [4, 4, 9, 12])
      const kernels = [0, 1, 2].map(() => sn.kernel(TRAIN_CONTEXT))
      const w = tf.tensor(values(sn.shape, 4), sn.shape)
      // Two calls in one loss: the second sees u, v after one more iteration (as D's heads do).
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.add(sn.kernel(TRAIN_CONTEXT), tf.square(sn.kernel(TRAIN_CONTEXT))), w)) as tf.Scalar, [sn.weight])
      // The split form (a discriminator head's joint kernel): parts and the gradient through both.
      const parts = sn.kernelSplit(TRAIN_CONTEXT, 4)
      const split = tf.variableGrads(() => {
        const [a, b] = sn.kernelSplit(TRAIN_CONTEXT, 4)
        return tf.add(tf.sum(tf.mul(a, w.slice([0, 0, 0, 0], [-1, -1, 4, -1]))), tf.sum(tf.square(b))) as tf.Scalar
      }, [sn.weight])
      expect(parts.map((p) => p.shape)).toEqual([[4, 4, 4, 12], [4, 4, 5, 12]])
      const out = [sn.u, sn.v, ...kernels, grads[sn.weight.name], ...parts, split.grads[sn.weight.name]].map((t) => (t.dataSync() as Float32Array).slice())
      tf.dispose([...kernels, w, value, ...Object.values(grads), ...parts, split.value, ...Object.values(split.grads)])
      store.dispose()
      return out
    }
    const composed = run(false)
    const fused = run(true)
    composed.forEach((ref, i) => expect(relativeError(fused[i], ref), `array ${i}`).toBeLessThan(1e-6))
  })

  it("Text2Gist's per-sample filter and its gradients are one fused kernel each and equal the composed ops", async () => {
    await tf.setBackend('wasm')
    const dims = { length: 31, channels: 3, kernel: 7 }
    const run = (fused: boolean): Float32Array[] => {
      setNativeKernelsEnabled(fused)
      const before = tf.memory().numTensors
      const initial = [tf.tensor2d(values([5, 93], 1), [5, 93]), tf.tensor2d(values([5, 21], 2), [5, 21])]
      const [signal, filter] = initial.map((t) => tf.variable(t))
      const w = tf.tensor2d(values([5, 31], 3), [5, 31])
      let y = new Float32Array()
      const { value, grads } = tf.variableGrads(() => {
        const out = dynamicFilter1d(signal, filter, dims)
        y = (out.dataSync() as Float32Array).slice()
        return tf.sum(tf.mul(out, w)) as tf.Scalar
      }, [signal, filter])
      const result = [y, grads[signal.name], grads[filter.name]].map((t) => (t instanceof tf.Tensor ? (t.dataSync() as Float32Array).slice() : t))
      tf.dispose([...initial, signal, filter, w, value, ...Object.values(grads)])
      expect(tf.memory().numTensors).toBe(before)
      return result
    }
    const composed = run(false)
    const fused = run(true)
    expect(composed[0].length).toBe(5 * 31)
    composed.forEach((ref, i) => expect(relativeError(fused[i], ref), ['out', 'dSignal', 'dFilter'][i]).toBeLessThan(1e-6))
  })

  it('a GRU step is one fused kernel with its gradients and equals the composed ops', async () => {
    await tf.setBackend('wasm')
    const run = (fused: boolean): Float32Array[] => {
      setNativeKernelsEnabled(fused)
      expect(fusedKernelsAvailable()).toBe(fused)
      const before = tf.memory().numTensors
      const store = new ParamStore('G', { seed: 5 })
      const cell = new GruCell(store, 'gru', 7, 9)
      // Values in [-2, 2): the gates reach their saturating ranges.
      const initial = tf.tidy(() => [tf.tensor2d(values([3, 7], 1), [3, 7]).mul(4), tf.tensor2d(values([3, 9], 2), [3, 9]).mul(4)])
      const [x, h0] = initial.map((t) => tf.variable(t))
      const w = tf.tensor2d(values([3, 9], 3), [3, 9])
      // Two steps, so the state gradient flows through one step into the next.
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(cell.apply(x as tf.Tensor2D, cell.apply(x as tf.Tensor2D, h0 as tf.Tensor2D)), w)) as tf.Scalar,
        [x, h0, ...store.trainableVariables()])
      const out = [value, ...Object.values(grads)].map((t) => (t.dataSync() as Float32Array).slice())
      tf.dispose([value, ...Object.values(grads), x, h0, w, ...initial])
      store.dispose()
      expect(tf.memory().numTensors).toBe(before)
      return out
    }
    const composed = run(false)
    const fused = run(true)
    expect(fused).toHaveLength(7)
    composed.forEach((ref, i) => expect(relativeError(fused[i], ref), `array ${i}`).toBeLessThan(2e-6))
  })

  it('Adam takes the same three steps fused and composed', async () => {
    await tf.setBackend('wasm')
    const run = (fused: boolean): Float32Array[] => {
      setNativeKernelsEnabled(fused)
      const vars = [tf.variable(tf.tensor(values([37, 5], 1), [37, 5])), tf.variable(tf.tensor(values([70000], 2)))]
      const adam = new Adam(vars, { lr: 2e-4, betas: [0.5, 0.999], eps: 1e-8 })
      for (let step = 0; step < 3; step++) {
        const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(values(v.shape, 10 * step + i + 3), v.shape)]))
        adam.apply(grads)
        tf.dispose(Object.values(grads))
      }
      const state = adam.serialise((v) => v.name)
      const out = [...vars.map((v) => (v.dataSync() as Float32Array).slice()), ...Object.values(state.moments).flatMap((s) => [s.m, s.v])]
      adam.dispose()
      tf.dispose(vars)
      return out
    }
    const composed = run(false)
    const fused = run(true)
    composed.forEach((ref, i) => expect(relativeError(fused[i], ref), `array ${i}`).toBeLessThan(1e-6))
  })
})
