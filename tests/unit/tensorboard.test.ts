import { mkdtempSync, readFileSync, rmSync, appendFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, basename } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encode as encodePng } from 'fast-png'
import { crc32c, maskCrc32c, maskedCrc32c } from '../../src/main/training/crc32c'
import { EventFileWriter, encodeEvent, encodeRecord, pngHeader } from '../../src/main/training/tensorboard'
import { EventFileCorruptError, decodeEvent, readEventFile } from '../../src/main/training/tensorboard-reader'

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

/*
 * Expected bytes below were produced by stock TensorBoard 2.21 (its `Event` protobuf class and
 * `RecordWriter`, pure-Python CRC-32C) and agree with the hand derivation in the comments.
 */

/**
 * file_version record for wall_time 1700000000.5:
 *   18 00 00 00 00 00 00 00          length 24, uint64 LE
 *   a3 7f 4b 22                      masked CRC-32C of the 8 length bytes
 *   09 | 00 00 20 40 fc 54 d9 41     field 1 (wall_time), wire type 1: double LE
 *   1a 0d | "brain.Event:2"          field 3 (file_version), wire type 2, 13 bytes
 *   2b 35 31 10                      masked CRC-32C of the 24 data bytes
 */
const FILE_VERSION_RECORD =
  '1800000000000000' + 'a37f4b22' + '0900002040fc54d941' + '1a0d' + hex(ascii('brain.Event:2')) + '2b353110'

/** Event{wall_time 1700000001.25, step 7, summary{value{tag "loss/g", simple_value 0.25}}} framed. */
const SCALAR_RECORD =
  '1c00000000000000c8c1951d0900005040fc54d94110072a0f0a0d0a066c6f73732f67150000803eeeca0aad'

describe('crc32c', () => {
  it('matches the Castagnoli check value and RFC 3720 vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43)
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e)
    expect(crc32c(new Uint8Array(0))).toBe(0)
  })

  it('handles sub-ranges and lengths that are not multiples of four', () => {
    const padded = ascii('xx123456789yyy')
    expect(crc32c(padded, 2, 11)).toBe(0xe3069283)
    for (let length = 0; length < 9; length++) {
      expect(crc32c(padded, 2, 2 + length)).toBe(crc32c(ascii('123456789'.slice(0, length))))
    }
  })

  it('masks like TensorFlow: rotate right 15, add 0xa282ead8', () => {
    expect(maskedCrc32c(ascii('123456789'))).toBe(0xc78ab0e5)
    expect(maskCrc32c(0)).toBe(0xa282ead8)
    expect(maskCrc32c(0xffffffff)).toBe((0xffffffff + 0xa282ead8) >>> 0)
  })
})

describe('event encoding', () => {
  it('encodes the file_version record byte for byte', () => {
    const record = encodeRecord(encodeEvent({ wallTime: 1700000000.5, fileVersion: 'brain.Event:2' }))
    expect(hex(record)).toBe(FILE_VERSION_RECORD)
  })

  it('encodes a scalar event byte for byte', () => {
    const event = { wallTime: 1700000001.25, step: 7, summary: [{ tag: 'loss/g', simpleValue: 0.25 }] }
    expect(hex(encodeRecord(encodeEvent(event)))).toBe(SCALAR_RECORD)
  })

  it('encodes an image event, large and negative steps like protobuf', () => {
    const png = Uint8Array.from({ length: 10 }, (_, i) => i)
    const image = { height: 2, width: 3, colorspace: 3 as const, png }
    expect(hex(encodeEvent({ wallTime: 1700000003, step: 300, summary: [{ tag: 'sample', image }] }))).toBe(
      '090000c040fc54d94110ac022a1e0a1c0a0673616d706c652212080210031803220a00010203040506070809'
    )
    expect(hex(encodeEvent({ wallTime: 1700000002, step: -3 }))).toBe('0900008040fc54d94110fdffffffffffffffff01')
    expect(hex(encodeEvent({ wallTime: 1, step: 2 ** 40 + 5 }))).toBe('09000000000000f03f10858080808020')
  })

  it('decodes what it encodes, including int64 edge steps', () => {
    for (const step of [0, 1, 127, 128, 2 ** 31, 2 ** 53 - 1, -1, -(2 ** 40)]) {
      expect(decodeEvent(encodeEvent({ wallTime: 12.5, step })).step).toBe(step)
    }
  })
})

