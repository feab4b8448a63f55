import { Random } from '../../datasets/demo/random'
import { clevrLabels } from '../../datasets/clevr-import'
import type { DatasetIndex, IndexedClip } from './dataset-index'
import type { FrameSource } from './frame-source'

/** Sizes the sampler needs from the run's TrainConfig. */
export interface SamplerShape {
  storyBatch: number
  imageBatch: number
  videoLen: number
  textDim: number
  labelNum: number
  imageSize: number
}

/**
 * One training batch as flat float32 arrays in the layout of CpcsvBatch (NHWC, story-major:
 * row b·T + t). Built on any thread; the trainer turns it into tensors.
 */
export interface BatchArrays {
  storyImages: Float32Array // B·T·S·S·3
  storyText: Float32Array // B·T·textDim
  storyLabels: Float32Array // B·T·labelNum
  images: Float32Array // N·S·S·3
  masks: Float32Array // N·S·S
  maskWeight: Float32Array // N
  imageText: Float32Array // N·textDim
  imageLabels: Float32Array // N·labelNum
  imageContent: Float32Array // N·T·textDim
  storyIds: number[]
  imageStoryIds: number[]
}

/** Steps in one epoch (one pass over `stories` stories, `batch` per step; at least 1). */
export function stepsPerEpoch(stories: number, batch: number): number {
  return Math.max(1, Math.floor(stories / batch))
}

function permutation(n: number, rng: Random): number[] {
  const p = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    ;[p[i], p[j]] = [p[j], p[i]]
  }
  return p
}

/**
 * Deterministic batches: everything random (epoch order, which square of a Pororo-SV strip,
 * which caption) is a pure function of (seed, step), so a resumed run sees exactly the batches
 * an uninterrupted run would, with no sampler state to checkpoint.
 */
export class BatchSampler {
  readonly stepsPerEpoch: number
  private readonly imageStepsPerEpoch: number
  private readonly clevrLabels: boolean
  private permCache = new Map<string, number[]>()

  constructor(
    private readonly index: DatasetIndex,
    private readonly frames: FrameSource,
    private readonly shape: SamplerShape,
    private readonly seed: number
  ) {
    const n = index.stories.length
    this.stepsPerEpoch = stepsPerEpoch(n, shape.storyBatch)
    this.imageStepsPerEpoch = stepsPerEpoch(n, shape.imageBatch)
    this.clevrLabels = index.format === 'clevr' || index.format === 'demo-clevr'
  }

  epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch)
  }

  private storiesAt(kind: 1 | 2, step: number, count: number, perEpoch: number): number[] {
    const n = this.index.stories.length
    const epoch = Math.floor(step / perEpoch)
    const key = `${kind}:${epoch}`
    let perm = this.permCache.get(key)
    if (!perm) {
      perm = permutation(n, new Random(this.seed, kind, epoch))
      if (this.permCache.size > 4) this.permCache.clear()
      this.permCache.set(key, perm)
    }
    const start = (step % perEpoch) * count
    return Array.from({ length: count }, (_, i) => perm![(start + i) % n])
  }

  private labelsOf(clip: IndexedClip, text: Float32Array, frameIdx: number, out: Float32Array, at: number): void {
    const L = this.shape.labelNum
    if (this.clevrLabels) {
      out.set(clevrLabels(text, 4), at)
      return
    }
    for (const c of clip.frames[frameIdx].present) if (c < L) out[at + c] = 1
  }

  /** The batch of training step `step` (0-based). */
  batch(step: number): BatchArrays {
    const { storyBatch: B, imageBatch: N, videoLen: T, textDim: D, labelNum: L, imageSize: S } = this.shape
    const px = S * S
    const a: BatchArrays = {
      storyImages: new Float32Array(B * T * px * 3),
      storyText: new Float32Array(B * T * D),
      storyLabels: new Float32Array(B * T * L),
      images: new Float32Array(N * px * 3),
      masks: new Float32Array(N * px).fill(-1),
      maskWeight: new Float32Array(N),
      imageText: new Float32Array(N * D),
      imageLabels: new Float32Array(N * L),
      imageContent: new Float32Array(N * T * D),
      storyIds: [],
      imageStoryIds: []
    }
    const stories = this.storiesAt(1, step, B, this.stepsPerEpoch)
    stories.forEach((s, b) => {
      a.storyIds.push(this.index.storyIds[s])
      this.index.stories[s].slice(0, T).forEach((ci, t) => {
        const row = b * T + t
        const pick = this.pick(step, 1, row, this.index.clips[ci])
        a.storyImages.set(this.frames.get(pick.frame).rgb, row * px * 3)
        a.storyText.set(pick.text, row * D)
        this.labelsOf(this.index.clips[ci], pick.text, pick.frameIdx, a.storyLabels, row * L)
      })
    })
    this.storiesAt(2, step, N, this.imageStepsPerEpoch).forEach((s, n) => {
      a.imageStoryIds.push(this.index.storyIds[s])
      const clipIds = this.index.stories[s]
      // Reference §11.1: the image path takes the story's first clip (a random square of its strip).
      const first = this.index.clips[clipIds[0]]
      const pick = this.pick(step, 2, n, first)
      const prepared = this.frames.get(pick.frame)
      a.images.set(prepared.rgb, n * px * 3)
      if (prepared.mask) {
        a.masks.set(prepared.mask, n * px)
        a.maskWeight[n] = 1
      }
      a.imageText.set(pick.text, n * D)
      this.labelsOf(first, pick.text, pick.frameIdx, a.imageLabels, n * L)
      clipIds.slice(0, T).forEach((ci, t) => {
        const clip = this.index.clips[ci]
        a.imageContent.set(this.pick(step, 3, n * T + t, clip).text, (n * T + t) * D)
      })
    })
    return a
  }

  /**
   * Fixed stories for samples and evaluation: frame 0 of each clip and its first caption, so
   * the same stories look the same at every checkpoint. `frames` may use another mask policy.
   */
  fixedStories(storyIdx: number[], frames: FrameSource = this.frames) {
    const { videoLen: T, textDim: D, labelNum: L, imageSize: S } = this.shape
    const K = storyIdx.length
    const px = S * S
    const out = {
      text: new Float32Array(K * T * D),
      labels: new Float32Array(K * T * L),
      images: new Float32Array(K * T * px * 3),
      masks: new Float32Array(K * T * px).fill(-1),
      hasMask: new Array<boolean>(K * T).fill(false),
      storyIds: storyIdx.map((s) => this.index.storyIds[s])
    }
    storyIdx.forEach((s, k) => {
      this.index.stories[s].slice(0, T).forEach((ci, t) => {
        const row = k * T + t
        const clip = this.index.clips[ci]
        const prepared = frames.get(clip.frames[0])
        out.images.set(prepared.rgb, row * px * 3)
        if (prepared.mask) {
          out.masks.set(prepared.mask, row * px)
          out.hasMask[row] = true
        }
        out.text.set(clip.texts[0], row * D)
        this.labelsOf(clip, clip.texts[0], 0, out.labels, row * L)
      })
    })
    return out
  }

  private pick(step: number, stream: number, slot: number, clip: IndexedClip) {
    const rng = new Random(this.seed, 3 + stream, step, slot)
    const frameIdx = Math.floor(rng.next() * clip.frames.length)
    const text = clip.texts[Math.floor(rng.next() * clip.texts.length)]
    return { frameIdx, frame: clip.frames[frameIdx], text }
  }
}
