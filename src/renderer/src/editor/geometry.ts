/**
 * Small geometry vocabulary shared by the editor core: points in continuous image coordinates and
 * integer pixel rectangles.
 *
 * Coordinate convention used by every tool: pixel (i, j) covers the square [i, i+1) × [j, j+1),
 * so its centre is (i + 0.5, j + 0.5). Pointer positions converted from screen space land
 * directly in this system.
 */

/** A point in continuous image coordinates (pixels, origin at the top-left corner of pixel 0,0). */
export interface Point {
  x: number
  y: number
}

/** An integer pixel rectangle: columns x..x+w-1, rows y..y+h-1. Never empty when non-null. */
export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

/** Whether a tool sets pixels to 1 ('add') or clears them to 0 ('subtract', i.e. the eraser). */
export type PaintMode = 'add' | 'subtract'

/** Byte a tool writes for a mode: 1 for 'add', 0 for 'subtract'. */
export function modeValue(mode: PaintMode): number {
  return mode === 'add' ? 1 : 0
}

/** Smallest rectangle covering both, treating null as empty. */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (a === null) return b
  if (b === null) return a
  const x = Math.min(a.x, b.x)
  const y = Math.min(a.y, b.y)
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y }
}

/**
 * Integer rectangle covering the continuous box [x0, x1] × [y0, y1] (any corner order), clipped to
 * a `width × height` frame; null when nothing of it lies inside.
 */
export function clipBox(x0: number, y0: number, x1: number, y1: number, width: number, height: number): Rect | null {
  const left = Math.max(0, Math.floor(Math.min(x0, x1)))
  const top = Math.max(0, Math.floor(Math.min(y0, y1)))
  const right = Math.min(width, Math.ceil(Math.max(x0, x1)))
  const bottom = Math.min(height, Math.ceil(Math.max(y0, y1)))
  if (!(right > left && bottom > top)) return null
  return { x: left, y: top, w: right - left, h: bottom - top }
}

/** The whole frame as a rectangle, or null for a zero-sized frame. */
export function frameRect(width: number, height: number): Rect | null {
  return width > 0 && height > 0 ? { x: 0, y: 0, w: width, h: height } : null
}

/** @throws RangeError when `layer.length !== width * height`: every tool checks its target once. */
export function assertLayerSize(layer: Uint8Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`frame size ${width}×${height} is not a pair of non-negative integers`)
  }
  if (layer.length !== width * height) {
    throw new RangeError(`layer has ${layer.length} bytes, expected ${width}×${height}`)
  }
}
