/**
 * COCO run-length encoding of binary masks, byte-compatible with pycocotools
 * (`common/maskApi.c`: rleEncode, rleToString, rleFrString, rleArea, rleToBbox).
 *
 * COCO walks the mask in column-major (Fortran) order and stores alternating run lengths that
 * start with a run of zeros (possibly empty). The compressed string form packs each count, or
 * from the fourth count on its difference to the count two places earlier, into characters
 * holding 5 data bits plus a continuation bit (0x20), offset by 48 ('0'); the last character's
 * bit 0x10 is the sign. Our masks are row-major, so only the walk order differs from the C.
 *
 * Pure: no Node or DOM APIs, shared by the exporter, the importer and the renderer.
 */

/** Compressed COCO RLE as stored in COCO JSON `segmentation`; `size` is `[height, width]`. */
export interface CocoRle {
  size: [number, number]
  counts: string
}

/**
 * Any COCO RLE: compressed (`counts` string) or uncompressed (`counts` array, as COCO uses for
 * `iscrowd` annotations). `size` is `[height, width]`.
 */
export interface CocoRleInput {
  size: readonly [number, number] | readonly number[]
  counts: string | readonly number[]
}

/** COCO `[x, y, width, height]` in pixels; all zero for an empty mask. */
export type CocoBBox = [number, number, number, number]

const CHAR_OFFSET = 48
const CONTINUATION = 0x20
const SIGN = 0x10
const DATA_MASK = 0x1f

function checkSize(height: number, width: number): void {
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height < 0 || width < 0) {
    throw new Error(`RLE size must be two non-negative integers, got [${height}, ${width}]`)
  }
}

/**
 * Run lengths of a row-major mask walked column by column, starting with the zero run.
 *
 * @param mask row-major `height × width`, nonzero means foreground
 * @returns counts summing to `height * width`; `[height * width]` for an empty mask
 */
export function cocoRleCountsFromMask(mask: Uint8Array, height: number, width: number): number[] {
  checkSize(height, width)
  if (mask.length !== height * width) {
    throw new Error(`mask has ${mask.length} pixels, expected ${height}x${width} = ${height * width}`)
  }
  const counts: number[] = []
  let previous = 0
  let run = 0
  for (let x = 0; x < width; x++) {
    for (let index = x; index < mask.length; index += width) {
      const value = mask[index] === 0 ? 0 : 1
      if (value !== previous) {
        counts.push(run)
        run = 0
        previous = value
      }
      run++
    }
  }
  counts.push(run)
  return counts
}

/**
 * Compresses run lengths into the pycocotools string form (`rleToString`).
 *
 * @param counts non-negative integer run lengths, zeros first
 */
export function cocoRleCountsToString(counts: readonly number[]): string {
  let out = ''
  for (let i = 0; i < counts.length; i++) {
    // Deltas against i - 2 (same polarity) keep typical shapes' columns down to one character.
    let x = i > 2 ? counts[i] - counts[i - 2] : counts[i]
    let more = true
    while (more) {
      // Floor division and a positive remainder act as the C's arithmetic `>> 5` and `& 0x1f`
      // on two's complement, without 32-bit overflow for large masks.
      let c = ((x % 32) + 32) % 32
      x = Math.floor(x / 32)
      more = c & SIGN ? x !== -1 : x !== 0
      if (more) c |= CONTINUATION
      out += String.fromCharCode(c + CHAR_OFFSET)
    }
  }
  return out
}

/**
 * Expands the pycocotools string form into run lengths (`rleFrString`).
 *
 * @throws Error on characters outside '0'..'o', a dangling continuation, or a negative count
 */
export function cocoRleCountsFromString(text: string): number[] {
  const counts: number[] = []
  let p = 0
  while (p < text.length) {
    let x = 0
    let k = 0
    let more = true
    while (more) {
      if (p >= text.length) throw new Error('RLE string ends inside a count')
      const c = text.charCodeAt(p) - CHAR_OFFSET
      if (c < 0 || c > 63) throw new Error(`RLE string has invalid character ${JSON.stringify(text[p])} at ${p}`)
      x += (c & DATA_MASK) * 2 ** (5 * k)
      more = (c & CONTINUATION) !== 0
      p++
      k++
      if (!more && c & SIGN) x -= 2 ** (5 * k)
    }
    if (counts.length > 2) x += counts[counts.length - 2]
    if (x < 0) throw new Error(`RLE string decodes to a negative run length at count ${counts.length}`)
    counts.push(x)
  }
  return counts
}

