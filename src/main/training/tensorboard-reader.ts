/**
 * Reads TensorBoard event files: TFRecord framing with both CRCs checked, and the parts of
 * `tensorflow.Event` the workbench shows (wall time, step, file version, scalar and image
 * summaries). Pure: takes bytes, no Node APIs, so tests and any process can use it.
 *
 * Scalars are recognised in both encodings: legacy `simple_value`, which our writer emits, and
 * the TF2 form (a one-element float/double `tensor`), so runs written by other tools still plot.
 */
import { maskedCrc32c } from './crc32c'

/** A decoded `Summary.Image`; `encoded` is the PNG (or other) bytes, a view into the input. */
export interface ParsedImage {
  height: number
  width: number
  /** 1 grayscale, 2 grayscale+alpha, 3 RGB, 4 RGBA. */
  colorspace: number
  encoded: Uint8Array
}

/** One `Summary.Value`; kinds the workbench does not show (histograms, audio, text…) are `other`. */
export type ParsedValue =
  | { tag: string; kind: 'scalar'; value: number }
  | { tag: string; kind: 'image'; image: ParsedImage }
  | { tag: string; kind: 'other' }

/** One decoded `tensorflow.Event`. `wallTime` is seconds since the Unix epoch. */
export interface ParsedEvent {
  wallTime: number
  step: number
  fileVersion?: string
  /** Summary values; empty for events without a summary (file version, session logs, graphs). */
  values: ParsedValue[]
}

/** Result of {@link readEventFile}. */
export interface EventFileContents {
  events: ParsedEvent[]
  /** True when the file ends in a partial record (a writer still appending, or a crash). */
  truncated: boolean
  /** Human-readable notes, e.g. about an ignored partial record; for the caller to log. */
  warnings: string[]
}

/** Thrown when a complete record fails its checksum or does not decode as an `Event`. */
export class EventFileCorruptError extends Error {
  /** Zero-based index of the bad record and the byte offset where it starts. */
  constructor(
    message: string,
    readonly recordIndex: number,
    readonly offset: number
  ) {
    super(message)
    this.name = 'EventFileCorruptError'
  }
}

const HEADER_BYTES = 12
const FOOTER_BYTES = 4
const textDecoder = new TextDecoder('utf-8')

/** TFRecord payloads found by {@link readRecords}. */
export interface RecordList {
  records: Uint8Array[]
  /** Byte offset of each record's header. */
  offsets: number[]
  truncated: boolean
  warnings: string[]
}

/**
 * Splits a TFRecord byte stream into payloads, verifying the masked CRC-32C of each length and
 * each payload. A partial record at the end is reported (`truncated`), not thrown: appenders
 * race with readers. A complete record with a bad checksum is corruption and throws.
 *
 * @throws EventFileCorruptError naming the record index on a checksum mismatch
 */
export function readRecords(bytes: Uint8Array): RecordList {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const result: RecordList = { records: [], offsets: [], truncated: false, warnings: [] }
  let offset = 0
  while (offset < bytes.length) {
    const index = result.records.length
    const remaining = bytes.length - offset
    if (remaining < HEADER_BYTES) {
      markTruncated(result, index, offset, `${remaining} of ${HEADER_BYTES} header bytes`)
      break
    }
    const lengthCrc = view.getUint32(offset + 8, true)
    if (maskedCrc32c(bytes, offset, offset + 8) !== lengthCrc) {
      throw new EventFileCorruptError(`record ${index} at byte ${offset}: length checksum mismatch`, index, offset)
    }
    const length = view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 0x1_0000_0000
    const end = offset + HEADER_BYTES + length + FOOTER_BYTES
    if (end > bytes.length) {
      markTruncated(result, index, offset, `${remaining} of ${end - offset} bytes`)
      break
    }
    const dataStart = offset + HEADER_BYTES
    const dataEnd = dataStart + length
    if (maskedCrc32c(bytes, dataStart, dataEnd) !== view.getUint32(dataEnd, true)) {
      throw new EventFileCorruptError(`record ${index} at byte ${offset}: data checksum mismatch`, index, offset)
    }
    result.records.push(bytes.subarray(dataStart, dataEnd))
    result.offsets.push(offset)
    offset = end
  }
  return result
}

