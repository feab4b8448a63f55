/**
 * Helpers for the editor tests: masks as ASCII pictures ('#' = 1, '.' = 0) so expected pixels can
 * be written by hand and diffs stay readable, and a seeded PRNG for randomised comparisons.
 */

/** Renders a row-major 0/1 layer as one line per row. */
export function picture(layer: Uint8Array, width: number, height: number): string {
  const rows: string[] = []
  for (let y = 0; y < height; y++) {
    let row = ''
    for (let x = 0; x < width; x++) row += layer[y * width + x] !== 0 ? '#' : '.'
    rows.push(row)
  }
  return rows.join('\n')
}

/** Parses a picture written as an indented template literal (blank lines and indentation ignored). */
export function fromPicture(text: string): { layer: Uint8Array; width: number; height: number } {
  const rows = text.split('\n').map((row) => row.trim()).filter((row) => row.length > 0)
  const width = rows[0].length
  const layer = new Uint8Array(width * rows.length)
  rows.forEach((row, y) => {
    if (row.length !== width) throw new Error(`row ${y} has ${row.length} columns, expected ${width}`)
    for (let x = 0; x < width; x++) layer[y * width + x] = row[x] === '#' ? 1 : 0
  })
  return { layer, width, height: rows.length }
}

/** Normalises an expected picture the same way picture() prints. */
export function expected(text: string): string {
  const { layer, width, height } = fromPicture(text)
  return picture(layer, width, height)
}

/** Deterministic PRNG in [0, 1) (mulberry32) so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Number of nonzero bytes. */
export function countOnes(layer: Uint8Array): number {
  let count = 0
  for (const value of layer) if (value !== 0) count++
  return count
}

/** Byte equality of two buffers; vitest's deep equality walks typed arrays element by element, far slower. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}