describe('pngHeader', () => {
  it('reads size and maps colour type to colorspace', () => {
    const rgb = encodePng({ width: 3, height: 2, data: new Uint8Array(18), channels: 3 })
    expect(pngHeader(rgb)).toEqual({ width: 3, height: 2, colorspace: 3 })
    const gray = encodePng({ width: 1, height: 4, data: new Uint8Array(4), channels: 1 })
    expect(pngHeader(gray).colorspace).toBe(1)
    const rgba = encodePng({ width: 2, height: 2, data: new Uint8Array(16), channels: 4 })
    expect(pngHeader(rgba).colorspace).toBe(4)
  })

  it('rejects bytes that are not a PNG', () => {
    expect(() => pngHeader(new Uint8Array(40))).toThrow(/PNG/)
  })
})

describe('EventFileWriter and readEventFile', () => {
  let dir: string
  let now: number
  const clock = (): number => now

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpcsv-tb-'))
    now = 1700000000.5
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('names the file events.out.tfevents.<seconds>.<host><suffix> and starts with file_version', () => {
    const writer = new EventFileWriter(join(dir, 'run'), { clock, hostname: 'box', suffix: '.v2' })
    writer.close()
    expect(basename(writer.path)).toBe('events.out.tfevents.1700000000.box.v2')
    expect(hex(readFileSync(writer.path))).toBe(FILE_VERSION_RECORD)
  })

  it('does not share a file with a writer started in the same second', () => {
    const first = new EventFileWriter(dir, { clock, hostname: 'box' })
    const second = new EventFileWriter(dir, { clock, hostname: 'box' })
    expect(second.path).not.toBe(first.path)
    expect(readdirSync(dir)).toHaveLength(2)
  })

  it('writes scalars and an image that read back with matching CRCs', () => {
    const writer = new EventFileWriter(dir, { clock, hostname: 'box' })
    now += 1
    writer.addScalar('loss/g', 0.1, 1)
    writer.addScalar('loss/d', -2.5, 1, 1234.5)
    writer.addScalars({ 'loss/g': 0.2, 'loss/d': Number.NaN }, 2)
    const pixels = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 17) % 256)
    const png = encodePng({ width: 4, height: 3, data: pixels, channels: 3 })
    writer.addImage('samples/story', png, 4, 3, 2)
    // Nothing but the file_version record is on disk until flush.
    expect(readEventFile(readFileSync(writer.path)).events).toHaveLength(1)
    writer.close()

    const { events, truncated, warnings } = readEventFile(readFileSync(writer.path))
    expect(truncated).toBe(false)
    expect(warnings).toEqual([])
    expect(events.map((event) => event.step)).toEqual([0, 1, 1, 2, 2])
    expect(events[0]).toEqual({ wallTime: 1700000000.5, step: 0, fileVersion: 'brain.Event:2', values: [] })
    expect(events[1]).toEqual({
      wallTime: 1700000001.5,
      step: 1,
      values: [{ tag: 'loss/g', kind: 'scalar', value: Math.fround(0.1) }]
    })
    expect(events[2].wallTime).toBe(1234.5)
    expect(events[3].values).toHaveLength(2)
    expect(events[3].values[0]).toEqual({ tag: 'loss/g', kind: 'scalar', value: Math.fround(0.2) })
    const nanValue = events[3].values[1]
    expect(nanValue.kind === 'scalar' && Number.isNaN(nanValue.value)).toBe(true)
    const image = events[4].values[0]
    expect(image.kind).toBe('image')
    if (image.kind !== 'image') return
    expect(image.tag).toBe('samples/story')
    expect({ ...image.image, encoded: undefined }).toEqual({ height: 3, width: 4, colorspace: 3, encoded: undefined })
    expect(hex(image.image.encoded)).toBe(hex(png))
  })

  it('flushes automatically past maxPendingBytes and refuses writes after close', () => {
    const writer = new EventFileWriter(dir, { clock, hostname: 'box', maxPendingBytes: 1 })
    writer.addScalar('a', 1, 1)
    expect(readEventFile(readFileSync(writer.path)).events).toHaveLength(2)
    writer.close()
    writer.close()
    expect(() => writer.addScalar('a', 1, 2)).toThrow(/closed/)
  })

  it('validates steps, tags and image sizes', () => {
    const writer = new EventFileWriter(dir, { clock, hostname: 'box' })
    const png = encodePng({ width: 2, height: 2, data: new Uint8Array(12), channels: 3 })
    expect(() => writer.addScalar('a', 1, 1.5)).toThrow(RangeError)
    expect(() => writer.addScalar('', 1, 1)).toThrow(/tag/)
    expect(() => writer.addImage('img', png, 3, 2, 1)).toThrow(/2x2/)
    writer.addScalars({}, 3)
    writer.close()
    expect(readEventFile(readFileSync(writer.path)).events).toHaveLength(1)
  })

  it('detects and ignores a partially written final record', () => {
    const writer = new EventFileWriter(dir, { clock, hostname: 'box' })
    writer.addScalar('loss', 1, 1)
    writer.close()
    const whole = readFileSync(writer.path)
    const nextRecord = encodeRecord(encodeEvent({ wallTime: 2, step: 2, summary: [{ tag: 'loss', simpleValue: 2 }] }))
    for (const cut of [5, 12, nextRecord.length - 1]) {
      const bytes = new Uint8Array([...whole, ...nextRecord.subarray(0, cut)])
      const contents = readEventFile(bytes)
      expect(contents.truncated).toBe(true)
      expect(contents.events).toHaveLength(2)
      expect(contents.warnings[0]).toMatch(/partial record 2/)
    }
    appendFileSync(writer.path, nextRecord)
    expect(readEventFile(readFileSync(writer.path)).events).toHaveLength(3)
  })

  it('throws naming the record when a complete record fails its checksum', () => {
    const first = fromHex(FILE_VERSION_RECORD)
    const second = fromHex(SCALAR_RECORD)
    const dataCorrupt = new Uint8Array([...first, ...second])
    dataCorrupt[first.length + 20] ^= 0x01
    expect(() => readEventFile(dataCorrupt)).toThrow(/record 1 at byte 40: data checksum mismatch/)
    const lengthCorrupt = new Uint8Array([...first, ...second])
    lengthCorrupt[first.length] ^= 0x01
    expect(() => readEventFile(lengthCorrupt)).toThrow(EventFileCorruptError)
    expect(() => readEventFile(lengthCorrupt)).toThrow(/record 1 .*length checksum/)
  })

  it('reads TF2 tensor scalars written by other tools', () => {
    // Value{tag "acc", tensor{dtype DT_FLOAT, tensor_shape{}, float_val [0.5]}}, hand-encoded.
    const tensor = [0x08, 0x01, 0x12, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x3f]
    const value = [0x0a, 0x03, ...ascii('acc'), 0x42, tensor.length, ...tensor]
    const summary = [0x0a, value.length, ...value]
    const event = new Uint8Array([...encodeEvent({ wallTime: 1, step: 4 }), 0x2a, summary.length, ...summary])
    expect(decodeEvent(event).values).toEqual([{ tag: 'acc', kind: 'scalar', value: 0.5 }])
  })
})
