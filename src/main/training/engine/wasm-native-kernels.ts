/**
 * Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, BatchMatMul, nearest-neighbour resizing
 * (forward and gradient) and Tanh for the wasm backend, run by the native kernel library
 * (native-kernels.ts) on views of the wasm heap, so no tensor is copied in or out. Measured on
 * the 2-core reference machine: 8.8 GMAC/s for the convolutions of a CP-CSV `tiny` step through
 * XNNPACK in wasm (128-bit SIMD, no FMA), 17-28 GMAC/s natively (GEMM peaks at 33).
 * Inputs the native path does not cover (other dtypes, NCHW) and processes without the library
 * go to the wasm implementations: XNNPACK's own Conv2D, the project's XNNPACK-based gradients
 * (wasm-conv-kernels.ts) and BatchMatMul (wasm-matmul-kernel.ts).
 */
import { backend_util } from '@tensorflow/tfjs'
import type {
  Conv2DAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelConfig,
  TensorInfo
} from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { nativeKernels } from './native-kernels'
import { conv2DBackpropFilter as xnnBackpropFilter, conv2DBackpropInput as xnnBackpropInput } from './wasm-conv-kernels'
import { batchMatMul as xnnBatchMatMul } from './wasm-matmul-kernel'
import { nearestSourceTable } from './cpu-kernels'
import { resizeNearestNeighborGrad as jsResizeNearestNeighborGrad } from './wasm-elementwise-kernels'
import { callStockKernel, float32Heap, sizeOf, wasmKernel } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

type Shape4 = [number, number, number, number]

/** The geometry array `conv2d` takes, from TF.js's conv info. */
function geometry(info: backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    info.padInfo.top, info.padInfo.left
  ]
}

function allFloat(...infos: TensorInfo[]): boolean {
  return infos.every((t) => t.dtype === 'float32')
}

/** Runs `kind` into a new output of `shape`; views are taken after the allocation (it may grow the heap). */
function runConv(backend: BackendWasm, kind: 0 | 1 | 2, a: TensorInfo, b: TensorInfo, shape: number[], info: backend_util.Conv2DInfo): TensorInfo {
  const out = backend.makeOutput(shape, 'float32')
  if (sizeOf(shape) === 0) return out
  const heap = float32Heap(backend)
  nativeKernels()!.conv2d(kind, heap(a), heap(b), heap(out), geometry(info))
  return out
}

export function conv2D(args: WasmKernelArgs): TensorInfo {
  const { x, filter } = args.inputs
  const attrs = args.attrs as unknown as Conv2DAttrs
  if (nativeKernels() == null || attrs.dataFormat !== 'NHWC' || !allFloat(x, filter)) return callStockKernel('Conv2D', args)
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4, filter.shape as Shape4, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast'
  )
  return runConv(args.backend, 0, x, filter, info.outShape, info)
}

export function conv2DBackpropFilter(args: WasmKernelArgs): TensorInfo {
  const { x, dy } = args.inputs
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs
  if (nativeKernels() == null || attrs.dataFormat !== 'NHWC' || !allFloat(x, dy)) return xnnBackpropFilter(args)
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast'
  )
  return runConv(args.backend, 1, x, dy, [...attrs.filterShape], info)
}

export function conv2DBackpropInput(args: WasmKernelArgs): TensorInfo {
  const { dy, filter } = args.inputs
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs
  if (nativeKernels() == null || attrs.dataFormat !== 'NHWC' || !allFloat(dy, filter)) return xnnBackpropInput(args)
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast'
  )
  return runConv(args.backend, 2, dy, filter, [...attrs.inputShape], info)
}

