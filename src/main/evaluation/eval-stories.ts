/**
 * The stories an evaluation scores: every story of a dataset split, fixed (frame 0 of each clip,
 * first caption) so that real statistics can be cached and every checkpoint sees the same
 * conditions (upstream drew random frames and captions, bug B5). Real frames come as 8-bit
 * pixels, generated ones are quantised to 8 bits, because the reference scored saved PNGs.
 */
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import type { Db } from '../db/database'
import type { Split } from '../../shared/domain'
import type { TrainConfig } from '../../shared/train-config'
import { UserError } from '../../shared/result'
import { loadDatasetIndex, type DatasetIndex } from '../training/data/dataset-index'
import { FrameSource } from '../training/data/frame-source'
import { BatchSampler } from '../training/data/batch-sampler'
import { checkDatasetFits } from '../training/trainer'
import { generateStories, type CpcsvModels } from '../training/model/cpcsv'
import { disposePathNoise, samplePathNoise } from '../training/model/batch'
import { workspacePaths } from '../workspace'

/** Stories per generator call. */
export const EVAL_BATCH = 8

/** One batch of evaluation stories, story-major (row k·T + t). */
export interface StoryBatch {
  /** Stories in the batch. */
  count: number
  /** count·T·textDim caption vectors. */
  text: Float32Array
  /** count·T·labelNum label bits the generator is conditioned on (the character-accuracy truth). */
  labels: Float32Array
  /** count·T·S·S·3 real frames, uint8 NTHWC. */
  real: Uint8Array
  /** count·T·S·S ground-truth figure-ground masks in [-1, 1] (−1 where there is none). */
  truthMasks: Float32Array
  /** count·T: whether a frame has a ground-truth mask. */
  hasMask: boolean[]
}

/** [-1, 1] floats → 8-bit pixels, as saving a PNG does. */
export function toBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = Math.round((values[i] + 1) * 127.5)
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v
  }
  return out
}

/** The stories of one split, read batch by batch. */
export class EvalStories {
  readonly index: DatasetIndex
  readonly count: number
  /** sha256 of the real frames used (their content hashes, in order), with T and S. */
  readonly contentHash: string
  private readonly sampler: BatchSampler

  constructor(db: Db, workspace: string, datasetId: number, readonly split: Split | 'all', readonly config: TrainConfig) {
    // Truth masks included: they are what mask IoU compares against.
    this.index = loadDatasetIndex(db, datasetId, split, 'hand+imported+truth')
    checkDatasetFits(this.index, { config })
    this.count = this.index.stories.length
    const frames = new FrameSource(db, workspacePaths(workspace).frames, config.imageSize, 512)
    this.sampler = new BatchSampler(this.index, frames, config, 0)
    const hash = createHash('sha256').update(`T=${config.videoLen};S=${config.imageSize};`)
    for (const story of this.index.stories) {
      for (const ci of story.slice(0, config.videoLen)) hash.update(`${this.index.clips[ci].frames[0].hash};`)
    }
    this.contentHash = hash.digest('hex')
  }

  get batches(): number {
    return Math.ceil(this.count / EVAL_BATCH)
  }

  /** Frames with a ground-truth mask, over all stories. */
  get maskedFrames(): number {
    let n = 0
    for (const story of this.index.stories) {
      for (const ci of story.slice(0, this.config.videoLen)) if (this.index.clips[ci].frames[0].maskSource) n++
    }
    return n
  }

  /** Batch `b` (stories b·EVAL_BATCH …). */
  batch(b: number): StoryBatch {
    const start = b * EVAL_BATCH
    const idx = Array.from({ length: Math.min(EVAL_BATCH, this.count - start) }, (_, i) => start + i)
    const fixed = this.sampler.fixedStories(idx)
    return {
      count: idx.length,
      text: fixed.text,
      labels: fixed.labels,
      real: toBytes(fixed.images),
      truthMasks: fixed.masks,
      hasMask: fixed.hasMask
    }
  }
}

/**
 * Generates a batch's stories with eval-mode BatchNorm and seeded noise (the same noise for a
 * batch at every checkpoint).
 * @returns frames count·T·S·S·3 uint8 (NTHWC) and masks count·T·S·S in [-1, 1] (null without segment learning)
 */
export function generateBatch(models: CpcsvModels, batch: StoryBatch, b: number): { frames: Uint8Array; masks: Float32Array | null } {
  const c = models.config
  const T = c.videoLen
  const noise = samplePathNoise(c, batch.count, T, 7919 + b)
  const text = tf.tensor3d(batch.text, [batch.count, T, c.textDim])
  const labels = tf.tensor3d(batch.labels, [batch.count, T, c.labelNum])
  try {
    const out = generateStories(models, text, labels, noise)
    const frames = toBytes(out.images.dataSync() as Float32Array)
    const masks = out.masks ? Float32Array.from(out.masks.dataSync() as Float32Array) : null
    tf.dispose([out.images, ...(out.masks ? [out.masks] : [])])
    return { frames, masks }
  } finally {
    tf.dispose([text, labels])
    disposePathNoise(noise)
  }
}

/** Refuses splits too small for a covariance. */
export function checkEnoughStories(stories: EvalStories, datasetName: string, needFsd: boolean): void {
  const frames = stories.count * stories.config.videoLen
  if (needFsd && stories.count < 2) {
    throw new UserError(`FSD needs at least 2 stories; the ${stories.split} split of "${datasetName}" has ${stories.count}`)
  }
  if (frames < 2) throw new UserError(`the ${stories.split} split of "${datasetName}" has too few frames to evaluate`)
}
