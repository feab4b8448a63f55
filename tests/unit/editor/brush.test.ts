import { describe, expect, it } from 'vitest'
import {
  brushSegmentBounds, paintBrushDab, paintBrushSegment, snapBrushCenter
} from '../../../src/renderer/src/editor/tools/brush'
import { countOnes, expected, picture, seededRandom } from './pixel-helpers'

function dab(width: number, height: number, x: number, y: number, diameter: number): string {
  const layer = new Uint8Array(width * height)
  paintBrushDab(layer, width, height, x, y, diameter, 'add')
  return picture(layer, width, height)
}

/** Reference rule straight from the JSDoc: centre-to-segment distance ≤ d/2 (+1e-7). */
function bruteForceSegment(
  width: number, height: number, x0: number, y0: number, x1: number, y1: number, diameter: number
): Uint8Array {
  const layer = new Uint8Array(width * height)
  const r = diameter / 2 + 1e-7
  const dx = x1 - x0
  const dy = y1 - y0
  const length2 = dx * dx + dy * dy
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const px = i + 0.5
      const py = j + 0.5
      const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / length2))
      const distance = Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy))
      if (distance <= r) layer[j * width + i] = 1
    }
  }
  return layer
}

describe('paintBrushDab', () => {
  it('diameter 1 on a pixel centre paints that pixel', () => {
    expect(dab(6, 6, 3.5, 2.5, 1)).toBe(expected(`
      ......
      ......
      ...#..
      ......
      ......
      ......`))
  })

  it('diameter 2 on a pixel corner paints the 2×2 block around it', () => {
    expect(dab(6, 6, 3, 3, 2)).toBe(expected(`
      ......
      ......
      ..##..
      ..##..
      ......
      ......`))
  })

  it('diameter 2 on a pixel centre includes the 4 neighbours exactly on the edge', () => {
    expect(dab(6, 6, 2.5, 2.5, 2)).toBe(expected(`
      ......
      ..#...
      .###..
      ..#...
      ......
      ......`))
  })

  it('diameter 3 on a pixel centre paints a 3×3 block (corners at √2 ≤ 1.5)', () => {
    expect(dab(6, 6, 2.5, 2.5, 3)).toBe(expected(`
      ......
      .###..
      .###..
      .###..
      ......
      ......`))
  })

  it('diameter 5 on a pixel centre paints a 5×5 block without its corners', () => {
    expect(dab(8, 8, 3.5, 3.5, 5)).toBe(expected(`
      ........
      ..###...
      .#####..
      .#####..
      .#####..
      ..###...
      ........
      ........`))
  })

  it('clips at the frame edge and paints nothing fully outside', () => {
    expect(dab(4, 4, 0.5, 0.5, 3)).toBe(expected(`
      ##..
      ##..
      ....
      ....`))
    const layer = new Uint8Array(16)
    expect(paintBrushDab(layer, 4, 4, -10, -10, 5, 'add')).toBeNull()
    expect(countOnes(layer)).toBe(0)
  })

  it('subtract mode (eraser) clears the same pixels and leaves others', () => {
    const layer = new Uint8Array(36).fill(1)
    paintBrushDab(layer, 6, 6, 2.5, 2.5, 3, 'subtract')
    expect(picture(layer, 6, 6)).toBe(expected(`
      ######
      #...##
      #...##
      #...##
      ######
      ######`))
  })

  it('rejects diameters outside 1..256 and wrong-sized layers', () => {
    expect(() => paintBrushDab(new Uint8Array(16), 4, 4, 1, 1, 0.5, 'add')).toThrow(RangeError)
    expect(() => paintBrushDab(new Uint8Array(16), 4, 4, 1, 1, 257, 'add')).toThrow(RangeError)
    expect(() => paintBrushDab(new Uint8Array(16), 4, 4, 1, 1, Number.NaN, 'add')).toThrow(RangeError)
    expect(() => paintBrushDab(new Uint8Array(15), 4, 4, 1, 1, 1, 'add')).toThrow(RangeError)
  })
})

describe('paintBrushSegment', () => {
  it('diameter 1 along a shallow diagonal leaves no gaps', () => {
    const layer = new Uint8Array(32)
    paintBrushSegment(layer, 8, 4, 0.5, 0.5, 7.5, 3.5, 1, 'add')
    expect(picture(layer, 8, 4)).toBe(expected(`
      ##......
      ..##....
      ....##..
      ......##`))
  })

  it('a fast drag is a continuous capsule, not two dabs', () => {
    const layer = new Uint8Array(64 * 5)
    paintBrushSegment(layer, 64, 5, 2.5, 2.5, 60.5, 2.5, 3, 'add')
    for (let x = 1; x <= 61; x++) expect(layer[2 * 64 + x]).toBe(1)
    expect(countOnes(layer)).toBe(3 * 61)
  })

  it('matches the distance rule on random segments and returns the written box', () => {
    const random = seededRandom(7)
    const width = 40
    const height = 30
    for (let trial = 0; trial < 400; trial++) {
      const [x0, y0, x1, y1] = [random() * 50 - 5, random() * 40 - 5, random() * 50 - 5, random() * 40 - 5]
      const diameter = 1 + random() * 19
      const layer = new Uint8Array(width * height)
      const rect = paintBrushSegment(layer, width, height, x0, y0, x1, y1, diameter, 'add')
      const reference = bruteForceSegment(width, height, x0, y0, x1, y1, diameter)
      expect(picture(layer, width, height)).toBe(picture(reference, width, height))
      if (rect === null) {
        expect(countOnes(layer)).toBe(0)
        continue
      }
      const bounds = brushSegmentBounds(x0, y0, x1, y1, diameter, width, height)!
      let outside = 0
      for (let j = 0; j < height; j++) {
        for (let i = 0; i < width; i++) {
          if (layer[j * width + i] === 0) continue
          const inRect = i >= rect.x && i < rect.x + rect.w && j >= rect.y && j < rect.y + rect.h
          const inBounds = i >= bounds.x && i < bounds.x + bounds.w && j >= bounds.y && j < bounds.y + bounds.h
          if (!inRect || !inBounds) outside++
        }
      }
      expect(outside).toBe(0)
    }
  })

})

describe('snapBrushCenter', () => {
  it('snaps odd diameters to pixel centres and even ones to corners', () => {
    expect(snapBrushCenter(3.2, 7.9, 1)).toEqual({ x: 3.5, y: 7.5 })
    expect(snapBrushCenter(3.2, 7.9, 5)).toEqual({ x: 3.5, y: 7.5 })
    expect(snapBrushCenter(3.2, 7.9, 2)).toEqual({ x: 3, y: 8 })
    expect(snapBrushCenter(3.6, 7.4, 16)).toEqual({ x: 4, y: 7 })
  })
})
