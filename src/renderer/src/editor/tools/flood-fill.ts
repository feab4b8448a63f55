/**
 * Flood fill / magic wand on the frame's RGBA pixels.
 *
 * The region is found on the picture, not on the mask, and then painted into the active layer:
 * a person clicks a flat-coloured character part and gets the whole part. Contiguous regions use
 * a scanline span fill (each pixel is tested a bounded number of times, spans are written whole),
 * which keeps a full 512×512 fill in the low milliseconds.
 */

import { assertLayerSize, modeValue, type PaintMode, type Rect } from '../geometry'

/** Reusable buffers for repeated fills on frames of the same size; optional, saves two allocations. */
export class FloodScratch {
  /** 0/1 region map, one byte per pixel. */
  region = new Uint8Array(0)
  /** Pending span seeds as pixel indices; grows by doubling. */
  stack = new Int32Array(1024)

  /** Makes `region` exactly `length` bytes (one frame). */
  ensureRegion(length: number): void {
    if (this.region.length !== length) this.region = new Uint8Array(length)
  }
}

/** Options of {@link selectColorRegion} and {@link floodFill}. */
export interface FloodOptions {
  /** true (default): 4-connected region around the seed; false: every matching pixel of the frame ("global" wand). */
  contiguous?: boolean
  /** Buffers to reuse across calls. */
  scratch?: FloodScratch
}

/**
 * Marks in `out` (a `width × height` 0/1 map, cleared first) the pixels whose colour is within
 * `tolerance` of the seed pixel's colour: max over R, G, B, A of |channel − seed channel| ≤
 * tolerance. With `contiguous` (default) only the 4-connected component containing the seed is
 * marked; otherwise all matching pixels are.
 *
 * @param rgba frame pixels, row-major RGBA, 0..255, `width × height × 4` bytes.
 * @param seedX seed position in image coordinates; the seed is pixel (floor(seedX), floor(seedY)).
 * @param tolerance 0..255; 0 selects exactly the seed colour.
 * @returns bounding rectangle of the marked pixels, or null when the seed is outside the frame.
 * @throws RangeError on mismatched buffer sizes or a tolerance outside 0..255.
 */
export function selectColorRegion(
  rgba: Uint8Array | Uint8ClampedArray, width: number, height: number,
  seedX: number, seedY: number, tolerance: number, out: Uint8Array, options: FloodOptions = {}
): Rect | null {
  assertLayerSize(out, width, height)
  if (rgba.length !== width * height * 4) throw new RangeError(`RGBA has ${rgba.length} bytes, expected ${width}×${height}×4`)
  if (!(tolerance >= 0 && tolerance <= 255)) throw new RangeError(`tolerance ${tolerance} is outside 0..255`)
  out.fill(0)
  const x = Math.floor(seedX)
  const y = Math.floor(seedY)
  if (!(x >= 0 && x < width && y >= 0 && y < height)) return null
  const seedColor: SeedColor = { rgba, tolerance, offset: (y * width + x) * 4 }
  if (options.contiguous === false) return selectGlobal(seedColor, width, height, out)
  return scanlineFill(seedColor, width, height, y * width + x, out, options.scratch ?? new FloodScratch())
}

/**
 * Flood fill tool: paints the region of {@link selectColorRegion} into `layer` (1 for 'add', 0 for
 * 'subtract'), leaving every other pixel untouched.
 * @returns the bounding rectangle of the region, or null when the seed is outside the frame.
 * @throws RangeError on mismatched buffer sizes or a tolerance outside 0..255.
 */
export function floodFill(
  layer: Uint8Array, width: number, height: number, rgba: Uint8Array | Uint8ClampedArray,
  seedX: number, seedY: number, tolerance: number, mode: PaintMode, options: FloodOptions = {}
): Rect | null {
  assertLayerSize(layer, width, height)
  const scratch = options.scratch ?? new FloodScratch()
  scratch.ensureRegion(width * height)
  const region = scratch.region
  const rect = selectColorRegion(rgba, width, height, seedX, seedY, tolerance, region, { ...options, scratch })
  if (rect === null) return null
  const value = modeValue(mode)
  for (let j = rect.y; j < rect.y + rect.h; j++) {
    const end = (j * width) + rect.x + rect.w
    for (let i = j * width + rect.x; i < end; i++) {
      if (region[i] !== 0) layer[i] = value
    }
  }
  return rect
}

