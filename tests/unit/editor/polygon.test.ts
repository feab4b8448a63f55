import { describe, expect, it } from 'vitest'
import type { Point } from '../../../src/renderer/src/editor/geometry'
import { fillLasso, fillPolygon, polygonBounds, type FillRule } from '../../../src/renderer/src/editor/tools/polygon'
import { fillRectangle } from '../../../src/renderer/src/editor/tools/rectangle'
import { countOnes, expected, picture, seededRandom } from './pixel-helpers'

function polygonPicture(width: number, height: number, points: Point[], rule: FillRule = 'nonzero'): string {
  const layer = new Uint8Array(width * height)
  fillPolygon(layer, width, height, points, 'add', rule)
  return picture(layer, width, height)
}

const xy = (...coordinates: number[]): Point[] =>
  Array.from({ length: coordinates.length / 2 }, (_, k) => ({ x: coordinates[2 * k], y: coordinates[2 * k + 1] }))

/** Per-pixel reference: winding number and crossing parity at each centre, same half-open rule. */
function bruteForcePolygon(width: number, height: number, points: Point[], rule: FillRule): Uint8Array {
  const layer = new Uint8Array(width * height)
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const cx = i + 0.5
      const cy = j + 0.5
      let winding = 0
      let parity = 0
      for (let k = 0; k < points.length; k++) {
        const a = points[k]
        const b = points[(k + 1) % points.length]
        if ((a.y <= cy) === (b.y <= cy)) continue
        const x = a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y)
        // A crossing at or left of the centre counts: the span [xa, xb) contains cx iff xa ≤ cx < xb.
        if (x <= cx) {
          winding += b.y > a.y ? 1 : -1
          parity ^= 1
        }
      }
      const inside = rule === 'even-odd' ? parity === 1 : winding !== 0
      if (inside) layer[j * width + i] = 1
    }
  }
  return layer
}

describe('fillPolygon', () => {
  it('fills a right triangle by pixel centres, excluding centres on the hypotenuse', () => {
    expect(polygonPicture(8, 8, xy(0, 0, 8, 0, 0, 8))).toBe(expected(`
      #######.
      ######..
      #####...
      ####....
      ###.....
      ##......
      #.......
      ........`))
  })

  it('fills exactly the pixels between integer corners', () => {
    expect(polygonPicture(8, 8, xy(2, 3, 5, 3, 5, 6, 2, 6))).toBe(expected(`
      ........
      ........
      ........
      ..###...
      ..###...
      ..###...
      ........
      ........`))
  })

  it('fills doubly wound regions under nonzero and leaves them as holes under even-odd', () => {
    const twoLoops = xy(1, 1, 7, 1, 7, 7, 1, 7, 1, 1, 3, 3, 5, 3, 5, 5, 3, 5, 3, 3)
    expect(polygonPicture(8, 8, twoLoops, 'even-odd')).toBe(expected(`
      ........
      .######.
      .######.
      .##..##.
      .##..##.
      .######.
      .######.
      ........`))
    expect(polygonPicture(8, 8, twoLoops, 'nonzero')).toBe(expected(`
      ........
      .######.
      .######.
      .######.
      .######.
      .######.
      .######.
      ........`))
  })

  it('clips vertices outside the frame', () => {
    expect(polygonPicture(4, 4, xy(-5, -5, 2, -5, 2, 10, -5, 10))).toBe(expected(`
      ##..
      ##..
      ##..
      ##..`))
  })

  it('fills nothing with fewer than 3 vertices or zero area', () => {
    const layer = new Uint8Array(16)
    expect(fillPolygon(layer, 4, 4, xy(0, 0, 4, 4), 'add')).toBeNull()
    expect(fillPolygon(layer, 4, 4, xy(0, 0, 4, 4, 2, 2), 'add')).toBeNull()
    expect(countOnes(layer)).toBe(0)
  })

  it('subtract mode clears the inside only', () => {
    const layer = new Uint8Array(16).fill(1)
    expect(fillPolygon(layer, 4, 4, xy(1, 1, 3, 1, 3, 3, 1, 3), 'subtract')).toEqual({ x: 1, y: 1, w: 2, h: 2 })
    expect(picture(layer, 4, 4)).toBe(expected(`
      ####
      #..#
      #..#
      ####`))
  })

  it('rejects non-finite vertices', () => {
    expect(() => fillPolygon(new Uint8Array(16), 4, 4, xy(0, 0, Number.NaN, 1, 2, 2), 'add')).toThrow(RangeError)
  })

  it.each(['nonzero', 'even-odd'] as const)('matches a per-pixel %s test on random self-intersecting polygons', (rule) => {
    const random = seededRandom(rule === 'nonzero' ? 11 : 12)
    for (let trial = 0; trial < 200; trial++) {
      const points = Array.from({ length: 3 + Math.floor(random() * 9) }, () => ({ x: random() * 36 - 3, y: random() * 28 - 3 }))
      const layer = new Uint8Array(30 * 22)
      const rect = fillPolygon(layer, 30, 22, points, 'add', rule)
      expect(picture(layer, 30, 22)).toBe(picture(bruteForcePolygon(30, 22, points, rule), 30, 22))
      const bounds = polygonBounds(points, 30, 22)
      if (rect !== null) {
        expect(bounds).not.toBeNull()
        expect(rect.x >= bounds!.x && rect.y >= bounds!.y).toBe(true)
        expect(rect.x + rect.w <= bounds!.x + bounds!.w && rect.y + rect.h <= bounds!.y + bounds!.h).toBe(true)
      }
    }
  })
})

