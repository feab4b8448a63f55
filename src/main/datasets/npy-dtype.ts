/**
 * numpy dtypes shared by the `.npy` reader/writer and the pickle reader/writer: the type names,
 * the descriptor strings numpy writes ('<f4', '|S37', 'O8'), and conversion between raw array
 * bytes and JS typed data. Pure TS (no Node APIs).
 */

/**
 * The numpy dtypes the workbench reads and writes. `bytes${n}` is numpy 'S<n>' (n bytes per item,
 * latin1), `unicode${n}` is numpy 'U<n>' (n code points per item, UTF-32), `bool` is one byte per
 * item (0/1), `object` holds arbitrary pickled Python values.
 */
export type NpyDtype =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'object'
  | `bytes${number}`
  | `unicode${number}`

/**
 * Element storage: typed arrays for numeric dtypes (`bool` is a Uint8Array of 0/1, `int64`/`uint64`
 * are BigInt64Array/BigUint64Array), `string[]` for bytes/unicode dtypes (trailing NULs stripped),
 * `unknown[]` for object dtype.
 */
export type NpyData =
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
  | string[]
  | unknown[]

/**
 * An n-d numpy array. `data` holds product(shape) elements (1 for a 0-d array) in C order, or in
 * Fortran order when `fortranOrder` is true (numeric and string dtypes only; object data is
 * always logical C order because numpy pickles object arrays as a flat C-order list).
 */
export interface NpyArray {
  dtype: NpyDtype
  shape: number[]
  fortranOrder: boolean
  data: NpyData
}

type TypedConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor

interface NumericInfo {
  /** numpy type code without byte order, as in pickled dtypes ('f4'). */
  code: string
  size: number
  make: TypedConstructor
}

const NUMERIC: Record<string, NumericInfo> = {
  float32: { code: 'f4', size: 4, make: Float32Array },
  float64: { code: 'f8', size: 8, make: Float64Array },
  int8: { code: 'i1', size: 1, make: Int8Array },
  uint8: { code: 'u1', size: 1, make: Uint8Array },
  int16: { code: 'i2', size: 2, make: Int16Array },
  uint16: { code: 'u2', size: 2, make: Uint16Array },
  int32: { code: 'i4', size: 4, make: Int32Array },
  uint32: { code: 'u4', size: 4, make: Uint32Array },
  int64: { code: 'i8', size: 8, make: BigInt64Array },
  uint64: { code: 'u8', size: 8, make: BigUint64Array },
  bool: { code: 'b1', size: 1, make: Uint8Array }
}

/** Own-property lookup, so names like 'toString' never match. */
function numericInfo(dtype: string): NumericInfo | undefined {
  return Object.hasOwn(NUMERIC, dtype) ? NUMERIC[dtype] : undefined
}

const BY_CODE = new Map(Object.entries(NUMERIC).map(([dtype, info]) => [info.code, dtype as NpyDtype]))

/** A dtype with the byte order of its raw data. */
export interface DtypeInfo {
  dtype: NpyDtype
  littleEndian: boolean
}

/**
 * Parses a numpy descriptor: '<f4', '>i8', '|u1', 'f4', '?', '|S37', 'a5', '<U10', '|O', 'O8'.
 * Returns null for anything else (float16, complex, datetime, structured, void...).
 */
export function parseDescr(descr: string): DtypeInfo | null {
  const match = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr)
  if (!match) return null
  const [, order, kind, digits] = match
  // '=' is native order; every platform this runs on is little-endian.
  const littleEndian = order !== '>'
  if (kind === 'O') return digits === '' || digits === '8' || digits === '4' ? { dtype: 'object', littleEndian } : null
  if (kind === '?') return digits === '' ? { dtype: 'bool', littleEndian } : null
  if (kind === 'S' || kind === 'a' || kind === 'U') {
    const n = Number(digits)
    if (digits === '' || !Number.isSafeInteger(n) || n < 1) return null
    return { dtype: kind === 'U' ? `unicode${n}` : `bytes${n}`, littleEndian }
  }
  const dtype = BY_CODE.get(kind + digits)
  return dtype ? { dtype, littleEndian } : null
}

/** Bytes per element; 8 for object (a pointer, as numpy reports it). */
export function itemSize(dtype: NpyDtype): number {
  const numeric = numericInfo(dtype)
  if (numeric) return numeric.size
  if (dtype === 'object') return 8
  const width = stringWidth(dtype)
  return dtype.startsWith('unicode') ? width * 4 : width
}

/** Characters per element of a bytes/unicode dtype, 0 for any other dtype. */
export function stringWidth(dtype: NpyDtype): number {
  const match = /^(?:bytes|unicode)(\d+)$/.exec(dtype)
  return match ? Number(match[1]) : 0
}

/** True for the dtype names this module knows (used to validate caller input). */
export function isNpyDtype(value: unknown): value is NpyDtype {
  if (typeof value !== 'string') return false
  if (numericInfo(value) || value === 'object') return true
  return /^(?:bytes|unicode)[1-9]\d*$/.test(value)
}

