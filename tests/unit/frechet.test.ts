import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readNpy } from '../../src/main/datasets/npy'
import { featureStats, frechetDistance, frechetFromFeatures, type FeatureSet, type FeatureStats } from '../../src/main/evaluation/frechet'
import { symmetricEigen } from '../../src/main/evaluation/linalg'
import { UserError } from '../../src/shared/result'

interface ExpectedCase {
  name: string
  a: string
  b: string
  n_a: number
  n_b: number
  dim: number
  distance: number
  rtol: number
  offset_used: boolean
  scipy_seconds: number
}

/** The shared fixtures live beside the checkout (or inside it on CI machines); CPCSV_FIXTURES overrides. */
function findFrechetFixtures(): string | undefined {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const candidates = [process.env.CPCSV_FIXTURES, resolve(root, 'shared/fixtures'), resolve(root, '../shared/fixtures')]
  for (const candidate of candidates) {
    if (candidate && existsSync(join(candidate, 'frechet', 'expected.json'))) return join(candidate, 'frechet')
  }
  return undefined
}

function loadSet(dir: string, file: string): FeatureSet {
  const array = readNpy(readFileSync(join(dir, file)), file)
  if (!(array.data instanceof Float32Array) || array.shape.length !== 2) throw new Error(`${file}: expected a 2-D float32 array`)
  return { data: array.data, n: array.shape[0], dim: array.shape[1] }
}

/** Tr Σ straight from the samples, without the dim×dim covariance. */
function sampleTrace(set: FeatureSet): number {
  const { data, n, dim } = set
  let sum = 0
  for (let j = 0; j < dim; j++) {
    let mean = 0
    for (let i = 0; i < n; i++) mean += data[i * dim + j]
    mean /= n
    for (let i = 0; i < n; i++) sum += (data[i * dim + j] - mean) ** 2
  }
  return sum / (n - 1)
}

function trace(stats: FeatureStats): number {
  let sum = 0
  for (let i = 0; i < stats.dim; i++) sum += stats.sigma[i * stats.dim + i]
  return sum
}

/** Deterministic Gaussian-ish samples (sum of uniforms), n×dim, with a per-dimension scale. */
function randomSet(n: number, dim: number, seed: number, scale = (j: number) => 1 + (j % 5)): FeatureSet {
  let state = seed
  const uniform = (): number => {
    state = (state * 16807) % 2147483647
    return state / 2147483647 - 0.5
  }
  const data = new Float64Array(n * dim)
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) data[i * dim + j] = scale(j) * (uniform() + uniform() + uniform())
  return { data, n, dim }
}

function statsOf(set: FeatureSet): FeatureStats {
  return featureStats(set.data, set.n, set.dim)
}

/**
 * Independent reference on the squared route: eigenvalues of √Σa·Σb·√Σa with √Σa from a full
 * eigendecomposition, negative rounding clamped to 0. Accurate to ~1e-7 relative; small sizes only.
 */
function referenceDistance(a: FeatureStats, b: FeatureStats): number {
  const dim = a.dim
  const { values, vectors } = symmetricEigen(a.sigma, dim, { vectors: true })
  const root = new Float64Array(dim * dim)
  for (let q = 0; q < dim; q++) {
    const s = Math.sqrt(Math.max(0, values[q]))
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) root[i * dim + j] += vectors![q * dim + i] * s * vectors![q * dim + j]
  }
  const product = multiply(multiply(root, b.sigma, dim), root, dim)
  let traceSqrt = 0
  for (const lambda of symmetricEigen(product, dim).values) traceSqrt += Math.sqrt(Math.max(0, lambda))
  let meanGap = 0
  for (let i = 0; i < dim; i++) meanGap += (a.mu[i] - b.mu[i]) ** 2
  return meanGap + trace(a) + trace(b) - 2 * traceSqrt
}

function multiply(x: Float64Array, y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let p = 0; p < n; p++) for (let j = 0; j < n; j++) out[i * n + j] += x[i * n + p] * y[p * n + j]
  return out
}

const fixtureDir = findFrechetFixtures()

