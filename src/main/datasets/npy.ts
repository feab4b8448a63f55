/**
 * numpy `.npy` files: reading versions 1.0 to 3.0 (any byte order, numeric, bool, byte-string,
 * unicode and pickled object arrays) and writing version 1.0 exactly as `np.save` does.
 * Pure TS: takes and returns Uint8Array.
 */
import { UserError } from '../../shared/result'
import { decodeRaw, descrOf, encodeRaw, itemSize, latin1, parseDescr, type NpyArray, type NpyDtype } from './npy-dtype'
import { pickle, unpickle } from './pickle'

export type { NpyArray, NpyData, NpyDtype } from './npy-dtype'

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY
/** numpy leaves room in the header for the growing axis to reach this many digits (np.save appends). */
const GROWTH_AXIS_MAX_DIGITS = 21
const ARRAY_ALIGN = 64

/**
 * Parses a `.npy` file. Numeric data comes back as typed arrays in little-endian host order
 * (big-endian input is converted), 'S' arrays as latin1 strings and 'U' arrays as strings, both
 * with trailing NULs stripped. An object ('O') array's data is its unpickled flat C-order list;
 * a 0-d object array (np.save of a dict) has `data = [payload]`, see `npyItem`. Errors are
 * `UserError`s naming `fileNameForErrors`.
 */
export function readNpy(bytes: Uint8Array, fileNameForErrors = 'npy data'): NpyArray {
  const fail = (message: string): never => {
    throw new UserError(`${message} in ${fileNameForErrors}`)
  }
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) fail('not a numpy .npy file: bad magic')
  const major = bytes[6]
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}.${bytes[7]}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lengthBytes = major === 1 ? 2 : 4
  if (bytes.length < 8 + lengthBytes) fail('truncated .npy header')
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const dataStart = 8 + lengthBytes + headerLength
  if (dataStart > bytes.length) fail('truncated .npy header')
  const headerBytes = bytes.subarray(8 + lengthBytes, dataStart)
  // Version 3.0 only differs from 2.0 by allowing UTF-8 in the header (structured field names).
  const headerText = major === 3 ? new TextDecoder().decode(headerBytes) : latin1(headerBytes)
  let header: { descr: string; fortranOrder: boolean; shape: number[] }
  try {
    header = parseHeader(headerText)
  } catch (error) {
    return fail(`bad .npy header (${(error as Error).message})`)
  }
  const info = parseDescr(header.descr) ?? fail(`unsupported numpy dtype '${header.descr}'`)
  const body = bytes.subarray(dataStart)
  if (info.dtype === 'object') return readObjectArray(body, header.shape, fileNameForErrors)
  const count = header.shape.reduce((a, b) => a * b, 1)
  const expected = count * itemSize(info.dtype)
  if (!Number.isSafeInteger(expected)) fail(`bad .npy shape (${header.shape.join(', ')})`)
  if (body.length < expected) fail(`truncated .npy data: ${body.length} bytes, shape (${header.shape.join(', ')}) of ${info.dtype} needs ${expected}`)
  return { dtype: info.dtype, shape: header.shape, fortranOrder: header.fortranOrder, data: decodeRaw(info, body, count) }
}

/** np.save pickles the whole object ndarray after the header; numpy ignores the header shape then, and so do we. */
function readObjectArray(body: Uint8Array, shape: number[], fileName: string): NpyArray {
  const value = unpickle(body, fileName)
  if (isNpyArray(value)) return value
  // Not written by numpy, but a bare pickle is still meaningful: treat it as the payload.
  return { dtype: 'object', shape, fortranOrder: false, data: shape.length === 0 ? [value] : Array.isArray(value) ? value : [value] }
}

function isNpyArray(value: unknown): value is NpyArray {
  return typeof value === 'object' && value !== null && 'dtype' in value && 'shape' in value && 'data' in value && 'fortranOrder' in value
}

/**
 * The single element of a one-element array, as numpy's `.item()`: for a 0-d object array
 * (np.save of a dict) the payload (e.g. a `Map`), for numeric arrays a number (bigint for
 * 64-bit integers). Throws for arrays with more than one element.
 */
export function npyItem(arr: NpyArray): unknown {
  if (arr.data.length !== 1) throw new UserError(`expected a one-element numpy array, got shape (${arr.shape.join(', ')})`)
  return arr.data[0]
}

/**
 * Writes a version 1.0 `.npy` file byte-for-byte like `np.save` (C order, little-endian, header
 * padded to 64 bytes). `data` holds product(shape) elements in C order: numbers (or bigints) for
 * numeric dtypes, strings for bytes/unicode, any picklable values for 'object' (a dict saved
 * with np.save is `{dtype: 'object', shape: [], data: [map]}`; object arrays are pickled with
 * protocol 2).
 */