function markTruncated(result: RecordList, index: number, offset: number, detail: string): void {
  result.truncated = true
  result.warnings.push(`ignoring partial record ${index} at byte ${offset} (${detail}); the file may still be written`)
}

/**
 * Parses a whole event file.
 *
 * @param bytes the file's contents
 * @throws EventFileCorruptError naming the record index when a complete record is bad
 */
export function readEventFile(bytes: Uint8Array): EventFileContents {
  const { records, offsets, truncated, warnings } = readRecords(bytes)
  const events = records.map((record, index) => {
    try {
      return decodeEvent(record)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new EventFileCorruptError(`record ${index} at byte ${offsets[index]}: ${reason}`, index, offsets[index])
    }
  })
  return { events, truncated, warnings }
}

/** Minimal protobuf wire-format cursor over one message. */
class ProtoReader {
  private readonly view: DataView
  pos: number

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.pos = start
  }

  done(): boolean {
    return this.pos >= this.end
  }

  /** Reads a varint as a signed int64 converted to number (exact up to 2^53). */
  varint(): number {
    const start = this.pos
    let value = 0
    for (let shift = 0; shift < 49; shift += 7) {
      const byte = this.byte()
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    // Longer than 7 bytes: large or negative int64, which needs 64-bit arithmetic.
    this.pos = start
    let big = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.byte()
      big |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return Number(BigInt.asIntN(64, big))
    }
    throw new Error('varint longer than 10 bytes')
  }

  double(): number {
    this.need(8)
    const value = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return value
  }

  float(): number {
    this.need(4)
    const value = this.view.getFloat32(this.pos, true)
    this.pos += 4
    return value
  }

  /** Reads a length-delimited field's bytes as a view into the input. */
  bytesField(): Uint8Array {
    const length = this.varint()
    this.need(length)
    const out = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    return out
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 1) this.advance(8)
    else if (wireType === 2) this.bytesField()
    else if (wireType === 5) this.advance(4)
    else throw new Error(`unsupported protobuf wire type ${wireType}`)
  }

  private byte(): number {
    this.need(1)
    return this.bytes[this.pos++]
  }

  private advance(count: number): void {
    this.need(count)
    this.pos += count
  }

  private need(count: number): void {
    if (this.pos + count > this.end) throw new Error('protobuf message ends inside a field')
  }
}

/** Iterates `(field, wireType)` pairs, calling `visit`; unknown fields must be skipped by it. */
function eachField(bytes: Uint8Array, visit: (field: number, wireType: number, reader: ProtoReader) => void): void {
  const reader = new ProtoReader(bytes)
  while (!reader.done()) {
    const key = reader.varint()
    visit(Math.floor(key / 8), key & 7, reader)
  }
}

/**
 * Decodes one serialized `tensorflow.Event` (a TFRecord payload).
 *
 * @throws Error on malformed protobuf
 */
export function decodeEvent(data: Uint8Array): ParsedEvent {
  const event: ParsedEvent = { wallTime: 0, step: 0, values: [] }
  eachField(data, (field, wireType, reader) => {
    if (field === 1 && wireType === 1) event.wallTime = reader.double()
    else if (field === 2 && wireType === 0) event.step = reader.varint()
    else if (field === 3 && wireType === 2) event.fileVersion = textDecoder.decode(reader.bytesField())
    else if (field === 5 && wireType === 2) event.values.push(...decodeSummary(reader.bytesField()))
    else reader.skip(wireType)
  })
  return event
}

function decodeSummary(data: Uint8Array): ParsedValue[] {
  const values: ParsedValue[] = []
  eachField(data, (field, wireType, reader) => {
    if (field === 1 && wireType === 2) values.push(decodeValue(reader.bytesField()))
    else reader.skip(wireType)
  })
  return values
}

