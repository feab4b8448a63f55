/**
 * Per-shape timings of the project's wasm kernels against the alternatives they replace: the
 * native kernel library against XNNPACK for the convolutions; im2col + matMul and the `cpu`
 * backend for Conv2DBackpropFilter; zero-insertion, the stock wasm kernel and `cpu` for
 * Conv2DBackpropInput; the stock wasm kernels for the element-wise and data-movement ones. Shapes are a CP-CSV `tiny` image path (10 frames of 64x64: generator
 * up-blocks, discriminator 4/2/1 convs).
 *
 * Run: `npx tsx bench/kernels.ts`. Timings on a shared 2-core machine are noisy: the load average
 * is printed before and after; compare columns of one run, not runs.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import { initBackend } from '../src/main/training/engine/backend'
import {
  conv2DBackpropFilter,
  conv2DBackpropInputSubPixel,
  conv2DBackpropInputZeroInsert
} from '../src/main/training/engine/wasm-conv-kernels'
import { registeredWasmKernels, stockWasmKernel } from '../src/main/training/engine/wasm-kernels'
import { nativeKernels, nativeKernelsStatus, setNativeKernelsEnabled } from '../src/main/training/engine/native-kernels'

/** One convolution of the benchmarked model: input NHWC, square kernel, output channels. */
interface ConvShape {
  label: string
  x: [number, number, number, number]
  k: number
  outChannels: number
  stride: number
}

const FRAMES = 10
const CONV_SHAPES: ConvShape[] = [
  { label: 'G up1 8x8 128->64', x: [FRAMES, 8, 8, 128], k: 3, outChannels: 64, stride: 1 },
  { label: 'G up2 16x16 64->32', x: [FRAMES, 16, 16, 64], k: 3, outChannels: 32, stride: 1 },
  { label: 'G up3 32x32 32->16', x: [FRAMES, 32, 32, 32], k: 3, outChannels: 16, stride: 1 },
  { label: 'G up4 64x64 16->8', x: [FRAMES, 64, 64, 16], k: 3, outChannels: 8, stride: 1 },
  { label: 'G out 64x64 8->3', x: [FRAMES, 64, 64, 8], k: 3, outChannels: 3, stride: 1 },
  { label: 'D 64x64 3->8 s2', x: [FRAMES, 64, 64, 3], k: 4, outChannels: 8, stride: 2 },
  { label: 'D 32x32 8->16 s2', x: [FRAMES, 32, 32, 8], k: 4, outChannels: 16, stride: 2 },
  { label: 'D 16x16 16->32 s2', x: [FRAMES, 16, 16, 16], k: 4, outChannels: 32, stride: 2 },
  { label: 'D 8x8 32->64 s2', x: [FRAMES, 8, 8, 32], k: 4, outChannels: 64, stride: 2 }
]

/** Options of `benchKernels`. */
export interface BenchKernelOptions {
  /** Timed runs per measurement (the median is reported). */
  repeats?: number
  /** Convolutions above this many multiply-adds are not run on the slow `cpu` backend. */
  cpuMaxMacs?: number
}

type Run = () => tf.TensorInfo | tf.TensorInfo[] | void

function backendWasm(): BackendWasm {
  return tf.findBackend('wasm') as BackendWasm
}

/** Frees what a kernel returned, at the backend level (kernels called directly are untracked). */
function release(result: tf.TensorInfo | tf.TensorInfo[] | void): void {
  if (result == null) return
  const backend = tf.backend()
  for (const info of Array.isArray(result) ? result : [result]) {
    if (info instanceof tf.Tensor) info.dispose()
    else backend.disposeData(info.dataId)
  }
}

/** Median milliseconds of `repeats` runs after two warm-up runs (JIT, XNNPACK setup). */
function median(run: Run, repeats: number, warmups = 2): number {
  for (let i = 0; i < warmups; i++) release(run())
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const start = performance.now()
    release(run())
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[times.length >> 1]
}

/** dW by im2col on wasm through tf ops: k² strided slices stacked, then one matMul. */
function im2colFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, shape: ConvShape): tf.Tensor {
  return tf.tidy(() => {
    const { k, stride: s } = shape
    const [n, , , cin] = x.shape
    const [, ho, wo, cout] = dy.shape
    const info = tf.backend_util.computeConv2DInfo(x.shape, [k, k, cin, cout], s, 1, 'same')
    const { top, bottom, left, right } = info.padInfo
    const xp = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
    const taps: tf.Tensor[] = []
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        taps.push(tf.stridedSlice(xp, [0, i, j, 0], [n, i + (ho - 1) * s + 1, j + (wo - 1) * s + 1, cin], [1, s, s, 1]))
      }
    }
    const patches = tf.reshape(tf.stack(taps, 3), [n * ho * wo, k * k * cin])
    return tf.reshape(tf.matMul(patches, tf.reshape(dy, [n * ho * wo, cout]), true, false), [k, k, cin, cout])
  })
}

