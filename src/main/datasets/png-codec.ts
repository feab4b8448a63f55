import { crc32, deflateSync, inflateSync } from 'node:zlib'

/**
 * A fast path for the PNGs this workbench reads and writes most (8-bit, non-interlaced grey,
 * RGB, RGBA, grey+alpha and palette images), on Node's native zlib. The pure-JS codec spends
 * most of its time in its JS inflate/deflate; importing 10,000 frames re-encodes every frame, so
 * this matters. Anything else (16-bit, sub-byte depths, interlaced) returns null and callers
 * fall back to the general decoder.
 */

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

export interface RawPng {
  width: number
  height: number
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; palette images report 1 with `palette` set. */
  channels: number
  data: Uint8Array
  palette?: number[][]
}

/** Decodes an 8-bit non-interlaced PNG; null when the image needs the general decoder. Throws on corrupt data. */
export function decodePngFast(bytes: Uint8Array): RawPng | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < 33 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('bad signature')
  let pos = 8
  let width = 0
  let height = 0
  let colorType = -1
  let palette: number[][] | undefined
  let alpha: Buffer | undefined
  const idat: Buffer[] = []
  let ended = false
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    if (pos + 12 + len > buf.length) throw new Error(`chunk ${type} runs past the end of the file`)
    const body = buf.subarray(pos + 8, pos + 8 + len)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const depth = body[8]
      colorType = body[9]
      if (depth !== 8 || body[12] !== 0 || !(colorType in CHANNELS)) return null
    } else if (type === 'PLTE') {
      palette = []
      for (let i = 0; i + 2 < len; i += 3) palette.push([body[i], body[i + 1], body[i + 2]])
    } else if (type === 'tRNS') alpha = body
    else if (type === 'IDAT') idat.push(body)
    else if (type === 'IEND') {
      ended = true
      break
    }
    pos += 12 + len
  }
  if (!ended) throw new Error('missing IEND chunk (file truncated)')
  if (!width || !height) throw new Error('missing IHDR chunk')
  if (palette && alpha) palette.forEach((c, i) => c.push(i < alpha!.length ? alpha![i] : 255))
  const channels = CHANNELS[colorType]
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  if (raw.length < (stride + 1) * height) throw new Error('image data shorter than its declared size')
  return { width, height, channels, data: unfilter(raw, width, height, channels), palette: colorType === 3 ? palette ?? [] : undefined }
}

function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp
  const out = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const src = y * (stride + 1) + 1
    const row = y * stride
    const prev = row - stride
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp] : 0
      const b = y > 0 ? out[prev + x] : 0
      const c = x >= bpp && y > 0 ? out[prev + x - bpp] : 0
      let v = raw[src + x]
      if (filter === 1) v += a
      else if (filter === 2) v += b
      else if (filter === 3) v += (a + b) >> 1
      else if (filter === 4) {
        const p = a + b - c
        const pa = Math.abs(p - a)
        const pb = Math.abs(p - b)
        const pc = Math.abs(p - c)
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c
      } else if (filter !== 0) throw new Error(`unknown row filter ${filter}`)
      out[row + x] = v & 255
    }
  }
  return out
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0)
  return Buffer.concat([head, body, crc])
}

/**
 * Encodes 8-bit pixels as a PNG (row filter 'up', which suits flat cartoon frames and masks).
 * @param channels 1 grey (or palette indices when `palette` is given), 2 grey+alpha, 3 RGB, 4 RGBA
 * @param palette optional [r, g, b] entries for an indexed image
 */
export function encodePngFast(width: number, height: number, channels: number, data: Uint8Array, palette?: number[][]): Uint8Array {
  const stride = width * channels
  if (data.length !== stride * height) throw new RangeError(`pixel data has ${data.length} bytes, expected ${stride * height}`)
  const raw = Buffer.alloc((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1)
    raw[o] = y === 0 ? 0 : 2
    const row = y * stride
    if (y === 0) raw.set(data.subarray(row, row + stride), o + 1)
    else for (let x = 0; x < stride; x++) raw[o + 1 + x] = (data[row + x] - data[row - stride + x]) & 255
  }
  const colorType = palette ? 3 : { 1: 0, 2: 4, 3: 2, 4: 6 }[channels]
  if (colorType === undefined) throw new RangeError(`unsupported channel count ${channels}`)
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = colorType
  const parts = [SIGNATURE, chunk('IHDR', ihdr)]
  if (palette) parts.push(chunk('PLTE', Buffer.from(palette.flatMap((c) => [c[0], c[1], c[2]]))))
  parts.push(chunk('IDAT', deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0)))
  return new Uint8Array(Buffer.concat(parts))
}