export function writeNpy(arr: { dtype: NpyDtype; shape: number[]; data: ArrayLike<number> | ArrayLike<bigint> | string[] | unknown[] }): Uint8Array {
  const count = arr.shape.reduce((a, b) => a * b, 1)
  if (arr.data.length !== count) throw new TypeError(`${arr.dtype} array data has ${arr.data.length} elements, shape (${arr.shape.join(', ')}) needs ${count}`)
  const header = encodeHeader(descrOf(arr.dtype), arr.shape)
  const body =
    arr.dtype === 'object'
      ? pickle({ dtype: 'object', shape: arr.shape, fortranOrder: false, data: Array.from(arr.data as ArrayLike<unknown>) })
      : encodeRaw(arr.dtype, arr.data as ArrayLike<unknown>, count)
  const out = new Uint8Array(header.length + body.length)
  out.set(header)
  out.set(body, header.length)
  return out
}

function encodeHeader(descr: string, shape: number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`
  if (shape.length > 0) text += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length))
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of ARRAY_ALIGN.
  const total = 10 + text.length + 1
  text += ' '.repeat((ARRAY_ALIGN - (total % ARRAY_ALIGN)) % ARRAY_ALIGN) + '\n'
  if (text.length > 0xffff) throw new TypeError('npy header too long for version 1.0')
  const out = new Uint8Array(10 + text.length)
  out.set(MAGIC)
  out[6] = 1
  out[7] = 0
  out[8] = text.length & 0xff
  out[9] = text.length >> 8
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i)
  return out
}

/** Parses the header's Python dict literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. */
function parseHeader(text: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const parsed = new LiteralParser(text).parseTop()
  if (!(parsed instanceof Map)) throw new Error('not a dict')
  const descr = parsed.get('descr')
  const fortranOrder = parsed.get('fortran_order')
  const shape = parsed.get('shape')
  if (typeof descr !== 'string') throw new Error(Array.isArray(descr) ? 'structured dtypes are not supported' : "missing 'descr'")
  if (typeof fortranOrder !== 'boolean') throw new Error("missing 'fortran_order'")
  if (!Array.isArray(shape) || !shape.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) throw new Error("bad 'shape'")
  return { descr, fortranOrder, shape: shape as number[] }
}

type Literal = string | number | boolean | null | Literal[] | Map<string, Literal>

/** The subset of Python literal syntax numpy writes in headers: dicts, tuples, lists, str, int, bools, None. */
class LiteralParser {
  private pos = 0
  constructor(private readonly text: string) {}

  parseTop(): Literal {
    const value = this.value()
    this.skip()
    if (this.pos !== this.text.length) throw new Error(`unexpected '${this.text[this.pos]}'`)
    return value
  }

  private skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++
  }

  private value(): Literal {
    this.skip()
    const ch = this.text[this.pos]
    if (ch === '{') return this.dict()
    if (ch === '(' || ch === '[') return this.sequence(ch === '(' ? ')' : ']')
    if (ch === "'" || ch === '"') return this.string(ch)
    const word = /^(?:True|False|None|-?\d+L?)/.exec(this.text.slice(this.pos))
    if (!word) throw new Error(ch === undefined ? 'unexpected end' : `unexpected '${ch}'`)
    this.pos += word[0].length
    if (word[0] === 'True') return true
    if (word[0] === 'False') return false
    if (word[0] === 'None') return null
    return Number(word[0].replace(/L$/, ''))
  }

  private expect(ch: string): void {
    this.skip()
    if (this.text[this.pos] !== ch) throw new Error(`expected '${ch}'`)
    this.pos++
  }

  /** True (and consumed) when the next token is `close`; otherwise requires a separating comma first. */
  private closes(close: string, first: boolean): boolean {
    this.skip()
    if (this.text[this.pos] === close) {
      this.pos++
      return true
    }
    if (!first) this.expect(',')
    this.skip()
    if (this.text[this.pos] === close) {
      this.pos++
      return true
    }
    return false
  }

  private dict(): Map<string, Literal> {
    this.pos++
    const map = new Map<string, Literal>()
    for (let first = true; !this.closes('}', first); first = false) {
      const key = this.value()
      if (typeof key !== 'string') throw new Error('non-string dict key')
      this.expect(':')
      map.set(key, this.value())
    }
    return map
  }

  private sequence(close: string): Literal[] {
    this.pos++
    const items: Literal[] = []
    for (let first = true; !this.closes(close, first); first = false) items.push(this.value())
    return items
  }

  private string(quote: string): string {
    const end = this.text.indexOf(quote, this.pos + 1)
    if (end < 0) throw new Error('unterminated string')
    const content = this.text.slice(this.pos + 1, end)
    this.pos = end + 1
    return content
  }
}
