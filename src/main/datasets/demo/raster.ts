/**
 * A tiny software rasteriser for the demo generators: RGB pixels plus an owner map that records,
 * per pixel, which character (or object) painted it last. Shapes are filled by testing pixel
 * centres with no anti-aliasing, so the owner map gives exact, hard-edged truth masks: a pixel
 * belongs to exactly one owner, and painting over a character removes those pixels from its mask.
 */
import { encodePngFast } from '../png-codec'

/** Packed colour 0xRRGGBB. */
export type Color = number

/** A flat colour or a per-pixel shader called with the pixel-centre coordinates. */
export type Paint = Color | ((x: number, y: number) => Color)

/** Owner id of pixels no character painted (background, scenery, shadows). */
export const GROUND = 0

/** Rounds and clamps one channel to 0..255. */
function channel(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)
}

// Hot helpers below avoid nested closures: tsx/esbuild wrap every closure creation in a
// keep-names call that costs more than the pixel work itself.

/** Packs 0..255 channels (clamped, rounded) into a colour. */
export function rgb(r: number, g: number, b: number): Color {
  return (channel(r) << 16) | (channel(g) << 8) | channel(b)
}

/** Multiplies each channel by factor (lighter > 1 > darker), clamped. */
export function scaleColor(color: Color, factor: number): Color {
  return rgb(((color >> 16) & 255) * factor, ((color >> 8) & 255) * factor, (color & 255) * factor)
}

/** Linear blend: t = 0 gives a, t = 1 gives b. */
export function mixColor(a: Color, b: Color, t: number): Color {
  const u = 1 - t
  return rgb(
    ((a >> 16) & 255) * u + ((b >> 16) & 255) * t,
    ((a >> 8) & 255) * u + ((b >> 8) & 255) * t,
    (a & 255) * u + (b & 255) * t
  )
}

/** CSS '#rrggbb' form of a colour. */
export function cssColor(color: Color): string {
  return '#' + color.toString(16).padStart(6, '0')
}

/** RGB frame plus owner map, width·height pixels, row-major, origin top left. */
export class Raster {
  /** width·height·3 bytes, 0..255. */
  readonly rgb: Uint8Array
  /** width·height owner ids; GROUND (0) or a caller-chosen id 1..255. */
  readonly owner: Uint8Array

  constructor(
    readonly width: number,
    readonly height: number
  ) {
    this.rgb = new Uint8Array(width * height * 3)
    this.owner = new Uint8Array(width * height)
  }

  /** Paints one pixel (ignored outside the frame); owner < 0 keeps the current owner. */
  put(x: number, y: number, color: Color, owner: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return
    const i = y * this.width + x
    this.rgb[i * 3] = (color >> 16) & 255
    this.rgb[i * 3 + 1] = (color >> 8) & 255
    this.rgb[i * 3 + 2] = color & 255
    if (owner >= 0) this.owner[i] = owner
  }

  /** Fills whole rows with one colour each (vertical gradients); owners reset to GROUND. */
  fillRows(colorOfRow: (y: number) => Color): void {
    this.owner.fill(GROUND)
    const w = this.width
    for (let y = 0; y < this.height; y++) {
      const color = colorOfRow(y + 0.5)
      const r = (color >> 16) & 255
      const g = (color >> 8) & 255
      const b = color & 255
      for (let i = y * w * 3, end = (y + 1) * w * 3; i < end; i += 3) {
        this.rgb[i] = r
        this.rgb[i + 1] = g
        this.rgb[i + 2] = b
      }
    }
  }

