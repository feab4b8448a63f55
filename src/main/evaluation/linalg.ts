/**
 * Dense float64 linear algebra for the evaluation metrics (Fréchet distance of FID / FSD).
 *
 * Every matrix is a `Float64Array` in row-major order with its sizes passed beside it. The
 * kernels keep their inner loops on contiguous rows, because a strided walk down a column of a
 * 2048-wide matrix misses the cache on every element and costs more than the arithmetic.
 * Nothing here allocates per element, and no function modifies an input unless its doc says so.
 */

/** Machine epsilon of float64 (2^-52). */
const EPSILON = Number.EPSILON

/** Depth of one pass over the shared dimension: 512 doubles = 4 KiB per row, so a 4 + 2 row
 *  tile and the rows it meets stay in the L1/L2 caches while it runs. */
const DEPTH_BLOCK = 512

/** Rows of B per pass: 128 rows × 512 doubles = 512 KiB, which stays in L2 while every row
 *  tile of A streams past it. */
const ROW_BLOCK = 128

/**
 * C = A·Bᵀ, the dot product of every row of A with every row of B.
 * @param a m×k
 * @param b n×k
 * @returns m×n
 */
export function multiplyTransposed(a: Float64Array, b: Float64Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n)
  productTiles(a, b, c, m, n, k, false)
  return c
}

/**
 * G = A·Aᵀ (symmetric, both triangles filled); half the work of `multiplyTransposed(a, a)`.
 * @param a m×k
 * @param into optional m×m symmetric matrix to add the product to (a sum over chunks of k)
 * @returns m×m, `into` when given
 */
export function gram(a: Float64Array, m: number, k: number, into?: Float64Array): Float64Array {
  const g = into ?? new Float64Array(m * m)
  productTiles(a, a, g, m, m, k, true)
  // Tiles reaching the diagonal were computed whole; their upper parts are overwritten here.
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) g[i * m + j] = g[j * m + i]
  return g
}

/** c += a·bᵀ in cache blocks, all of it or (lower) only the tiles that reach the lower triangle. */
function productTiles(a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, lower: boolean): void {
  for (let p0 = 0; p0 < k; p0 += DEPTH_BLOCK) {
    const p1 = Math.min(k, p0 + DEPTH_BLOCK)
    for (let j0 = 0; j0 < n; j0 += ROW_BLOCK) {
      const j1 = Math.min(n, j0 + ROW_BLOCK)
      for (let i = lower ? j0 - (j0 % 4) : 0; i < m; i += 4) {
        const rows = Math.min(4, m - i)
        const end = lower ? Math.min(j1, i + rows) : j1
        for (let j = j0; j < end; j += 2) accumulateTile(a, b, c, 0, n, k, i, rows, j, Math.min(2, end - j), p0, p1)
      }
    }
  }
}

/**
 * c[offset + (i..i+rows)·ldc + (j..j+cols)] += sign · a[i.., p0..p1] · b[j.., p0..p1]ᵀ. The full
 * 4×2 tile keeps its eight sums in locals (registers): ~4x faster than a plain triple loop.
 */
function accumulateTile(
  a: Float64Array, b: Float64Array, c: Float64Array, offset: number, ldc: number, k: number,
  i: number, rows: number, j: number, cols: number, p0: number, p1: number, sign = 1
): void {
  if (rows === 4 && cols === 2) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, b0 = j * k, b1 = b0 + k
    let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0
    for (let p = p0; p < p1; p++) {
      const y0 = b[b0 + p], y1 = b[b1 + p]
      let x = a[a0 + p]; s00 += x * y0; s01 += x * y1
      x = a[a1 + p]; s10 += x * y0; s11 += x * y1
      x = a[a2 + p]; s20 += x * y0; s21 += x * y1
      x = a[a3 + p]; s30 += x * y0; s31 += x * y1
    }
    let o = offset + i * ldc + j
    c[o] += sign * s00; c[o + 1] += sign * s01; o += ldc
    c[o] += sign * s10; c[o + 1] += sign * s11; o += ldc
    c[o] += sign * s20; c[o + 1] += sign * s21; o += ldc
    c[o] += sign * s30; c[o + 1] += sign * s31
    return
  }
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const ar = (i + r) * k, bq = (j + q) * k
      let s = 0
      for (let p = p0; p < p1; p++) s += a[ar + p] * b[bq + p]
      c[offset + (i + r) * ldc + j + q] += sign * s
    }
  }
}

