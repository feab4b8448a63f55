/**
 * Pure helpers for the training charts: TensorBoard-style smoothing, aligning series that were
 * logged at different steps onto one x axis (uPlot wants one shared x array), and the grouping
 * of metric tags into charts. No Vue here: the arrays can hold many thousands of points.
 */

/** One line of a chart: y values at steps, in step order. Plain arrays, never reactive. */
export interface ChartSeries {
  label: string
  color: string
  steps: number[]
  values: number[]
}

/**
 * Exponential moving average with TensorBoard's debiasing (early points are not pulled
 * towards 0). `weight` in [0, 1): 0 returns the values, 0.99 smooths hard. Non-finite values
 * are passed through as null and do not disturb the average.
 */
export function smooth(values: readonly number[], weight: number): (number | null)[] {
  if (weight <= 0) return values.map((v) => (Number.isFinite(v) ? v : null))
  let last = 0
  let count = 0
  return values.map((v) => {
    if (!Number.isFinite(v)) return null
    last = last * weight + (1 - weight) * v
    count++
    return last / (1 - weight ** count)
  })
}

/**
 * Puts several series on the union of their steps (ascending); a series has null where it
 * logged nothing. Returns [xs, ys per series]. Series sharing the same steps array are cheap.
 */
export function alignSeries(series: readonly { steps: readonly number[]; values: readonly (number | null)[] }[]): [number[], (number | null)[][]] {
  if (series.length === 0) return [[], []]
  const first = series[0].steps
  if (series.every((s) => s.steps === first || sameSteps(s.steps, first))) return [first.slice(), series.map((s) => s.values.slice())]
  const xs = [...new Set(series.flatMap((s) => s.steps))].sort((a, b) => a - b)
  const at = new Map(xs.map((x, i) => [x, i]))
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null)
    s.steps.forEach((x, i) => (y[at.get(x)!] = s.values[i]))
    return y
  })
  return [xs, ys]
}

function sameSteps(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A chart of the run monitor: which tags it draws, and how. */
export interface ChartGroup {
  id: string
  title: string
  tags: string[]
  /** Shown under the title: what the numbers mean. */
  note?: string
  logY?: boolean
  /** Fixed y range, for bounded metrics (IoU in [0, 1]). */
  yRange?: [number, number]
}

/** Line colours, picked for contrast on white and for colour-blind readers (Okabe–Ito based). */
export const PALETTE = ['#2563eb', '#e67e22', '#16a34a', '#c026d3', '#0891b2', '#b45309', '#dc2626', '#4b5563']

const LOSS_GROUPS: { id: string; title: string; tags: string[]; note: string }[] = [
  { id: 'g-total', title: 'Generator total', tags: ['gTotal'], note: 'errG_total: image + ratio·(imageRatio·story + segmentRatio·mask) + KL' },
  { id: 'g-terms', title: 'Generator terms', tags: ['gImg', 'gSty', 'gSeg'], note: 'against D_img, D_sty and D_seg' },
  { id: 'kl', title: 'KL terms', tags: ['klImg', 'klSty'], note: 'story encoder (CA-Net) KL, image and story path' },
  { id: 'd-img', title: 'D_img', tags: ['dImg', 'dImgReal', 'dImgWrong', 'dImgFake'], note: 'frame discriminator: total, real, wrong pair, fake' },
  { id: 'd-sty', title: 'D_sty', tags: ['dSty', 'dStyReal', 'dStyWrong', 'dStyFake'], note: 'story discriminator: total, real, wrong pair, fake' },
  { id: 'd-seg', title: 'D_seg', tags: ['dSeg'], note: 'figure-ground (mask) discriminator; 0 on steps without masks' },
  { id: 'order', title: 'Order consistency', tags: ['dStyOrder', 'gStyOrder'], note: 'VideoEncoder: D BCE on shuffled real stories, G feature match (fake vs real)' }
]

/**
 * The charts for a run's tags: every loss term (grouped as above, unknown ones alone), mask
 * IoU, learning rates, speed and memory. Tags the run does not have are left out.
 */
export function chartGroups(tags: readonly string[]): ChartGroup[] {
  const have = new Set(tags)
  const groups: ChartGroup[] = []
  const used = new Set<string>()
  for (const g of LOSS_GROUPS) {
    const present = g.tags.map((t) => `loss/${t}`).filter((t) => have.has(t))
    present.forEach((t) => used.add(t))
    if (present.length) groups.push({ id: g.id, title: g.title, tags: present, note: g.note })
  }
  for (const t of tags) if (t.startsWith('loss/') && !used.has(t)) groups.push({ id: t, title: t.slice(5), tags: [t] })
  const add = (id: string, title: string, list: string[], note?: string, yRange?: [number, number]): void => {
    const present = list.filter((t) => have.has(t))
    if (present.length) groups.push({ id, title, tags: present, note, yRange })
  }
  add('iou', 'Mask IoU', ['eval/mask_iou'], 'generated vs target masks of the sample stories (higher is better)', [0, 1])
  add('lr', 'Learning rates', tags.filter((t) => t.startsWith('lr/')).sort(), 'Adam rates per network; halve every lrDecayEpoch epochs')
  add('speed', 'Iterations per second', ['speed/it_per_sec'])
  add('memory', 'Memory', ['mem/rss_mb', 'mem/tensor_mb'], 'process RSS and TF.js tensor memory, MB (live only)')
  return groups
}

/** Short label of a tag inside its chart ('loss/dImgReal' → 'dImgReal'). */
export function tagLabel(tag: string): string {
  return tag.slice(tag.indexOf('/') + 1)
}
