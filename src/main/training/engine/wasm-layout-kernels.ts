/**
 * Faster data-movement kernels for the wasm backend, written as block copies on the wasm heap.
 *
 * - `Tile`: the batch-norm gradient tiles a (1, 1, 1, C) statistic up to the activation shape on
 *   every step (16% of a profiled step, platform-notes.md). Repetition is a handful of
 *   `copyWithin` calls of ever larger blocks instead of per-element index arithmetic.
 * - `Slice`: wasm's own first copies its whole input out of the heap (`readSync`) to slice it;
 *   `split`, the concat gradient and the Tile gradient slice large tensors many times a step.
 *   Reading through a heap view avoids that copy. `Unpack` and `SplitV` are re-routed to it,
 *   since the stock ones call the stock slice directly.
 * - `Identity`: the stock kernel copies its input. The gradient tape clones every tensor an op
 *   saves for its backward pass through it (thousands per CP-CSV step); sharing the data with a
 *   raised reference count, as the `cpu` backend and wasm's own Reshape do, is enough because
 *   no kernel writes into its inputs.
 * - `Cast` to the dtype a tensor already has: the same sharing. TF.js's gradients cast dy to
 *   float32 that way about 500 times per CP-CSV step, and the stock kernel copied each one. Its
 *   cast to bool was also wrong for negative values.
 * Strings (no heap data) go to the stock kernels.
 */
import { backend_util, slice_util, util } from '@tensorflow/tfjs'
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { WASM, callStockKernel as stock, callWasmKernel, sizeOf } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

type HeapArray = Float32Array | Int32Array | Uint8Array

/** Below this many elements a plain loop beats `copyWithin`/`set` call overhead. */
const SMALL_BLOCK = 16

/**
 * Repeats `x` along every axis. The compact input is copied to the start of the output, then
 * axes are expanded innermost first, in place: for each outer row (last to first, so unread
 * rows are never overwritten) the row is copied to its r slots, slot 0 last.
 */
export function tile(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const x = inputs.x
  const reps = args.attrs.reps as number[]
  if (x.dtype === 'string' || reps.length !== x.shape.length) return stock('Tile', args)
  const outShape = x.shape.map((d, i) => d * reps[i])
  const out = backend.makeOutput(outShape, x.dtype)
  if (sizeOf(outShape) === 0) return out
  const xs = backend.typedArrayFromHeap(x) as HeapArray
  const os = backend.typedArrayFromHeap(out) as HeapArray
  os.set(xs)
  const shape = x.shape.slice()
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const r = reps[axis]
    if (r === 1) continue
    const outer = sizeOf(shape.slice(0, axis))
    const inner = sizeOf(shape.slice(axis))
    for (let o = outer - 1; o >= 0; o--) {
      const src = o * inner
      const dst = src * r
      if (inner < SMALL_BLOCK) {
        // Descending copy is overlap-safe because dst >= src; slot 0 (which may overlap the
        // source) is written last.
        for (let j = r - 1; j >= 0; j--) {
          const base = dst + j * inner
          for (let t = inner - 1; t >= 0; t--) os[base + t] = os[src + t]
        }
      } else {
        for (let j = r - 1; j >= 1; j--) os.copyWithin(dst + j * inner, src, src + inner)
        if (dst !== src) os.copyWithin(dst, src, src + inner)
      }
    }
    shape[axis] *= r
  }
  return out
}

/** A slice read through a view of the heap: contiguous runs are copied with `set`. */
export function slice(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const x = inputs.x
  if (x.dtype === 'string') return stock('Slice', args)
  const [begin, size] = slice_util.parseSliceParams(x, args.attrs.begin as number[], args.attrs.size as number[])
  const out = backend.makeOutput(size, x.dtype)
  const total = sizeOf(size)
  if (total === 0) return out
  const xs = backend.typedArrayFromHeap(x) as HeapArray
  const os = backend.typedArrayFromHeap(out) as HeapArray
  const rank = x.shape.length
  // Merge trailing axes the slice spans completely into one contiguous run.
  let run = 1
  let axis = rank - 1
  while (axis >= 0 && size[axis] === x.shape[axis]) run *= size[axis--]
  if (axis >= 0) run *= size[axis]
  const strides = new Array<number>(rank)
  let stride = 1
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = stride
    stride *= x.shape[i]
  }
  let offset = 0
  for (let i = 0; i < rank; i++) offset += begin[i] * strides[i]
  if (axis < 0) {
    os.set(xs.subarray(offset, offset + total))
    return out
  }
  // Odometer over the axes before `axis`; each step copies one run of `run` elements.
  const index = new Array<number>(axis).fill(0)
  let written = 0
  let src = offset
  while (written < total) {
    if (run < SMALL_BLOCK) {
      for (let t = 0; t < run; t++) os[written + t] = xs[src + t]
    } else {
      os.set(xs.subarray(src, src + run), written)
    }
    written += run
    let k = axis - 1
    while (k >= 0) {
      index[k]++
      src += strides[k]
      if (index[k] < size[k]) break
      src -= index[k] * strides[k]
      index[k] = 0
      k--
    }
  }
  return out
}

/**
 * `unstack`: one slice per index along `axis`. The stock kernel calls the stock slice directly,
 * so each output copied the whole input first (75 ms per call on a CP-CSV story batch).
 */
