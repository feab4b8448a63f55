/**
 * Rectangle fill. Same pixel-centre, half-open sampling as the polygon tool (polygon.ts), so a
 * rectangle fills exactly what the polygon of its four corners would, without the scanline work.
 */

import { assertLayerSize, clipBox, modeValue, type PaintMode, type Rect } from '../geometry'

/**
 * Axis-aligned rectangle between two corners (any order) in continuous coordinates, sampled like
 * the polygon [x0,x1) × [y0,y1): pixel (i, j) is written iff min(x) ≤ i + 0.5 < max(x) and
 * min(y) ≤ j + 0.5 < max(y). Integer corners (2,3)–(5,6) therefore fill columns 2..4, rows 3..5.
 * @returns the rectangle written, or null when it covers no pixel centre.
 * @throws RangeError on a wrong-sized layer.
 */
export function fillRectangle(
  layer: Uint8Array, width: number, height: number,
  x0: number, y0: number, x1: number, y1: number, mode: PaintMode
): Rect | null {
  assertLayerSize(layer, width, height)
  const first = Math.max(0, Math.ceil(Math.min(x0, x1) - 0.5))
  const last = Math.min(width - 1, Math.ceil(Math.max(x0, x1) - 0.5) - 1)
  const top = Math.max(0, Math.ceil(Math.min(y0, y1) - 0.5))
  const bottom = Math.min(height - 1, Math.ceil(Math.max(y0, y1) - 0.5) - 1)
  if (!(first <= last && top <= bottom)) return null
  const value = modeValue(mode)
  for (let j = top; j <= bottom; j++) layer.fill(value, j * width + first, j * width + last + 1)
  return { x: first, y: top, w: last - first + 1, h: bottom - top + 1 }
}

/** Pixel rectangle a rectangle fill may touch, clipped; null when outside the frame. */
export function rectangleBounds(x0: number, y0: number, x1: number, y1: number, width: number, height: number): Rect | null {
  return clipBox(x0, y0, x1, y1, width, height)
}