function macs(shape: ConvShape): number {
  const [n, h, w, cin] = shape.x
  return n * Math.ceil(h / shape.stride) * Math.ceil(w / shape.stride) * shape.k * shape.k * cin * shape.outChannels
}

function fmt(ms: number | null): string {
  return (ms == null ? 'n/a' : ms.toFixed(2)).padStart(10)
}

function row(label: string, cells: Array<number | null>): string {
  return label.padEnd(22) + cells.map(fmt).join('')
}

function header(label: string, columns: string[]): string {
  return label.padEnd(22) + columns.map((c) => c.padStart(10)).join('')
}

/** Times Conv2DBackpropFilter / Conv2DBackpropInput on the cpu backend, or null when too big. */
async function cpuTimes(shape: ConvShape, maxMacs: number): Promise<[number | null, number | null]> {
  if (macs(shape) > maxMacs) return [null, null]
  await tf.setBackend('cpu')
  const x = tf.randomNormal(shape.x) as tf.Tensor4D
  const filterShape: [number, number, number, number] = [shape.k, shape.k, shape.x[3], shape.outChannels]
  const filter = tf.randomNormal(filterShape) as tf.Tensor4D
  const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, filter, shape.stride, 'same').shape))
  const attrs = { strides: shape.stride, pad: 'same', dataFormat: 'NHWC', filterShape, inputShape: shape.x }
  const filterGrad = median(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor, 1, 0)
  const inputGrad = median(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs) as tf.Tensor, 1, 0)
  tf.dispose([x, filter, dy])
  await tf.setBackend('wasm')
  return [filterGrad, inputGrad]
}

async function benchConvolutions(repeats: number, cpuMaxMacs: number): Promise<void> {
  const backend = backendWasm()
  const stockInput = stockWasmKernel('Conv2DBackpropInput')
  const sums = new Array<number>(12).fill(0)
  const cpuSeen = [true, true]
  const native = nativeKernels() != null
  console.log('\nConvolutions, ms (median); "nat" = native kernel library, "xnn" = XNNPACK in wasm (with the')
  console.log('project\'s gradient kernels), "cpu" only below', cpuMaxMacs.toExponential(0), 'MACs')
  console.log(header('shape', ['fwd nat', 'fwd xnn', 'dW nat', 'dW xnn', 'dW im2col', 'dW cpu', 'dx nat', 'dx xnn', 'dx zeroin', 'dx stock', 'dx cpu', 'MMACs']))
  for (const shape of CONV_SHAPES) {
    const x = tf.randomNormal(shape.x) as tf.Tensor4D
    const filter = tf.randomNormal([shape.k, shape.k, shape.x[3], shape.outChannels]) as tf.Tensor4D
    const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, filter, shape.stride, 'same').shape)) as tf.Tensor4D
    const attrs = { strides: shape.stride, pad: 'same', dataFormat: 'NHWC', inputShape: shape.x, filterShape: filter.shape } as unknown as tf.NamedAttrMap
    const direct = (fn: (args: never) => tf.TensorInfo | null, inputs: Record<string, tf.TensorInfo>): Run =>
      () => fn({ inputs, backend, attrs } as never) ?? undefined
    const viaEngine = (name: string, inputs: tf.NamedTensorMap): Run =>
      () => tf.engine().runKernel(name, inputs, attrs) as tf.Tensor
    const forwardRun = (): void => tf.tidy(() => { tf.conv2d(x, filter, shape.stride, 'same') })
    const fwdNative = native ? median(forwardRun, repeats) : null
    const dwNative = native ? median(viaEngine('Conv2DBackpropFilter', { x, dy }), repeats) : null
    const dxNative = native ? median(viaEngine('Conv2DBackpropInput', { dy, filter }), repeats) : null
    setNativeKernelsEnabled(false)
    const forward = median(forwardRun, repeats)
    const dwProject = median(direct(conv2DBackpropFilter, { x, dy }), repeats)
    const dwIm2col = median(() => im2colFilterGrad(x, dy, shape), repeats)
    const dxProject = median(direct(conv2DBackpropInputSubPixel, { dy, filter }), repeats)
    const dxZero = median(direct(conv2DBackpropInputZeroInsert, { dy, filter }), repeats)
    const dxStock = stockInput == null ? null : median(direct(stockInput.kernelFunc as never, { dy, filter }), repeats)
    setNativeKernelsEnabled(true)
    tf.dispose([x, filter, dy])
    const [dwCpu, dxCpu] = await cpuTimes(shape, cpuMaxMacs)
    const cells = [fwdNative, forward, dwNative, dwProject, dwIm2col, dwCpu, dxNative, dxProject, dxZero, dxStock, dxCpu]
    cells.forEach((ms, i) => { sums[i] += ms ?? 0 })
    if (dwCpu == null) cpuSeen[0] = false
    if (dxCpu == null) cpuSeen[1] = false
    console.log(row(shape.label, [...cells, macs(shape) / 1e6]))
  }
  const missing = (i: number): boolean => ((i === 0 || i === 2 || i === 6) && !native) || (i === 5 && !cpuSeen[0]) || (i === 10 && !cpuSeen[1])
  console.log(row('sum', sums.slice(0, 11).map((ms, i) => (missing(i) ? null : ms))))
}