/** Inputs of the seed colour test. */
interface SeedColor {
  rgba: Uint8Array | Uint8ClampedArray
  tolerance: number
  /** Byte offset of the seed pixel in `rgba`. */
  offset: number
}

/** Predicate "pixel within tolerance of the seed on every channel", with the seed channels hoisted. */
function seedMatcher(seed: SeedColor): (pixel: number) => boolean {
  const { rgba, tolerance } = seed
  const r = rgba[seed.offset]
  const g = rgba[seed.offset + 1]
  const b = rgba[seed.offset + 2]
  const a = rgba[seed.offset + 3]
  return (pixel) => {
    const o = pixel * 4
    const dr = rgba[o] - r
    const dg = rgba[o + 1] - g
    const db = rgba[o + 2] - b
    const da = rgba[o + 3] - a
    return dr <= tolerance && dr >= -tolerance && dg <= tolerance && dg >= -tolerance &&
      db <= tolerance && db >= -tolerance && da <= tolerance && da >= -tolerance
  }
}

function selectGlobal(seed: SeedColor, width: number, height: number, out: Uint8Array): Rect | null {
  const matches = seedMatcher(seed)
  let minX = width
  let maxX = -1
  let minY = -1
  let maxY = -1
  for (let j = 0; j < height; j++) {
    const row = j * width
    for (let i = 0; i < width; i++) {
      if (!matches(row + i)) continue
      out[row + i] = 1
      if (minY < 0) minY = j
      maxY = j
      if (i < minX) minX = i
      if (i > maxX) maxX = i
    }
  }
  // The seed always matches itself, so the region is never empty here.
  return { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 }
}

// Per-pixel states of `out` during a contiguous fill. Each pixel's colour is tested at most once
// (UNKNOWN → MATCH or MISS), however many neighbouring spans look at it.
const UNKNOWN = 0
const MATCH = 1
const MISS = 2
const FILLED = 3

/**
 * Span fill: pop a seed, grow it left and right into a maximal span of open pixels, fill it, then
 * push the first pixel of every open run directly above and below. `out` holds the states and is
 * turned into the 0/1 region at the end; only the region's box grown by one pixel was touched.
 */
function scanlineFill(
  seed: SeedColor, width: number, height: number, start: number, out: Uint8Array, scratch: FloodScratch
): Rect {
  const matches = seedMatcher(seed)
  // Whether `pixel` can join the region (an unfilled match); classifies unknown pixels on first sight.
  const isOpen = (pixel: number): boolean => {
    const current = out[pixel]
    if (current !== UNKNOWN) return current === MATCH
    const open = matches(pixel)
    out[pixel] = open ? MATCH : MISS
    return open
  }
  let stack = scratch.stack
  let top = 0
  stack[top++] = start
  let minX = width
  let maxX = -1
  let minY = height
  let maxY = -1
  while (top > 0) {
    const pixel = stack[--top]
    if (!isOpen(pixel)) continue
    const y = (pixel / width) | 0
    const row = y * width
    let left = pixel - row
    let right = left
    while (left > 0 && isOpen(row + left - 1)) left--
    while (right < width - 1 && isOpen(row + right + 1)) right++
    out.fill(FILLED, row + left, row + right + 1)
    if (left < minX) minX = left
    if (right > maxX) maxX = right
    if (y < minY) minY = y
    if (y > maxY) maxY = y
    for (let neighbour = y - 1; neighbour <= y + 1; neighbour += 2) {
      if (neighbour < 0 || neighbour >= height) continue
      let inRun = false
      for (let candidate = neighbour * width + left, end = neighbour * width + right; candidate <= end; candidate++) {
        const open = isOpen(candidate)
        if (open && !inRun) {
          if (top === stack.length) {
            const grown = new Int32Array(stack.length * 2)
            grown.set(stack)
            stack = scratch.stack = grown
          }
          stack[top++] = candidate
        }
        inRun = open
      }
    }
  }
  const x0 = Math.max(0, minX - 1)
  const x1 = Math.min(width - 1, maxX + 1)
  for (let j = Math.max(0, minY - 1); j <= Math.min(height - 1, maxY + 1); j++) {
    for (let i = j * width + x0; i <= j * width + x1; i++) out[i] = out[i] === FILLED ? 1 : 0
  }
  return { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1 }
}
