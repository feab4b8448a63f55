/**
 * Pixel-edge outlines of binary masks, for the onion skin (previous frame) and the imported
 * figure-ground mask. The outline is a list of axis-aligned segments along pixel edges, drawn as
 * vectors in screen space, so it stays one crisp screen pixel wide at every zoom instead of
 * growing into blocks like a rasterised outline would.
 */

/**
 * Segments `[x0, y0, x1, y1, ...]` in image coordinates (pixel (i, j) spans [i, i+1) × [j, j+1))
 * along every edge between a set pixel and an unset one (or the frame border). Collinear
 * neighbouring edges are merged into one segment, so a w×h box gives 4 segments.
 * @param mask row-major, nonzero = inside, `width × height` bytes.
 */
export function maskOutline(mask: Uint8Array, width: number, height: number): Float32Array {
  const segments: number[] = []
  const at = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0
  // Horizontal edges: the line y = j separates row j − 1 (above) from row j (below).
  for (let j = 0; j <= height; j++) {
    let start = -1
    for (let i = 0; i <= width; i++) {
      const edge = i < width && at(i, j - 1) !== at(i, j)
      if (edge && start < 0) start = i
      if (!edge && start >= 0) {
        segments.push(start, j, i, j)
        start = -1
      }
    }
  }
  // Vertical edges: the line x = i separates column i − 1 from column i.
  for (let i = 0; i <= width; i++) {
    let start = -1
    for (let j = 0; j <= height; j++) {
      const edge = j < height && at(i - 1, j) !== at(i, j)
      if (edge && start < 0) start = j
      if (!edge && start >= 0) {
        segments.push(i, start, i, j)
        start = -1
      }
    }
  }
  return Float32Array.from(segments)
}
