import { encodePngFast } from '../datasets/png-codec'

/**
 * Lays a story out as one PNG: row 1 the generated frames, row 2 the generated figure-ground
 * masks (grey), row 3 the ground-truth frames when given. Frames are side×side RGB in [-1, 1],
 * story-major (frame t at t·side²·3); masks side×side in [-1, 1].
 */
export function storyStripPng(
  frames: Float32Array,
  masks: Float32Array | null,
  truth: Float32Array | null,
  count: number,
  side = 64
): Uint8Array {
  const rows = 1 + (masks ? 1 : 0) + (truth ? 1 : 0)
  const width = count * side
  const height = rows * side
  const rgb = new Uint8Array(width * height * 3)
  const toByte = (v: number): number => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)))
  const put = (row: number, src: Float32Array, channels: 1 | 3): void => {
    for (let t = 0; t < count; t++) {
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const s = ((t * side + y) * side + x) * channels
          const d = ((row * side + y) * width + t * side + x) * 3
          for (let c = 0; c < 3; c++) rgb[d + c] = toByte(src[s + (channels === 3 ? c : 0)])
        }
      }
    }
  }
  put(0, frames, 3)
  if (masks) put(1, masks, 1)
  if (truth) put(masks ? 2 : 1, truth, 3)
  return encodePngFast(width, height, 3, rgb)
}

/** Intersection over union of two masks in [-1, 1] thresholded at 0; 1 when both are empty. */
export function maskIoU(a: Float32Array, b: Float32Array): number {
  let inter = 0
  let union = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > 0
    const y = b[i] > 0
    if (x && y) inter++
    if (x || y) union++
  }
  return union === 0 ? 1 : inter / union
}
