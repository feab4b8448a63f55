/**
 * Run-length encoding of binary masks, shared by the database (storage), the training data
 * loader (decoding targets) and the exporter (COCO `counts`). Dependency-free on purpose: it is
 * imported from main, workers and the renderer alike.
 *
 * Layout matches COCO's uncompressed RLE except for the pixel order: runs are taken row-major
 * (x fastest), because that is how every buffer in this project is laid out. The exporter
 * transposes when it writes column-major COCO files.
 */

/**
 * Row-major run lengths of a binary mask, alternating runs starting with a (possibly empty) run
 * of zeros: `[zeros, ones, zeros, ones, ...]`. Counts are non-negative integers summing to the
 * mask length (width × height). The encoder never emits empty runs except the first; decoders
 * accept empty runs anywhere because they are harmless.
 */
export type Rle = number[]

/**
 * Encodes a mask. Any nonzero byte counts as 1, so 0/1 layers and 0/255 images both work.
 * An empty mask (length 0) encodes as `[]`; otherwise the result starts with the zero-run count.
 */
export function rleEncode(mask: Uint8Array): Rle {
  const rle: Rle = []
  const length = mask.length
  if (length === 0) return rle
  let current = 0
  let runStart = 0
  for (let i = 0; i < length; i++) {
    const bit = mask[i] !== 0 ? 1 : 0
    if (bit !== current) {
      rle.push(i - runStart)
      runStart = i
      current = bit
    }
  }
  rle.push(length - runStart)
  return rle
}

/**
 * Checks that `rle` is a well-formed run list for a mask of `length` pixels.
 * @returns null when valid, else a human-readable reason (used in API validation errors).
 */
export function rleValidate(rle: unknown, length: number): string | null {
  if (!Number.isSafeInteger(length) || length < 0) return `mask length ${length} is not a non-negative integer`
  if (!Array.isArray(rle)) return 'RLE must be an array of run lengths'
  let sum = 0
  for (let i = 0; i < rle.length; i++) {
    const count: unknown = rle[i]
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      return `RLE run ${i} is ${String(count)}, not a non-negative integer`
    }
    sum += count
    // Checked inside the loop so a hostile array of huge counts fails fast.
    if (sum > length) return `RLE runs sum past the mask length ${length}`
  }
  if (sum !== length) return `RLE runs sum to ${sum}, expected ${length}`
  return null
}

function assertValid(rle: Rle, length: number): void {
  const reason = rleValidate(rle, length)
  if (reason !== null) throw new RangeError(reason)
}

/**
 * Decodes into a fresh 0/1 mask of `length` bytes.
 * @throws RangeError when a count is negative or not an integer, or the counts do not sum to `length`.
 */
export function rleDecode(rle: Rle, length: number): Uint8Array {
  assertValid(rle, length)
  const out = new Uint8Array(length)
  writeOnes(rle, out, 1)
  return out
}

/**
 * Writes `value` (default 1, 0..255) into `out` at every pixel the RLE marks as 1 and leaves the
 * other bytes untouched, so several masks can be OR-ed into one buffer or painted into a label map
 * (value = character index + 1) without an intermediate allocation.
 * @throws RangeError when the RLE is malformed for `out.length`.
 */
export function rleDecodeInto(rle: Rle, out: Uint8Array, value = 1): void {
  assertValid(rle, out.length)
  writeOnes(rle, out, value)
}

function writeOnes(rle: Rle, out: Uint8Array, value: number): void {
  let position = 0
  for (let i = 0; i < rle.length; i++) {
    const count = rle[i]
    if (i % 2 === 1 && count > 0) out.fill(value, position, position + count)
    position += count
  }
}

/** Number of 1 pixels: the sum of the odd-indexed runs. Does not validate. */
export function rleArea(rle: Rle): number {
  let area = 0
  for (let i = 1; i < rle.length; i += 2) area += rle[i]
  return area
}

