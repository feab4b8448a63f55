import { getKernel } from '@tensorflow/tfjs'
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

/** Name under which `@tensorflow/tfjs-backend-wasm` registers itself and its kernels. */
export const WASM = 'wasm'

/** Arguments a kernel function receives, with the backend typed as the wasm one. */
export interface WasmKernelArgs {
  /** The engine always passes every declared input, so entries are not optional here. */
  inputs: Record<string, TensorInfo>
  backend: BackendWasm
  attrs: NamedAttrMap
}

/**
 * Runs the kernel currently registered for `name` on the wasm backend, bypassing the engine.
 * Going straight to `kernelFunc` keeps intermediate results off the gradient tape and out of
 * the engine's tensor bookkeeping; the caller owns the returned data and must free it.
 */
export function callWasmKernel(
  name: string,
  backend: BackendWasm,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {}
): TensorInfo {
  const config = getKernel(name, WASM)
  if (config == null) throw new Error(`wasm kernel '${name}' is not registered`)
  const out = config.kernelFunc({ inputs, backend, attrs })
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`)
  return out
}

/**
 * Stock wasm kernels that the project replaced, by kernel name. Fast paths fall back to them for
 * inputs they don't cover; filled by registerWasmKernels.
 */
export const stockWasmKernels = new Map<string, KernelConfig>()

/** Runs the stock kernel `name` replaced, for inputs outside a fast path. */
export function callStockKernel(name: string, args: WasmKernelArgs): TensorInfo {
  const config = stockWasmKernels.get(name)
  if (config == null) throw new Error(`stock wasm kernel '${name}' is not available`)
  return config.kernelFunc(args as never) as TensorInfo
}

/**
 * Collects backend-level temporaries of one kernel call so that a single `finally` frees them.
 * Reshape results share their input's data with a raised reference count, so freeing them
 * through `disposeData` is correct too.
 */
export class Temporaries {
  private readonly items: TensorInfo[] = []

  constructor(private readonly backend: BackendWasm) {}

  /** Remembers `info` for disposal and returns it, so calls can be nested inline. */
  keep(info: TensorInfo): TensorInfo {
    this.items.push(info)
    return info
  }

  /** Frees everything kept, newest first. */
  dispose(): void {
    for (let i = this.items.length - 1; i >= 0; i--) this.backend.disposeData(this.items[i].dataId)
    this.items.length = 0
  }
}

/**
 * A function that views a float32 tensor's data on the wasm heap. Take views only after the
 * call's last `makeOutput`: an allocation may grow (and detach) the heap.
 */
export function float32Heap(backend: BackendWasm): (t: TensorInfo) => Float32Array {
  return (t) => backend.typedArrayFromHeap(t) as Float32Array
}

/** The config that registers `kernelFunc` as the wasm kernel `kernelName`. */
export function wasmKernel(kernelName: string, kernelFunc: (args: WasmKernelArgs) => TensorInfo | TensorInfo[]): KernelConfig {
  return { kernelName, backendName: WASM, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] }
}

/** `[h, w]` from a `number | [number, number]` attribute (strides, dilations). */
export function pair(value: number | [number, number] | number[]): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]]
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1
  for (const d of shape) size *= d
  return size
}
