/**
 * TensorBoard event-file writer, hand-rolled: TFRecord framing plus the few protobuf messages
 * of `tensorflow/core/util/event.proto` and `summary.proto` that scalars and images need.
 *
 * We avoid a protobuf library because the training worker only ever writes three message
 * shapes, and a dependency (plus generated code) would cost more than these few encoders.
 * Scalars use the legacy `simple_value` field: every TensorBoard version reads it and turns it
 * into the scalars plugin's format itself.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { join } from 'node:path'
import { maskedCrc32c } from './crc32c'

/** `file_version` that current TensorBoard expects in the first record of every event file. */
export const EVENT_FILE_VERSION = 'brain.Event:2'

/** `Summary.Image.colorspace` values (1 grayscale, 2 grayscale+alpha, 3 RGB, 4 RGBA). */
export type ImageColorspace = 1 | 2 | 3 | 4

/** One `Summary.Value` to encode. `simpleValue` is stored as float32, like TensorFlow does. */
export type SummaryValueInput =
  | { tag: string; simpleValue: number }
  | { tag: string; image: { height: number; width: number; colorspace: ImageColorspace; png: Uint8Array } }

/** One `Event` to encode. `wallTime` is seconds since the Unix epoch (fractional). */
export interface EventInput {
  wallTime: number
  /** Integer step; 0 is the protobuf default and is omitted from the bytes, as TensorFlow does. */
  step?: number
  fileVersion?: string
  summary?: SummaryValueInput[]
}

/** Options for {@link EventFileWriter}. */
export interface EventFileWriterOptions {
  /** Appended to the file name, e.g. `.v2` or `.eval`. */
  suffix?: string
  /** Clock in seconds since the Unix epoch; injectable so tests get stable names and bytes. */
  clock?: () => number
  /** Host name in the file name; defaults to `os.hostname()`. */
  hostname?: string
  /** Buffered bytes that trigger an automatic flush (default 1 MiB), so image bursts stay bounded. */
  maxPendingBytes?: number
}

const textEncoder = new TextEncoder()
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Protobuf wire types used here. */
const VARINT = 0
const FIXED64 = 1
const LENGTH_DELIMITED = 2
const FIXED32 = 5

/** Appends protobuf fields into a list of chunks, so large PNG payloads are not copied twice. */
class MessageBuilder {
  private readonly chunks: Uint8Array[] = []
  private pending: number[] = []

  varint(field: number, value: number): this {
    pushVarint(this.pending, (field << 3) | VARINT)
    pushVarint(this.pending, value)
    return this
  }

  double(field: number, value: number): this {
    pushVarint(this.pending, (field << 3) | FIXED64)
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setFloat64(0, value, true)
    this.pending.push(...bytes)
    return this
  }

  float(field: number, value: number): this {
    pushVarint(this.pending, (field << 3) | FIXED32)
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setFloat32(0, value, true)
    this.pending.push(...bytes)
    return this
  }

  bytes(field: number, data: Uint8Array): this {
    pushVarint(this.pending, (field << 3) | LENGTH_DELIMITED)
    pushVarint(this.pending, data.length)
    this.flushPending()
    this.chunks.push(data)
    return this
  }

  string(field: number, text: string): this {
    return this.bytes(field, textEncoder.encode(text))
  }

  finish(): Uint8Array {
    this.flushPending()
    return concatBytes(this.chunks)
  }

  private flushPending(): void {
    if (this.pending.length === 0) return
    this.chunks.push(Uint8Array.from(this.pending))
    this.pending = []
  }
}

/** Base-128 varint; negative integers become 10-byte two's complement as protobuf int64 does. */
function pushVarint(out: number[], value: number): void {
  if (value < 0) {
    let big = BigInt.asUintN(64, BigInt(value))
    while (big >= 0x80n) {
      out.push(Number(big & 0x7fn) | 0x80)
      big >>= 7n
    }
    out.push(Number(big))
    return
  }
  // Division instead of `>>>` because steps may exceed 2^32.
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
}

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const chunk of chunks) total += chunk.length
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

