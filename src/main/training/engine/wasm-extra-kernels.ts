/**
 * Gradient kernels the wasm backend lacks or gets wrong, in plain JS over heap views.
 *
 * - `UnsortedSegmentSum` (the gradient of `gather`, e.g. an embedding lookup) is not registered
 *   in tfjs-backend-wasm 4.22.
 * - `MaxPoolGrad` is registered but returns wrong values for batch > 1 or several channels (its
 *   result fails the adjoint check <maxPool(x), w> = <x, dx>, and disagrees with `cpu`).
 * Neither is on the hot path of the CP-CSV networks, so simple loops are enough.
 */
import { backend_util } from '@tensorflow/tfjs'
import type { KernelConfig, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs'
import { WASM, sizeOf } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

/** out[s] = Σ x[i] over rows i with segmentIds[i] = s; ids outside [0, numSegments) are dropped. */
export function unsortedSegmentSum(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const { x, segmentIds } = inputs
  const numSegments = args.attrs.numSegments as number
  const rows = sizeOf(segmentIds.shape)
  const inner = rows === 0 ? 0 : sizeOf(x.shape) / rows
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)]
  const out = backend.makeOutput(outShape, x.dtype)
  const xs = backend.typedArrayFromHeap(x)
  const ids = backend.typedArrayFromHeap(segmentIds)
  const os = backend.typedArrayFromHeap(out)
  os.fill(0)
  for (let i = 0; i < rows; i++) {
    const s = ids[i]
    if (s < 0 || s >= numSegments) continue
    const src = i * inner
    const dst = s * inner
    for (let t = 0; t < inner; t++) os[dst + t] += xs[src + t]
  }
  return out
}

/** dx of maxPool: each dy goes to the first maximum of its window, as on the `cpu` backend. */
export function maxPoolGrad(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const { dy, input } = inputs
  const attrs = args.attrs as unknown as MaxPoolGradAttrs
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode
  )
  const out = backend.makeOutput(input.shape, 'float32')
  const xs = backend.typedArrayFromHeap(input) as Float32Array
  const dys = backend.typedArrayFromHeap(dy) as Float32Array
  const dx = backend.typedArrayFromHeap(out) as Float32Array
  dx.fill(0)
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info
  const { strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info
  const { top, left } = info.padInfo
  let dyIndex = 0
  for (let b = 0; b < batchSize; b++) {
    const batchBase = b * inHeight * inWidth * channels
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left
        for (let c = 0; c < channels; c++, dyIndex++) {
          let best = Number.NEGATIVE_INFINITY
          let bestIndex = -1
          for (let h = Math.max(0, h0); h < Math.min(inHeight, h0 + fh); h++) {
            for (let w = Math.max(0, w0); w < Math.min(inWidth, w0 + fw); w++) {
              const index = batchBase + (h * inWidth + w) * channels + c
              if (xs[index] > best) {
                best = xs[index]
                bestIndex = index
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex] += dys[dyIndex]
        }
      }
    }
  }
  return out
}

/** Kernel configs this module registers for the wasm backend. */
export const wasmExtraKernelConfigs: KernelConfig[] = [
  { kernelName: 'UnsortedSegmentSum', backendName: WASM, kernelFunc: unsortedSegmentSum as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'MaxPoolGrad', backendName: WASM, kernelFunc: maxPoolGrad as unknown as KernelConfig['kernelFunc'] }
]