/**
 * Encodes a binary mask as compressed COCO RLE, identical to
 * `pycocotools.mask.encode(np.asfortranarray(mask))` with `counts` decoded to a string.
 *
 * @param mask row-major `height × width`, nonzero means foreground
 */
export function cocoRleFromMask(mask: Uint8Array, height: number, width: number): CocoRle {
  return { size: [height, width], counts: cocoRleCountsToString(cocoRleCountsFromMask(mask, height, width)) }
}

/**
 * Run lengths and size of any COCO RLE, checked to cover exactly `height × width` pixels.
 * pycocotools does not check this and reads or writes out of bounds instead; we refuse.
 */
export function cocoRleCounts(rle: CocoRleInput): { height: number; width: number; counts: number[] } {
  if (rle.size.length !== 2) throw new Error(`RLE size must be [height, width], got length ${rle.size.length}`)
  const [height, width] = rle.size
  checkSize(height, width)
  const counts = typeof rle.counts === 'string' ? cocoRleCountsFromString(rle.counts) : [...rle.counts]
  let total = 0
  for (const count of counts) {
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`RLE count ${count} is not a non-negative integer`)
    total += count
  }
  if (total !== height * width) {
    throw new Error(`RLE counts cover ${total} pixels but size ${height}x${width} has ${height * width}`)
  }
  return { height, width, counts }
}

/**
 * Decodes any COCO RLE (compressed or uncompressed) to a mask.
 *
 * @returns row-major `height × width` mask with values 0 and 1
 * @throws Error when the counts do not cover exactly `height × width` pixels
 */
export function cocoRleToMask(rle: CocoRleInput): Uint8Array {
  const { height, width, counts } = cocoRleCounts(rle)
  const mask = new Uint8Array(height * width)
  if (mask.length === 0) return mask
  // Walk the column-major position as (x, y) so no pixel needs a division.
  let x = 0
  let y = 0
  for (let i = 0; i < counts.length; i++) {
    let run = counts[i]
    if (i % 2 === 0) {
      const position = x * height + y + run
      x = Math.floor(position / height)
      y = position - x * height
      continue
    }
    for (; run > 0; run--) {
      mask[y * width + x] = 1
      if (++y === height) {
        y = 0
        x++
      }
    }
  }
  return mask
}

/** Foreground pixel count (`pycocotools.mask.area`): the sum of the odd-indexed counts. */
export function cocoRleArea(rle: CocoRleInput): number {
  const { counts } = cocoRleCounts(rle)
  let area = 0
  for (let i = 1; i < counts.length; i += 2) area += counts[i]
  return area
}

/**
 * Tight bounding box (`pycocotools.mask.toBbox`, current pycocotools 2.0.x semantics:
 * zero-length foreground runs are ignored).
 *
 * @returns `[x, y, width, height]` in pixels; `[0, 0, 0, 0]` for an empty mask
 */
export function cocoRleBBox(rle: CocoRleInput): CocoBBox {
  const { height, width, counts } = cocoRleCounts(rle)
  let xStart = width
  let xEnd = 0
  let yStart = height
  let yEnd = 0
  let position = 0
  let found = false
  for (let i = 0; i < counts.length; i++) {
    const start = position
    position += counts[i]
    if (i % 2 === 0 || counts[i] === 0) continue
    found = true
    const runXStart = Math.floor(start / height)
    const runXEnd = Math.floor((position - 1) / height)
    xStart = Math.min(xStart, runXStart)
    xEnd = Math.max(xEnd, runXEnd)
    if (runXStart < runXEnd) {
      // A run that wraps into the next column touches both the top and the bottom row.
      yStart = 0
      yEnd = height - 1
    } else {
      yStart = Math.min(yStart, start - runXStart * height)
      yEnd = Math.max(yEnd, position - 1 - runXEnd * height)
    }
  }
  if (!found) return [0, 0, 0, 0]
  return [xStart, yStart, xEnd - xStart + 1, yEnd - yStart + 1]
}
