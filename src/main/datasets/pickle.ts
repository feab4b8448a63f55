/**
 * Python pickle reader (protocols 0 to 5, in-band data only) for the dataset files numpy writes:
 * dicts, lists, tuples, strings, numbers and numpy arrays. Only the globals listed in
 * `pickle-globals.ts` are accepted, so a pickle can never run arbitrary code here. The writer
 * lives in `pickle-writer.ts` and is re-exported.
 */
import { UserError } from '../../shared/result'
import { latin1 } from './npy-dtype'
import { applyNumpyBuild, findGlobal, PyGlobal } from './pickle-globals'

export { pickle } from './pickle-writer'

/** A pickle that is truncated, malformed or names content this reader refuses. */
export class PickleError extends UserError {
  constructor(message: string) {
    super(message)
    this.name = 'PickleError'
  }
}

/**
 * Unpickles `bytes`. Python values map to JS as: dict → `Map` (keys as unpickled: string,
 * number, ...), list and tuple → array, str → string (Python 2 `str` decoded as latin1), bytes →
 * Uint8Array, int → number (bigint beyond 2^53), float → number, bool → boolean, None → null,
 * set → Set, numpy ndarray → `NpyArray`, numpy scalar → number (boolean for bool_, string for
 * str_). Errors are `PickleError`s whose message ends with `in <fileNameForErrors>`.
 */
export function unpickle(bytes: Uint8Array, fileNameForErrors = 'pickle data'): unknown {
  try {
    return new Unpickler(bytes).load()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new PickleError(`${message} in ${fileNameForErrors}`)
  }
}

const UTF8 = new TextDecoder('utf-8')

type Handler = (unpickler: Unpickler) => void

class Unpickler {
  pos = 0
  readonly stack: unknown[] = []
  private readonly marks: number[] = []
  private readonly memo = new Map<number, unknown>()
  private readonly view: DataView

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  load(): unknown {
    for (;;) {
      const at = this.pos
      const op = this.u8()
      if (op === 0x2e /* STOP */) {
        if (this.stack.length !== 1 || this.marks.length > 0) throw new Error(`malformed pickle: STOP at byte ${at} with ${this.stack.length} values`)
        return this.stack[0]
      }
      const handler = HANDLERS[op]
      if (!handler) throw new Error(`unknown pickle opcode 0x${op.toString(16)} at byte ${at}`)
      handler(this)
    }
  }

  /** Consumes n bytes; every length in a pickle is checked here so truncation never reads garbage. */
  read(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.length) {
      throw new Error(`truncated pickle: needed ${n} bytes at byte ${this.pos} of ${this.bytes.length}`)
    }
    const start = this.pos
    this.pos += n
    return this.bytes.subarray(start, this.pos)
  }
  /** A detached copy, so later use never aliases (or pins) the input buffer. */
  readCopy(n: number): Uint8Array {
    return new Uint8Array(this.read(n))
  }
  u8(): number {
    return this.read(1)[0]
  }
  u16(): number {
    return this.view.getUint16(this.offsetOf(2), true)
  }
  i32(): number {
    return this.view.getInt32(this.offsetOf(4), true)
  }
  u32(): number {
    return this.view.getUint32(this.offsetOf(4), true)
  }
  u64(): number {
    // Lengths beyond 2^53 cannot fit in the input anyway; read() then reports truncation.
    return Number(this.view.getBigUint64(this.offsetOf(8), true))
  }
  f64be(): number {
    return this.view.getFloat64(this.offsetOf(8), false)
  }
  private offsetOf(n: number): number {
    const chunk = this.read(n)
    return chunk.byteOffset - this.bytes.byteOffset
  }
  /** A protocol-0 text argument, up to (not including) the newline. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos)
    if (end < 0) throw new Error(`truncated pickle: missing newline after byte ${this.pos}`)
    const text = latin1(this.bytes, this.pos, end)
    this.pos = end + 1
    return text
  }
  utf8(n: number): string {
    return UTF8.decode(this.read(n))
  }

  push(value: unknown): void {
    this.stack.push(value)
  }
  pop(): unknown {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0
    if (this.stack.length <= floor) throw new Error(`malformed pickle: stack underflow at byte ${this.pos}`)
    return this.stack.pop()
  }
  top(): unknown {
    if (this.stack.length === 0) throw new Error(`malformed pickle: empty stack at byte ${this.pos}`)
    return this.stack[this.stack.length - 1]
  }
  mark(): void {
    this.marks.push(this.stack.length)
  }
  popMark(): unknown[] {
    const start = this.marks.pop()
    if (start === undefined) throw new Error(`malformed pickle: no MARK before byte ${this.pos}`)
    return this.stack.splice(start)
  }
  /** POP removes the innermost MARK when nothing was pushed after it, as Python does. */
  popAny(): void {
    if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length) this.marks.pop()
    else this.pop()
  }

  put(index: number): void {
    this.memo.set(index, this.top())
  }
  memoize(): void {
    this.memo.set(this.memo.size, this.top())
  }
  get(index: number): void {
    if (!this.memo.has(index)) throw new Error(`malformed pickle: memo key ${index} missing at byte ${this.pos}`)
    this.push(this.memo.get(index))
  }

  call(callable: unknown, args: unknown): void {
    if (!(callable instanceof PyGlobal)) throw new Error(`malformed pickle: call of a non-callable at byte ${this.pos}`)
    if (!Array.isArray(args)) throw new Error(`malformed pickle: ${callable.qualifiedName} called without an argument tuple`)
    this.push(callable.call(args))
  }
  build(): void {
    const state = this.pop()
    if (!applyNumpyBuild(this.top(), state)) throw new Error(`unsupported pickle BUILD at byte ${this.pos}`)
  }
  appendAll(items: unknown[]): void {
    const target = this.top()
    if (!Array.isArray(target)) throw new Error(`malformed pickle: APPEND to a non-list at byte ${this.pos}`)
    for (const item of items) target.push(item)
  }
  setAll(items: unknown[]): void {
    const target = this.top()
    if (!(target instanceof Map)) throw new Error(`malformed pickle: SETITEM on a non-dict at byte ${this.pos}`)
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1])
  }
  addAll(items: unknown[]): void {
    const target = this.top()
    if (!(target instanceof Set)) throw new Error(`malformed pickle: ADDITEMS on a non-set at byte ${this.pos}`)
    for (const item of items) target.add(item)
  }
}

