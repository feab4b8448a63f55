/**
 * Story strips in the browser: a strip PNG (row 1 generated frames, row 2 generated masks when
 * the model has a figure-ground branch, row 3 ground truth when known; each cell `size`
 * square) decoded once to pixels, cut into frames, with the masks as a tinted overlay, and
 * encoded as an animated GIF for download.
 */
import { GIFEncoder, applyPalette, quantize } from 'gifenc'

export type StripRow = 'generated' | 'masks' | 'truth'

/** How generated masks are shown: tinted over the frames, as their own row, or not at all. */
export type MaskMode = 'overlay' | 'row' | 'off'

/** One strip shown in a story card: where it is and what its rows hold. */
export interface CardStrip {
  src: string
  label: string
  hasMasks: boolean
  hasTruth: boolean
}

export interface StripLayout {
  frames: number
  size: number
  rows: StripRow[]
}

/** Overlay tint of figure (mask) pixels: a magenta that no cartoon or CLEVR palette uses much. */
const TINT = [236, 72, 153]
const TINT_ALPHA = 0.5

/** Rows of a strip from its pixel height: samples always carry ground truth, generations say. */
export function stripLayout(width: number, height: number, size: number, has: { masks: boolean; truth: boolean }): StripLayout {
  const rows: StripRow[] = ['generated']
  if (has.masks) rows.push('masks')
  if (has.truth) rows.push('truth')
  if (rows.length * size !== height) throw new Error(`strip is ${height}px high, expected ${rows.length} rows of ${size}px`)
  return { frames: Math.round(width / size), size, rows }
}

const cache = new Map<string, Promise<ImageData>>()

/** Decodes a strip image (asset URL or data URL) to pixels; the last 48 are cached. */
export function loadStrip(src: string): Promise<ImageData> {
  let p = cache.get(src)
  if (!p) {
    p = new Promise<ImageData>((resolve, reject) => {
      const img = new Image()
      img.onload = () => {
        const canvas = document.createElement('canvas')
        canvas.width = img.naturalWidth
        canvas.height = img.naturalHeight
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!
        ctx.drawImage(img, 0, 0)
        resolve(ctx.getImageData(0, 0, canvas.width, canvas.height))
      }
      img.onerror = () => reject(new Error(`cannot load ${src.startsWith('data:') ? 'the generated image' : src}`))
      img.src = src
    })
    p.catch(() => cache.delete(src))
    cache.set(src, p)
    if (cache.size > 48) cache.delete(cache.keys().next().value as string)
  }
  return p
}

/**
 * One row of a strip as RGBA (frames·size × size). With `overlay`, the generated frames get the
 * mask row tinted over them (mask pixels above mid-grey are figure).
 */
export function rowPixels(strip: ImageData, layout: StripLayout, row: StripRow, overlay = false): ImageData {
  const { size, frames } = layout
  const width = frames * size
  const out = new ImageData(width, size)
  const y0 = layout.rows.indexOf(row) * size
  const m0 = layout.rows.indexOf('masks') * size
  const tint = overlay && row === 'generated' && m0 >= 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < width; x++) {
      const s = ((y0 + y) * strip.width + x) * 4
      const d = (y * width + x) * 4
      const a = tint && strip.data[((m0 + y) * strip.width + x) * 4] > 127 ? TINT_ALPHA : 0
      for (let c = 0; c < 3; c++) out.data[d + c] = Math.round((1 - a) * strip.data[s + c] + a * TINT[c])
      out.data[d + 3] = 255
    }
  }
  return out
}

/** Frame t of a row, scaled up `scale` times (nearest neighbour), as RGBA bytes. */
function framePixels(row: ImageData, layout: StripLayout, t: number, scale: number): Uint8Array {
  const { size } = layout
  const side = size * scale
  const out = new Uint8Array(side * side * 4)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const s = (Math.floor(y / scale) * row.width + t * size + Math.floor(x / scale)) * 4
      out.set(row.data.subarray(s, s + 4), (y * side + x) * 4)
    }
  }
  return out
}

/** An animated GIF of the generated frames (looping), optionally with the mask overlay. */
export async function storyGif(src: string, layout: StripLayout, opts: { overlay: boolean; scale?: number; delayMs?: number }): Promise<Uint8Array> {
  const strip = await loadStrip(src)
  const row = rowPixels(strip, layout, 'generated', opts.overlay)
  const scale = opts.scale ?? 2
  const side = layout.size * scale
  const gif = GIFEncoder()
  for (let t = 0; t < layout.frames; t++) {
    const rgba = framePixels(row, layout, t, scale)
    const palette = quantize(rgba, 256)
    gif.writeFrame(applyPalette(rgba, palette), side, side, { palette, delay: opts.delayMs ?? 700 })
  }
  gif.finish()
  return gif.bytes()
}

/** Object URL of bytes for a download link (the caller revokes it). */
export function blobUrl(bytes: Uint8Array, type: string): string {
  return URL.createObjectURL(new Blob([bytes as BlobPart], { type }))
}
