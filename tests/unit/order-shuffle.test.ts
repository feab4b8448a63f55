import { describe, expect, it } from 'vitest'
import { orderShuffle } from '../../src/main/training/model/video-encoder'

describe('order-consistency shuffle (create_random_shuffle)', () => {
  it('is a pure function of the seed', () => {
    expect(orderShuffle(6, 5, 42)).toEqual(orderShuffle(6, 5, 42))
    const others = [1, 2, 3, 4].map((s) => orderShuffle(6, 5, s).sources.join())
    expect(new Set(others).size).toBeGreaterThan(1)
  })

  it('shuffles about half the stories, never into sorted order, mixing in at most one same-position frame', () => {
    const [B, T] = [8, 5]
    let shuffled = 0
    let mixed = 0
    let total = 0
    for (let seed = 0; seed < 100; seed++) {
      const { sources, labels } = orderShuffle(B, T, seed)
      expect(sources.length).toBe(B * T)
      for (let b = 0; b < B; b++) {
        total++
        const src = Array.from(sources.subarray(b * T, (b + 1) * T))
        if (labels[b] === 0) {
          expect(src).toEqual(src.map((_, t) => b * T + t))
          continue
        }
        expect(labels[b]).toBe(1)
        shuffled++
        const foreign = src.map((s, t) => ({ s, t })).filter(({ s }) => Math.floor(s / T) !== b)
        expect(foreign.length).toBeLessThanOrEqual(1)
        for (const { s, t } of foreign) expect(s % T).toBe(t) // same position in the other story
        if (foreign.length === 1) mixed++
        // Own frames: distinct, and not all in story order (the permutation is never sorted).
        const own = src.filter((s) => Math.floor(s / T) === b).map((s) => s % T)
        expect(new Set(own).size).toBe(own.length)
        if (foreign.length === 0) expect(own.some((f, i) => i > 0 && own[i - 1] > f)).toBe(true)
      }
    }
    expect(shuffled / total).toBeGreaterThan(0.4)
    expect(shuffled / total).toBeLessThan(0.6)
    // Another story is drawn with probability (B - 1) / B.
    expect(mixed / shuffled).toBeGreaterThan(0.75)
    expect(mixed / shuffled).toBeLessThan(0.97)
  })

  it('refuses one-frame stories', () => {
    expect(() => orderShuffle(4, 1, 0)).toThrow(/at least 2 frames/)
  })
})
