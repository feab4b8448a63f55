import { describe, expect, it } from 'vitest'
import {
  cholesky,
  gram,
  multiplyTransposed,
  pivotedCholesky,
  singularValues,
  symmetricEigen,
  transpose,
  tridiagonalEigen
} from '../../src/main/evaluation/linalg'

/** Deterministic uniform values in [-0.5, 0.5) (Park–Miller), so failures reproduce. */
function randomMatrix(rows: number, cols: number, seed = 7): Float64Array {
  let state = seed
  return Float64Array.from({ length: rows * cols }, () => {
    state = (state * 16807) % 2147483647
    return state / 2147483647 - 0.5
  })
}

function naiveTransposedProduct(a: Float64Array, b: Float64Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p]
      c[i * n + j] = s
    }
  }
  return c
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

function symmetricRandom(n: number, seed: number): Float64Array {
  const b = randomMatrix(n, n, seed)
  const s = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = b[i * n + j] + b[j * n + i]
  return s
}

/** Vᵀ·diag(values)·V for eigenvectors stored as rows. */
function reconstruct(values: Float64Array, vectors: Float64Array, n: number): Float64Array {
  const scaled = new Float64Array(n * n)
  for (let q = 0; q < n; q++) for (let j = 0; j < n; j++) scaled[q * n + j] = values[q] * vectors[q * n + j]
  return multiplyTransposed(transpose(vectors, n, n), transpose(scaled, n, n), n, n, n)
}

describe('multiplyTransposed and gram', () => {
  // Sizes cover the 4×2 tile remainders and more than one 512-deep and 128-row block.
  it.each([
    [7, 5, 13],
    [9, 3, 1100],
    [1, 1, 1],
    [4, 2, 600],
    [6, 131, 70],
    [150, 3, 20]
  ])('match a plain triple loop for %i×%i·(%i)', (m, n, k) => {
    const a = randomMatrix(m, k, 3)
    const b = randomMatrix(n, k, 5)
    expect(maxAbsDifference(multiplyTransposed(a, b, m, n, k), naiveTransposedProduct(a, b, m, n, k))).toBeLessThan(1e-12)
    expect(maxAbsDifference(gram(a, m, k), naiveTransposedProduct(a, a, m, m, k))).toBeLessThan(1e-12)
  })

  it('gram accumulates into a given matrix', () => {
    const a = randomMatrix(5, 8, 11)
    const sum = gram(a, 5, 8, gram(a, 5, 8))
    expect(maxAbsDifference(sum, naiveTransposedProduct(a, a, 5, 5, 8).map((x) => 2 * x))).toBeLessThan(1e-13)
  })

  it('transpose swaps rows and columns', () => {
    expect(Array.from(transpose(new Float64Array([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6])
  })
})

describe('cholesky', () => {
  it('factors a known matrix exactly', () => {
    const a = new Float64Array([4, 12, -16, 12, 37, -43, -16, -43, 98])
    expect(Array.from(cholesky(a, 3))).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3])
  })

  it('rejects a matrix that is not positive definite', () => {
    expect(() => cholesky(new Float64Array([1, 2, 2, 1]), 2)).toThrow(RangeError)
  })
})

describe('pivotedCholesky', () => {
  it.each([
    [10, 10],
    [10, 3],
    [100, 40],
    [70, 70]
  ])('reconstructs an n=%i matrix of rank %i and finds that rank', (n, r) => {
    const b = randomMatrix(n, r, 13)
    const a = multiplyTransposed(b, b, n, n, r)
    const { rank, factor } = pivotedCholesky(a, n)
    expect(rank).toBe(r)
    const columns = transpose(factor, rank, n)
    expect(maxAbsDifference(multiplyTransposed(columns, columns, n, n, rank), a)).toBeLessThan(1e-12)
  })

  it('returns rank 0 for the zero matrix', () => {
    expect(pivotedCholesky(new Float64Array(9), 3).rank).toBe(0)
  })
})

describe('symmetricEigen', () => {
  it('finds the eigenpairs of a known 2×2 matrix', () => {
    const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2, { vectors: true })
    expect(values[0]).toBeCloseTo(1, 14)
    expect(values[1]).toBeCloseTo(3, 14)
    // Eigenvector of 3 is ±(1, 1)/√2.
    expect(Math.abs(vectors![2] * vectors![3] - 0.5)).toBeLessThan(1e-15)
  })

  it('handles 1×1, diagonal and repeated eigenvalues', () => {
    expect(Array.from(symmetricEigen(new Float64Array([-4]), 1).values)).toEqual([-4])
    const diagonal = new Float64Array([3, 0, 0, 0, 1, 0, 0, 0, 3])
    expect(Array.from(symmetricEigen(diagonal, 3).values)).toEqual([1, 3, 3])
  })

  it.each([3, 10, 57, 120])('reconstructs a random %i×%i matrix with orthonormal eigenvectors', (n) => {
    const a = symmetricRandom(n, n + 1)
    const { values, vectors } = symmetricEigen(a, n, { vectors: true })
    const scale = n * Number.EPSILON * Math.max(...Array.from(values, Math.abs))
    expect(maxAbsDifference(reconstruct(values, vectors!, n), a)).toBeLessThan(20 * scale)
    const identity = new Float64Array(n * n)
    for (let i = 0; i < n; i++) identity[i * n + i] = 1
    expect(maxAbsDifference(gram(vectors!, n, n), identity)).toBeLessThan(20 * n * Number.EPSILON)
    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1])
    // The values-only path runs the same QL iterations without the rotations.
    expect(maxAbsDifference(symmetricEigen(a, n).values, values)).toBeLessThan(20 * scale)
  })

  it('trace and Frobenius norm are preserved', () => {
    const n = 40
    const a = symmetricRandom(n, 99)
    const { values } = symmetricEigen(a, n)
    let trace = 0
    for (let i = 0; i < n; i++) trace += a[i * n + i]
    const sumSquares = a.reduce((s, x) => s + x * x, 0)
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(trace, 12)
    expect(values.reduce((s, x) => s + x * x, 0)).toBeCloseTo(sumSquares, 10)
  })
})