/** Aᵀ of an m×n matrix (returns n×m). */
export function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n)
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]
  return t
}

/**
 * Cholesky factor L (lower triangular, n×n) with A = L·Lᵀ, reading only the lower triangle of A.
 * @throws RangeError when A is not (numerically) positive definite.
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]
      for (let p = 0; p < j; p++) s -= l[i * n + p] * l[j * n + p]
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`cholesky: matrix is not positive definite (pivot ${i} is ${s})`)
        l[i * n + i] = Math.sqrt(s)
      } else {
        l[i * n + j] = s / l[j * n + j]
      }
    }
  }
  return l
}

/** A positive semi-definite matrix written as a sum of `rank` outer products. */
export interface LowRankFactor {
  rank: number
  /** rank×n row-major; A ≈ Σ_c f_c·f_cᵀ = Fᵀ·F, rows in the original index order. */
  factor: Float64Array
}

/**
 * Cholesky with diagonal pivoting for positive semi-definite matrices: stops at the numerical
 * rank instead of failing, which a plain Cholesky does on a covariance from fewer samples than
 * dimensions. Blocked (right-looking, panels of 32 columns) so the trailing update runs on the
 * cache-friendly A·Bᵀ kernel.
 * @param a n×n symmetric; only the lower triangle is read
 * @param tolerance stop when every remaining pivot is ≤ this; default n·eps·max(diag(A)),
 *   LAPACK's choice, i.e. what is left is rounding noise of the entries
 */
export function pivotedCholesky(a: Float64Array, n: number, tolerance?: number): LowRankFactor {
  const w = a.slice()
  const perm = Int32Array.from({ length: n }, (_, i) => i)
  const residual = new Float64Array(n)
  let maxDiagonal = 0
  for (let i = 0; i < n; i++) {
    residual[i] = w[i * n + i]
    maxDiagonal = Math.max(maxDiagonal, residual[i])
  }
  const tol = tolerance ?? n * EPSILON * maxDiagonal
  const panelWidth = 32
  let rank = 0
  outer: for (let j0 = 0; j0 < n; j0 += panelWidth) {
    const j1 = Math.min(n, j0 + panelWidth)
    for (let k = j0; k < j1; k++) {
      let p = k
      for (let i = k + 1; i < n; i++) if (residual[i] > residual[p]) p = i
      if (!(residual[p] > tol)) break outer
      if (p !== k) swapSymmetric(w, n, k, p, residual, perm)
      const pivot = Math.sqrt(residual[k])
      w[k * n + k] = pivot
      for (let i = k + 1; i < n; i++) {
        // Column k of the Schur complement, minus this panel's earlier columns (not yet applied).
        let s = w[i * n + k]
        for (let c = j0; c < k; c++) s -= w[i * n + c] * w[k * n + c]
        s /= pivot
        w[i * n + k] = s
        residual[i] -= s * s
      }
      rank = k + 1
    }
    if (j1 < n) updateTrailing(w, n, j0, j1)
  }
  const factor = new Float64Array(rank * n)
  for (let c = 0; c < rank; c++) for (let i = c; i < n; i++) factor[c * n + perm[i]] = w[i * n + c]
  return { rank, factor }
}

