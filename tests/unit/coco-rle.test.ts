import { describe, expect, it } from 'vitest'
import {
  cocoRleArea,
  cocoRleBBox,
  cocoRleCountsFromMask,
  cocoRleCountsFromString,
  cocoRleCountsToString,
  cocoRleFromMask,
  cocoRleToMask
} from '../../src/shared/coco-rle'

/** Mask built by painting `[y0, y1, x0, x1, value]` rectangles (half-open) in order. */
interface PaintedCase {
  name: string
  height: number
  width: number
  paint: number[][]
  counts: string
  area: number
  bbox: number[]
  /** Whether some count is smaller than the one two places earlier (a negative delta). */
  negativeDelta: boolean
}

/** Mask given as rows of '0'/'1'. */
interface RowsCase {
  name: string
  rows: string[]
  counts: string
  area: number
  bbox: number[]
}

/** Uncompressed (iscrowd-style) counts and what pycocotools makes of them. */
interface UncompressedCase {
  size: [number, number]
  counts: number[]
  string: string
  area: number
  bbox: number[]
  rows: string[]
}

/*
 * Expected values come from pycocotools 2.0.11 (`mask.encode` on the Fortran-ordered mask,
 * `mask.area`, `mask.toBbox`, `mask.frPyObjects` for uncompressed counts), generated once by a
 * throwaway script and pasted here so the tests need no Python.
 */
const PAINTED: PaintedCase[] = [
  {
    name: 'empty 4x5', height: 4, width: 5, paint: [], counts: 'd0', area: 0, bbox: [0, 0, 0, 0],
    negativeDelta: false
  },
  {
    name: 'full 4x5', height: 4, width: 5, paint: [[0, 4, 0, 5, 1]], counts: '0d0', area: 20,
    bbox: [0, 0, 5, 4], negativeDelta: false
  },
  {
    name: 'single pixel', height: 5, width: 6, paint: [[2, 3, 3, 4, 1]], counts: 'a01<', area: 1,
    bbox: [3, 2, 1, 1], negativeDelta: false
  },
  {
    name: '1x1 foreground', height: 1, width: 1, paint: [[0, 1, 0, 1, 1]], counts: '01', area: 1,
    bbox: [0, 0, 1, 1], negativeDelta: false
  },
  {
    name: '1x1 background', height: 1, width: 1, paint: [], counts: '1', area: 0, bbox: [0, 0, 0, 0],
    negativeDelta: false
  },
  {
    name: 'run wraps into the next column', height: 5, width: 4, paint: [[4, 5, 0, 1, 1], [0, 1, 1, 2, 1]],
    counts: '42>', area: 2, bbox: [0, 0, 2, 5], negativeDelta: false
  },
  {
    name: 'last column', height: 6, width: 7, paint: [[0, 6, 6, 7, 1]], counts: 'T16', area: 6,
    bbox: [6, 0, 1, 6], negativeDelta: false
  },
  {
    name: 'first row', height: 6, width: 7, paint: [[0, 1, 0, 7, 1]], counts: '015000000000000', area: 7,
    bbox: [0, 0, 7, 1], negativeDelta: false
  },
  {
    name: 'last pixel', height: 3, width: 3, paint: [[2, 3, 2, 3, 1]], counts: '81', area: 1,
    bbox: [2, 2, 1, 1], negativeDelta: false
  },
  {
    name: 'rectangle 40x50', height: 40, width: 50, paint: [[3, 36, 10, 45, 1]],
    counts: 'c<Q170000000000000000000000000000000000000000000000000000000000000000000U6', area: 1155,
    bbox: [10, 3, 35, 33], negativeDelta: false
  },
  {
    name: 'rectangle with holes', height: 40, width: 50,
    paint: [[3, 36, 10, 45, 1], [20, 21, 12, 13, 0], [5, 6, 40, 41, 0]],
    counts: 'c<Q1700@JN6b000000000000000000000000000000000000000000000000000000QOJl063000000U6', area: 1153,
    bbox: [10, 3, 35, 33], negativeDelta: true
  },
  {
    name: 'full 300x400', height: 300, width: 400, paint: [[0, 300, 0, 400, 1]], counts: '0PVe3',
    area: 120000, bbox: [0, 0, 400, 300], negativeDelta: false
  },
  {
    name: 'wide band 300x400', height: 300, width: 400,
    paint: [[0, 300, 150, 390, 1], [100, 140, 391, 392, 1]], counts: 'Xn[1PZV2`<XgiM`S2', area: 72040,
    bbox: [150, 0, 242, 300], negativeDelta: true
  },
  {
    name: 'shrinking columns', height: 30, width: 8,
    paint: [[0, 30, 0, 1, 1], [0, 20, 1, 2, 1], [5, 9, 2, 3, 1], [0, 1, 3, 4, 1], [29, 30, 5, 6, 1], [10, 25, 7, 8, 1]],
    counts: '0b1?bN6MS20`N>mN', area: 71, bbox: [0, 0, 8, 30], negativeDelta: true
  },
  {
    name: 'full 1080x1920', height: 1080, width: 1920, paint: [[0, 1080, 0, 1920, 1]], counts: '0PPYo1',
    area: 2073600, bbox: [0, 0, 1920, 1080], negativeDelta: false
  },
  {
    name: 'band 1080x1920', height: 1080, width: 1920, paint: [[0, 1080, 1900, 1920, 1]],
    counts: 'Pmcn1PSe0', area: 21600, bbox: [1900, 0, 20, 1080], negativeDelta: false
  },
  {
    name: 'frame 120x160', height: 120, width: 160, paint: [[10, 110, 40, 48, 1], [50, 60, 44, 46, 0]],
    counts: 'Zf4T3d0000000TNF::FF::b100fS=', area: 780, bbox: [40, 10, 8, 100], negativeDelta: true
  },
]

