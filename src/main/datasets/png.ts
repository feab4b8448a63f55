import { decode, hasPngSignature } from 'fast-png'
import { UserError } from '../../shared/result'
import { decodePngFast, encodePngFast, type RawPng } from './png-codec'

/** A decoded image normalised to 8-bit RGBA, row-major. */
export interface RgbaImage {
  width: number
  height: number
  /** width·height·4 bytes */
  data: Uint8Array
}

/**
 * Decodes any PNG (grey, grey+alpha, RGB, RGBA, palette; 1-16 bit) to 8-bit RGBA.
 * Throws a UserError naming `file` when the bytes are not a complete, valid PNG.
 */
export function decodePngRgba(bytes: Uint8Array, file: string): RgbaImage {
  if (bytes.length < 8 || !hasPngSignature(bytes)) {
    throw new UserError(`${file}: not a PNG image (bad signature)`)
  }
  let png: RawPng & { depth: number }
  try {
    const fast = decodePngFast(bytes)
    png = fast ? { ...fast, depth: 8 } : (decode(bytes) as unknown as RawPng & { depth: number })
  } catch (e) {
    throw new UserError(`${file}: truncated or corrupt PNG (${(e as Error).message})`)
  }
  const { width, height, channels, depth } = png
  const n = width * height
  const expected = palette(png) ? n : n * channels
  if (!width || !height || png.data.length < expected) {
    throw new UserError(`${file}: truncated or corrupt PNG (pixel data incomplete)`)
  }
  const out = new Uint8Array(n * 4)
  const src = png.data
  const scale = depth === 16 ? 1 / 257 : depth < 8 ? 255 / ((1 << depth) - 1) : 1
  const pal = palette(png)
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number, a: number
    if (pal) {
      const c = pal[src[i]] ?? [0, 0, 0]
      ;[r, g, b] = c
      a = c.length > 3 ? (c[3] as number) : 255
    } else if (channels === 1 || channels === 2) {
      r = g = b = src[i * channels] * scale
      a = channels === 2 ? src[i * 2 + 1] * scale : 255
    } else {
      r = src[i * channels] * scale
      g = src[i * channels + 1] * scale
      b = src[i * channels + 2] * scale
      a = channels === 4 ? src[i * 4 + 3] * scale : 255
    }
    out[i * 4] = r
    out[i * 4 + 1] = g
    out[i * 4 + 2] = b
    out[i * 4 + 3] = a
  }
  return { width, height, data: out }
}

function palette(png: { palette?: number[][] | unknown; channels: number }): number[][] | undefined {
  return png.channels === 1 && png.palette ? (png.palette as number[][]) : undefined
}

/** Cuts rows [y0, y0 + h) of an RGBA image out as a new image. */
export function cropRows(img: RgbaImage, y0: number, h: number): RgbaImage {
  const start = y0 * img.width * 4
  return { width: img.width, height: h, data: img.data.slice(start, start + h * img.width * 4) }
}

/** Encodes RGBA as an RGB PNG (alpha dropped: frames are opaque, as the reference loaders treat them). */
export function encodeRgbPng(img: RgbaImage): Uint8Array {
  const n = img.width * img.height
  const rgb = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = img.data[i * 4]
    rgb[i * 3 + 1] = img.data[i * 4 + 1]
    rgb[i * 3 + 2] = img.data[i * 4 + 2]
  }
  return encodePngFast(img.width, img.height, 3, rgb)
}

/** Encodes a 1-channel 8-bit image (masks: 0 background, 255 figure). */
export function encodeGreyPng(width: number, height: number, grey: Uint8Array): Uint8Array {
  return encodePngFast(width, height, 1, grey)
}

/** A binary mask (0/1) from an RGBA image: a pixel is figure when its luminance is above half. */
export function maskFromRgba(img: RgbaImage): Uint8Array {
  const n = img.width * img.height
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const y = 0.299 * img.data[i * 4] + 0.587 * img.data[i * 4 + 1] + 0.114 * img.data[i * 4 + 2]
    out[i] = y > 127 ? 1 : 0
  }
  return out
}
