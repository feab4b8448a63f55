/**
 * Polygon and lasso fills by scanline with pixel-centre sampling.
 *
 * Sampling rule (shared with rectangle.ts): pixel (i, j) is inside iff its centre
 * (i + 0.5, j + 0.5) is inside the shape, with half-open edges (a centre exactly on a left or top edge is inside, on
 * a right or bottom edge outside). Half-open edges make adjacent shapes tile without overlaps or
 * gaps, and make a rectangle with integer corners cover exactly the pixels between them.
 */

import { assertLayerSize, clipBox, modeValue, type PaintMode, type Point, type Rect } from '../geometry'

/**
 * Which centres of a self-intersecting outline count as inside. 'nonzero' (the default for the
 * polygon and lasso tools) fills every loop the outline winds around, which matches a person
 * circling a character; 'even-odd' leaves doubly-wound regions as holes.
 */
export type FillRule = 'nonzero' | 'even-odd'

/** Pixel rectangle the polygon may touch (vertex bounding box plus one pixel), clipped; null if outside. */
export function polygonBounds(points: readonly Point[], width: number, height: number): Rect | null {
  if (points.length === 0) return null
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const point of points) {
    if (point.x < minX) minX = point.x
    if (point.x > maxX) maxX = point.x
    if (point.y < minY) minY = point.y
    if (point.y > maxY) maxY = point.y
  }
  return clipBox(minX - 1, minY - 1, maxX + 1, maxY + 1, width, height)
}

/**
 * Fills a closed polygon (the last vertex joins the first) into a `width × height` 0/1 layer:
 * every pixel whose centre is inside per `rule` and the half-open sampling rule is set to 1
 * ('add') or 0 ('subtract'); other pixels are untouched. Fewer than 3 vertices fill nothing.
 *
 * Row j samples the line y = j + 0.5: an edge (a, b) crosses it iff exactly one endpoint has
 * y ≤ j + 0.5, at x = a.x + (j + 0.5 − a.y)(b.x − a.x)/(b.y − a.y); the pixels filled between
 * sorted crossings xa < xb are i = ceil(xa − 0.5) .. ceil(xb − 0.5) − 1.
 *
 * @param points vertices in continuous image coordinates (pixels), e.g. clicked positions.
 * @returns the rectangle of rows/columns written, or null.
 * @throws RangeError on a wrong-sized layer or a non-finite coordinate.
 */
export function fillPolygon(
  layer: Uint8Array, width: number, height: number,
  points: readonly Point[], mode: PaintMode, rule: FillRule = 'nonzero'
): Rect | null {
  assertLayerSize(layer, width, height)
  const count = points.length
  for (const point of points) {
    if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) throw new RangeError('polygon vertex is not finite')
  }
  if (count < 3) return null
  let minY = Infinity
  let maxY = -Infinity
  for (const point of points) {
    if (point.y < minY) minY = point.y
    if (point.y > maxY) maxY = point.y
  }
  // One allocation per fill, sized for the worst case of every edge crossing a row.
  const crossings = new Float64Array(count)
  const windings = new Int8Array(count)
  const value = modeValue(mode)
  const firstRow = Math.max(0, Math.ceil(minY - 0.5))
  const lastRow = Math.min(height - 1, Math.ceil(maxY - 0.5) - 1)
  const written: Rect = { x: width, y: -1, w: 0, h: 0 }
  let maxX = -1
  for (let j = firstRow; j <= lastRow; j++) {
    const found = collectCrossings(points, j + 0.5, crossings, windings)
    sortCrossings(crossings, windings, found)
    let winding = 0
    let spanStart = 0
    for (let k = 0; k < found; k++) {
      const before = winding
      winding = rule === 'even-odd' ? winding ^ 1 : winding + windings[k]
      if (before === 0 && winding !== 0) {
        spanStart = crossings[k]
        continue
      }
      if (before === 0 || winding !== 0) continue
      const first = Math.max(0, Math.ceil(spanStart - 0.5))
      const last = Math.min(width - 1, Math.ceil(crossings[k] - 0.5) - 1)
      if (first > last) continue
      layer.fill(value, j * width + first, j * width + last + 1)
      if (written.y < 0) written.y = j
      written.h = j - written.y + 1
      if (first < written.x) written.x = first
      if (last > maxX) maxX = last
    }
  }
  if (written.y < 0) return null
  written.w = maxX - written.x + 1
  return written
}

/**
 * Lasso: the freehand pointer path, closed from its last point back to its first, filled as a
 * polygon by {@link fillPolygon} with the same sampling rule.
 */
export function fillLasso(
  layer: Uint8Array, width: number, height: number,
  path: readonly Point[], mode: PaintMode, rule: FillRule = 'nonzero'
): Rect | null {
  return fillPolygon(layer, width, height, path, mode, rule)
}

/** Writes the crossings of the polygon outline with the line y = cy; returns how many. */
function collectCrossings(points: readonly Point[], cy: number, crossings: Float64Array, windings: Int8Array): number {
  const count = points.length
  let found = 0
  let a = points[count - 1]
  for (let i = 0; i < count; i++) {
    const b = points[i]
    if ((a.y <= cy) !== (b.y <= cy)) {
      crossings[found] = a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y)
      windings[found] = b.y > a.y ? 1 : -1
      found++
    }
    a = b
  }
  return found
}

/** Insertion sort of the first `count` crossings by x, windings alongside: rows rarely have many. */
function sortCrossings(crossings: Float64Array, windings: Int8Array, count: number): void {
  for (let i = 1; i < count; i++) {
    const x = crossings[i]
    const w = windings[i]
    let k = i - 1
    while (k >= 0 && crossings[k] > x) {
      crossings[k + 1] = crossings[k]
      windings[k + 1] = windings[k]
      k--
    }
    crossings[k + 1] = x
    windings[k + 1] = w
  }
}
