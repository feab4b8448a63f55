/**
 * `BatchMatMul` with a transposed operand, for the wasm backend.
 *
 * Every dense layer's backward pass multiplies by a transposed matrix: dx = dy·Wᵀ and
 * dW = xᵀ·dy. wasm's own kernel sends any transposed product to a naive loop (about 2.5 ns per
 * multiply-add plus 20 ns per output here), which made `BatchMatMul` 30% of a CP-CSV `tiny`
 * step: (10x2048)·(613x2048)ᵀ took 21-45 ms. Here the product runs as one XNNPACK 1x1
 * convolution, "stream · filter" with stream (rows, K) and filter (K, cols), and of the two ways
 * to lay the operands out (C = A·B, or Cᵀ = Bᵀ·Aᵀ with the big matrix streamed untouched) the
 * cheaper one is picked, or the stock kernel when that is cheaper still (small products). The
 * same (10x2048)·(613x2048)ᵀ takes 3 ms. Plain products (no transpose) stay on the stock kernel:
 * it packs the weight matrix once and reuses it for every call with the same tensor.
 */
import { backend_util } from '@tensorflow/tfjs'
import type { TensorInfo } from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { Temporaries, callStockKernel as stock, callWasmKernel, sizeOf } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

// Rough costs in ns, measured on the 2-core reference machine (only their ratios matter).
const NS_TRANSPOSE = 8
const NS_PACK = 16
const NS_GEMM_MAC = 0.2
const NS_STOCK_MAC = 2.5
const NS_STOCK_OUTPUT = 20

function transpose2d(backend: BackendWasm, temps: Temporaries, x: TensorInfo): TensorInfo {
  return temps.keep(callWasmKernel('Transpose', backend, { x }, { perm: [1, 0] }))
}

/** stream (rows, k) · filter (k, cols) as a 1x1 convolution; returns (rows, cols). */
function gemm(backend: BackendWasm, temps: Temporaries, stream: TensorInfo, filter: TensorInfo): TensorInfo {
  const [rows, k] = stream.shape
  const cols = filter.shape[1]
  const x = temps.keep(callWasmKernel('Reshape', backend, { x: stream }, { shape: [1, 1, rows, k] }))
  const f = temps.keep(callWasmKernel('Reshape', backend, { x: filter }, { shape: [1, 1, k, cols] }))
  const out = temps.keep(callWasmKernel('Conv2D', backend, { x, filter: f }, {
    strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined as unknown as string
  }))
  return temps.keep(callWasmKernel('Reshape', backend, { x: out }, { shape: [rows, cols] }))
}

/** The replacement `BatchMatMul`; see the module comment for when it defers to the stock one. */
export function batchMatMul(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const { a, b } = inputs
  const transposeA = args.attrs.transposeA === true
  const transposeB = args.attrs.transposeB === true
  const single = sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1
  if ((!transposeA && !transposeB) || !single || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return stock('BatchMatMul', args)
  }
  const ra = a.shape.length
  const rb = b.shape.length
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
  if (m * n * k === 0 || k !== (transposeB ? b.shape[rb - 1] : b.shape[rb - 2])) return stock('BatchMatMul', args)
  const gemmCost = m * n * k * NS_GEMM_MAC
  const stockCost = m * n * k * NS_STOCK_MAC + m * n * NS_STOCK_OUTPUT
  // direct: stream A (m, k), filter B (k, n). swapped: stream Bᵀ (n, k), filter Aᵀ (k, m), then
  // transpose the (n, m) result. A transpose is needed wherever the given layout differs.
  const directCost = (transposeA ? m * k * NS_TRANSPOSE : 0) + (transposeB ? n * k * NS_TRANSPOSE : 0) + n * k * NS_PACK
  const swappedCost = (transposeB ? 0 : n * k * NS_TRANSPOSE) + (transposeA ? 0 : m * k * NS_TRANSPOSE) +
    m * k * NS_PACK + m * n * NS_TRANSPOSE
  if (stockCost <= Math.min(directCost, swappedCost) + gemmCost) return stock('BatchMatMul', args)
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)).concat([m, n])
  const temps = new Temporaries(backend)
  try {
    const a2 = temps.keep(callWasmKernel('Reshape', backend, { x: a }, { shape: transposeA ? [k, m] : [m, k] }))
    const b2 = temps.keep(callWasmKernel('Reshape', backend, { x: b }, { shape: transposeB ? [n, k] : [k, n] }))
    let product: TensorInfo
    if (directCost <= swappedCost) {
      const stream = transposeA ? transpose2d(backend, temps, a2) : a2
      const filter = transposeB ? transpose2d(backend, temps, b2) : b2
      product = gemm(backend, temps, stream, filter)
    } else {
      const stream = transposeB ? b2 : transpose2d(backend, temps, b2)
      const filter = transposeA ? a2 : transpose2d(backend, temps, a2)
      product = transpose2d(backend, temps, gemm(backend, temps, stream, filter))
    }
    return callWasmKernel('Reshape', backend, { x: product }, { shape: outShape })
  } finally {
    temps.dispose()
  }
}
