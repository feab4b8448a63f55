/**
 * The Fréchet distance between two Gaussians fitted to feature sets: FID on Inception pool
 * features (2048-d), FSD on R(2+1)D features (512-d). Follows pytorch-fid (reference doc §6.1-6.2,
 * §11 item 2): float64 statistics, unbiased covariance, and the 1e-6·I retry on a non-finite
 * square root.
 *
 *   d² = ‖μa − μb‖² + Tr Σa + Tr Σb − 2·Tr sqrtm(Σa·Σb)
 *
 * pytorch-fid forms sqrtm(Σa·Σb) with scipy (a Schur decomposition of a D×D non-symmetric
 * matrix, 9-14 s at D = 2048). Only its trace is needed, and that has an exact symmetric form:
 * with Σa = FaᵀFa and Σb = FbᵀFb (Fa ra×D, Fb rb×D), the non-zero eigenvalues of Σa·Σb are those
 * of M·Mᵀ with M = Fa·Fbᵀ (ra×rb), so Tr sqrtm(Σa·Σb) = Σ σᵢ(M), the sum of M's singular values.
 * A factor is either the centred samples / sqrt(n − 1) (rank n, when n ≤ D: no D×D matrix is
 * ever formed) or a pivoted Cholesky factor of Σ (rank ≤ D). The singular values are taken from
 * M itself, not as square roots of eigenvalues of M·Mᵀ: there a zero σ comes out as the square
 * root of rounding noise (~1e-8·σ_max, and negative noise would have to be clamped to 0), which
 * on a 64-d fixture already costs 2.5e-7 relative; from M the error is ~1e-16·σ_max. Singular
 * values are ≥ 0 by construction, so nothing needs clamping, and the result is real, so
 * pytorch-fid's "imaginary component" check has nothing to check.
 */
import { UserError } from '../../shared/result'
import { gram, multiplyTransposed, pivotedCholesky, singularValues } from './linalg'

/** Feature statistics of N samples × D dims: mean (D) and unbiased covariance (D×D row-major), float64. */
export interface FeatureStats {
  /** Number of samples the statistics were computed from. */
  n: number
  /** Feature dimension D. */
  dim: number
  /** Mean, length D. */
  mu: Float64Array
  /** Unbiased (N − 1) covariance, D×D row-major, symmetric. */
  sigma: Float64Array
}

/** A feature set: `n` samples of `dim` features, row-major (row = sample), as read from `.npy`. */
export interface FeatureSet {
  data: Float32Array | Float64Array
  n: number
  dim: number
}

/** pytorch-fid's offset, added to both covariance diagonals when the square root is not finite. */
const SQRT_OFFSET = 1e-6

/** Samples per chunk of the covariance sum: bounds the transposed copy to dim × 1024 doubles. */
const COVARIANCE_CHUNK = 1024

/** Σ = FᵀF for one side, with what the distance needs beside it. */
interface SideFactor {
  mu: Float64Array
  /** Tr Σ (of the full covariance, not of the possibly rank-truncated factor). */
  trace: number
  rank: number
  /** rank×dim row-major. */
  factor: Float64Array
}

/**
 * Mean and unbiased covariance (as `np.mean(axis=0)` and `np.cov(rowvar=False)` on float64).
 * @param features n×dim row-major, row = sample; float32 input is widened to float64 first
 * @throws UserError when n < 2 or a feature is not finite
 */
export function featureStats(features: Float32Array | Float64Array, n: number, dim: number): FeatureStats {
  checkFeatures({ data: features, n, dim }, 'features')
  const mu = columnMeans(features, n, dim)
  const sigma = new Float64Array(dim * dim)
  // Σ = XcᵀXc / (n − 1): dot products of centred feature columns, so transpose chunks of samples
  // and let the kernel run along contiguous rows.
  for (let s0 = 0; s0 < n; s0 += COVARIANCE_CHUNK) {
    const rows = Math.min(COVARIANCE_CHUNK, n - s0)
    const columns = new Float64Array(dim * rows)
    for (let i = 0; i < rows; i++) {
      const o = (s0 + i) * dim
      for (let j = 0; j < dim; j++) columns[j * rows + i] = features[o + j] - mu[j]
    }
    gram(columns, dim, rows, sigma)
  }
  const scale = 1 / (n - 1)
  for (let i = 0; i < sigma.length; i++) sigma[i] *= scale
  return { n, dim, mu, sigma }
}

/**
 * Squared Fréchet distance d² between N(μa, Σa) and N(μb, Σb): the value pytorch-fid reports
 * as FID (and CP-CSV as FSD). Singular covariances (fewer samples than dimensions) are handled
 * exactly through a pivoted Cholesky factor. Cost O(D²·r) for covariances of rank r ≤ D: up to
 * ~3 × 10¹⁰ multiply-adds at D = 2048 full rank; from raw features with n < D,
 * `frechetFromFeatures` is much faster.
 * @returns d² ≥ 0 (rounding can push the exact 0 of identical sets to ±1e-13; it is reported as 0)
 * @throws UserError when the dimensions differ or a statistic is not finite
 */
