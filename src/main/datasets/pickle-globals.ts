/**
 * The Python globals the unpickler accepts: the numpy array/dtype/scalar constructors and the few
 * builtins Python emits for bytes and sets. A pickle can name any importable callable, so every
 * other global is refused rather than guessed at. Errors thrown here are plain Errors; the
 * unpickler adds the file name.
 */
import { decodeRaw, itemSize, parseDescr, stringWidth, type DtypeInfo, type NpyArray } from './npy-dtype'

/** A resolved `module.name` global; `call` runs it on REDUCE / NEWOBJ / OBJ / INST. */
export class PyGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown
  ) {}
}

/** A numpy dtype object under construction: REDUCE creates it, BUILD sets its byte order. */
class NumpyDtype {
  constructor(public info: DtypeInfo) {}
}

/** Arrays made by `_reconstruct` that still wait for their BUILD state. */
const pendingArrays = new WeakSet<object>()

const NDARRAY = new PyGlobal('numpy.ndarray', () => {
  throw new Error('numpy.ndarray cannot be called directly in a pickle')
})

function reconstruct(args: unknown[]): NpyArray {
  if (args[0] !== NDARRAY) throw new Error('numpy _reconstruct of something other than numpy.ndarray')
  // numpy starts from an empty int8 array and fills it in BUILD (__setstate__).
  const array: NpyArray = { dtype: 'int8', shape: [0], fortranOrder: false, data: new Int8Array(0) }
  pendingArrays.add(array)
  return array
}

function makeDtype(args: unknown[]): NumpyDtype {
  const [code] = args
  if (typeof code !== 'string') throw new Error('numpy.dtype with a non-string type code')
  const info = parseDescr(code)
  if (!info) throw new Error(`unsupported numpy dtype '${code}'`)
  return new NumpyDtype(info)
}

/** `numpy.dtype.__setstate__`: (version, order, subdescr, names, fields, elsize, alignment, flags[, metadata]). */
function buildDtype(dtype: NumpyDtype, state: unknown): void {
  if (!Array.isArray(state) || state.length < 6) throw new Error('malformed numpy dtype state')
  const [, order, subdescr, names] = state
  if (subdescr != null || names != null) throw new Error('unsupported numpy dtype: structured or sub-array dtype')
  dtype.info = { ...dtype.info, littleEndian: order !== '>' }
  // Flexible dtypes carry their true width here; Python 2 numpy wrote 'U' widths in bytes.
  const elsize = state[5]
  const kind = dtype.info.dtype
  if (typeof elsize === 'number' && elsize > 0 && stringWidth(kind) > 0) {
    dtype.info.dtype = kind.startsWith('unicode') ? `unicode${elsize / 4}` : `bytes${elsize}`
  }
}

function shapeOf(value: unknown): number[] {
  if (!Array.isArray(value)) throw new Error('numpy array shape is not a tuple')
  return value.map((dim) => {
    const n = typeof dim === 'bigint' ? Number(dim) : dim
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`bad numpy array dimension ${String(dim)}`)
    return n
  })
}

/** Raw array bytes arrive as a latin1 str (Python 2, or protocol 2 via _codecs) or as bytes. */
function rawBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') {
    const bytes = new Uint8Array(value.length)
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i)
      if (code > 0xff) throw new Error('numpy array data string is not latin1')
      bytes[i] = code
    }
    return bytes
  }
  throw new Error('numpy array data is neither bytes nor a string')
}

function fillArray(array: NpyArray, info: DtypeInfo, shape: number[], fortran: boolean, raw: unknown): void {
  const count = shape.reduce((a, b) => a * b, 1)
  array.dtype = info.dtype
  array.shape = shape
  if (info.dtype === 'object') {
    if (!Array.isArray(raw) || raw.length !== count) throw new Error(`numpy object array data is not a list of ${count} items`)
    // numpy pickles object arrays as a flat list in logical C order, whatever the memory order.
    array.fortranOrder = false
    array.data = raw
    return
  }
  const bytes = rawBytes(raw)
  const expected = count * itemSize(info.dtype)
  if (bytes.length !== expected) {
    throw new Error(`numpy ${info.dtype} array of shape (${shape.join(', ')}) has ${bytes.length} data bytes, expected ${expected}`)
  }
  array.fortranOrder = fortran
  array.data = decodeRaw(info, bytes, count)
}