describe('fillLasso', () => {
  it('closes the freehand path and fills it like a polygon', () => {
    const random = seededRandom(5)
    const path = Array.from({ length: 200 }, (_, k) => {
      const angle = (k / 200) * Math.PI * 2
      const radius = 20 + random() * 6
      return { x: 32 + radius * Math.cos(angle), y: 32 + radius * Math.sin(angle) }
    })
    const lasso = new Uint8Array(64 * 64)
    const polygon = new Uint8Array(64 * 64)
    fillLasso(lasso, 64, 64, path, 'add')
    fillPolygon(polygon, 64, 64, path, 'add')
    expect(picture(lasso, 64, 64)).toBe(picture(polygon, 64, 64))
    expect(lasso[32 * 64 + 32]).toBe(1)
    expect(lasso[0]).toBe(0)
  })

  it('fills a 2000-point self-crossing lasso on 512×512', () => {
    const path = Array.from({ length: 2000 }, (_, k) => {
      const angle = (k / 2000) * Math.PI * 2
      return { x: 256 + 250 * Math.cos(angle), y: 256 + 250 * Math.sin(angle * 3) }
    })
    const layer = new Uint8Array(512 * 512)
    fillLasso(layer, 512, 512, path, 'add')
    expect(countOnes(layer)).toBeGreaterThan(0)
  })
})

describe('fillRectangle', () => {
  it('fills columns 2..4 and rows 3..5 for corners (2,3)–(5,6), in any corner order', () => {
    for (const [x0, y0, x1, y1] of [[2, 3, 5, 6], [5, 6, 2, 3], [5, 3, 2, 6]]) {
      const layer = new Uint8Array(64)
      expect(fillRectangle(layer, 8, 8, x0, y0, x1, y1, 'add')).toEqual({ x: 2, y: 3, w: 3, h: 3 })
      expect(picture(layer, 8, 8)).toBe(polygonPicture(8, 8, xy(2, 3, 5, 3, 5, 6, 2, 6)))
    }
  })

  it('samples pixel centres for fractional corners and clips to the frame', () => {
    const layer = new Uint8Array(16)
    fillRectangle(layer, 4, 4, 1.4, -3, 9, 1.6, 'add')
    expect(picture(layer, 4, 4)).toBe(expected(`
      .###
      .###
      ....
      ....`))
  })

  it('fills nothing when no centre is covered, and subtracts', () => {
    const layer = new Uint8Array(16).fill(1)
    expect(fillRectangle(layer, 4, 4, 1.6, 1, 2.4, 3, 'subtract')).toBeNull()
    expect(fillRectangle(layer, 4, 4, 0, 0, 2, 1, 'subtract')).toEqual({ x: 0, y: 0, w: 2, h: 1 })
    expect(picture(layer, 4, 4)).toBe(expected(`
      ..##
      ####
      ####
      ####`))
  })

  it('equals the polygon of its corners on random rectangles', () => {
    const random = seededRandom(9)
    for (let trial = 0; trial < 200; trial++) {
      const [x0, y0, x1, y1] = [random() * 24 - 2, random() * 24 - 2, random() * 24 - 2, random() * 24 - 2]
      const layer = new Uint8Array(20 * 20)
      fillRectangle(layer, 20, 20, x0, y0, x1, y1, 'add')
      expect(picture(layer, 20, 20)).toBe(polygonPicture(20, 20, xy(x0, y0, x1, y0, x1, y1, x0, y1)))
    }
  })
})