/**
 * Serialises to a compact blob for SQLite: each count as an unsigned LEB128 varint (7 bits per
 * byte, low group first, high bit = more bytes follow). A typical 512×512 character mask is a few
 * hundred bytes, against a few kilobytes as JSON.
 * @throws RangeError on a count that is not a non-negative safe integer.
 */
export function rleToBytes(rle: Rle): Uint8Array {
  let size = 0
  for (const count of rle) {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`RLE count ${count} is not a non-negative integer`)
    size += varintSize(count)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const count of rle) {
    // Division rather than bit shifts: JS shifts are 32-bit and counts may exceed 2^31.
    let rest = count
    while (rest >= 0x80) {
      bytes[offset++] = (rest % 0x80) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    bytes[offset++] = rest
  }
  return bytes
}

function varintSize(count: number): number {
  let size = 1
  while (count >= 0x80) {
    count = Math.floor(count / 0x80)
    size++
  }
  return size
}

/**
 * Parses a blob written by {@link rleToBytes}.
 * @throws RangeError when the blob ends inside a varint or a value exceeds 2^53 − 1.
 */
export function rleFromBytes(bytes: Uint8Array): Rle {
  const rle: Rle = []
  let offset = 0
  while (offset < bytes.length) {
    let value = 0
    let scale = 1
    for (;;) {
      if (offset >= bytes.length) throw new RangeError('RLE blob ends inside a varint')
      const byte = bytes[offset++]
      value += (byte & 0x7f) * scale
      if (!Number.isSafeInteger(value)) throw new RangeError('RLE blob holds a count above 2^53 - 1')
      if ((byte & 0x80) === 0) break
      scale *= 0x80
    }
    rle.push(value)
  }
  return rle
}

/**
 * Union (pixelwise OR) of masks of the same length, e.g. all characters of a frame.
 * @throws RangeError when any input is malformed for `length`.
 */
export function rleUnion(rles: Rle[], length: number): Rle {
  for (const rle of rles) assertValid(rle, length)
  // Merge the 1-intervals of all inputs in one sweep instead of decoding to a full buffer.
  const starts: number[] = []
  const ends: number[] = []
  for (const rle of rles) {
    let position = 0
    for (let i = 0; i < rle.length; i++) {
      if (i % 2 === 1 && rle[i] > 0) {
        starts.push(position)
        ends.push(position + rle[i])
      }
      position += rle[i]
    }
  }
  const order = starts.map((_, i) => i).sort((a, b) => starts[a] - starts[b])
  const result: Rle = []
  let cursor = 0
  let openStart = -1
  let openEnd = -1
  for (const i of order) {
    if (openStart >= 0 && starts[i] <= openEnd) {
      openEnd = Math.max(openEnd, ends[i])
      continue
    }
    if (openStart >= 0) {
      result.push(openStart - cursor, openEnd - openStart)
      cursor = openEnd
    }
    openStart = starts[i]
    openEnd = ends[i]
  }
  if (openStart >= 0) {
    result.push(openStart - cursor, openEnd - openStart)
    cursor = openEnd
  }
  if (cursor < length) result.push(length - cursor)
  return result
}

/**
 * Tight bounding box of the nonzero pixels of a row-major `width × height` mask, in pixels.
 * @returns `[x, y, w, h]` (COCO bbox order) or null when the mask is empty.
 * @throws RangeError when `mask.length !== width * height`.
 */
export function rleBBox(mask: Uint8Array, width: number, height: number): [x: number, y: number, w: number, h: number] | null {
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} bytes, expected ${width}×${height}`)
  let minX = width
  let maxX = -1
  let minY = -1
  let maxY = -1
  for (let y = 0; y < height; y++) {
    const row = y * width
    let first = -1
    let last = -1
    for (let x = 0; x < width; x++) {
      if (mask[row + x] !== 0) {
        if (first < 0) first = x
        last = x
      }
    }
    if (first < 0) continue
    if (minY < 0) minY = y
    maxY = y
    if (first < minX) minX = first
    if (last > maxX) maxX = last
  }
  if (minY < 0) return null
  return [minX, minY, maxX - minX + 1, maxY - minY + 1]
}
