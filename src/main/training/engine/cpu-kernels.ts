/**
 * Kernel fixes for TF.js's pure-JS `cpu` backend, which is both the last-resort training backend
 * and the reference the wasm kernels are tested against.
 *
 * `ResizeNearestNeighborGrad` in tfjs-backend-cpu 4.22 addresses dy with the *input's* batch
 * stride, so for batch > 1 every image after the first gets a wrong gradient (the adjoint check
 * <resize(x), w> = <x, dx> fails). Nearest ×2 upsampling is in every up-block of CP-CSV's
 * generator, so the `cpu` backend would train it wrongly. The replacement scatters each dy pixel
 * to the source pixel the forward kernel read, with the forward kernel's exact index formula.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs'
import type { KernelConfig, ResizeNearestNeighborGradAttrs, TensorInfo } from '@tensorflow/tfjs'
import { registerCpuConvFilterKernel } from './cpu-conv-filter-kernel'

/** The parts of the cpu backend this module touches. */
interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } }
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo
}

/** Source index the forward nearest-neighbour resize reads for output index `i` on one axis. */
function nearestSource(
  i: number,
  ratio: number,
  inSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean
): number {
  const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i
  const nearest = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac))
  return halfPixelCenters ? Math.max(0, nearest) : nearest
}

function ratio(inSize: number, outSize: number, alignCorners: boolean): number {
  const effectiveIn = alignCorners && outSize > 1 ? inSize - 1 : inSize
  const effectiveOut = alignCorners && outSize > 1 ? outSize - 1 : outSize
  return effectiveIn / effectiveOut
}

/**
 * Gradient of nearest-neighbour resizing, NHWC: dx[b, src(r), src(c), d] += dy[b, r, c, d].
 * Exported for tests.
 */
export function resizeNearestGradValues(
  dy: Float32Array,
  dyShape: readonly number[],
  imageShape: readonly number[],
  alignCorners: boolean,
  halfPixelCenters: boolean
): Float32Array {
  const dx = new Float32Array(imageShape.reduce((a, b) => a * b, 1))
  resizeNearestGradInto(dx, dy, dyShape, imageShape, alignCorners, halfPixelCenters)
  return dx
}

/** For each output index on one axis, the input index the nearest-neighbour resize reads. */
export function nearestSourceTable(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const r = ratio(inSize, outSize, alignCorners)
  return Int32Array.from({ length: outSize }, (_, i) => nearestSource(i, r, inSize, alignCorners, halfPixelCenters))
}

/** As `resizeNearestGradValues`, into `dx` (overwritten); shared with the wasm kernel. */
export function resizeNearestGradInto(
  dx: Float32Array,
  dy: Float32Array,
  dyShape: readonly number[],
  imageShape: readonly number[],
  alignCorners: boolean,
  halfPixelCenters: boolean
): void {
  const [batch, inHeight, inWidth, depth] = imageShape
  const [, outHeight, outWidth] = dyShape
  dx.fill(0)
  const rowSource = nearestSourceTable(inHeight, outHeight, alignCorners, halfPixelCenters)
  const colSource = nearestSourceTable(inWidth, outWidth, alignCorners, halfPixelCenters)
  let dyIndex = 0
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outHeight; r++) {
      const rowBase = (b * inHeight + rowSource[r]) * inWidth
      for (let c = 0; c < outWidth; c++) {
        const base = (rowBase + colSource[c]) * depth
        for (let d = 0; d < depth; d++) dx[base + d] += dy[dyIndex++]
      }
    }
  }
}

function resizeNearestNeighborGrad(args: {
  inputs: Record<string, TensorInfo>
  backend: CpuBackendLike
  attrs: ResizeNearestNeighborGradAttrs & { halfPixelCenters?: boolean }
}): TensorInfo {
  const { images, dy } = args.inputs
  const values = resizeNearestGradValues(
    args.backend.data.get(dy.dataId).values,
    dy.shape,
    images.shape,
    args.attrs.alignCorners === true,
    args.attrs.halfPixelCenters === true
  )
  return args.backend.makeTensorInfo(images.shape, 'float32', values)
}

const cpuConfigs: readonly KernelConfig[] = [
  {
    kernelName: 'ResizeNearestNeighborGrad',
    backendName: 'cpu',
    kernelFunc: resizeNearestNeighborGrad as unknown as KernelConfig['kernelFunc']
  }
]

/** Registers the cpu kernel fixes; idempotent. */
export function registerCpuKernels(): void {
  registerCpuConvFilterKernel()
  for (const config of cpuConfigs) {
    const current = getKernel(config.kernelName, 'cpu')
    if (current?.kernelFunc === config.kernelFunc) continue
    if (current != null) unregisterKernel(config.kernelName, 'cpu')
    registerKernel(config)
  }
}