describe('tridiagonalEigen', () => {
  it('finds ±σ of a Golub–Kahan matrix with a zero diagonal', () => {
    // Bidiagonal [[3, 1], [0, 2]]: σ² are the eigenvalues of [[9, 3], [3, 5]] = 7 ± √13.
    const d = new Float64Array(4)
    tridiagonalEigen(d, new Float64Array([3, 1, 2]))
    const sorted = Array.from(d).sort((x, y) => x - y)
    const big = Math.sqrt(7 + Math.sqrt(13)), small = Math.sqrt(7 - Math.sqrt(13))
    expect(maxAbsDifference(sorted, [-big, -small, small, big])).toBeLessThan(1e-14)
  })
})

describe('singularValues', () => {
  it('finds known singular values', () => {
    // [[3, 0], [4, 5]]: σ = 3√5 and √5.
    expect(maxAbsDifference(singularValues(new Float64Array([3, 0, 4, 5]), 2, 2), [3 * Math.sqrt(5), Math.sqrt(5)])).toBeLessThan(1e-14)
    expect(maxAbsDifference(singularValues(new Float64Array([0, -2, 0, 0, 0, 7]), 2, 3), [7, 2])).toBeLessThan(1e-15)
  })

  it.each([
    [5, 3],
    [3, 5],
    [40, 40],
    [60, 25],
    [9, 130]
  ])('agree with √eig(AᵀA) on a random %i×%i matrix and keep Σσ² = ‖A‖²', (m, n) => {
    const a = randomMatrix(m, n, m * 31 + n)
    const values = singularValues(a, m, n)
    expect(values.length).toBe(Math.min(m, n))
    const small = Math.min(m, n)
    const product = m >= n ? gram(transpose(a, m, n), n, m) : gram(a, m, n)
    const reference = Array.from(symmetricEigen(product, small).values, (x) => Math.sqrt(Math.max(0, x))).reverse()
    expect(maxAbsDifference(values, reference)).toBeLessThan(1e-10)
    const frobenius = a.reduce((s, x) => s + x * x, 0)
    expect(values.reduce((s, x) => s + x * x, 0)).toBeCloseTo(frobenius, 11)
  })

  it('returns exact-scale zeros for a rank-deficient matrix', () => {
    // 30×20 of rank 4: 16 singular values are zero, found to ~eps·σmax (not √eps·σmax).
    const m = 30, n = 20, r = 4
    const a = multiplyTransposed(randomMatrix(m, r, 17), transpose(randomMatrix(r, n, 19), r, n), m, n, r)
    const values = singularValues(a, m, n)
    for (let i = r; i < n; i++) expect(values[i]).toBeLessThan(1e-14 * values[0])
    expect(values[r - 1]).toBeGreaterThan(1e-3)
  })

  it('handles an empty and an all-zero matrix', () => {
    expect(singularValues(new Float64Array(0), 0, 3).length).toBe(0)
    expect(Array.from(singularValues(new Float64Array(6), 3, 2))).toEqual([0, 0])
  })
})