async function benchElementwise(repeats: number): Promise<void> {
  const backend = backendWasm()
  const act = [FRAMES, 64, 64, 16]
  const x = tf.randomNormal(act)
  const y = tf.randomNormal(act)
  const zero = tf.scalar(0)
  const stat = tf.randomNormal([1, 1, 1, 16])
  const small = tf.randomNormal([FRAMES, 32, 32, 16])
  // Dense-layer backward products of CP-CSV tiny: dx = dy·Wᵀ and dW = xᵀ·dy.
  const dy = tf.randomNormal([FRAMES, 2048])
  const weight = tf.randomNormal([613, 2048])
  const input = tf.randomNormal([FRAMES, 613])
  const stories = tf.randomNormal([2, 5, 64, 64, 3])
  const gist = Array.from({ length: 21 }, () => tf.randomNormal([FRAMES, 3, 124, 1]))
  const cases: Array<[string, string, Record<string, tf.TensorInfo>, tf.NamedAttrMap]> = [
    ['MatMul (10x2048)(613x2048)T', 'BatchMatMul', { a: dy, b: weight }, { transposeA: false, transposeB: true }],
    ['MatMul (10x613)T(10x2048)', 'BatchMatMul', { a: input, b: dy }, { transposeA: true, transposeB: false }],
    ['Unpack 2x5x64x64x3 axis 1', 'Unpack', { value: stories }, { axis: 1 }],
    ['Concat 21 x 10x3x124x1 axis 3', 'Concat', gist as unknown as Record<string, tf.TensorInfo>, { axis: 3 }],
    ['LeakyRelu 10x64x64x16', 'LeakyRelu', { x }, { alpha: 0.2 }],
    ['Greater vs scalar', 'Greater', { a: x, b: zero }, {}],
    ['Greater same shape', 'Greater', { a: x, b: y }, {}],
    ['Tile BN statistic', 'Tile', { x: stat }, { reps: [FRAMES, 64, 64, 1] }],
    ['Slice half batch', 'Slice', { x }, { begin: [5, 0, 0, 0], size: [5, 64, 64, 16] }],
    ['ResizeNN grad x2', 'ResizeNearestNeighborGrad', { images: small, dy: x }, { alignCorners: false, halfPixelCenters: false }]
  ]
  console.log('\nElement-wise and data movement on wasm, ms (median)')
  console.log('kernel'.padEnd(30) + ['project', 'stock'].map((c) => c.padStart(10)).join(''))
  for (const [label, name, inputs, attrs] of cases) {
    const project = tf.getKernel(name, 'wasm')
    const stock = stockWasmKernel(name)
    const time = (config: tf.KernelConfig | undefined): number | null =>
      config == null ? null : median(() => config.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo | tf.TensorInfo[], repeats)
    console.log(label.padEnd(30) + [time(project), time(stock)].map(fmt).join(''))
  }
  tf.dispose([x, y, zero, stat, small, dy, weight, input, stories, ...gist])
}

/** Prints per-shape milliseconds for the project's wasm kernels and their alternatives. */
export async function benchKernels(options: BenchKernelOptions = {}): Promise<void> {
  const repeats = options.repeats ?? 7
  const cpuMaxMacs = options.cpuMaxMacs ?? 3e7
  const selected = await initBackend('wasm')
  console.log(`backend: ${selected.reason}`)
  console.log(`native: ${nativeKernelsStatus()}`)
  console.log(`project kernels: ${registeredWasmKernels().join(', ')}`)
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  await benchConvolutions(repeats, cpuMaxMacs)
  await benchElementwise(repeats)
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchKernels()
}