/** Symmetric swap of indices k < p in a lower-stored matrix (LAPACK dpstrf's pattern). */
function swapSymmetric(w: Float64Array, n: number, k: number, p: number, residual: Float64Array, perm: Int32Array): void {
  const swap = (x: number, y: number): void => { const t = w[x]; w[x] = w[y]; w[y] = t }
  swap(k * n + k, p * n + p)
  for (let j = 0; j < k; j++) swap(k * n + j, p * n + j)
  for (let j = k + 1; j < p; j++) swap(j * n + k, p * n + j)
  for (let j = p + 1; j < n; j++) swap(j * n + k, j * n + p)
  let t = residual[k]; residual[k] = residual[p]; residual[p] = t
  t = perm[k]; perm[k] = perm[p]; perm[p] = t
}

/** Lower triangle of w[j1.., j1..] −= P·Pᵀ with P = w[j1.., j0..j1] (the finished panel). The
 *  diagonal tiles also write a few entries above the diagonal; the upper triangle is never read. */
function updateTrailing(w: Float64Array, n: number, j0: number, j1: number): void {
  const rows = n - j1, width = j1 - j0
  const panel = new Float64Array(rows * width)
  for (let i = 0; i < rows; i++) panel.set(w.subarray((j1 + i) * n + j0, (j1 + i) * n + j1), i * width)
  const offset = j1 * n + j1
  for (let i = 0; i < rows; i += 4) {
    const tileRows = Math.min(4, rows - i)
    for (let j = 0; j < i + tileRows; j += 2) {
      accumulateTile(panel, panel, w, offset, n, width, i, tileRows, j, Math.min(2, i + tileRows - j), 0, width, -1)
    }
  }
}

/**
 * Householder reflector for x (length len, stride apart in `data` from `start`): returns
 * beta and alpha with (I − beta·v·vᵀ)·x = alpha·e₁, writing v over x (v₀ = x₀ − alpha).
 * The norm is taken on scaled values so it neither overflows nor underflows.
 */
function householder(data: Float64Array, start: number, len: number, stride: number): { beta: number; alpha: number } {
  let scale = 0
  for (let i = 0; i < len; i++) scale = Math.max(scale, Math.abs(data[start + i * stride]))
  if (scale === 0) return { beta: 0, alpha: 0 }
  let sum = 0
  for (let i = 0; i < len; i++) { const x = data[start + i * stride] / scale; sum += x * x }
  const x0 = data[start]
  const norm = scale * Math.sqrt(sum)
  const alpha = x0 > 0 ? -norm : norm
  const v0 = x0 - alpha
  data[start] = v0
  // vᵀv = −2·alpha·v0; the sign of alpha opposes x0, so there is no cancellation in v0.
  return { beta: -1 / (alpha * v0), alpha }
}

/** Symmetric eigendecomposition; see `symmetricEigen`. */
export interface SymmetricEigen {
  /** Eigenvalues in ascending order (length n). */
  values: Float64Array
  /** n×n row-major, row i the unit eigenvector of values[i] (so A = Vᵀ·diag(values)·V); absent
   *  when only values were asked for. */
  vectors?: Float64Array
}

/**
 * Eigenvalues (and optionally eigenvectors) of a symmetric matrix: Householder reduction to
 * tridiagonal form, then implicit QL with Wilkinson shifts. Backward stable: every eigenvalue is
 * exact for a matrix within about n·eps·‖A‖ of the input.
 * @param a n×n symmetric (both triangles are read; keep them equal)
 */