const RANDOM: RowsCase[] = [
  {
    name: 'random 7x9 p=0.5', counts: '032NO0370JMO0020N10O52KO0O1120', area: 31, bbox: [0, 0, 9, 7],
    rows: ['111001011', '101011010', '101000000', '001101110', '001100100', '111010101', '010100011']
  },
  {
    name: 'random 8x6 p=0.2', counts: '7130N0212OO020N0M03', area: 10, bbox: [0, 0, 6, 8],
    rows: ['000100', '001001', '001000', '010001', '000010', '010100', '000000', '100000']
  },
  {
    name: 'random 9x11 p=0.85', counts: '0d01B0K0:0N1JO=1BOO000406', area: 86, bbox: [0, 0, 11, 9],
    rows: ['11101111101', '11111111011', '11001101011', '11111111111', '11111111111', '11110111011', '11111011101', '11111011011', '11111111111']
  },
  {
    name: 'random 5x13 p=0.35', counts: '3350LN0110OO30M072K23LN0N', area: 24, bbox: [0, 0, 13, 5],
    rows: ['0101000010100', '0010101011000', '0011100011011', '1011000001000', '1000110001000']
  },
]

const UNCOMPRESSED: UncompressedCase[] = [
  {
    size: [3, 4], counts: [0, 2, 3, 0, 7], string: '023N4', area: 2, bbox: [0, 0, 1, 2],
    rows: ['1000', '1000', '0000']
  },
  {
    size: [4, 4], counts: [3, 5, 2, 6], string: '3521', area: 11, bbox: [0, 0, 4, 4],
    rows: ['0101', '0101', '0111', '1111']
  },
  { size: [2, 3], counts: [6], string: '6', area: 0, bbox: [0, 0, 0, 0], rows: ['000', '000'] },
  { size: [3, 3], counts: [0, 9], string: '09', area: 9, bbox: [0, 0, 3, 3], rows: ['111', '111', '111'] },
  {
    size: [10, 10], counts: [15, 40, 20, 1, 3, 21], string: '?X1d0iN_Od0', area: 62, bbox: [1, 0, 9, 10],
    rows: ['0011110011', '0011110011', '0011110011', '0011110011', '0011110011', '0111100111', '0111100011', '0111100011', '0111100011', '0111100111']
  },
]

function painted(testCase: PaintedCase): Uint8Array {
  const mask = new Uint8Array(testCase.height * testCase.width)
  for (const [y0, y1, x0, x1, value] of testCase.paint) {
    for (let y = y0; y < y1; y++) mask.fill(value, y * testCase.width + x0, y * testCase.width + x1)
  }
  return mask
}

function fromRows(rows: string[]): { mask: Uint8Array; height: number; width: number } {
  const mask = Uint8Array.from(rows.join(''), (char) => (char === '1' ? 1 : 0))
  return { mask, height: rows.length, width: rows[0].length }
}

