import { describe, expect, it } from 'vitest'
import { decode, encode } from 'fast-png'
import { decodePngFast, encodePngFast } from '../../src/main/datasets/png-codec'

function pixels(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    out[i] = i % 7 === 0 ? s & 255 : out[Math.max(0, i - 3)] // runs and noise: every filter type occurs
  }
  return out
}

describe('native-zlib PNG codec', () => {
  for (const channels of [1, 2, 3, 4]) {
    it(`round-trips ${channels}-channel images and agrees with the reference codec`, () => {
      const w = 37
      const h = 23
      const data = pixels(w * h * channels, channels)
      const ours = encodePngFast(w, h, channels, data)
      const ref = decode(ours)
      expect([ref.width, ref.height, ref.channels, ref.depth]).toEqual([w, h, channels, 8])
      expect(Array.from(ref.data as Uint8Array)).toEqual(Array.from(data))
      // decoding PNGs written by the reference encoder (which uses other row filters)
      const theirs = encode({ width: w, height: h, data, channels })
      const back = decodePngFast(theirs)!
      expect(back.channels).toBe(channels)
      expect(Array.from(back.data)).toEqual(Array.from(data))
    })
  }

  it('writes and reads palette images', () => {
    const idx = Uint8Array.from([0, 1, 2, 1, 0, 2])
    const png = encodePngFast(3, 2, 1, idx, [[0, 0, 0], [255, 0, 0], [0, 0, 255]])
    const ref = decode(png)
    expect(ref.palette).toEqual([[0, 0, 0], [255, 0, 0], [0, 0, 255]])
    expect(decodePngFast(png)!.palette).toEqual([[0, 0, 0], [255, 0, 0], [0, 0, 255]])
  })

  it('leaves 16-bit images to the general decoder and rejects truncated files', () => {
    const png16 = encode({ width: 2, height: 2, data: new Uint16Array(4), channels: 1, depth: 16 })
    expect(decodePngFast(png16)).toBeNull()
    const ok = encodePngFast(8, 8, 3, pixels(192, 9))
    expect(() => decodePngFast(ok.subarray(0, ok.length - 20))).toThrow()
    expect(() => decodePngFast(new Uint8Array(40))).toThrow(/signature/)
  })
})