describe.skipIf(!fixtureDir)('Fréchet distance against scipy (fixtures/frechet/expected.json)', () => {
  const expected = fixtureDir ? (JSON.parse(readFileSync(join(fixtureDir, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] }) : { cases: [] }

  it('covers the identical, rank-deficient and 2048-d cases', () => {
    const names = expected.cases.map((c) => c.name)
    expect(names).toEqual(expect.arrayContaining(['same64', 'rankdef512', 'pool2048']))
  })

  it.each(expected.cases.map((c) => [c.name, c] as const))('%s is within the case tolerance', (_name, c) => {
    const a = loadSet(fixtureDir!, c.a)
    const b = loadSet(fixtureDir!, c.b)
    expect([a.n, b.n, a.dim, b.dim]).toEqual([c.n_a, c.n_b, c.dim, c.dim])
    // rtol relative to the expected value, plus an absolute floor at rounding level of the terms
    // that cancel: identical sets are 0 exactly, scipy reports -1.7e-13 there.
    const scale = sampleTrace(a) + sampleTrace(b)
    const tolerance = c.rtol * Math.abs(c.distance) + 1e-12 * scale
    const fromFeatures = frechetFromFeatures(a, b)
    expect(Math.abs(fromFeatures - c.distance)).toBeLessThanOrEqual(tolerance)
    // The stats route (pivoted Cholesky of each covariance) must give the same number; at 2048-d
    // it costs seconds, so the largest case checks it in the benchmark only.
    if (c.dim <= 512) {
      const fromStats = frechetDistance(statsOf(a), statsOf(b))
      expect(Math.abs(fromStats - fromFeatures)).toBeLessThanOrEqual(1e-9 * (Math.abs(fromFeatures) + scale))
    }
  })
})

describe('featureStats', () => {
  it('computes the mean and the unbiased covariance', () => {
    const stats = featureStats(new Float32Array([1, 2, 3, 6, 5, 4]), 3, 2)
    expect(Array.from(stats.mu)).toEqual([3, 4])
    expect(Array.from(stats.sigma)).toEqual([4, 2, 2, 4])
    expect([stats.n, stats.dim]).toEqual([3, 2])
  })

  it('gives the same statistics for float32 and float64 input of the same values', () => {
    const set = randomSet(50, 7, 3)
    const single = Float32Array.from(set.data)
    const fromSingle = featureStats(single, 50, 7)
    const fromDouble = featureStats(Float64Array.from(single), 50, 7)
    expect(Array.from(fromSingle.sigma)).toEqual(Array.from(fromDouble.sigma))
  })

  it('matches a direct covariance over more samples than one chunk', () => {
    const set = randomSet(1500, 3, 21)
    const stats = statsOf(set)
    let direct = 0
    for (let i = 0; i < set.n; i++) direct += (set.data[i * 3] - stats.mu[0]) * (set.data[i * 3 + 2] - stats.mu[2])
    expect(stats.sigma[2]).toBeCloseTo(direct / (set.n - 1), 12)
    expect(stats.sigma[6]).toBe(stats.sigma[2])
  })
})

describe('frechetDistance properties', () => {
  it('matches the closed forms for 1-d and diagonal Gaussians', () => {
    const oneD = (mu: number, variance: number): FeatureStats => ({ n: 10, dim: 1, mu: new Float64Array([mu]), sigma: new Float64Array([variance]) })
    expect(frechetDistance(oneD(1, 4), oneD(-2, 9))).toBeCloseTo(9 + (2 - 3) ** 2, 12)
    const diagonal = (variances: number[]): FeatureStats => {
      const dim = variances.length
      const sigma = new Float64Array(dim * dim)
      variances.forEach((v, i) => (sigma[i * dim + i] = v))
      return { n: 10, dim, mu: new Float64Array(dim), sigma }
    }
    // Σ (√a − √b)², with a zero variance on each side (singular covariances).
    expect(frechetDistance(diagonal([1, 4, 0, 2]), diagonal([9, 4, 3, 0]))).toBeCloseTo(4 + 0 + 3 + 2, 12)
  })

  it('is zero for identical sets and identical statistics', () => {
    // Rounding in the cancellation of traces ~10² and ~10³ is all that may remain.
    const set = randomSet(40, 12, 5)
    expect(frechetFromFeatures(set, set)).toBeLessThan(1e-12)
    expect(frechetDistance(statsOf(set), statsOf(set))).toBeLessThan(1e-12)
    const wide = randomSet(30, 300, 6)
    expect(frechetFromFeatures(wide, { ...wide, data: Float64Array.from(wide.data) })).toBeLessThan(1e-10)
  })

  it('is symmetric and non-negative, and agrees between both routes', () => {
    const pairs: [FeatureSet, FeatureSet][] = [
      [randomSet(60, 10, 1), randomSet(45, 10, 2, () => 2)],
      [randomSet(8, 30, 3), randomSet(12, 30, 4)],
      [randomSet(40, 30, 7), randomSet(9, 30, 8)]
    ]
    for (const [a, b] of pairs) {
      const ab = frechetFromFeatures(a, b)
      expect(ab).toBeGreaterThan(0)
      expect(frechetFromFeatures(b, a)).toBeCloseTo(ab, 10)
      expect(frechetDistance(statsOf(b), statsOf(a))).toBeCloseTo(ab, 10)
    }
  })

  it('agrees with an eigendecomposition reference on rank-deficient covariances', () => {
    // 6 and 9 samples in 25 dimensions: ranks 5 and 8.
    const a = statsOf(randomSet(6, 25, 11))
    const b = statsOf(randomSet(9, 25, 12))
    const reference = referenceDistance(a, b)
    expect(frechetDistance(a, b)).toBeCloseTo(reference, 5)
    expect(frechetFromFeatures(randomSet(6, 25, 11), randomSet(9, 25, 12))).toBeCloseTo(reference, 5)
  })

  it('adds a shift of the means and nothing else', () => {
    const a = randomSet(20, 16, 13)
    const b = randomSet(25, 16, 14)
    const shifted = { ...b, data: b.data.map((x, i) => x + (i % 16 === 3 ? 2 : 0)) }
    const gap = statsOf(a).mu[3] - statsOf(b).mu[3]
    const expected = frechetFromFeatures(a, b) - gap ** 2 + (gap - 2) ** 2
    expect(frechetFromFeatures(a, shifted)).toBeCloseTo(expected, 9)
  })

  it('is stable for 2048-d from a few hundred samples (rank-deficient, closed form)', () => {
    // b = 2a: Σb = 4Σa, so d² = ‖μa‖² + Tr Σa + 4 Tr Σa − 2·2 Tr Σa = ‖μa‖² + Tr Σa.
    const a = randomSet(200, 2048, 15, (j) => 0.5 + (j % 7))
    const b = { ...a, data: a.data.map((x) => 2 * x) }
    let meanNorm = 0
    for (let j = 0; j < a.dim; j++) {
      let mean = 0
      for (let i = 0; i < a.n; i++) mean += a.data[i * a.dim + j] / a.n
      meanNorm += mean * mean
    }
    const expected = meanNorm + sampleTrace(a)
    const distance = frechetFromFeatures(a, b)
    expect(Math.abs(distance - expected)).toBeLessThan(1e-10 * expected)
    expect(Math.abs(frechetFromFeatures(b, a) - expected)).toBeLessThan(1e-10 * expected)
  })
})

describe('input checks', () => {
  it('rejects mismatched dimensions, too few samples and non-finite features', () => {
    const a = randomSet(5, 4, 1)
    expect(() => frechetFromFeatures(a, randomSet(5, 3, 2))).toThrow(UserError)
    expect(() => frechetFromFeatures(a, randomSet(1, 4, 2))).toThrow(/at least 2/)
    const broken = { ...a, data: Float64Array.from(a.data) }
    broken.data[6] = NaN
    expect(() => frechetFromFeatures(a, broken)).toThrow(/sample 1, feature 2/)
    expect(() => frechetDistance(statsOf(a), statsOf(randomSet(5, 3, 2)))).toThrow(UserError)
  })

  it('rejects data whose length does not match n × dim', () => {
    expect(() => featureStats(new Float32Array(7), 2, 4)).toThrow(RangeError)
    expect(() => frechetDistance({ n: 2, dim: 2, mu: new Float64Array(2), sigma: new Float64Array(3) }, { n: 2, dim: 2, mu: new Float64Array(2), sigma: new Float64Array(4) })).toThrow(RangeError)
  })
})
