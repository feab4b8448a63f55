import { describe, expect, it } from 'vitest'
import { FloodScratch, floodFill, selectColorRegion } from '../../../src/renderer/src/editor/tools/flood-fill'
import { countOnes, expected, picture, seededRandom } from './pixel-helpers'

const RED = [255, 0, 0, 255]
const BLUE = [0, 0, 255, 255]

/** RGBA image from a picture: '#' red, '.' blue, 'r' near-red (250, 4, 0). */
function image(text: string): { rgba: Uint8Array; width: number; height: number } {
  const rows = text.split('\n').map((row) => row.trim()).filter(Boolean)
  const width = rows[0].length
  const rgba = new Uint8Array(width * rows.length * 4)
  rows.forEach((row, y) => {
    for (let x = 0; x < width; x++) {
      const colour = row[x] === '#' ? RED : row[x] === 'r' ? [250, 4, 0, 255] : BLUE
      rgba.set(colour, (y * width + x) * 4)
    }
  })
  return { rgba, width, height: rows.length }
}

function fill(text: string, x: number, y: number, tolerance: number, contiguous = true): string {
  const { rgba, width, height } = image(text)
  const layer = new Uint8Array(width * height)
  floodFill(layer, width, height, rgba, x, y, tolerance, 'add', { contiguous })
  return picture(layer, width, height)
}

/** Reference: breadth-first search over 4-neighbours with the same colour test. */
function bruteForceRegion(rgba: Uint8Array, width: number, height: number, x: number, y: number, tolerance: number): Uint8Array {
  const out = new Uint8Array(width * height)
  const seed = (y * width + x) * 4
  const matches = (p: number): boolean => [0, 1, 2, 3].every((c) => Math.abs(rgba[p * 4 + c] - rgba[seed + c]) <= tolerance)
  const queue = [y * width + x]
  out[queue[0]] = 1
  while (queue.length > 0) {
    const p = queue.shift()!
    const px = p % width
    const neighbours = [px > 0 ? p - 1 : -1, px < width - 1 ? p + 1 : -1, p - width, p + width]
    for (const q of neighbours) {
      if (q < 0 || q >= width * height || out[q] === 1 || !matches(q)) continue
      out[q] = 1
      queue.push(q)
    }
  }
  return out
}

const TWO_COLOURS = `
  ##......
  ##..##..
  #r..##..
  ##......
  ........
  ...###..
  ...#.#..
  ...###..`

describe('floodFill', () => {
  it('with tolerance 0 fills the 4-connected seed colour only', () => {
    expect(fill(TWO_COLOURS, 0.5, 0.5, 0)).toBe(expected(`
      ##......
      ##......
      #.......
      ##......
      ........
      ........
      ........
      ........`))
  })

  it('with tolerance above the difference includes the near colour', () => {
    expect(fill(TWO_COLOURS, 0, 0, 5)).toBe(expected(`
      ##......
      ##......
      ##......
      ##......
      ........
      ........
      ........
      ........`))
    // 4 is the largest channel difference short of 5: red channel 255 vs 250.
    expect(fill(TWO_COLOURS, 0, 0, 4)).toBe(fill(TWO_COLOURS, 0, 0, 0))
  })

  it('fills the background around shapes, leaving enclosed pixels outside', () => {
    expect(fill(TWO_COLOURS, 7, 7, 0)).toBe(expected(`
      ..######
      ..##..##
      ..##..##
      ..######
      ########
      ###...##
      ###...##
      ###...##`))
  })

  it('does not leak through diagonal contacts', () => {
    expect(fill(`
      #...
      .#..
      ..#.
      ...#`, 0, 0, 0)).toBe(expected(`
      #...
      ....
      ....
      ....`))
  })

  it('global mode selects every matching pixel in the frame', () => {
    expect(fill(TWO_COLOURS, 0, 0, 0, false)).toBe(expected(`
      ##......
      ##..##..
      #...##..
      ##......
      ........
      ...###..
      ...#.#..
      ...###..`))
    expect(fill(TWO_COLOURS, 0, 0, 5, false)).toBe(expected(`
      ##......
      ##..##..
      ##..##..
      ##......
      ........
      ...###..
      ...#.#..
      ...###..`))
  })

  it('takes alpha into account', () => {
    const { rgba, width, height } = image(`##`)
    rgba[7] = 0
    const layer = new Uint8Array(2)
    floodFill(layer, width, height, rgba, 0, 0, 0, 'add')
    expect(Array.from(layer)).toEqual([1, 0])
  })

  it('subtract mode clears the region and leaves the rest of the layer', () => {
    const { rgba, width, height } = image(TWO_COLOURS)
    const layer = new Uint8Array(width * height).fill(1)
    const rect = floodFill(layer, width, height, rgba, 4.2, 1.9, 0, 'subtract')
    expect(rect).toEqual({ x: 4, y: 1, w: 2, h: 2 })
    expect(countOnes(layer)).toBe(64 - 4)
  })

  it('returns null for a seed outside the frame and validates its inputs', () => {
    const { rgba, width, height } = image(TWO_COLOURS)
    const layer = new Uint8Array(64)
    expect(floodFill(layer, width, height, rgba, 8, 0, 0, 'add')).toBeNull()
    expect(floodFill(layer, width, height, rgba, -0.5, 0, 0, 'add')).toBeNull()
    expect(countOnes(layer)).toBe(0)
    expect(() => floodFill(layer, width, height, rgba, 0, 0, 256, 'add')).toThrow(RangeError)
    expect(() => floodFill(layer, width, height, rgba, 0, 0, -1, 'add')).toThrow(RangeError)
    expect(() => floodFill(layer, width, height, rgba.subarray(4), 0, 0, 0, 'add')).toThrow(RangeError)
  })

  it('matches a breadth-first reference on random noise images', () => {
    const random = seededRandom(21)
    const scratch = new FloodScratch()
    for (let trial = 0; trial < 60; trial++) {
      const width = 5 + Math.floor(random() * 40)
      const height = 5 + Math.floor(random() * 40)
      const rgba = new Uint8Array(width * height * 4)
      const palette = [[10, 10, 10, 255], [14, 8, 10, 255], [200, 30, 30, 255]]
      for (let p = 0; p < width * height; p++) rgba.set(palette[random() < 0.6 ? Math.floor(random() * 2) : 2], p * 4)
      const x = Math.floor(random() * width)
      const y = Math.floor(random() * height)
      const tolerance = [0, 4, 200][trial % 3]
      const out = new Uint8Array(width * height)
      selectColorRegion(rgba, width, height, x, y, tolerance, out, { scratch })
      expect(picture(out, width, height)).toBe(picture(bruteForceRegion(rgba, width, height, x, y, tolerance), width, height))
    }
  })

  it('fills a 512×512 maze-like image quickly', () => {
    const width = 512
    const rgba = new Uint8Array(width * width * 4).fill(255)
    // Vertical walls with gaps alternating top and bottom: one long serpentine region.
    for (let x = 1; x < width; x += 2) {
      for (let y = 0; y < width; y++) {
        const gap = (x % 4 === 1 && y === 0) || (x % 4 === 3 && y === width - 1)
        if (!gap) rgba.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3)
      }
    }
    const layer = new Uint8Array(width * width)
    floodFill(layer, width, width, rgba, 0, 0, 0, 'add')
    expect(countOnes(layer)).toBe(256 * 512 + 256)
    // Speed is measured by bench/labeling.ts, never by a timed test.
  })
})