/** Python ints: numbers when exactly representable, bigint beyond. */
function intValue(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

/** LONG1/LONG4 payload: little-endian two's complement. */
function decodeLong(bytes: Uint8Array): number | bigint {
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i])
  if (bytes.length > 0 && bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length)
  return intValue(value)
}

function parseInteger(text: string): number | bigint {
  const digits = text.trim().replace(/L$/, '')
  if (!/^[-+]?\d+$/.test(digits)) throw new Error(`malformed pickle integer '${text}'`)
  return intValue(BigInt(digits))
}

/** Protocol-0 INT: Python 2 wrote booleans as I00 / I01. */
function parseIntOrBool(text: string): number | bigint | boolean {
  if (text === '00') return false
  if (text === '01') return true
  return parseInteger(text)
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' }

/** Protocol-0 STRING: a Python 2 repr such as 'a\\x00b'. */
function parseStringRepr(text: string): string {
  const quote = text[0]
  if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) throw new Error('malformed pickle STRING')
  return text.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code[0] === 'x') return String.fromCharCode(Number.parseInt(code.slice(1), 16))
    if (/^[0-7]/.test(code)) return String.fromCharCode(Number.parseInt(code, 8) & 0xff)
    return ESCAPES[code] ?? `\\${code}`
  })
}

/** Protocol-0 UNICODE: raw-unicode-escape (latin1 bytes plus \\uXXXX / \\UXXXXXXXX). */
function parseRawUnicode(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, short?: string, long?: string) =>
    String.fromCodePoint(Number.parseInt(short ?? long ?? '0', 16))
  )
}

function refuse(what: string): Handler {
  return (unpickler) => {
    throw new Error(`unsupported pickle content: ${what} at byte ${unpickler.pos - 1}`)
  }
}

const HANDLERS: Array<Handler | undefined> = []
const on = (op: string | number, handler: Handler): void => {
  HANDLERS[typeof op === 'string' ? op.charCodeAt(0) : op] = handler
}

