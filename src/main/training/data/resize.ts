/**
 * Area-weighted (box-filter) resampling: every output pixel averages the source area it covers.
 * For the 2x reduction of Pororo-SV frames (128 -> 64) this is PIL's antialiased bilinear
 * reduce up to rounding; for CLEVR-SV's 320x240 -> 64x64 it squashes the aspect ratio exactly as
 * the reference loader does.
 */
export function resizeArea(src: Uint8Array, sw: number, sh: number, channels: number, srcStride: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * channels)
  const sx = sw / dw
  const sy = sh / dh
  for (let y = 0; y < dh; y++) {
    const y0 = y * sy
    const y1 = y0 + sy
    for (let x = 0; x < dw; x++) {
      const x0 = x * sx
      const x1 = x0 + sx
      const acc = new Float64Array(channels)
      let total = 0
      for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy)
        for (let xx = Math.floor(x0); xx < Math.ceil(x1); xx++) {
          const w = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx))
          const base = yy * srcStride + xx * channels
          for (let c = 0; c < channels; c++) acc[c] += w * src[base + c]
          total += w
        }
      }
      for (let c = 0; c < channels; c++) out[(y * dw + x) * channels + c] = acc[c] / total
    }
  }
  return out
}