/** Index of the first differing byte, or -1; `toEqual` on megapixel arrays takes seconds. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length)
  return actual.findIndex((value, index) => value !== expected[index])
}

function hasNegativeDelta(counts: number[]): boolean {
  return counts.some((count, i) => i > 2 && count < counts[i - 2])
}

/** Deterministic pseudo-random generator (mulberry32) so property checks are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('cocoRleFromMask and friends match pycocotools', () => {
  it.each(PAINTED)('$name', (testCase) => {
    const { height, width } = testCase
    const mask = painted(testCase)
    const rle = cocoRleFromMask(mask, height, width)
    expect(rle).toEqual({ size: [height, width], counts: testCase.counts })
    expect(cocoRleArea(rle)).toBe(testCase.area)
    expect(cocoRleBBox(rle)).toEqual(testCase.bbox)
    expect(hasNegativeDelta(cocoRleCountsFromString(rle.counts))).toBe(testCase.negativeDelta)
    expect(firstDifference(cocoRleToMask(rle), mask)).toBe(-1)
  })

  it.each(RANDOM)('$name', (testCase) => {
    const { mask, height, width } = fromRows(testCase.rows)
    const rle = cocoRleFromMask(mask, height, width)
    expect(rle.counts).toBe(testCase.counts)
    expect(cocoRleArea(rle)).toBe(testCase.area)
    expect(cocoRleBBox(rle)).toEqual(testCase.bbox)
    expect(cocoRleToMask(rle)).toEqual(mask)
  })

  it.each(UNCOMPRESSED)('uncompressed counts $counts', (testCase) => {
    const rle = { size: testCase.size, counts: testCase.counts }
    expect(cocoRleCountsToString(testCase.counts)).toBe(testCase.string)
    expect(cocoRleCountsFromString(testCase.string)).toEqual(testCase.counts)
    expect(cocoRleArea(rle)).toBe(testCase.area)
    expect(cocoRleBBox(rle)).toEqual(testCase.bbox)
    expect(cocoRleToMask(rle)).toEqual(fromRows(testCase.rows).mask)
    expect(cocoRleToMask({ size: testCase.size, counts: testCase.string })).toEqual(fromRows(testCase.rows).mask)
  })

})

describe('cocoRle string codec', () => {
  it('encodes single counts at character boundaries', () => {
    expect(cocoRleCountsToString([0])).toBe('0')
    expect(cocoRleCountsToString([15])).toBe('?')
    // 16 has bit 0x10 (the sign) set in its low 5 bits, so it needs a second character.
    expect(cocoRleCountsToString([16])).toBe('`0')
    expect(cocoRleCountsToString([31, 32, 33])).toBe('o0P1Q1')
    // From the fourth count on, deltas: 5 - 7 = -2 -> 'N'.
    expect(cocoRleCountsToString([1, 7, 2, 5])).toBe('172N')
    // Four characters hold signed 20-bit values; 2^19 and above take a fifth.
    expect(cocoRleCountsToString([2073600])).toBe('PPYo1')
  })

  it('encodes and decodes large positive and negative deltas like pycocotools', () => {
    const counts = [0, 1_000_000, 3, 1, 999_999, 2, 5_000_000, 0, 1]
    const text = '0Pb`n03Q^_QOla`n01QXRj3NQV]WK'
    expect(cocoRleCountsToString(counts)).toBe(text)
    expect(cocoRleCountsFromString(text)).toEqual(counts)
  })

  it('rejects malformed strings', () => {
    expect(() => cocoRleCountsFromString('0p')).toThrow(/invalid character/)
    expect(() => cocoRleCountsFromString('3P')).toThrow(/ends inside/)
    // Fourth count: 1 + (-2) = -1.
    expect(() => cocoRleCountsFromString('312N')).toThrow(/negative/)
  })

  it('rejects RLEs whose counts do not cover the image', () => {
    expect(() => cocoRleToMask({ size: [2, 2], counts: [1, 2] })).toThrow(/cover 3 pixels/)
    expect(() => cocoRleArea({ size: [2, 2], counts: 'c0' })).toThrow(/cover/)
    expect(() => cocoRleBBox({ size: [2, 2], counts: [1, -1, 4] })).toThrow(/non-negative/)
    expect(() => cocoRleFromMask(new Uint8Array(5), 2, 3)).toThrow(/expected 2x3/)
  })
})

describe('cocoRleFromMask', () => {
  it('treats every nonzero value as foreground', () => {
    const mixed = Uint8Array.from([0, 1, 255, 2, 0, 7])
    const binary = Uint8Array.from([0, 1, 1, 1, 0, 1])
    expect(cocoRleFromMask(mixed, 2, 3)).toEqual(cocoRleFromMask(binary, 2, 3))
  })

  it('encodes a zero-sized mask as pycocotools does', () => {
    expect(cocoRleFromMask(new Uint8Array(0), 0, 4)).toEqual({ size: [0, 4], counts: '0' })
    expect(cocoRleToMask({ size: [0, 4], counts: '0' })).toEqual(new Uint8Array(0))
  })

  it('round-trips random masks and agrees with brute-force area and box', () => {
    const next = random(42)
    for (let trial = 0; trial < 200; trial++) {
      const height = 1 + Math.floor(next() * 20)
      const width = 1 + Math.floor(next() * 20)
      const density = next()
      const mask = Uint8Array.from({ length: height * width }, () => (next() < density ? 1 : 0))
      const rle = cocoRleFromMask(mask, height, width)
      expect(cocoRleToMask(rle)).toEqual(mask)
      expect(cocoRleCountsFromMask(mask, height, width).reduce((a, b) => a + b, 0)).toBe(height * width)
      let area = 0
      let [xMin, yMin, xMax, yMax] = [width, height, -1, -1]
      mask.forEach((value, index) => {
        if (!value) return
        const [x, y] = [index % width, Math.floor(index / width)]
        area++
        ;[xMin, yMin, xMax, yMax] = [Math.min(xMin, x), Math.min(yMin, y), Math.max(xMax, x), Math.max(yMax, y)]
      })
      expect(cocoRleArea(rle)).toBe(area)
      expect(cocoRleBBox(rle)).toEqual(area === 0 ? [0, 0, 0, 0] : [xMin, yMin, xMax - xMin + 1, yMax - yMin + 1])
    }
  })
})
