/**
 * Parameter and buffer registry of one CP-CSV network (G, D_img, D_sty or D_seg).
 *
 * Names follow the PyTorch reference dump (`fixtures/cpcsv-tiny/manifest.json`, column `name`):
 * e.g. `img_up1.1.weight`, `encoder.2.weight_orig`, `logits.joint.1.running_var`. Keeping the
 * same names makes import, export and checkpoint keys one table. Tensors are stored in TF.js
 * layouts (conv kernels HWIO, Linear kernels (in, out)); `TorchLayout` says how each one maps to
 * PyTorch's layout so `toTorch`/`fromTorch` can convert without knowing the module.
 */
import * as tf from '@tensorflow/tfjs'

/** The networks, named as in the reference dump. */
export type ModelName = 'G' | 'D_img' | 'D_sty' | 'D_seg'

/**
 * How a stored tensor relates to PyTorch's:
 * - `same`: identical (vectors: biases, BatchNorm, spectral-norm u).
 * - `linear`: TF (in, out) vs torch (out, in); also GRU weight_ih / weight_hh with gates (r, z, n).
 * - `conv`: TF (kh, kw, in, out) vs torch (out, in, kh, kw).
 * - `snV`: spectral-norm v of a conv, TF order (kh, kw, in) vs torch order (in, kh, kw).
 */
export type TorchLayout = 'same' | 'linear' | 'conv' | 'snV'

/** How a tensor is initialised (weights_init upstream; PyTorch defaults for GRU). */
export type ParamInit =
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number }
  | { kind: 'unitNormal' }

/** One registered parameter or buffer. */
export interface ParamEntry {
  /** Reference name, e.g. `encoder.2.weight_orig`. */
  readonly name: string
  readonly variable: tf.Variable
  /** false for buffers: BatchNorm running stats and spectral-norm u / v. */
  readonly trainable: boolean
  readonly layout: TorchLayout
  /** For `snV`: the (kh, kw, in) of the conv the vector belongs to. */
  readonly kernelDims?: [number, number, number]
}

/** DCGAN-style init used upstream (`weights_init`): N(0, 0.02) for conv and Linear weights. */
export const INIT_WEIGHT: ParamInit = { kind: 'normal', mean: 0, std: 0.02 }
/** Biases, BatchNorm beta and running mean. */
export const INIT_ZERO: ParamInit = { kind: 'constant', value: 0 }
/** BatchNorm running variance. */
export const INIT_ONE: ParamInit = { kind: 'constant', value: 1 }
/** BatchNorm gamma ~ N(1, 0.02) upstream. */
export const INIT_BN_GAMMA: ParamInit = { kind: 'normal', mean: 1, std: 0.02 }

let storeCounter = 0

function initialValue(shape: number[], init: ParamInit, seed: number, zeroInit: boolean): tf.Tensor {
  if (zeroInit && init.kind !== 'constant') return tf.zeros(shape)
  switch (init.kind) {
    case 'normal':
      return tf.randomNormal(shape, init.mean, init.std, 'float32', seed)
    case 'uniform':
      return tf.randomUniform(shape, -init.bound, init.bound, 'float32', seed)
    case 'constant':
      return tf.fill(shape, init.value)
    case 'unitNormal':
      return tf.tidy(() => {
        const x = tf.randomNormal(shape, 0, 1, 'float32', seed)
        return tf.div(x, tf.maximum(tf.norm(x), 1e-12))
      })
  }
}

/** Options of a store: the base seed and whether to skip random init (weights loaded next). */
export interface ParamStoreOptions {
  seed: number
  /** Fill random-initialised tensors with zeros instead (faster when weights are loaded next). */
  zeroInit?: boolean
}

/** Owns every tf.Variable of one network; dispose() frees them all. */
export class ParamStore {
  readonly entries = new Map<string, ParamEntry>()
  private readonly prefix: string
  private nextSeed: number

  constructor(readonly model: ModelName, private readonly options: ParamStoreOptions) {
    storeCounter += 1
    // tf.variable names are global to the engine: prefix them so several model sets coexist.
    this.prefix = `cpcsv${storeCounter}/${model}/`
    this.nextSeed = (options.seed * 7919 + hashName(model)) >>> 0
  }