export function frechetDistance(a: FeatureStats, b: FeatureStats): number {
  checkStats(a, 'set A')
  checkStats(b, 'set B')
  if (a.dim !== b.dim) throw new UserError(`Feature sets differ in dimension: ${a.dim} vs ${b.dim}`)
  const dim = a.dim
  let traceSqrt = NaN
  // pytorch-fid's retry. Our route cannot produce a non-finite value from finite statistics short
  // of float64 overflow, but one retry with the offset keeps its semantics exact.
  for (const offset of [0, SQRT_OFFSET]) {
    const fa = statsFactor(a, offset)
    const fb = statsFactor(b, offset)
    traceSqrt = traceSqrtProduct(fa, fb, dim)
    if (Number.isFinite(traceSqrt)) break
  }
  return combine(meanGap(a.mu, b.mu), trace(a.sigma, dim), trace(b.sigma, dim), traceSqrt)
}

/**
 * Squared Fréchet distance straight from two feature sets; equal to
 * `frechetDistance(featureStats(a), featureStats(b))` up to rounding. A set with n ≤ dim enters
 * through its centred samples, so no dim×dim matrix is built for it: 2048-d from 300 samples
 * each takes about 0.3 s, where the stats route first spends seconds on two 2048² covariances.
 * @throws UserError when the dimensions differ, a set has fewer than 2 samples or a feature is
 *   not finite
 */
export function frechetFromFeatures(a: FeatureSet, b: FeatureSet): number {
  checkFeatures(a, 'set A')
  checkFeatures(b, 'set B')
  if (a.dim !== b.dim) throw new UserError(`Feature sets differ in dimension: ${a.dim} vs ${b.dim}`)
  const fa = featureFactor(a)
  const fb = featureFactor(b)
  const traceSqrt = traceSqrtProduct(fa, fb, a.dim)
  if (!Number.isFinite(traceSqrt)) return frechetDistance(featureStats(a.data, a.n, a.dim), featureStats(b.data, b.n, b.dim))
  return combine(meanGap(fa.mu, fb.mu), fa.trace, fb.trace, traceSqrt)
}

function combine(meanTerm: number, traceA: number, traceB: number, traceSqrt: number): number {
  const d2 = meanTerm + traceA + traceB - 2 * traceSqrt
  // Exactly 0 for identical sets; what is below 0 can only be rounding in the cancellation.
  return d2 < 0 ? 0 : d2
}

/** Tr sqrtm(Σa·Σb) = Σ σᵢ(Fa·Fbᵀ); see the file comment. */
function traceSqrtProduct(fa: SideFactor, fb: SideFactor, dim: number): number {
  if (fa.rank === 0 || fb.rank === 0) return 0
  const m = multiplyTransposed(fa.factor, fb.factor, fa.rank, fb.rank, dim)
  let sum = 0
  for (const s of singularValues(m, fa.rank, fb.rank)) sum += s
  return sum
}

function featureFactor(set: FeatureSet): SideFactor {
  const { data, n, dim } = set
  // More samples than dimensions: the covariance's factor (rank ≤ dim) is the smaller one.
  if (n > dim) return statsFactor(featureStats(data, n, dim), 0)
  const mu = columnMeans(data, n, dim)
  const factor = new Float64Array(n * dim)
  const scale = 1 / Math.sqrt(n - 1)
  let sumSquares = 0
  for (let i = 0; i < n; i++) {
    const o = i * dim
    for (let j = 0; j < dim; j++) {
      const centred = data[o + j] - mu[j]
      sumSquares += centred * centred
      factor[o + j] = centred * scale
    }
  }
  return { mu, trace: sumSquares / (n - 1), rank: n, factor }
}

function statsFactor(stats: FeatureStats, offset: number): SideFactor {
  const { dim, sigma } = stats
  let matrix = sigma
  if (offset !== 0) {
    matrix = sigma.slice()
    for (let i = 0; i < dim; i++) matrix[i * dim + i] += offset
  }
  const { rank, factor } = pivotedCholesky(matrix, dim)
  return { mu: stats.mu, trace: trace(sigma, dim), rank, factor }
}

function columnMeans(data: Float32Array | Float64Array, n: number, dim: number): Float64Array {
  const mu = new Float64Array(dim)
  for (let i = 0; i < n; i++) {
    const o = i * dim
    for (let j = 0; j < dim; j++) mu[j] += data[o + j]
  }
  for (let j = 0; j < dim; j++) mu[j] /= n
  return mu
}

function meanGap(a: Float64Array, b: Float64Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; sum += d * d }
  return sum
}

function trace(sigma: Float64Array, dim: number): number {
  let sum = 0
  for (let i = 0; i < dim; i++) sum += sigma[i * dim + i]
  return sum
}

function checkFeatures(set: FeatureSet, label: string): void {
  const { data, n, dim } = set
  if (!Number.isInteger(n) || !Number.isInteger(dim) || dim < 1 || data.length !== n * dim) {
    throw new RangeError(`${label}: ${data.length} values do not form ${n} samples × ${dim} features`)
  }
  if (n < 2) throw new UserError(`Fréchet distance: ${label} has ${n} sample(s); at least 2 are needed for a covariance`)
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new UserError(`Fréchet distance: ${label} has a non-finite feature (sample ${Math.floor(i / dim)}, feature ${i % dim})`)
    }
  }
}

function checkStats(stats: FeatureStats, label: string): void {
  const { dim, mu, sigma } = stats
  if (!Number.isInteger(dim) || dim < 1 || mu.length !== dim || sigma.length !== dim * dim) {
    throw new RangeError(`${label}: statistics of dimension ${dim} need a mean of ${dim} and a covariance of ${dim * dim} values`)
  }
  if (!mu.every(Number.isFinite) || !sigma.every(Number.isFinite)) {
    throw new UserError(`Fréchet distance: the statistics of ${label} contain non-finite values`)
  }
}
