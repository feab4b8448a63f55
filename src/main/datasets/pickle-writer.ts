/**
 * Python pickle writer, protocol 2, producing what Python 3 numpy's `np.save(path, dict)` writes
 * so that `np.load(path, allow_pickle=True).item()` returns the dict (Python 2 and 3 alike).
 * Pure TS; output is a Uint8Array.
 */
import { encodeRaw, isNpyDtype, pickledDtypeParts, type NpyArray, type NpyDtype } from './npy-dtype'

const MAX_BATCH = 1000 // Python's pickler batches APPENDS/SETITEMS the same way.
const UTF8 = new TextEncoder()

/**
 * Pickles `value` with protocol 2. Mapping: `Map` and plain objects → dict, arrays → list (an
 * array used as a Map key → tuple), string → str, integer-valued safe numbers and bigint → int,
 * other numbers → float, boolean → bool, null/undefined → None, Set → set, any typed array
 * (Uint8Array included) → 1-d numpy ndarray, `NpyArray` → numpy ndarray (pickled exactly as numpy
 * pickles one, via `numpy.core.multiarray._reconstruct`). Anything else throws a TypeError.
 */
export function pickle(value: unknown, protocol: 2 = 2): Uint8Array {
  if (protocol !== 2) throw new TypeError(`pickle protocol ${String(protocol)} is not supported`)
  const writer = new Pickler()
  writer.bytes(0x80, 2)
  writer.save(value)
  writer.bytes(0x2e)
  return writer.finish()
}

type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

const TYPED_DTYPES: Array<[new (n: number) => TypedArray, NpyDtype]> = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Uint16Array, 'uint16'],
  [Int32Array, 'int32'],
  [Uint32Array, 'uint32'],
  [BigInt64Array, 'int64'],
  [BigUint64Array, 'uint64']
]

/** Structural check: `{dtype, shape, data}` with a known dtype name is taken as an ndarray. */
function asNpyArray(value: object): NpyArray | null {
  for (const [make, dtype] of TYPED_DTYPES) {
    if (value instanceof make) return { dtype, shape: [value.length], fortranOrder: false, data: value }
  }
  const candidate = value as Partial<NpyArray>
  if (!isNpyDtype(candidate.dtype) || !Array.isArray(candidate.shape)) return null
  if (!Array.isArray(candidate.data) && !ArrayBuffer.isView(candidate.data)) return null
  return { dtype: candidate.dtype, shape: candidate.shape, fortranOrder: candidate.fortranOrder === true, data: candidate.data }
}

