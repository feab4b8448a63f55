/**
 * Seeded pseudo-random numbers for the demo generators. Every stream is derived from the dataset
 * seed plus stream ids (episode index, scene index, ...), so any episode or scene can be rebuilt
 * on its own and the output never depends on iteration order or on `Math.random`.
 */

/** Finalising integer mix (murmur3 fmix32): spreads nearby seeds (1, 2, 3) over all 32 bits. */
function mix32(value: number): number {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Folds a seed and any number of stream ids into one 32-bit value. */
export function hashSeed(seed: number, ...stream: number[]): number {
  let h = mix32(seed ^ 0x9e3779b9)
  for (const part of stream) h = mix32(h ^ mix32(part + 0x632be5ab))
  return h
}

/** FNV-1a, 32 bit, over the UTF-16 code units of a string (ASCII in practice). */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A small seeded generator (sfc32) with the helpers the demo generators need. */
export class Random {
  private a: number
  private b: number
  private c: number
  private d: number

  /** @param seed dataset seed; @param stream ids that select an independent stream. */
  constructor(seed: number, ...stream: number[]) {
    this.a = hashSeed(seed, 1, ...stream)
    this.b = hashSeed(seed, 2, ...stream)
    this.c = hashSeed(seed, 3, ...stream)
    this.d = 1
    // sfc32 needs a few rounds before nearby states decorrelate.
    for (let i = 0; i < 12; i++) this.next()
  }

  /** Uniform float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return (t >>> 0) / 4294967296
  }

  /** Uniform float in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.next()
  }

  /** Uniform integer in [low, high] (both inclusive). */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1))
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** Index drawn with probability proportional to weights[i]. */
  weighted(weights: readonly number[]): number {
    let total = 0
    for (const w of weights) total += w
    let r = this.next() * total
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]
      if (r < 0) return i
    }
    return weights.length - 1
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const tmp = out[i]
      out[i] = out[j]
      out[j] = tmp
    }
    return out
  }
}