export function symmetricEigen(a: Float64Array, n: number, options: { vectors?: boolean } = {}): SymmetricEigen {
  const w = a.slice()
  const diagonal = new Float64Array(n)
  const offDiagonal = new Float64Array(Math.max(0, n - 1))
  const p = new Float64Array(n)
  // Reflector k zeroes row/column k beyond its subdiagonal; v is kept in row k of w.
  const betas = new Float64Array(n)
  for (let k = 0; k + 2 < n; k++) {
    const start = k * n + k + 1, len = n - k - 1
    const { beta, alpha } = householder(w, start, len, 1)
    betas[k] = beta
    offDiagonal[k] = alpha
    if (beta === 0) continue
    // Two-sided update of the trailing block T: T − v·qᵀ − q·vᵀ, q = beta·T·v − (beta²/2)(vᵀTv)·v.
    let vtp = 0
    for (let i = 0; i < len; i++) {
      const row = (k + 1 + i) * n + k + 1
      let s = 0
      for (let j = 0; j < len; j++) s += w[row + j] * w[start + j]
      p[i] = beta * s
      vtp += p[i] * w[start + i]
    }
    const half = 0.5 * beta * vtp
    for (let i = 0; i < len; i++) p[i] -= half * w[start + i]
    for (let i = 0; i < len; i++) {
      const row = (k + 1 + i) * n + k + 1, vi = w[start + i], qi = p[i]
      for (let j = 0; j < len; j++) w[row + j] -= vi * p[j] + qi * w[start + j]
    }
  }
  for (let k = 0; k < n; k++) diagonal[k] = w[k * n + k]
  if (n >= 2) offDiagonal[n - 2] = w[(n - 2) * n + n - 1]
  let vectors: Float64Array | undefined
  if (options.vectors) vectors = accumulateReflectors(w, betas, n)
  tridiagonalEigen(diagonal, offDiagonal, vectors)
  return sortEigen(diagonal, vectors, n)
}

/** Qᵀ = H_{n−3}···H₀ as rows (row i = column i of Q), so QL rotations then act on whole rows. */
function accumulateReflectors(w: Float64Array, betas: Float64Array, n: number): Float64Array {
  const z = new Float64Array(n * n)
  for (let i = 0; i < n; i++) z[i * n + i] = 1
  // Z ← Z·H_k for k = n−3 … 0: H_k only meets indices > k and the product so far is the
  // identity outside indices > k + 1, so only the trailing block is touched.
  for (let k = n - 3; k >= 0; k--) {
    const beta = betas[k]
    if (beta === 0) continue
    const v = k * n + k + 1, len = n - k - 1
    for (let i = k + 1; i < n; i++) {
      const row = i * n + k + 1
      let s = 0
      for (let j = 0; j < len; j++) s += z[row + j] * w[v + j]
      s *= beta
      for (let j = 0; j < len; j++) z[row + j] -= s * w[v + j]
    }
  }
  return z
}

function sortEigen(values: Float64Array, vectors: Float64Array | undefined, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => values[x] - values[y])
  const sorted = Float64Array.from(order, (i) => values[i])
  if (!vectors) return { values: sorted }
  const rows = new Float64Array(n * n)
  order.forEach((from, to) => rows.set(vectors.subarray(from * n, from * n + n), to * n))
  return { values: sorted, vectors: rows }
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (diagonal d, off-diagonal e), in place into d,
 * by implicit QL with Wilkinson shifts. An off-diagonal entry is dropped when it is below eps
 * times the matrix norm: an absolute test, so zero eigenvalues (the Golub–Kahan matrix has
 * many) deflate too, where the usual relative test would never fire.
 * @param d length n, overwritten with the eigenvalues (unsorted)
 * @param e length n−1 (read only)
 * @param rows optional n×n row-major; rows i, i+1 receive each rotation (eigenvectors as rows)
 */