/** The descriptor numpy writes in a `.npy` header: '<f4', '|u1', '|b1', '|S5', '<U3', '|O'. */
export function descrOf(dtype: NpyDtype): string {
  const numeric = numericInfo(dtype)
  if (numeric) return (numeric.size === 1 ? '|' : '<') + numeric.code
  if (dtype === 'object') return '|O'
  return dtype.startsWith('unicode') ? `<U${stringWidth(dtype)}` : `|S${stringWidth(dtype)}`
}

/**
 * The pieces numpy uses to pickle a dtype: `numpy.dtype(code, False, True)` followed by the
 * BUILD state `(3, order, None, None, None, elsize, alignment, flags)`.
 */
export function pickledDtypeParts(dtype: NpyDtype): { code: string; order: string; elsize: number; alignment: number; flags: number } {
  const numeric = numericInfo(dtype)
  if (numeric) return { code: numeric.code, order: numeric.size === 1 ? '|' : '<', elsize: -1, alignment: -1, flags: 0 }
  if (dtype === 'object') return { code: 'O8', order: '|', elsize: -1, alignment: -1, flags: 63 }
  const width = stringWidth(dtype)
  if (dtype.startsWith('unicode')) return { code: `U${width}`, order: '<', elsize: width * 4, alignment: 4, flags: 8 }
  return { code: `S${width}`, order: '|', elsize: width, alignment: 1, flags: 0 }
}

/**
 * Decodes `count` elements of raw array bytes (exactly count·itemSize bytes) into typed data,
 * converting big-endian input. Always copies, so the result never aliases `bytes` and is aligned.
 */
export function decodeRaw(info: DtypeInfo, bytes: Uint8Array, count: number): NpyData {
  const { dtype, littleEndian } = info
  const numeric = numericInfo(dtype)
  if (numeric) {
    // new Uint8Array(view) copies; Buffer#slice would not, and the copy must start at offset 0.
    const copy = new Uint8Array(bytes.subarray(0, count * numeric.size))
    if (!littleEndian && numeric.size > 1) swapBytes(copy, numeric.size)
    return new numeric.make(copy.buffer, 0, count)
  }
  const width = stringWidth(dtype)
  const strings: string[] = new Array(count)
  if (dtype.startsWith('unicode')) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < count; i++) strings[i] = decodeUtf32(view, i * width * 4, width, littleEndian)
  } else {
    for (let i = 0; i < count; i++) strings[i] = latin1(bytes, i * width, trimNul(bytes, i * width, (i + 1) * width))
  }
  return strings
}

/**
 * Encodes `count` elements as little-endian raw bytes for `dtype` (not object). Strings longer
 * than the dtype width, or bytes-dtype characters above U+00FF, throw.
 */
export function encodeRaw(dtype: NpyDtype, data: ArrayLike<unknown>, count: number): Uint8Array {
  if (data.length !== count) throw new Error(`${dtype} array data has ${data.length} elements, shape needs ${count}`)
  const numeric = numericInfo(dtype)
  if (numeric) {
    if (data instanceof numeric.make && dtype !== 'bool') {
      return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
    }
    const out = new numeric.make(count)
    const isBig = numeric.make === BigInt64Array || numeric.make === BigUint64Array
    for (let i = 0; i < count; i++) {
      const value = data[i]
      if (dtype === 'bool') out[i] = value ? 1 : 0
      else if (isBig) (out as BigInt64Array)[i] = typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)))
      else (out as Float64Array)[i] = Number(value)
    }
    return new Uint8Array(out.buffer)
  }
  if (dtype === 'object') throw new Error('object arrays have no raw bytes; pickle them')
  const width = stringWidth(dtype)
  const unicode = dtype.startsWith('unicode')
  const out = new Uint8Array(count * itemSize(dtype))
  const view = new DataView(out.buffer)
  for (let i = 0; i < count; i++) {
    const text = String(data[i])
    const points = Array.from(text, (ch) => ch.codePointAt(0) as number)
    if (points.length > width) throw new Error(`string '${text}' is longer than ${dtype} allows`)
    points.forEach((point, j) => {
      if (unicode) view.setUint32((i * width + j) * 4, point, true)
      else if (point > 0xff) throw new Error(`string '${text}' has characters outside latin1, which ${dtype} cannot hold`)
      else out[i * width + j] = point
    })
  }
  return out
}

/** Decodes bytes as latin1 (one char per byte), chunked so huge arrays do not overflow the stack. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const CHUNK = 8192
  let text = ''
  for (let i = start; i < end; i += CHUNK) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[])
  }
  return text
}

function trimNul(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && bytes[end - 1] === 0) end--
  return end
}

function decodeUtf32(view: DataView, offset: number, width: number, littleEndian: boolean): string {
  let end = width
  while (end > 0 && view.getUint32(offset + (end - 1) * 4, littleEndian) === 0) end--
  let text = ''
  for (let j = 0; j < end; j++) {
    const point = view.getUint32(offset + j * 4, littleEndian)
    text += point <= 0x10ffff ? String.fromCodePoint(point) : '\ufffd'
  }
  return text
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]
      bytes[a] = bytes[b]
      bytes[b] = t
    }
  }
}