// Structure.
on('(', (unpickler) => unpickler.mark())
on('0', (unpickler) => unpickler.popAny())
on('1', (unpickler) => void unpickler.popMark())
on('2', (unpickler) => unpickler.push(unpickler.top()))
on(0x80, (unpickler) => {
  const protocol = unpickler.u8()
  if (protocol > 5) throw new Error(`unsupported pickle protocol ${protocol}`)
})
on(0x95, (unpickler) => void unpickler.u64()) // FRAME: only a read-ahead hint
// Scalars.
on('N', (unpickler) => unpickler.push(null))
on(0x88, (unpickler) => unpickler.push(true))
on(0x89, (unpickler) => unpickler.push(false))
on('I', (unpickler) => unpickler.push(parseIntOrBool(unpickler.line())))
on('L', (unpickler) => unpickler.push(parseInteger(unpickler.line())))
on('J', (unpickler) => unpickler.push(unpickler.i32()))
on('K', (unpickler) => unpickler.push(unpickler.u8()))
on('M', (unpickler) => unpickler.push(unpickler.u16()))
on(0x8a, (unpickler) => unpickler.push(decodeLong(unpickler.read(unpickler.u8()))))
on(0x8b, (unpickler) => unpickler.push(decodeLong(unpickler.read(unpickler.i32()))))
on('F', (unpickler) => unpickler.push(Number.parseFloat(unpickler.line())))
on('G', (unpickler) => unpickler.push(unpickler.f64be()))
// Strings and bytes (Python 2 str is decoded as latin1, like numpy's encoding='latin1').
on('S', (unpickler) => unpickler.push(parseStringRepr(unpickler.line())))
on('T', (unpickler) => unpickler.push(latin1(unpickler.read(unpickler.i32()))))
on('U', (unpickler) => unpickler.push(latin1(unpickler.read(unpickler.u8()))))
on('V', (unpickler) => unpickler.push(parseRawUnicode(unpickler.line())))
on('X', (unpickler) => unpickler.push(unpickler.utf8(unpickler.u32())))
on(0x8c, (unpickler) => unpickler.push(unpickler.utf8(unpickler.u8())))
on(0x8d, (unpickler) => unpickler.push(unpickler.utf8(unpickler.u64())))
on('B', (unpickler) => unpickler.push(unpickler.readCopy(unpickler.u32())))
on('C', (unpickler) => unpickler.push(unpickler.readCopy(unpickler.u8())))
on(0x8e, (unpickler) => unpickler.push(unpickler.readCopy(unpickler.u64())))
on(0x96, (unpickler) => unpickler.push(unpickler.readCopy(unpickler.u64())))
on(0x97, refuse('out-of-band buffer'))
on(0x98, () => undefined) // READONLY_BUFFER: JS has no read-only bytes
// Containers.
on(']', (unpickler) => unpickler.push([]))
on('l', (unpickler) => unpickler.push(unpickler.popMark()))
on('a', (unpickler) => unpickler.appendAll([unpickler.pop()]))
on('e', (unpickler) => unpickler.appendAll(unpickler.popMark()))
on(')', (unpickler) => unpickler.push([]))
on('t', (unpickler) => unpickler.push(unpickler.popMark()))
on(0x85, (unpickler) => unpickler.push([unpickler.pop()]))
on(0x86, (unpickler) => {
  const b = unpickler.pop()
  unpickler.push([unpickler.pop(), b])
})
on(0x87, (unpickler) => {
  const c = unpickler.pop()
  const b = unpickler.pop()
  unpickler.push([unpickler.pop(), b, c])
})
on('}', (unpickler) => unpickler.push(new Map()))
on('d', (unpickler) => {
  const items = unpickler.popMark()
  unpickler.push(new Map())
  unpickler.setAll(items)
})
on('s', (unpickler) => {
  const value = unpickler.pop()
  unpickler.setAll([unpickler.pop(), value])
})
on('unpickler', (unpickler) => unpickler.setAll(unpickler.popMark()))
on(0x8f, (unpickler) => unpickler.push(new Set()))
on(0x90, (unpickler) => unpickler.addAll(unpickler.popMark()))
on(0x91, (unpickler) => unpickler.push(new Set(unpickler.popMark())))
// Memo.
on('p', (unpickler) => unpickler.put(Number(parseInteger(unpickler.line()))))
on('q', (unpickler) => unpickler.put(unpickler.u8()))
on('r', (unpickler) => unpickler.put(unpickler.u32()))
on(0x94, (unpickler) => unpickler.memoize())
on('g', (unpickler) => unpickler.get(Number(parseInteger(unpickler.line()))))
on('h', (unpickler) => unpickler.get(unpickler.u8()))
on('j', (unpickler) => unpickler.get(unpickler.u32()))
// Globals and object construction.
on('c', (unpickler) => {
  const module = unpickler.line()
  unpickler.push(findGlobal(module, unpickler.line()))
})
on(0x93, (unpickler) => {
  const name = unpickler.pop()
  const module = unpickler.pop()
  if (typeof module !== 'string' || typeof name !== 'string') throw new Error('malformed pickle: STACK_GLOBAL without strings')
  unpickler.push(findGlobal(module, name))
})
on('R', (unpickler) => {
  const args = unpickler.pop()
  unpickler.call(unpickler.pop(), args)
})
on(0x81, (unpickler) => {
  const args = unpickler.pop()
  unpickler.call(unpickler.pop(), args)
})
on(0x92, (unpickler) => {
  const kwargs = unpickler.pop()
  const args = unpickler.pop()
  if (!(kwargs instanceof Map) || kwargs.size > 0) throw new Error('unsupported pickle content: keyword arguments')
  unpickler.call(unpickler.pop(), args)
})
on('i', (unpickler) => {
  const module = unpickler.line()
  const callable = findGlobal(module, unpickler.line())
  unpickler.call(callable, unpickler.popMark())
})
on('o', (unpickler) => {
  const [callable, ...args] = unpickler.popMark()
  unpickler.call(callable, args)
})
on('b', (unpickler) => unpickler.build())
on('P', refuse('persistent id'))
on('Q', refuse('persistent id'))
on(0x82, refuse('extension code'))
on(0x83, refuse('extension code'))
on(0x84, refuse('extension code'))