export function tridiagonalEigen(d: Float64Array, e: Float64Array, rows?: Float64Array): void {
  const n = d.length
  const off = new Float64Array(n)
  off.set(e.subarray(0, n - 1))
  let norm = 0
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(off[i]) + (i > 0 ? Math.abs(off[i - 1]) : 0))
  const negligible = EPSILON * norm
  for (let l = 0; l < n; l++) {
    for (let iteration = 0; ; iteration++) {
      let m = l
      while (m < n - 1 && Math.abs(off[m]) > negligible) m++
      if (m === l) break
      if (iteration === 100) throw new Error('tridiagonalEigen: no convergence after 100 QL iterations')
      // Wilkinson shift from the leading 2×2 block, then chase the bulge from m up to l.
      let g = (d[l + 1] - d[l]) / (2 * off[l])
      let r = Math.hypot(g, 1)
      g = d[m] - d[l] + off[l] / (g + (g >= 0 ? r : -r))
      let s = 1, c = 1, p = 0
      let i = m - 1
      for (; i >= l; i--) {
        const f = s * off[i], b = c * off[i]
        r = Math.hypot(f, g)
        off[i + 1] = r
        if (r === 0) { d[i + 1] -= p; off[m] = 0; break }
        s = f / r
        c = g / r
        g = d[i + 1] - p
        r = (d[i] - g) * s + 2 * c * b
        p = s * r
        d[i + 1] = g + p
        g = c * r - b
        if (rows) rotateRows(rows, n, i, c, s)
      }
      if (r === 0 && i >= l) continue
      d[l] -= p
      off[l] = g
      off[m] = 0
    }
  }
}

function rotateRows(z: Float64Array, n: number, i: number, c: number, s: number): void {
  const a = i * n, b = a + n
  for (let k = 0; k < n; k++) {
    const f = z[b + k]
    z[b + k] = s * z[a + k] + c * f
    z[a + k] = c * z[a + k] - s * f
  }
}

/**
 * Singular values of an m×n matrix, descending (length min(m, n)): Householder
 * bidiagonalisation, then the eigenvalues of the Golub–Kahan matrix [[0, B], [Bᵀ, 0]] (±σ) by
 * tridiagonal QL. Working on A directly, not on AᵀA, keeps small singular values accurate to
 * eps·σ_max instead of sqrt(eps)·σ_max.
 */
export function singularValues(a: Float64Array, m: number, n: number): Float64Array {
  // Bidiagonalise the tall orientation so every reflector pair shrinks a (rows ≥ cols) block.
  const tall = m >= n ? a.slice() : transpose(a, m, n)
  const rows = Math.max(m, n), cols = Math.min(m, n)
  if (cols === 0) return new Float64Array(0)
  const { diagonal, superDiagonal } = bidiagonalize(tall, rows, cols)
  const size = 2 * cols
  const d = new Float64Array(size)
  const e = new Float64Array(size - 1)
  for (let k = 0; k < cols; k++) {
    e[2 * k] = diagonal[k]
    if (k < cols - 1) e[2 * k + 1] = superDiagonal[k]
  }
  tridiagonalEigen(d, e)
  // The 2·cols eigenvalues come in pairs ±σ: sorted by magnitude, every second one is a σ.
  const magnitudes = Float64Array.from(d, Math.abs).sort().reverse()
  return Float64Array.from({ length: cols }, (_, i) => magnitudes[2 * i])
}

/**
 * Upper bidiagonal form of a rows×cols (rows ≥ cols) matrix, destroying `w`. Each step applies
 * its left reflector, the right reflector and the accumulation for the next left reflector in a
 * single pass over the trailing rows (`reflectRows`), instead of the textbook four.
 */
