/**
 * Bilinear resize as PyTorch's `F.interpolate(mode='bilinear', align_corners=False)` without
 * antialiasing, the resize both reference metrics use (pytorch-fid: 64 → 299; R(2+1)D: 64 → 112).
 * Separable: rows first, then columns, each output pixel a 2-tap blend.
 */

/** Source taps of one axis: output i reads `lo[i]` and `hi[i]` with weight `w[i]` on `hi`. */
interface Taps {
  lo: Int32Array
  hi: Int32Array
  w: Float64Array
}

/**
 * PyTorch's `area_pixel_compute_source_index` for align_corners=False: the source coordinate of
 * output pixel i is (i + 0.5)·in/out − 0.5, clamped at 0 (the right edge repeats the last pixel).
 */
export function bilinearTaps(inSize: number, outSize: number): Taps {
  const lo = new Int32Array(outSize)
  const hi = new Int32Array(outSize)
  const w = new Float64Array(outSize)
  const scale = inSize / outSize
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(0, (i + 0.5) * scale - 0.5)
    const i0 = Math.min(Math.floor(src), inSize - 1)
    lo[i] = i0
    hi[i] = i0 < inSize - 1 ? i0 + 1 : i0
    w[i] = src - i0
  }
  return { lo, hi, w }
}

/**
 * Resizes one channel plane (row-major, inH×inW, values read with `stride` between pixels from
 * `offset`) into `out` at `outOffset` (row-major outH×outW, contiguous).
 *
 * @param scratch at least inH·outW floats, reused across calls to avoid allocation per plane
 */
export function resizePlane(
  src: ArrayLike<number>,
  offset: number,
  stride: number,
  inH: number,
  inW: number,
  out: Float32Array,
  outOffset: number,
  rows: Taps,
  cols: Taps,
  scratch: Float64Array
): void {
  const outH = rows.lo.length
  const outW = cols.lo.length
  // Horizontal pass: inH rows of outW.
  for (let y = 0; y < inH; y++) {
    const base = offset + y * inW * stride
    for (let x = 0; x < outW; x++) {
      const a = src[base + cols.lo[x] * stride]
      const b = src[base + cols.hi[x] * stride]
      scratch[y * outW + x] = a + (b - a) * cols.w[x]
    }
  }
  // Vertical pass into the output plane.
  for (let y = 0; y < outH; y++) {
    const r0 = rows.lo[y] * outW
    const r1 = rows.hi[y] * outW
    const wy = rows.w[y]
    const o = outOffset + y * outW
    for (let x = 0; x < outW; x++) {
      const a = scratch[r0 + x]
      out[o + x] = a + (scratch[r1 + x] - a) * wy
    }
  }
}
