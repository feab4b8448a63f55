import { describe, expect, it } from 'vitest'
import {
  rleArea, rleBBox, rleDecode, rleDecodeInto, rleEncode, rleFromBytes, rleToBytes, rleUnion, rleValidate, type Rle
} from '../../src/shared/rle'
import { sameBytes, seededRandom } from './editor/pixel-helpers'

function randomMask(random: () => number, length: number, density: number): Uint8Array {
  const mask = new Uint8Array(length)
  // Runs rather than independent pixels, so masks look like real blobs and runs are long too.
  let value = random() < density ? 1 : 0
  for (let i = 0; i < length; i++) {
    if (random() < 0.15) value = random() < density ? 1 : 0
    mask[i] = value
  }
  return mask
}

describe('rleEncode / rleDecode', () => {
  it('encodes row-major runs starting with zeros', () => {
    expect(rleEncode(Uint8Array.of(0, 0, 1, 1, 1, 0))).toEqual([2, 3, 1])
    expect(rleEncode(Uint8Array.of(1, 1, 0))).toEqual([0, 2, 1])
    expect(rleEncode(Uint8Array.of(0, 1, 0, 1))).toEqual([1, 1, 1, 1])
  })

  it('treats any nonzero byte as 1', () => {
    expect(rleEncode(Uint8Array.of(0, 255, 7, 0))).toEqual([1, 2, 1])
  })

  it('handles empty, full and length-1 masks', () => {
    expect(rleEncode(new Uint8Array(0))).toEqual([])
    expect(rleDecode([], 0)).toEqual(new Uint8Array(0))
    expect(rleEncode(new Uint8Array(5))).toEqual([5])
    expect(rleEncode(new Uint8Array(5).fill(1))).toEqual([0, 5])
    expect(rleEncode(Uint8Array.of(0))).toEqual([1])
    expect(rleEncode(Uint8Array.of(1))).toEqual([0, 1])
    expect(rleDecode([0, 1], 1)).toEqual(Uint8Array.of(1))
    expect(rleDecode([1], 1)).toEqual(Uint8Array.of(0))
    expect(rleDecode([0, 5], 5)).toEqual(new Uint8Array(5).fill(1))
  })

  it('round-trips random masks of many lengths', () => {
    const random = seededRandom(1)
    for (let trial = 0; trial < 300; trial++) {
      const length = 1 + Math.floor(random() * 2000)
      const mask = randomMask(random, length, random())
      const rle = rleEncode(mask)
      expect(rleValidate(rle, length)).toBeNull()
      expect(sameBytes(rleDecode(rle, length), mask)).toBe(true)
      expect(rleArea(rle)).toBe(mask.reduce((sum, v) => sum + v, 0))
    }
  })

  it('accepts empty runs inside the list', () => {
    expect(rleDecode([1, 0, 0, 2], 3)).toEqual(Uint8Array.of(0, 1, 1))
  })

  it.each([
    ['a negative count', [2, -1, 3], 4],
    ['a fractional count', [1.5, 2.5], 4],
    ['NaN', [Number.NaN, 4], 4],
    ['Infinity', [Infinity], 4],
    ['a short sum', [1, 2], 4],
    ['a long sum', [3, 2], 4],
    ['a string count', ['4'], 4]
  ])('rejects %s', (_name, rle, length) => {
    expect(rleValidate(rle, length)).toEqual(expect.any(String))
    expect(() => rleDecode(rle as Rle, length)).toThrow(RangeError)
    expect(() => rleDecodeInto(rle as Rle, new Uint8Array(length))).toThrow(RangeError)
  })

  it('rejects non-arrays and bad lengths in validation', () => {
    expect(rleValidate({ counts: [1] }, 1)).toMatch(/array/)
    expect(rleValidate(null, 1)).toMatch(/array/)
    expect(rleValidate([1], -1)).toMatch(/length/)
  })
})

