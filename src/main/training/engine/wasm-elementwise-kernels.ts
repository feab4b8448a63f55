/**
 * Branch-free element-wise kernels for the wasm backend, in JS over heap views.
 *
 * Measured on activation-sized tensors (10x64x64x16, random signs as real activations have),
 * wasm's comparisons, `Select`, `LeakyRelu` and `Maximum` are 5-20x slower than its `Add`:
 * they branch per element and mispredict half the time. Every leaky-ReLU layer runs `LeakyRelu`
 * forward and `Greater` + `Select` backward on each pass, so the discriminators pay this many
 * times per step. The loops below turn the condition into a number (`+(a > b)`) or a bit mask
 * instead of a branch. Shapes they don't cover (general broadcasting) go to the stock kernels.
 */
import { backend_util } from '@tensorflow/tfjs'
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { resizeNearestGradInto } from './cpu-kernels'
import { WASM, callStockKernel as stock, sizeOf } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

type NumericArray = Float32Array | Int32Array
type Compare = (a: NumericArray, b: NumericArray, out: Uint8Array, aStep: number, bStep: number) => void

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

// One loop per operator so each stays monomorphic; a step of 0 reads a scalar operand.
const compares: Record<string, Compare> = {
  Greater: (a, b, o, sa, sb) => { for (let i = 0; i < o.length; i++) o[i] = +(a[i * sa] > b[i * sb]) },
  GreaterEqual: (a, b, o, sa, sb) => { for (let i = 0; i < o.length; i++) o[i] = +(a[i * sa] >= b[i * sb]) },
  Less: (a, b, o, sa, sb) => { for (let i = 0; i < o.length; i++) o[i] = +(a[i * sa] < b[i * sb]) },
  LessEqual: (a, b, o, sa, sb) => { for (let i = 0; i < o.length; i++) o[i] = +(a[i * sa] <= b[i * sb]) },
  Equal: (a, b, o, sa, sb) => { for (let i = 0; i < o.length; i++) o[i] = +(a[i * sa] === b[i * sb]) },
  NotEqual: (a, b, o, sa, sb) => { for (let i = 0; i < o.length; i++) o[i] = +(a[i * sa] !== b[i * sb]) }
}

function comparisonKernel(name: string): (args: WasmKernelArgs) => TensorInfo {
  const compare = compares[name]
  return (args) => {
    const { a, b } = args.inputs
    const numeric = (t: TensorInfo): boolean => t.dtype === 'float32' || t.dtype === 'int32'
    if (!numeric(a) || !numeric(b) || a.dtype !== b.dtype) return stock(name, args)
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
    const size = sizeOf(outShape)
    const aSize = sizeOf(a.shape)
    const bSize = sizeOf(b.shape)
    const aStep = aSize === size && (bSize === 1 || sameShape(a.shape, b.shape)) ? 1 : aSize === 1 ? 0 : -1
    const bStep = bSize === size && (aSize === 1 || sameShape(a.shape, b.shape)) ? 1 : bSize === 1 ? 0 : -1
    if (aStep < 0 || bStep < 0) return stock(name, args)
    const out = args.backend.makeOutput(outShape, 'bool')
    if (size === 0) return out
    const backend = args.backend
    compare(
      backend.typedArrayFromHeap(a) as NumericArray,
      backend.typedArrayFromHeap(b) as NumericArray,
      backend.typedArrayFromHeap(out) as Uint8Array,
      aStep,
      bStep
    )
    return out
  }
}

/** x for x > 0, alpha·x otherwise, with the factor picked arithmetically. */
export function leakyRelu(args: WasmKernelArgs): TensorInfo {
  const x = args.inputs.x
  if (x.dtype !== 'float32') return stock('LeakyRelu', args)
  const alpha = args.attrs.alpha as number
  const out = args.backend.makeOutput(x.shape, 'float32')
  const xs = args.backend.typedArrayFromHeap(x) as Float32Array
  const ys = args.backend.typedArrayFromHeap(out) as Float32Array
  const gain = 1 - alpha
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]
    ys[i] = v * (alpha + gain * +(v > 0))
  }
  return out
}

/**
 * condition ? t : e for same-shape operands, as a bit blend on the 32-bit patterns, so NaN,
 * ±Infinity and -0 pass through exactly.
 */
export function select(args: WasmKernelArgs): TensorInfo {
  const { condition, t, e } = args.inputs
  const wide = t.dtype === 'float32' || t.dtype === 'int32'
  if (!wide || t.dtype !== e.dtype || !sameShape(condition.shape, t.shape) || !sameShape(t.shape, e.shape)) {
    return stock('Select', args)
  }
  const backend = args.backend
  const out = backend.makeOutput(t.shape, t.dtype)
  const bits = (info: TensorInfo): Int32Array => {
    const view = backend.typedArrayFromHeap(info)
    return new Int32Array(view.buffer, view.byteOffset, view.length)
  }
  const cs = backend.typedArrayFromHeap(condition) as Uint8Array
  const ts = bits(t)
  const es = bits(e)
  const os = bits(out)
  for (let i = 0; i < os.length; i++) {
    const mask = -+(cs[i] !== 0)
    os[i] = (ts[i] & mask) | (es[i] & ~mask)
  }
  return out
}

/** Scatter-add of dy to the pixels the forward resize read (wasm's own searches a window). */
export function resizeNearestNeighborGrad(args: WasmKernelArgs): TensorInfo {
  const { images, dy } = args.inputs
  const backend = args.backend
  const out = backend.makeOutput(images.shape, 'float32')
  const dx = backend.typedArrayFromHeap(out) as Float32Array
  resizeNearestGradInto(
    dx,
    backend.typedArrayFromHeap(dy) as Float32Array,
    dy.shape,
    images.shape,
    args.attrs.alignCorners === true,
    args.attrs.halfPixelCenters === true
  )
  return out
}

const kernel = (kernelName: string, kernelFunc: (args: WasmKernelArgs) => TensorInfo): KernelConfig => ({
  kernelName,
  backendName: WASM,
  kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc']
})

/** Kernel configs this module registers for the wasm backend. */
export const wasmElementwiseKernelConfigs: KernelConfig[] = [
  ...Object.keys(compares).map((name) => kernel(name, comparisonKernel(name))),
  kernel('LeakyRelu', leakyRelu),
  kernel('Select', select),
  kernel('ResizeNearestNeighborGrad', resizeNearestNeighborGrad)
]