export function unpack(args: WasmKernelArgs): TensorInfo[] {
  const { inputs, backend } = args
  const value = inputs.value
  if (value.dtype === 'string') return stock('Unpack', args) as unknown as TensorInfo[]
  const rank = value.shape.length
  const axis = (args.attrs.axis as number) < 0 ? (args.attrs.axis as number) + rank : (args.attrs.axis as number)
  const outShape = value.shape.filter((_, i) => i !== axis)
  const begin = new Array<number>(rank).fill(0)
  const size = value.shape.slice()
  size[axis] = 1
  const outs: TensorInfo[] = []
  for (let i = 0; i < value.shape[axis]; i++) {
    begin[axis] = i
    const part = callWasmKernel('Slice', backend, { x: value }, { begin: begin.slice(), size })
    outs.push({ dataId: part.dataId, dtype: part.dtype, shape: outShape })
  }
  return outs
}

/** `split`: consecutive slices along one axis, through the registered (fast) `Slice`. */
export function splitV(args: WasmKernelArgs): TensorInfo[] {
  const { inputs, backend } = args
  const x = inputs.x
  if (x.dtype === 'string') return stock('SplitV', args) as unknown as TensorInfo[]
  const axis = util.parseAxisParam(args.attrs.axis as number, x.shape)[0]
  const sizes = backend_util.prepareSplitSize(x as never, args.attrs.numOrSizeSplits as number | number[], axis)
  const begin = new Array<number>(x.shape.length).fill(0)
  return sizes.map((part) => {
    const size = x.shape.slice()
    size[axis] = part
    const out = callWasmKernel('Slice', backend, { x }, { begin: begin.slice(), size })
    begin[axis] += part
    return out
  })
}

/**
 * `concat` with per-input copy loops: the stock kernel issues one typed-array `set` per input per
 * outer index, i.e. one call per element when stacking along the last axis (10 ms to stack 21
 * tensors of 10x3x124 in Text2Gist).
 */
export function concat(args: WasmKernelArgs): TensorInfo {
  const { backend } = args
  const inputs = args.inputs as unknown as TensorInfo[]
  const parts = inputs.filter((t) => sizeOf(t.shape) > 0)
  if (parts.length <= 1 || parts[0].dtype === 'string') return stock('Concat', args)
  const shapes = inputs.map((t) => t.shape)
  const axis = util.parseAxisParam(args.attrs.axis as number, shapes[0])[0]
  backend_util.assertParamsConsistent(shapes, axis)
  const outShape = backend_util.computeOutShape(shapes, axis)
  const out = backend.makeOutput(outShape, parts[0].dtype)
  const os = backend.typedArrayFromHeap(out) as HeapArray
  const outer = sizeOf(outShape.slice(0, axis))
  const rowLength = sizeOf(outShape.slice(axis))
  let column = 0
  for (const part of parts) {
    const xs = backend.typedArrayFromHeap(part) as HeapArray
    const inner = sizeOf(part.shape.slice(axis))
    for (let row = 0; row < outer; row++) {
      const src = row * inner
      const dst = row * rowLength + column
      if (inner < SMALL_BLOCK) {
        for (let t = 0; t < inner; t++) os[dst + t] = xs[src + t]
      } else {
        os.set(xs.subarray(src, src + inner), dst)
      }
    }
    column += inner
  }
  return out
}

/** `stack`: inputs viewed with a new unit axis, then the registered (fast) `Concat`. */
export function pack(args: WasmKernelArgs): TensorInfo {
  const { backend } = args
  const inputs = args.inputs as unknown as TensorInfo[]
  if (inputs.length <= 1 || inputs[0].dtype === 'string') return stock('Pack', args)
  const rank = inputs[0].shape.length
  const given = args.attrs.axis as number
  const axis = given < 0 ? given + rank + 1 : given
  const expanded = inputs.map((t) => {
    const shape = t.shape.slice()
    shape.splice(axis, 0, 1)
    return callWasmKernel('Reshape', backend, { x: t }, { shape })
  })
  try {
    return callWasmKernel('Concat', backend, expanded as unknown as Record<string, TensorInfo>, { axis })
  } finally {
    for (const t of expanded) backend.disposeData(t.dataId)
  }
}

/** Kernel configs this module registers for the wasm backend. */
/** Shares x's data (reference count raised) instead of copying it. */
export function identity(args: WasmKernelArgs): TensorInfo {
  const { x } = args.inputs
  if (x.dtype === 'string') return stock('Identity', args)
  args.backend.incRef(x.dataId)
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype }
}

/**
 * Cast: shares the data when the dtype does not change. To bool it writes 0 / 1 itself: the stock
 * kernel truncates, so a float -3 became 253. Other conversions go to the stock kernel.
 */
export function cast(args: WasmKernelArgs): TensorInfo {
  const { x } = args.inputs
  if (x.dtype === 'string') return stock('Cast', args)
  if (x.dtype === args.attrs.dtype) return identity(args)
  if (args.attrs.dtype !== 'bool') return stock('Cast', args)
  const out = args.backend.makeOutput(x.shape, 'bool')
  const xs = args.backend.typedArrayFromHeap(x) as HeapArray
  const os = args.backend.typedArrayFromHeap(out) as HeapArray
  for (let i = 0; i < xs.length; i++) os[i] = xs[i] !== 0 ? 1 : 0
  return out
}

export const wasmLayoutKernelConfigs: KernelConfig[] = [
  { kernelName: 'Cast', backendName: WASM, kernelFunc: cast as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Identity', backendName: WASM, kernelFunc: identity as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Tile', backendName: WASM, kernelFunc: tile as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Slice', backendName: WASM, kernelFunc: slice as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Unpack', backendName: WASM, kernelFunc: unpack as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'SplitV', backendName: WASM, kernelFunc: splitV as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Concat', backendName: WASM, kernelFunc: concat as unknown as KernelConfig['kernelFunc'] },
  { kernelName: 'Pack', backendName: WASM, kernelFunc: pack as unknown as KernelConfig['kernelFunc'] }
]