describe('rleDecodeInto', () => {
  it('writes the value on 1-runs and leaves other bytes alone', () => {
    const out = Uint8Array.of(9, 9, 9, 9, 9)
    rleDecodeInto([1, 2, 1, 1], out, 3)
    expect(out).toEqual(Uint8Array.of(9, 3, 3, 9, 3))
  })

  it('defaults the value to 1 and can OR masks together', () => {
    const out = new Uint8Array(4)
    rleDecodeInto([0, 1, 3], out)
    rleDecodeInto([2, 1, 1], out)
    expect(out).toEqual(Uint8Array.of(1, 0, 1, 0))
  })
})

describe('rleToBytes / rleFromBytes', () => {
  it('uses one byte below 128 and more above', () => {
    expect(rleToBytes([0, 127])).toEqual(Uint8Array.of(0, 127))
    expect(rleToBytes([128])).toEqual(Uint8Array.of(0x80, 0x01))
    expect(rleToBytes([300])).toEqual(Uint8Array.of(0xac, 0x02))
  })

  it('round-trips random and large counts', () => {
    const random = seededRandom(2)
    for (let trial = 0; trial < 100; trial++) {
      const rle = rleEncode(randomMask(random, 1 + Math.floor(random() * 5000), 0.4))
      expect(rleFromBytes(rleToBytes(rle))).toEqual(rle)
    }
    const large = [0, 2 ** 31 + 5, 2 ** 40, Number.MAX_SAFE_INTEGER, 1]
    expect(rleFromBytes(rleToBytes(large))).toEqual(large)
    expect(rleFromBytes(rleToBytes([]))).toEqual([])
  })

  it('rejects a truncated blob and bad counts', () => {
    expect(() => rleFromBytes(Uint8Array.of(5, 0x80))).toThrow(RangeError)
    expect(() => rleToBytes([-1])).toThrow(RangeError)
    expect(() => rleToBytes([0.5])).toThrow(RangeError)
  })

  it('rejects a count above 2^53 - 1', () => {
    const tooBig = new Uint8Array(9).fill(0xff)
    tooBig[8] = 0x7f
    expect(() => rleFromBytes(tooBig)).toThrow(RangeError)
  })
})

describe('rleUnion', () => {
  it('matches a pixelwise OR and is canonical', () => {
    const random = seededRandom(3)
    for (let trial = 0; trial < 100; trial++) {
      const length = 1 + Math.floor(random() * 1000)
      const masks = Array.from({ length: Math.floor(random() * 4) }, () => randomMask(random, length, 0.3))
      const or = new Uint8Array(length)
      for (const mask of masks) mask.forEach((v, i) => (or[i] |= v))
      expect(rleUnion(masks.map(rleEncode), length)).toEqual(rleEncode(or))
    }
  })

  it('handles no inputs, touching runs and full coverage', () => {
    expect(rleUnion([], 4)).toEqual([4])
    expect(rleUnion([], 0)).toEqual([])
    expect(rleUnion([[0, 2, 2], [2, 2]], 4)).toEqual([0, 4])
    expect(rleUnion([[1, 1, 2], [3, 1]], 4)).toEqual([1, 1, 1, 1])
  })

  it('rejects malformed inputs', () => {
    expect(() => rleUnion([[1, 2]], 4)).toThrow(RangeError)
  })
})

describe('rleBBox', () => {
  it('returns null for an empty mask', () => {
    expect(rleBBox(new Uint8Array(12), 4, 3)).toBeNull()
  })

  it('returns the tight box in COCO order', () => {
    const mask = new Uint8Array(6 * 5)
    mask[1 * 6 + 4] = 1
    mask[3 * 6 + 2] = 255
    expect(rleBBox(mask, 6, 5)).toEqual([2, 1, 3, 3])
    const single = new Uint8Array(1).fill(1)
    expect(rleBBox(single, 1, 1)).toEqual([0, 0, 1, 1])
  })

  it('rejects a size mismatch', () => {
    expect(() => rleBBox(new Uint8Array(5), 2, 2)).toThrow(RangeError)
  })
})
