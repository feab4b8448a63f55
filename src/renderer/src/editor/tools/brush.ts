/**
 * Round brush and eraser rasterisation.
 *
 * A stroke is painted segment by segment between successive pointer samples, as the capsule
 * (segment swept by a disc) rather than as dabs at the samples, so fast drags leave no gaps.
 * Each row of the capsule is one contiguous span (the capsule is convex), computed analytically
 * and written with `fill`, so a segment costs O(rows) arithmetic and touches only its bounding box.
 */

import { assertLayerSize, clipBox, modeValue, type PaintMode, type Point, type Rect } from '../geometry'

/** Smallest brush diameter in pixels. */
export const MIN_BRUSH_DIAMETER = 1
/** Largest brush diameter in pixels. */
export const MAX_BRUSH_DIAMETER = 256

/**
 * Slack added to the radius so pixel centres exactly on the brush edge are painted despite
 * rounding in the projection (e.g. diameter 2 centred on a pixel centre paints its 4 neighbours).
 */
const EDGE_EPSILON = 1e-7

/** @throws RangeError unless `diameter` is a finite number in [1, 256]. */
export function assertBrushDiameter(diameter: number): void {
  if (!(diameter >= MIN_BRUSH_DIAMETER && diameter <= MAX_BRUSH_DIAMETER)) {
    throw new RangeError(`brush diameter ${diameter} is outside ${MIN_BRUSH_DIAMETER}..${MAX_BRUSH_DIAMETER}`)
  }
}

/**
 * Where the canvas should centre a brush for a pointer at (x, y), so that a dab covers a
 * symmetric block of pixels: odd diameters centre on the pixel centre under the pointer
 * (diameter 1 paints exactly that pixel, 3 a 3×3 block), even diameters on the nearest pixel
 * corner (diameter 2 paints the 2×2 block around it). Parity is that of `Math.round(diameter)`.
 */
export function snapBrushCenter(x: number, y: number, diameter: number): Point {
  if (Math.round(diameter) % 2 === 1) return { x: Math.floor(x) + 0.5, y: Math.floor(y) + 0.5 }
  return { x: Math.round(x), y: Math.round(y) }
}

/**
 * Pixel rectangle a segment may touch (its bounding box grown by the radius, plus one pixel of
 * margin), clipped to the frame; null when it lies fully outside. Used to capture undo tiles
 * before painting.
 */
export function brushSegmentBounds(
  x0: number, y0: number, x1: number, y1: number, diameter: number, width: number, height: number
): Rect | null {
  const reach = diameter / 2 + 1
  const left = Math.min(x0, x1) - reach
  const top = Math.min(y0, y1) - reach
  return clipBox(left, top, Math.max(x0, x1) + reach, Math.max(y0, y1) + reach, width, height)
}

/**
 * Paints one brush segment into a `width × height` row-major 0/1 layer.
 *
 * Exact rule: pixel (i, j) is set to 1 ('add') or 0 ('subtract') iff the distance from its centre
 * (i + 0.5, j + 0.5) to the closed segment (x0, y0)–(x1, y1) is ≤ diameter / 2 (+1e-7 slack for
 * rounding). A single dab is the segment with equal endpoints. Pixels outside the frame are
 * clipped; other pixels are left untouched.
 *
 * @param x0 start point in continuous image coordinates (pixels).
 * @param diameter brush diameter in pixels, 1..256 (non-integers allowed).
 * @returns the rectangle of rows/columns written (whether or not the bytes changed), or null.
 * @throws RangeError on a layer of the wrong size or a diameter outside 1..256.
 */
export function paintBrushSegment(
  layer: Uint8Array, width: number, height: number,
  x0: number, y0: number, x1: number, y1: number,
  diameter: number, mode: PaintMode
): Rect | null {
  assertLayerSize(layer, width, height)
  assertBrushDiameter(diameter)
  if (![x0, y0, x1, y1].every(Number.isFinite)) return null
  const radius = diameter / 2 + EDGE_EPSILON
  const value = modeValue(mode)
  const rowStart = Math.max(0, Math.floor(Math.min(y0, y1) - radius))
  const rowEnd = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + radius))
  const span: [number, number] = [0, 0]
  let minX = width
  let maxX = -1
  let minY = -1
  let maxY = -1
  for (let j = rowStart; j <= rowEnd; j++) {
    if (!capsuleRowSpan(x0, y0, x1, y1, radius, j + 0.5, span)) continue
    // Pixel centres i + 0.5 inside [low, high].
    const first = Math.max(0, Math.ceil(span[0] - 0.5))
    const last = Math.min(width - 1, Math.floor(span[1] - 0.5))
    if (first > last) continue
    layer.fill(value, j * width + first, j * width + last + 1)
    if (minY < 0) minY = j
    maxY = j
    if (first < minX) minX = first
    if (last > maxX) maxX = last
  }
  if (minY < 0) return null
  return { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 }
}

/** Paints a single round dab centred at (x, y): {@link paintBrushSegment} with equal endpoints. */
export function paintBrushDab(
  layer: Uint8Array, width: number, height: number, x: number, y: number, diameter: number, mode: PaintMode
): Rect | null {
  return paintBrushSegment(layer, width, height, x, y, x, y, diameter, mode)
}

/**
 * Interval of x where the horizontal line at `cy` lies within `radius` of the segment, written to
 * `out` as [low, high]. The capsule is the union of the two end discs and the band swept along the
 * segment; being convex, its cut is one interval, so the hull of the three partial cuts is exact.
 * @returns false when the line misses the capsule.
 */
function capsuleRowSpan(
  x0: number, y0: number, x1: number, y1: number, radius: number, cy: number, out: [number, number]
): boolean {
  let low = Infinity
  let high = -Infinity
  const r2 = radius * radius
  const d0 = cy - y0
  if (d0 * d0 <= r2) {
    const half = Math.sqrt(r2 - d0 * d0)
    low = x0 - half
    high = x0 + half
  }
  const d1 = cy - y1
  if (d1 * d1 <= r2) {
    const half = Math.sqrt(r2 - d1 * d1)
    low = Math.min(low, x1 - half)
    high = Math.max(high, x1 + half)
  }
  const dx = x1 - x0
  const dy = y1 - y0
  const length2 = dx * dx + dy * dy
  if (length2 > 0) {
    // Band: projection parameter in [0, 1] and perpendicular distance ≤ radius, both linear in x.
    const reach = radius * Math.sqrt(length2)
    const bandLow = Math.max(rangeLow(dx, d0 * dy, 0, length2), rangeLow(dy, -d0 * dx, -reach, reach))
    const bandHigh = Math.min(rangeHigh(dx, d0 * dy, 0, length2), rangeHigh(dy, -d0 * dx, -reach, reach))
    if (bandLow <= bandHigh) {
      low = Math.min(low, x0 + bandLow)
      high = Math.max(high, x0 + bandHigh)
    }
  }
  if (low > high) return false
  out[0] = low
  out[1] = high
  return true
}

// Solutions u of `min ≤ a·u + b ≤ max` form [rangeLow, rangeHigh] (empty when low > high).
// Two scalar functions instead of a returned pair keep the per-row loop allocation-free.

function rangeLow(a: number, b: number, min: number, max: number): number {
  if (a === 0) return b >= min && b <= max ? -Infinity : Infinity
  return a > 0 ? (min - b) / a : (max - b) / a
}

function rangeHigh(a: number, b: number, min: number, max: number): number {
  if (a === 0) return b >= min && b <= max ? Infinity : -Infinity
  return a > 0 ? (max - b) / a : (min - b) / a
}
