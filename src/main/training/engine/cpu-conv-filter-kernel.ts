/**
 * A faster `Conv2DBackpropFilter` for TF.js's pure-JS `cpu` backend: the reference check
 * (check-reference.ts) runs a whole CP-CSV step on `cpu`, and `cpu` is the fallback backend.
 *
 * The stock kernel (tfjs-backend-cpu 4.22) reads every element through `TensorBuffer.get`,
 * which makes a conv layer's filter gradient ~50x slower than its forward pass (one 64x64
 * layer: ~20 s). This one walks the typed arrays directly. It keeps the stock kernel's
 * arithmetic exactly: each filter element is a float64 sum over (batch, out row, out col) in
 * the same order, rounded to float32 once, so results are bit-identical to the stock kernel.
 * NHWC only; other layouts fall back to the stock kernel.
 * Registered with the other cpu fixes by registerCpuKernels (cpu-kernels.ts).
 */
import { backend_util, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs'
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } }
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo
}

interface FilterArgs {
  inputs: { x: TensorInfo; dy: TensorInfo }
  backend: CpuBackendLike
  attrs: {
    strides: [number, number] | number
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding
    dataFormat: 'NHWC' | 'NCHW'
    dimRoundingMode?: 'floor' | 'round' | 'ceil'
    filterShape: [number, number, number, number]
  }
}

let stock: KernelConfig | undefined

/** Sums x * dy for one filter tap (wR, wC) over the batch and the valid output window. */
function accumulateTap(
  acc: Float64Array, xv: Float32Array, dyv: Float32Array, info: backend_util.Conv2DInfo, wR: number, wC: number
): void {
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co, outHeight, outWidth } = info
  const { strideHeight: sh, strideWidth: sw } = info
  const top = info.padInfo.top
  const left = info.padInfo.left
  const yRMin = Math.max(0, Math.ceil((top - wR) / sh))
  const yRMax = Math.min(outHeight, (inHeight + top - wR) / sh)
  const yCMin = Math.max(0, Math.ceil((left - wC) / sw))
  const yCMax = Math.min(outWidth, (inWidth + left - wC) / sw)
  for (let b = 0; b < batchSize; b++) {
    for (let yR = yRMin; yR < yRMax; yR++) {
      const xR = wR + yR * sh - top
      for (let yC = yCMin; yC < yCMax; yC++) {
        const xC = wC + yC * sw - left
        const xBase = ((b * inHeight + xR) * inWidth + xC) * ci
        const dyBase = ((b * outHeight + yR) * outWidth + yC) * co
        for (let d1 = 0; d1 < ci; d1++) {
          const x = xv[xBase + d1]
          const aBase = d1 * co
          for (let d2 = 0; d2 < co; d2++) acc[aBase + d2] += x * dyv[dyBase + d2]
        }
      }
    }
  }
}

function conv2DBackpropFilter(args: FilterArgs): TensorInfo {
  const { inputs, backend, attrs } = args
  if (attrs.dataFormat === 'NCHW' && stock) return (stock.kernelFunc as KernelFunc)(args as never) as TensorInfo
  const { x, dy } = inputs
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast'
  )
  const xv = backend.data.get(x.dataId).values
  const dyv = backend.data.get(dy.dataId).values
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info
  const dw = new Float32Array(kh * kw * ci * co)
  const acc = new Float64Array(ci * co)
  for (let wR = 0; wR < kh; wR++) {
    for (let wC = 0; wC < kw; wC++) {
      acc.fill(0)
      accumulateTap(acc, xv, dyv, info, wR, wC)
      dw.set(acc, (wR * kw + wC) * ci * co)
    }
  }
  return backend.makeTensorInfo(info.filterShape as number[], 'float32', dw)
}

const config: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'cpu',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc
}

/** Registers the fast filter gradient on `cpu` (idempotent). */
export function registerCpuConvFilterKernel(): void {
  const current = getKernel(config.kernelName, 'cpu')
  if (current?.kernelFunc === config.kernelFunc) return
  if (current) {
    stock = current
    unregisterKernel(config.kernelName, 'cpu')
  }
  registerKernel(config)
}