function bidiagonalize(w: Float64Array, rows: number, cols: number): { diagonal: Float64Array; superDiagonal: Float64Array } {
  const diagonal = new Float64Array(cols)
  const superDiagonal = new Float64Array(Math.max(0, cols - 1))
  // col: the current left reflector v by row; t = beta·vᵀW over the columns right of it.
  const col = new Float64Array(rows)
  const t = new Float64Array(cols)
  const u = new Float64Array(cols)
  const next = new Float64Array(cols)
  for (let i = 0; i < rows; i++) col[i] = w[i * cols]
  let left = householder(col, 0, rows, 1)
  for (let i = 0; i < rows; i++) { const vi = col[i], o = i * cols; for (let j = 1; j < cols; j++) t[j] += vi * w[o + j] }
  for (let j = 1; j < cols; j++) t[j] *= left.beta
  for (let k = 0; k < cols; k++) {
    diagonal[k] = left.alpha
    if (k === cols - 1) break
    const rowK = k * cols
    for (let j = k + 1; j < cols; j++) w[rowK + j] -= col[k] * t[j]
    // Right reflector u from row k (a single element needs none).
    let betaRight = 0
    if (cols - k - 1 >= 2) {
      const right = householder(w, rowK + k + 1, cols - k - 1, 1)
      superDiagonal[k] = right.alpha
      betaRight = right.beta
    } else {
      superDiagonal[k] = w[rowK + k + 1]
    }
    u.set(w.subarray(rowK + k + 1, rowK + cols), k + 1)
    next.fill(0, k + 2)
    reflectRows(w, rows, cols, k + 1, col, t, u, betaRight, next)
    // Left reflector of column k + 1: v differs from the column only in its first element, so
    // beta·vᵀW follows from the column's sums in `next`.
    const x0 = col[k + 1]
    left = householder(col, k + 1, rows - k - 1, 1)
    const correction = col[k + 1] - x0, rowNext = (k + 1) * cols
    for (let j = k + 2; j < cols; j++) t[j] = left.beta * (next[j] + correction * w[rowNext + j])
  }
  return { diagonal, superDiagonal }
}

/**
 * For rows i ≥ j0 of w (columns ≥ j0): row −= col[i]·t (left reflector), then row −= s·u with
 * s = betaRight·(row·u) (right reflector); the updated column j0 goes to col[i] and
 * next[j] += col[i]·row[j] for j > j0. Four rows at a time: each dot product is a chain of
 * dependent additions, and four independent chains hide the adder latency.
 */
function reflectRows(
  w: Float64Array, rows: number, cols: number, j0: number, col: Float64Array,
  t: Float64Array, u: Float64Array, betaRight: number, next: Float64Array
): void {
  const u0 = u[j0]
  let i = j0
  for (; i + 3 < rows; i += 4) {
    const o0 = i * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols
    const v0 = col[i], v1 = col[i + 1], v2 = col[i + 2], v3 = col[i + 3]
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0
    for (let j = j0; j < cols; j++) {
      const tj = t[j], uj = u[j]
      let x = w[o0 + j] - v0 * tj; w[o0 + j] = x; s0 += x * uj
      x = w[o1 + j] - v1 * tj; w[o1 + j] = x; s1 += x * uj
      x = w[o2 + j] - v2 * tj; w[o2 + j] = x; s2 += x * uj
      x = w[o3 + j] - v3 * tj; w[o3 + j] = x; s3 += x * uj
    }
    s0 *= betaRight; s1 *= betaRight; s2 *= betaRight; s3 *= betaRight
    const l0 = w[o0 + j0] - s0 * u0, l1 = w[o1 + j0] - s1 * u0, l2 = w[o2 + j0] - s2 * u0, l3 = w[o3 + j0] - s3 * u0
    w[o0 + j0] = col[i] = l0; w[o1 + j0] = col[i + 1] = l1; w[o2 + j0] = col[i + 2] = l2; w[o3 + j0] = col[i + 3] = l3
    for (let j = j0 + 1; j < cols; j++) {
      const uj = u[j]
      const x0 = w[o0 + j] - s0 * uj, x1 = w[o1 + j] - s1 * uj, x2 = w[o2 + j] - s2 * uj, x3 = w[o3 + j] - s3 * uj
      w[o0 + j] = x0; w[o1 + j] = x1; w[o2 + j] = x2; w[o3 + j] = x3
      next[j] += l0 * x0 + l1 * x1 + l2 * x2 + l3 * x3
    }
  }
  for (; i < rows; i++) {
    const o = i * cols, vi = col[i]
    let s = 0
    for (let j = j0; j < cols; j++) { const x = w[o + j] - vi * t[j]; w[o + j] = x; s += x * u[j] }
    s *= betaRight
    const lead = w[o + j0] - s * u0
    w[o + j0] = col[i] = lead
    for (let j = j0 + 1; j < cols; j++) { const x = w[o + j] - s * u[j]; w[o + j] = x; next[j] += lead * x }
  }
}