function decodeValue(data: Uint8Array): ParsedValue {
  let tag = ''
  let simpleValue: number | undefined
  let image: ParsedImage | undefined
  let tensorScalar: number | undefined
  eachField(data, (field, wireType, reader) => {
    if (field === 1 && wireType === 2) tag = textDecoder.decode(reader.bytesField())
    else if (field === 2 && wireType === 5) simpleValue = reader.float()
    else if (field === 4 && wireType === 2) image = decodeImage(reader.bytesField())
    else if (field === 8 && wireType === 2) tensorScalar = decodeScalarTensor(reader.bytesField())
    else reader.skip(wireType)
  })
  if (simpleValue !== undefined) return { tag, kind: 'scalar', value: simpleValue }
  if (image !== undefined) return { tag, kind: 'image', image }
  if (tensorScalar !== undefined) return { tag, kind: 'scalar', value: tensorScalar }
  return { tag, kind: 'other' }
}

function decodeImage(data: Uint8Array): ParsedImage {
  const image: ParsedImage = { height: 0, width: 0, colorspace: 0, encoded: new Uint8Array(0) }
  eachField(data, (field, wireType, reader) => {
    if (field === 1 && wireType === 0) image.height = reader.varint()
    else if (field === 2 && wireType === 0) image.width = reader.varint()
    else if (field === 3 && wireType === 0) image.colorspace = reader.varint()
    else if (field === 4 && wireType === 2) image.encoded = reader.bytesField()
    else reader.skip(wireType)
  })
  return image
}

/** `DataType` enum values in `tensorflow/core/framework/types.proto`. */
const DT_FLOAT = 1
const DT_DOUBLE = 2

/**
 * Returns the value of a one-element DT_FLOAT / DT_DOUBLE `TensorProto`, else undefined.
 * The element count comes from the shape because protobuf tensors may broadcast one stored
 * value over many elements.
 */
function decodeScalarTensor(data: Uint8Array): number | undefined {
  let dtype = 0
  let elements = 1
  let content: Uint8Array | undefined
  const floats: number[] = []
  const doubles: number[] = []
  eachField(data, (field, wireType, reader) => {
    if (field === 1 && wireType === 0) dtype = reader.varint()
    else if (field === 2 && wireType === 2) elements = shapeElements(reader.bytesField())
    else if (field === 4 && wireType === 2) content = reader.bytesField()
    else if (field === 5) readRepeated(reader, wireType, 5, 4, () => floats.push(reader.float()))
    else if (field === 6) readRepeated(reader, wireType, 1, 8, () => doubles.push(reader.double()))
    else reader.skip(wireType)
  })
  if (elements !== 1) return undefined
  const width = dtype === DT_FLOAT ? 4 : dtype === DT_DOUBLE ? 8 : 0
  if (width === 0) return undefined
  if (content !== undefined && content.length === width) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength)
    return width === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true)
  }
  const values = dtype === DT_FLOAT ? floats : doubles
  return values.length === 1 ? values[0] : undefined
}

/** Reads a repeated fixed-width field in either packed or unpacked form. */
function readRepeated(reader: ProtoReader, wireType: number, scalarWire: number, width: number, read: () => void): void {
  if (wireType === scalarWire) {
    read()
    return
  }
  if (wireType !== 2) {
    reader.skip(wireType)
    return
  }
  const length = reader.varint()
  const end = reader.pos + length
  if (end > reader.end || length % width !== 0) throw new Error('packed field has a bad length')
  while (reader.pos < end) read()
}

/** Product of `TensorShapeProto.dim[].size`; a scalar shape has no dims and one element. */
function shapeElements(data: Uint8Array): number {
  let elements = 1
  eachField(data, (field, wireType, reader) => {
    if (field === 2 && wireType === 2) {
      // proto3 omits a zero size, so a dim without field 1 has size 0.
      let size = 0
      eachField(reader.bytesField(), (dimField, dimWire, dimReader) => {
        if (dimField === 1 && dimWire === 0) size = dimReader.varint()
        else dimReader.skip(dimWire)
      })
      elements *= size
    } else reader.skip(wireType)
  })
  return elements
}