function encodeSummaryValue(value: SummaryValueInput): Uint8Array {
  const message = new MessageBuilder().string(1, value.tag)
  if ('simpleValue' in value) return message.float(2, value.simpleValue).finish()
  const { height, width, colorspace, png } = value.image
  const image = new MessageBuilder()
    .varint(1, height)
    .varint(2, width)
    .varint(3, colorspace)
    .bytes(4, png)
    .finish()
  return message.bytes(4, image).finish()
}

/**
 * Serializes one `tensorflow.Event` message (without TFRecord framing).
 *
 * Field order follows field numbers, matching what protobuf runtimes emit, so our bytes equal
 * TensorFlow's for the same content.
 */
export function encodeEvent(event: EventInput): Uint8Array {
  const message = new MessageBuilder().double(1, event.wallTime)
  if (event.step !== undefined && event.step !== 0) message.varint(2, event.step)
  if (event.fileVersion !== undefined) message.string(3, event.fileVersion)
  if (event.summary !== undefined) {
    const summary = new MessageBuilder()
    for (const value of event.summary) summary.bytes(1, encodeSummaryValue(value))
    message.bytes(5, summary.finish())
  }
  return message.finish()
}

/**
 * Frames one payload as a TFRecord: uint64 LE length, masked CRC-32C of those 8 bytes, the
 * payload, masked CRC-32C of the payload (CRCs uint32 LE).
 *
 * @returns `data.length + 16` bytes
 */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const record = new Uint8Array(data.length + 16)
  const view = new DataView(record.buffer)
  view.setUint32(0, data.length % 0x1_0000_0000, true)
  view.setUint32(4, Math.floor(data.length / 0x1_0000_0000), true)
  view.setUint32(8, maskedCrc32c(record, 0, 8), true)
  record.set(data, 12)
  view.setUint32(12 + data.length, maskedCrc32c(data), true)
  return record
}

/**
 * Reads width, height and colorspace from a PNG's IHDR chunk.
 *
 * @throws Error when the bytes are not a PNG
 */
export function pngHeader(png: Uint8Array): { width: number; height: number; colorspace: ImageColorspace } {
  const isPng = png.length >= 26 && PNG_SIGNATURE.every((byte, i) => png[i] === byte)
  // IHDR must be the first chunk: length at 8, type at 12, width at 16, height at 20.
  if (!isPng || String.fromCharCode(png[12], png[13], png[14], png[15]) !== 'IHDR') {
    throw new Error('addImage expects PNG bytes (signature or IHDR chunk missing)')
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const colorType = png[25]
  // PNG colour types: 0 gray, 2 RGB, 3 palette (shown as RGB), 4 gray+alpha, 6 RGBA.
  const colorspaces: Record<number, ImageColorspace> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }
  const colorspace = colorspaces[colorType]
  if (colorspace === undefined) throw new Error(`PNG has unknown colour type ${colorType}`)
  return { width: view.getUint32(16), height: view.getUint32(20), colorspace }
}

function checkStep(step: number): void {
  if (!Number.isSafeInteger(step)) throw new RangeError(`step must be a safe integer, got ${step}`)
}

function checkTag(tag: string): void {
  if (typeof tag !== 'string' || tag.length === 0) throw new Error('summary tag must be a non-empty string')
}

/**
 * Appends TensorBoard events (scalars, PNG images) to
 * `<dir>/events.out.tfevents.<unix seconds>.<hostname><suffix>`.
 *
 * Records are buffered in memory and appended on {@link flush}, on {@link close} and whenever
 * the buffer exceeds `maxPendingBytes`. Writes are synchronous: the writer lives in the training
 * worker, whose thread already owns the loop, and sync appends keep records whole and ordered.
 * A crash mid-append leaves a partial last record, which `readEventFile` reports as truncated.
 */
export class EventFileWriter {
  /** Absolute or dir-relative path of the event file (as given by `dir`). */
  readonly path: string
  private readonly clock: () => number
  private readonly maxPendingBytes: number
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private closed = false

