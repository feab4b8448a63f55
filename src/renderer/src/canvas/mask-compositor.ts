/**
 * Turns the 0/1 character layers of a MaskDocument into one RGBA overlay on an offscreen canvas.
 *
 * Speed is the point: every layer is blended into one ImageData at image resolution, and an edit
 * recomposes and re-uploads (putImageData with a dirty rectangle) only the rectangle it changed,
 * so a brush dab costs its own few hundred pixels however large the frame, and the stage then
 * draws a single image per frame instead of one per character.
 */

import type { Rect } from '../editor/geometry'
import type { MaskDocument } from '../editor/mask-document'

/** How one character layer is drawn. */
export interface LayerStyle {
  /** '#rrggbb'. */
  color: string
  visible: boolean
  /** 0..1. */
  opacity: number
}

/** A LayerStyle as the blending loop reads it. */
export interface ResolvedStyle {
  r: number
  g: number
  b: number
  /** Opacity as 0..255, 0 when hidden. */
  alpha: number
}

/** Parses '#rrggbb' (or '#rgb') into channels; grey on anything else. */
export function parseHexColor(color: string): [number, number, number] {
  const hex = color.replace(/^#/, '')
  const full = hex.length === 3 ? hex.split('').map((c) => c + c).join('') : hex
  const value = Number.parseInt(full, 16)
  if (full.length !== 6 || Number.isNaN(value)) return [128, 128, 128]
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}

/**
 * Blends `layers` (0/1 bytes, `width` wide) inside `rect` into `out` (RGBA, same frame size) with
 * the "over" operator, layer 0 at the bottom. Pixels no visible layer covers become transparent.
 * Exposed for tests and for the compositor; allocation-free.
 */
export function compositeRect(
  layers: readonly Uint8Array[], styles: readonly ResolvedStyle[], width: number, rect: Rect, out: Uint8ClampedArray
): void {
  const count = Math.min(layers.length, styles.length)
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    for (let i = y * width + rect.x, end = i + rect.w; i < end; i++) {
      // Premultiplied accumulation in 0..255 floats: few layers overlap, so this stays cheap.
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let k = 0; k < count; k++) {
        const style = styles[k]
        if (layers[k][i] === 0 || style.alpha === 0) continue
        const t = style.alpha / 255
        r = style.r * t + r * (1 - t)
        g = style.g * t + g * (1 - t)
        b = style.b * t + b * (1 - t)
        a = 255 * t + a * (1 - t)
      }
      const o = i * 4
      if (a === 0) {
        out[o + 3] = 0
        continue
      }
      // Un-premultiply for ImageData (straight alpha).
      const scale = 255 / a
      out[o] = r * scale
      out[o + 1] = g * scale
      out[o + 2] = b * scale
      out[o + 3] = a
    }
  }
}

/** Offscreen overlay of one document; see the module comment. */
export class MaskCompositor {
  /** The overlay at image resolution, for the stage to draw scaled. */
  readonly canvas: HTMLCanvasElement
  private readonly context: CanvasRenderingContext2D
  private readonly image: ImageData
  private styles: ResolvedStyle[] = []
  private doc: MaskDocument | null = null

  /** @param width frame width in pixels. @param height frame height in pixels. */
  constructor(readonly width: number, readonly height: number) {
    this.canvas = document.createElement('canvas')
    this.canvas.width = width
    this.canvas.height = height
    const context = this.canvas.getContext('2d', { willReadFrequently: false })
    if (context === null) throw new Error('2D canvas is not available')
    this.context = context
    this.image = context.createImageData(width, height)
  }

  /** Shows `doc` with one style per layer index, recomposing everything. */
  setDocument(doc: MaskDocument, styles: readonly LayerStyle[]): void {
    if (doc.width !== this.width || doc.height !== this.height) {
      throw new RangeError(`document is ${doc.width}×${doc.height}, compositor ${this.width}×${this.height}`)
    }
    this.doc = doc
    this.setStyles(styles)
  }

  /** Changes colours, visibility or opacity and recomposes the whole overlay. */
  setStyles(styles: readonly LayerStyle[]): void {
    this.styles = styles.map((style) => {
      const [r, g, b] = parseHexColor(style.color)
      const alpha = style.visible ? Math.round(Math.max(0, Math.min(1, style.opacity)) * 255) : 0
      return { r, g, b, alpha }
    })
    this.update({ x: 0, y: 0, w: this.width, h: this.height })
  }

  /** Recomposes `rect` and uploads only that rectangle to the canvas. */
  update(rect: Rect): void {
    if (this.doc === null) return
    const clipped = clip(rect, this.width, this.height)
    if (clipped === null) return
    compositeRect(this.doc.layers(), this.styles, this.width, clipped, this.image.data)
    this.context.putImageData(this.image, 0, 0, clipped.x, clipped.y, clipped.w, clipped.h)
  }
}

function clip(rect: Rect, width: number, height: number): Rect | null {
  const x = Math.max(0, rect.x)
  const y = Math.max(0, rect.y)
  const w = Math.min(width, rect.x + rect.w) - x
  const h = Math.min(height, rect.y + rect.h) - y
  return w > 0 && h > 0 ? { x, y, w, h } : null
}