/** BatchMatMul with TF.js's batch broadcasting restricted to what models use: equal batches or one of them 1. */
export function batchMatMul(args: WasmKernelArgs): TensorInfo {
  const { a, b } = args.inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const native = nativeKernels()
  if (native == null || !allFloat(a, b)) return xnnBatchMatMul(args)
  const ra = a.shape.length
  const rb = b.shape.length
  const batchA = a.shape.slice(0, -2)
  const batchB = b.shape.slice(0, -2)
  const [sa, sb] = [sizeOf(batchA), sizeOf(batchB)]
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
  const outBatch = backend_util.assertAndGetBroadcastShape(batchA, batchB)
  const batch = sizeOf(outBatch)
  if (k !== kb || (sa !== batch && sa !== 1) || (sb !== batch && sb !== 1)) return xnnBatchMatMul(args)
  const { backend } = args
  const out = backend.makeOutput([...outBatch, m, n], 'float32')
  if (batch * m * n === 0) return out
  const heap = float32Heap(backend)
  native.matmul(heap(a), heap(b), heap(out), [batch, m, n, k, +transposeA, +transposeB, +(sa === batch), +(sb === batch)])
  return out
}

/** Source row and column tables of a nearest-neighbour resize from `image` (NHWC) to (outH, outW). */
function resizeTables(args: WasmKernelArgs, image: number[], outH: number, outW: number): [Int32Array, Int32Array] {
  const alignCorners = args.attrs.alignCorners === true
  const halfPixelCenters = args.attrs.halfPixelCenters === true
  return [nearestSourceTable(image[1], outH, alignCorners, halfPixelCenters), nearestSourceTable(image[2], outW, alignCorners, halfPixelCenters)]
}

/** Nearest-neighbour upsampling (every generator up-block): one copy per pixel. */
export function resizeNearestNeighbor(args: WasmKernelArgs): TensorInfo {
  const { images } = args.inputs
  const native = nativeKernels()
  if (native == null || images.dtype !== 'float32') return callStockKernel('ResizeNearestNeighbor', args)
  const [outH, outW] = args.attrs.size as [number, number]
  const [n, , , c] = images.shape
  const out = args.backend.makeOutput([n, outH, outW, c], 'float32')
  const [rows, cols] = resizeTables(args, images.shape, outH, outW)
  const heap = float32Heap(args.backend)
  native.resizeNearest(0, heap(images), heap(out), [...images.shape, outH, outW], rows, cols)
  return out
}

/** Its gradient: each dy pixel added onto the pixel the forward pass read. */
export function resizeNearestNeighborGrad(args: WasmKernelArgs): TensorInfo {
  const { images, dy } = args.inputs
  const native = nativeKernels()
  if (native == null || dy.dtype !== 'float32') return jsResizeNearestNeighborGrad(args)
  const out = args.backend.makeOutput(images.shape, 'float32')
  const [rows, cols] = resizeTables(args, images.shape, dy.shape[1], dy.shape[2])
  const heap = float32Heap(args.backend)
  native.resizeNearest(1, heap(dy), heap(out), [...images.shape, dy.shape[1], dy.shape[2]], rows, cols)
  return out
}

/** tanh (generator outputs, GRU gates, Text2Gist's signal): the stock kernel calls libm per element. */
export function tanh(args: WasmKernelArgs): TensorInfo {
  const { x } = args.inputs
  const native = nativeKernels()
  if (native == null || x.dtype !== 'float32') return callStockKernel('Tanh', args)
  const out = args.backend.makeOutput(x.shape, 'float32')
  const heap = float32Heap(args.backend)
  native.tanh(heap(x), heap(out))
  return out
}

/** Kernel configs this module registers for the wasm backend. */
export const wasmNativeKernelConfigs: KernelConfig[] = [
  wasmKernel('Conv2D', conv2D),
  wasmKernel('Conv2DBackpropFilter', conv2DBackpropFilter),
  wasmKernel('Conv2DBackpropInput', conv2DBackpropInput),
  wasmKernel('BatchMatMul', batchMatMul),
  wasmKernel('ResizeNearestNeighbor', resizeNearestNeighbor),
  wasmKernel('ResizeNearestNeighborGrad', resizeNearestNeighborGrad),
  wasmKernel('Tanh', tanh)
]
