/**
 * Multi-label scores as later Pororo-SV papers report them (DuCo, reference doc §6.3): sigmoid
 * probabilities thresholded at 0.5 against the label bits; frame accuracy = exact match of all
 * bits of a frame; per-label precision, recall and F1; micro F1 (counts pooled over labels) and
 * macro F1 (mean of per-label F1). A label with no true and no predicted positives has F1 0, as
 * sklearn's default `zero_division` gives.
 */
import type { ClassifierScores } from '../../shared/contract'

/** Confusion counts of one label plus what the frame-level and micro scores need. */
export class LabelScoreAccumulator {
  private readonly tp: Float64Array
  private readonly fp: Float64Array
  private readonly fn: Float64Array
  private readonly support: Float64Array
  private exact = 0
  private frames = 0

  constructor(readonly names: string[]) {
    const n = names.length
    this.tp = new Float64Array(n)
    this.fp = new Float64Array(n)
    this.fn = new Float64Array(n)
    this.support = new Float64Array(n)
  }

  /**
   * Adds `count` frames.
   * @param probs count×L probabilities in [0, 1]
   * @param labels count×L bits (0 or 1)
   */
  add(probs: ArrayLike<number>, labels: ArrayLike<number>, count: number, threshold = 0.5): void {
    const L = this.names.length
    for (let n = 0; n < count; n++) {
      let allMatch = true
      for (let l = 0; l < L; l++) {
        const predicted = probs[n * L + l] >= threshold
        const truth = labels[n * L + l] > 0.5
        if (truth) this.support[l]++
        if (predicted && truth) this.tp[l]++
        else if (predicted) this.fp[l]++
        else if (truth) this.fn[l]++
        if (predicted !== truth) allMatch = false
      }
      if (allMatch) this.exact++
      this.frames++
    }
  }

  get count(): number {
    return this.frames
  }

  scores(): ClassifierScores {
    const f1 = (tp: number, fp: number, fn: number): number => (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn))
    const perLabel = this.names.map((name, l) => ({
      name,
      precision: this.tp[l] + this.fp[l] === 0 ? 0 : this.tp[l] / (this.tp[l] + this.fp[l]),
      recall: this.tp[l] + this.fn[l] === 0 ? 0 : this.tp[l] / (this.tp[l] + this.fn[l]),
      f1: f1(this.tp[l], this.fp[l], this.fn[l]),
      support: this.support[l]
    }))
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0)
    return {
      frameAcc: this.frames === 0 ? 0 : this.exact / this.frames,
      microF1: f1(sum(this.tp), sum(this.fp), sum(this.fn)),
      macroF1: perLabel.length === 0 ? 0 : perLabel.reduce((a, p) => a + p.f1, 0) / perLabel.length,
      perLabel
    }
  }
}

/**
 * What "above chance" is measured against: the frame accuracy of always predicting the most
 * frequent training label vector, and the better micro F1 of two constant predictions (each
 * label's majority value; every label present).
 * @param train trainCount×L bits; @param heldOut heldCount×L bits
 */
export function constantBaseline(train: Float32Array, trainCount: number, heldOut: Float32Array, heldCount: number, L: number): { frameAcc: number; microF1: number } {
  const key = (a: Float32Array, n: number): string => Array.from(a.subarray(n * L, (n + 1) * L), (v) => (v > 0.5 ? 1 : 0)).join('')
  const counts = new Map<string, number>()
  for (let n = 0; n < trainCount; n++) counts.set(key(train, n), (counts.get(key(train, n)) ?? 0) + 1)
  const mode = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? '0'.repeat(L)
  let exact = 0
  for (let n = 0; n < heldCount; n++) if (key(heldOut, n) === mode) exact++
  const names = Array.from({ length: L }, (_, l) => String(l))
  const majority = new Float32Array(L)
  for (let l = 0; l < L; l++) {
    let on = 0
    for (let n = 0; n < trainCount; n++) on += train[n * L + l] > 0.5 ? 1 : 0
    majority[l] = on * 2 > trainCount ? 1 : 0
  }
  const micro = (row: Float32Array): number => {
    const acc = new LabelScoreAccumulator(names)
    for (let n = 0; n < heldCount; n++) acc.add(row, heldOut.subarray(n * L, (n + 1) * L), 1)
    return acc.scores().microF1
  }
  return { frameAcc: heldCount === 0 ? 0 : exact / heldCount, microF1: Math.max(micro(majority), micro(new Float32Array(L).fill(1))) }
}