  /** Registers a tensor of TF-layout `shape`; throws on a duplicate name. */
  add(name: string, shape: number[], init: ParamInit, opts: Partial<Omit<ParamEntry, 'name' | 'variable'>> = {}): tf.Variable {
    if (this.entries.has(name)) throw new Error(`${this.model}: parameter ${name} registered twice`)
    const trainable = opts.trainable ?? true
    this.nextSeed = (this.nextSeed + 1013904223) >>> 0
    const value = initialValue(shape, init, this.nextSeed % 2147483647, this.options.zeroInit ?? false)
    const variable = tf.variable(value, trainable, this.prefix + name)
    value.dispose()
    this.entries.set(name, { name, variable, trainable, layout: opts.layout ?? 'same', kernelDims: opts.kernelDims })
    return variable
  }

  get(name: string): ParamEntry {
    const entry = this.entries.get(name)
    if (!entry) throw new Error(`${this.model}: no parameter ${name}`)
    return entry
  }

  /** Trainable variables in registration order (the order Adam keeps its slots in). */
  trainableVariables(): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.trainable).map((e) => e.variable)
  }

  /** Number of trainable scalars (what PyTorch's `sum(p.numel() for p in parameters())` counts). */
  parameterCount(): number {
    let n = 0
    for (const e of this.entries.values()) if (e.trainable) n += e.variable.size
    return n
  }

  /** Reference name of a variable (tf names carry the store prefix). */
  nameOf(variable: tf.Variable): string {
    return variable.name.startsWith(this.prefix) ? variable.name.slice(this.prefix.length) : variable.name
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose()
    this.entries.clear()
  }
}

function hashName(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

/** PyTorch shape of an entry's tensor. */
export function torchShape(entry: ParamEntry): number[] {
  const s = entry.variable.shape as number[]
  switch (entry.layout) {
    case 'linear':
      return [s[1], s[0]]
    case 'conv':
      return [s[3], s[2], s[0], s[1]]
    default:
      return [...s]
  }
}

/** Converts TF-layout data of `entry` to PyTorch layout (C order). */
export function toTorch(entry: ParamEntry, data: Float32Array): Float32Array {
  const s = entry.variable.shape as number[]
  switch (entry.layout) {
    case 'same':
      return data.slice()
    case 'linear':
      return permute(data, [s[0], s[1]], [1, 0])
    case 'conv':
      return permute(data, [s[0], s[1], s[2], s[3]], [3, 2, 0, 1])
    case 'snV': {
      const [kh, kw, cin] = entry.kernelDims as [number, number, number]
      return permute(data, [kh, kw, cin], [2, 0, 1])
    }
  }
}

/** Converts PyTorch-layout data to the TF layout of `entry`. */
export function fromTorch(entry: ParamEntry, data: Float32Array): Float32Array {
  const s = entry.variable.shape as number[]
  switch (entry.layout) {
    case 'same':
      return data.slice()
    case 'linear':
      return permute(data, [s[1], s[0]], [1, 0])
    case 'conv':
      return permute(data, [s[3], s[2], s[0], s[1]], [2, 3, 1, 0])
    case 'snV': {
      const [kh, kw, cin] = entry.kernelDims as [number, number, number]
      return permute(data, [cin, kh, kw], [1, 2, 0])
    }
  }
}

/** Transposes a C-order array of `shape` so that output axis i is input axis perm[i]. */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const rank = shape.length
  const outShape = perm.map((p) => shape[p])
  const inStrides = new Array<number>(rank)
  let acc = 1
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = acc
    acc *= shape[i]
  }
  if (acc !== data.length) throw new Error(`permute: ${data.length} values for shape [${shape}]`)
  const strideOfOut = perm.map((p) => inStrides[p])
  const out = new Float32Array(data.length)
  const index = new Array<number>(rank).fill(0)
  let src = 0
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]
    // Odometer increment over the output shape, tracking the source offset.
    for (let a = rank - 1; a >= 0; a--) {
      index[a] += 1
      src += strideOfOut[a]
      if (index[a] < outShape[a]) break
      src -= strideOfOut[a] * outShape[a]
      index[a] = 0
    }
  }
  return out
}
