/**
 * Quality of generated figure-ground masks where ground truth exists (hand, imported or the demo's
 * truth masks): intersection over union with both masks thresholded at 0 in [-1, 1]. Reported as
 * the mean of per-frame IoUs (a frame where both masks are empty counts as 1, as the training
 * samples do) and, beside it, the IoU of all pixels pooled.
 */

/** Accumulates mask IoU over frames that have a ground-truth mask. */
export class MaskIouAccumulator {
  private sum = 0
  private frames = 0
  private intersection = 0
  private union = 0

  /**
   * Adds frames.
   * @param generated frames×px generated masks in [-1, 1]
   * @param truth frames×px ground-truth masks in [-1, 1]
   * @param hasTruth per frame: whether `truth` holds a real mask (others are skipped)
   * @param px pixels per mask (64·64)
   */
  add(generated: Float32Array, truth: Float32Array, hasTruth: readonly boolean[], px: number): void {
    hasTruth.forEach((has, f) => {
      if (!has) return
      let inter = 0
      let union = 0
      for (let i = f * px; i < (f + 1) * px; i++) {
        const a = generated[i] > 0
        const b = truth[i] > 0
        if (a && b) inter++
        if (a || b) union++
      }
      this.sum += union === 0 ? 1 : inter / union
      this.frames++
      this.intersection += inter
      this.union += union
    })
  }

  /** Frames scored so far. */
  get count(): number {
    return this.frames
  }

  /** Mean per-frame IoU and pooled IoU in [0, 1], or null when no frame had ground truth. */
  result(): { mean: number; pooled: number; frames: number } | null {
    if (this.frames === 0) return null
    return { mean: this.sum / this.frames, pooled: this.union === 0 ? 1 : this.intersection / this.union, frames: this.frames }
  }
}