/** `ndarray.__setstate__`: (version, shape, dtype, is_fortran, rawdata) or, older, without version. */
function buildArray(array: NpyArray, state: unknown): void {
  if (!Array.isArray(state) || (state.length !== 5 && state.length !== 4)) throw new Error('malformed numpy array state')
  const [shape, dtype, fortran, raw] = state.length === 5 ? state.slice(1) : state
  if (!(dtype instanceof NumpyDtype)) throw new Error('numpy array state without a dtype')
  fillArray(array, dtype.info, shapeOf(shape), fortran === true || fortran === 1, raw)
  pendingArrays.delete(array)
}

/** numpy >= 1.16 with protocol 5: `_frombuffer(buffer, dtype, shape, order)`. */
function fromBuffer(args: unknown[]): NpyArray {
  const [buffer, dtype, shape, order] = args
  if (!(dtype instanceof NumpyDtype)) throw new Error('numpy _frombuffer without a dtype')
  const array: NpyArray = { dtype: 'int8', shape: [0], fortranOrder: false, data: new Int8Array(0) }
  fillArray(array, dtype.info, shapeOf(shape), order === 'F', buffer)
  return array
}

/** `numpy.core.multiarray.scalar(dtype, raw)`: numeric scalars become JS numbers. */
function scalar(args: unknown[]): unknown {
  const [dtype, raw] = args
  if (!(dtype instanceof NumpyDtype)) throw new Error('numpy scalar without a dtype')
  if (dtype.info.dtype === 'object') return raw
  const bytes = rawBytes(raw)
  if (bytes.length !== itemSize(dtype.info.dtype)) throw new Error(`numpy ${dtype.info.dtype} scalar has ${bytes.length} bytes`)
  const value = decodeRaw(dtype.info, bytes, 1)[0]
  if (dtype.info.dtype === 'bool') return value !== 0
  return typeof value === 'bigint' ? Number(value) : value
}

/**
 * Applies a BUILD opcode's state to a numpy object. Returns false when `target` is not one, so
 * the unpickler can report it.
 */
export function applyNumpyBuild(target: unknown, state: unknown): boolean {
  if (target instanceof NumpyDtype) {
    buildDtype(target, state)
    return true
  }
  if (typeof target === 'object' && target !== null && pendingArrays.has(target)) {
    buildArray(target as NpyArray, state)
    return true
  }
  return false
}

function encodeText(args: unknown[]): Uint8Array {
  const [text, encoding = 'utf-8'] = args
  if (typeof text !== 'string') throw new Error('_codecs.encode of a non-string')
  const name = String(encoding).toLowerCase().replace(/_/g, '-')
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1') return rawBytes(text)
  if (name === 'utf-8' || name === 'utf8') return new TextEncoder().encode(text)
  throw new Error(`_codecs.encode with unsupported encoding '${String(encoding)}'`)
}

function makeBytes(args: unknown[]): Uint8Array {
  const [source] = args
  if (source === undefined) return new Uint8Array(0)
  if (typeof source === 'string') return encodeText(args)
  if (source instanceof Uint8Array) return new Uint8Array(source)
  if (Array.isArray(source)) return Uint8Array.from(source as number[])
  throw new Error('bytes() of an unsupported value')
}

function makeSet(args: unknown[]): Set<unknown> {
  const [items] = args
  if (items === undefined) return new Set()
  if (Array.isArray(items) || items instanceof Set) return new Set(items)
  throw new Error('set() of an unsupported value')
}

function table(): Map<string, PyGlobal> {
  const entries: Array<[string, (args: unknown[]) => unknown]> = [
    ['_codecs.encode', encodeText],
    ['collections.OrderedDict', () => new Map()]
  ]
  for (const core of ['numpy.core', 'numpy._core']) {
    for (const module of ['multiarray', '_multiarray_umath']) {
      entries.push([`${core}.${module}._reconstruct`, reconstruct], [`${core}.${module}.scalar`, scalar])
    }
    entries.push([`${core}.numeric._frombuffer`, fromBuffer])
  }
  entries.push(['numpy.dtype', makeDtype])
  for (const builtins of ['__builtin__', 'builtins']) {
    entries.push([`${builtins}.bytes`, makeBytes], [`${builtins}.bytearray`, makeBytes])
    entries.push([`${builtins}.set`, makeSet], [`${builtins}.frozenset`, makeSet])
  }
  const map = new Map(entries.map(([name, call]) => [name, new PyGlobal(name, call)]))
  map.set('numpy.ndarray', NDARRAY)
  return map
}

const GLOBALS = table()

/** Resolves `module.name`, or throws "unknown pickle content: module.name". */
export function findGlobal(module: string, name: string): PyGlobal {
  const found = GLOBALS.get(`${module}.${name}`)
  if (!found) throw new Error(`unknown pickle content: ${module}.${name}`)
  return found
}