class Pickler {
  private buffer = new Uint8Array(1024)
  private length = 0
  private readonly memo = new Map<unknown, number>()
  private readonly named = new Map<string, number>()
  private memoCount = 0

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < this.length + n) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
  }

  bytes(...values: number[]): void {
    this.reserve(values.length)
    for (const value of values) this.buffer[this.length++] = value
  }

  private u32(value: number): void {
    this.bytes(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff)
  }

  /** BINPUT / LONG_BINPUT: the next memo slot now holds the value just written. */
  private put(): number {
    const index = this.memoCount++
    if (index < 256) this.bytes(0x71, index)
    else {
      this.bytes(0x72)
      this.u32(index)
    }
    return index
  }

  private get(index: number): void {
    if (index < 256) this.bytes(0x68, index)
    else {
      this.bytes(0x6a)
      this.u32(index)
    }
  }

  /** Emits a GET when `value` (an object or string) was already pickled. */
  private getIfMemoized(value: unknown): boolean {
    const index = this.memo.get(value)
    if (index !== undefined) this.get(index)
    return index !== undefined
  }

  /** Like getIfMemoized for globals and dtypes, kept apart so user strings never collide with them. */
  private getIfNamed(name: string): boolean {
    const index = this.named.get(name)
    if (index !== undefined) this.get(index)
    return index !== undefined
  }

  save(value: unknown): void {
    if (value === null || value === undefined) return this.bytes(0x4e)
    if (value === true) return this.bytes(0x88)
    if (value === false) return this.bytes(0x89)
    if (typeof value === 'number') return Number.isSafeInteger(value) && !Object.is(value, -0) ? this.saveInt(BigInt(value)) : this.saveFloat(value)
    if (typeof value === 'bigint') return this.saveInt(value)
    if (typeof value === 'string') return this.saveString(value)
    if (typeof value !== 'object') throw new TypeError(`cannot pickle a ${typeof value}`)
    if (this.getIfMemoized(value)) return
    if (Array.isArray(value)) return this.saveList(value)
    if (value instanceof Map) return this.saveDict(value)
    if (value instanceof Set) return this.saveSet(value)
    const array = asNpyArray(value)
    if (array) return this.saveNdarray(array, value)
    const prototype = Object.getPrototypeOf(value)
    if (prototype === Object.prototype || prototype === null) return this.saveDict(new Map(Object.entries(value)), value)
    throw new TypeError(`cannot pickle a ${String(prototype?.constructor?.name ?? 'object')}`)
  }

  private saveInt(value: bigint): void {
    if (value >= 0n && value < 256n) return this.bytes(0x4b, Number(value))
    if (value >= 0n && value < 65536n) return this.bytes(0x4d, Number(value) & 0xff, Number(value) >> 8)
    if (value >= -(2n ** 31n) && value < 2n ** 31n) {
      this.bytes(0x4a)
      return this.u32(Number(value))
    }
    // LONG1: minimal little-endian two's complement, as Python's encode_long.
    const payload: number[] = []
    let rest = value
    for (;;) {
      payload.push(Number(rest & 0xffn))
      rest >>= 8n
      const signBit = (payload[payload.length - 1] & 0x80) !== 0
      if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break
    }
    this.bytes(0x8a, payload.length, ...payload)
  }

  private saveFloat(value: number): void {
    const eight = new Uint8Array(8)
    new DataView(eight.buffer).setFloat64(0, value, false)
    this.bytes(0x47, ...eight)
  }

  /** BINUNICODE, memoized like Python does, so repeated dict keys cost a GET. */
  private saveString(value: string): void {
    if (this.getIfMemoized(value)) return
    const encoded = UTF8.encode(value)
    this.bytes(0x58)
    this.u32(encoded.length)
    this.raw(encoded)
    this.memo.set(value, this.put())
  }

  private raw(chunk: Uint8Array): void {
    this.reserve(chunk.length)
    this.buffer.set(chunk, this.length)
    this.length += chunk.length
  }

  private saveTuple(items: readonly unknown[]): void {
    if (items.length === 0) return this.bytes(0x29)
    if (items.length > 3) this.bytes(0x28)
    for (const item of items) this.saveKey(item)
    this.bytes(items.length > 3 ? 0x74 : 0x84 + items.length)
    this.put()
  }

  /** Python dict keys must be hashable: arrays become tuples. */
  private saveKey(key: unknown): void {
    if (Array.isArray(key)) this.saveTuple(key)
    else this.save(key)
  }

  private saveList(list: readonly unknown[]): void {
    this.bytes(0x5d)
    this.memo.set(list, this.put())
    for (let start = 0; start < list.length; start += MAX_BATCH) {
      const batch = list.slice(start, start + MAX_BATCH)
      if (batch.length === 1) {
        this.save(batch[0])
        this.bytes(0x61)
        continue
      }
      this.bytes(0x28)
      for (const item of batch) this.save(item)
      this.bytes(0x65)
    }
  }

  private saveDict(map: Map<unknown, unknown>, identity: object = map): void {
    this.bytes(0x7d)
    this.memo.set(identity, this.put())
    const entries = [...map.entries()]
    for (let start = 0; start < entries.length; start += MAX_BATCH) {
      const batch = entries.slice(start, start + MAX_BATCH)
      if (batch.length > 1) this.bytes(0x28)
      for (const [key, value] of batch) {
        this.saveKey(key)
        this.save(value)
      }
      this.bytes(batch.length > 1 ? 0x75 : 0x73)
    }
  }

  /** Protocol 2 has no set opcodes; Python writes `__builtin__.set([items])`. */
  private saveSet(set: Set<unknown>): void {
    this.saveGlobal('__builtin__', 'set')
    this.saveList([...set])
    this.bytes(0x85)
    this.put()
    this.bytes(0x52)
    this.memo.set(set, this.put())
  }

  private saveGlobal(module: string, name: string): void {
    const key = `global:${module}.${name}`
    if (this.getIfNamed(key)) return
    this.raw(UTF8.encode(`c${module}\n${name}\n`))
    this.named.set(key, this.put())
  }

  /**
   * Python 3 bytes under protocol 2: `_codecs.encode(latin1_str, 'latin1')`, or `bytes()` when
   * empty, so both Python 2 (reads a str) and Python 3 (reads bytes) load it.
   */
  private saveBytes(bytes: Uint8Array): void {
    if (bytes.length === 0) {
      this.saveGlobal('__builtin__', 'bytes')
      this.bytes(0x29, 0x52)
      this.put()
      return
    }
    this.saveGlobal('_codecs', 'encode')
    // The latin1 str is written as BINUNICODE (UTF-8) directly from the bytes, without a JS string.
    let utf8Length = bytes.length
    for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) utf8Length++
    this.bytes(0x58)
    this.u32(utf8Length)
    this.reserve(utf8Length)
    const buffer = this.buffer
    let at = this.length
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]
      if (byte < 0x80) buffer[at++] = byte
      else {
        buffer[at++] = 0xc0 | (byte >> 6)
        buffer[at++] = 0x80 | (byte & 0x3f)
      }
    }
    this.length = at
    this.saveString('latin1')
    this.bytes(0x86)
    this.put()
    this.bytes(0x52)
    this.put()
  }

  /** `numpy.dtype(code, False, True)` + BUILD `(3, order, None, None, None, elsize, alignment, flags)`. */
  private saveDtype(dtype: NpyDtype): void {
    const key = `dtype:${dtype}`
    if (this.getIfNamed(key)) return
    const parts = pickledDtypeParts(dtype)
    this.saveGlobal('numpy', 'dtype')
    this.saveString(parts.code)
    this.bytes(0x89, 0x88, 0x87)
    this.put()
    this.bytes(0x52)
    this.named.set(key, this.put())
    this.bytes(0x28, 0x4b, 3)
    this.saveString(parts.order)
    this.bytes(0x4e, 0x4e, 0x4e)
    this.saveInt(BigInt(parts.elsize))
    this.saveInt(BigInt(parts.alignment))
    this.saveInt(BigInt(parts.flags))
    this.bytes(0x74)
    this.put()
    this.bytes(0x62)
  }

  /** `_reconstruct(ndarray, (0,), b'b')` + BUILD `(1, shape, dtype, is_fortran, rawdata)`, as numpy. */
  private saveNdarray(array: NpyArray, identity: object): void {
    const count = array.shape.reduce((a, b) => a * b, 1)
    this.saveGlobal('numpy.core.multiarray', '_reconstruct')
    this.saveGlobal('numpy', 'ndarray')
    this.bytes(0x4b, 0, 0x85)
    this.put()
    this.saveBytes(new Uint8Array([0x62]))
    this.bytes(0x87)
    this.put()
    this.bytes(0x52)
    this.memo.set(identity, this.put())
    this.bytes(0x28, 0x4b, 1)
    this.saveTuple(array.shape)
    this.saveDtype(array.dtype)
    const isObject = array.dtype === 'object'
    this.bytes(array.fortranOrder && !isObject ? 0x88 : 0x89)
    if (isObject) {
      if (array.data.length !== count) throw new TypeError(`object array data has ${array.data.length} items, shape needs ${count}`)
      this.saveList(Array.from(array.data as ArrayLike<unknown>))
    } else {
      this.saveBytes(encodeRaw(array.dtype, array.data as ArrayLike<unknown>, count))
    }
    this.bytes(0x74)
    this.put()
    this.bytes(0x62)
  }
}