  /**
   * Creates `dir` if needed and the event file with its `file_version` record, written at once
   * so TensorBoard lists the run before the first step.
   */
  constructor(dir: string, opts: EventFileWriterOptions = {}) {
    this.clock = opts.clock ?? (() => Date.now() / 1000)
    this.maxPendingBytes = opts.maxPendingBytes ?? 1 << 20
    const now = this.clock()
    const host = (opts.hostname ?? osHostname()).replace(/[\\/]/g, '_')
    mkdirSync(dir, { recursive: true })
    const base = join(dir, `events.out.tfevents.${Math.floor(now)}.${host}${opts.suffix ?? ''}`)
    this.path = createExclusive(base, encodeRecord(encodeEvent({ wallTime: now, fileVersion: EVENT_FILE_VERSION })))
  }

  /**
   * Queues one scalar. Stored as float32 (`simple_value`); NaN and ±Infinity are kept so that
   * diverging losses stay visible.
   *
   * @param wallTime seconds since the Unix epoch; defaults to now
   */
  addScalar(tag: string, value: number, step: number, wallTime?: number): void {
    checkTag(tag)
    checkStep(step)
    this.enqueue({ wallTime: wallTime ?? this.clock(), step, summary: [{ tag, simpleValue: value }] })
  }

  /** Queues several scalars of the same step as one event (one record). Empty input is a no-op. */
  addScalars(values: Record<string, number>, step: number): void {
    checkStep(step)
    const summary = Object.entries(values).map(([tag, simpleValue]) => {
      checkTag(tag)
      return { tag, simpleValue }
    })
    if (summary.length === 0) return
    this.enqueue({ wallTime: this.clock(), step, summary })
  }

  /**
   * Queues one PNG image. The colorspace comes from the PNG header; `width` and `height` are
   * checked against it because TensorBoard trusts the message fields for layout.
   *
   * @param png encoded PNG bytes (not raw pixels)
   * @param width pixels, must equal the PNG's IHDR width
   * @param height pixels, must equal the PNG's IHDR height
   */
  addImage(tag: string, png: Uint8Array, width: number, height: number, step: number): void {
    checkTag(tag)
    checkStep(step)
    const header = pngHeader(png)
    if (header.width !== width || header.height !== height) {
      throw new Error(`PNG is ${header.width}x${header.height} but addImage was told ${width}x${height}`)
    }
    const image = { height, width, colorspace: header.colorspace, png }
    this.enqueue({ wallTime: this.clock(), step, summary: [{ tag, image }] })
  }

  /** Appends all buffered records to the file. Synchronous; safe to call when nothing is buffered. */
  flush(): void {
    if (this.pending.length === 0) return
    const bytes = concatBytes(this.pending)
    // Clear before writing: if the append fails halfway, retrying the same records later would
    // put a torn record in the middle of the file, which readers treat as corruption.
    this.pending = []
    this.pendingBytes = 0
    appendFileSync(this.path, bytes)
  }

  /** Flushes and closes. Idempotent; adding after close throws. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
  }

  private enqueue(event: EventInput): void {
    if (this.closed) throw new Error(`event file ${this.path} is closed`)
    const record = encodeRecord(encodeEvent(event))
    this.pending.push(record)
    this.pendingBytes += record.length
    if (this.pendingBytes >= this.maxPendingBytes) this.flush()
  }
}

/**
 * Writes `firstRecord` to a new file at `base`, or at `base.1`, `base.2`, … when taken, and
 * returns the path used. Two writers started in the same second in one folder would otherwise
 * share a file and interleave their records.
 */
function createExclusive(base: string, firstRecord: Uint8Array): string {
  for (let attempt = 0; ; attempt++) {
    const path = attempt === 0 ? base : `${base}.${attempt}`
    try {
      writeFileSync(path, firstRecord, { flag: 'wx' })
      return path
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 1000) throw error
    }
  }
}