  /** Axis-aligned rectangle [x0, x1) × [y0, y1) in pixel coordinates (centres tested). */
  fillRect(x0: number, y0: number, x1: number, y1: number, paint: Paint, owner: number): void {
    const [ya, yb] = this.rows(y0, y1)
    for (let y = ya; y <= yb; y++) {
      const cy = y + 0.5
      if (cy < y0 || cy >= y1) continue
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(this.width, Math.ceil(x1)); x++) {
        const cx = x + 0.5
        if (cx >= x0 && cx < x1) this.put(x, y, paintAt(paint, cx, cy), owner)
      }
    }
  }

  /** Ellipse centred at (cx, cy) with radii rx, ry (pixels). */
  fillEllipse(cx: number, cy: number, rx: number, ry: number, paint: Paint, owner: number): void {
    if (rx <= 0 || ry <= 0) return
    const [ya, yb] = this.rows(cy - ry, cy + ry)
    const xa = Math.max(0, Math.floor(cx - rx))
    const xb = Math.min(this.width - 1, Math.ceil(cx + rx))
    for (let y = ya; y <= yb; y++) {
      const dy = (y + 0.5 - cy) / ry
      for (let x = xa; x <= xb; x++) {
        const dx = (x + 0.5 - cx) / rx
        if (dx * dx + dy * dy <= 1) this.put(x, y, paintAt(paint, x + 0.5, y + 0.5), owner)
      }
    }
  }

  /** Simple polygon given as flat [x0, y0, x1, y1, ...]; even-odd rule on pixel centres. */
  fillPolygon(points: readonly number[], paint: Paint, owner: number): void {
    const n = points.length / 2
    if (n < 3) return
    let minY = Infinity
    let maxY = -Infinity
    for (let i = 1; i < points.length; i += 2) {
      minY = Math.min(minY, points[i])
      maxY = Math.max(maxY, points[i])
    }
    const [ya, yb] = this.rows(minY, maxY)
    const crossings: number[] = []
    for (let y = ya; y <= yb; y++) {
      const cy = y + 0.5
      crossings.length = 0
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const yi = points[2 * i + 1]
        const yj = points[2 * j + 1]
        if (yi > cy !== yj > cy) {
          const xi = points[2 * i]
          const xj = points[2 * j]
          crossings.push(xi + ((cy - yi) / (yj - yi)) * (xj - xi))
        }
      }
      // Usually two or four crossings: an insertion sort beats Array.sort's call overhead.
      for (let a = 1; a < crossings.length; a++) {
        const v = crossings[a]
        let b = a - 1
        for (; b >= 0 && crossings[b] > v; b--) crossings[b + 1] = crossings[b]
        crossings[b + 1] = v
      }
      for (let k = 0; k + 1 < crossings.length; k += 2) this.span(y, crossings[k], crossings[k + 1], paint, owner)
    }
  }

  /** 0/1 mask of the pixels owned by `id`, width·height bytes, and its pixel count. */
  maskOf(id: number): { mask: Uint8Array; pixels: number } {
    const mask = new Uint8Array(this.owner.length)
    let pixels = 0
    for (let i = 0; i < mask.length; i++) {
      if (this.owner[i] === id) {
        mask[i] = 1
        pixels++
      }
    }
    return { mask, pixels }
  }

  /** 0/1 mask of every pixel some owner other than GROUND painted (figure-ground). */
  figureMask(): Uint8Array {
    const mask = new Uint8Array(this.owner.length)
    for (let i = 0; i < mask.length; i++) mask[i] = this.owner[i] === GROUND ? 0 : 1
    return mask
  }

  /** 8-bit RGB PNG of the pixels. */
  toPng(): Uint8Array {
    return encodePngFast(this.width, this.height, 3, this.rgb)
  }

  private span(y: number, xLeft: number, xRight: number, paint: Paint, owner: number): void {
    // Pixel x is inside when its centre x + 0.5 lies in [xLeft, xRight).
    const xa = Math.max(0, Math.ceil(xLeft - 0.5))
    const xb = Math.min(this.width - 1, Math.ceil(xRight - 0.5) - 1)
    for (let x = xa; x <= xb; x++) this.put(x, y, paintAt(paint, x + 0.5, y + 0.5), owner)
  }

  private rows(top: number, bottom: number): [number, number] {
    return [Math.max(0, Math.floor(top)), Math.min(this.height - 1, Math.ceil(bottom))]
  }
}

function paintAt(paint: Paint, x: number, y: number): Color {
  return typeof paint === 'number' ? paint : paint(x, y)
}
