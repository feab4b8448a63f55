import * as tf from '@tensorflow/tfjs'
import type { Db } from '../db/database'
import { workspacePaths } from '../workspace'
import { loadDatasetIndex, type DatasetIndex } from './data/dataset-index'
import { FrameSource } from './data/frame-source'
import { BatchSampler } from './data/batch-sampler'
import { generateStories, type CpcsvModels } from './model/cpcsv'
import { disposePathNoise, samplePathNoise } from './model/batch'
import type { PathNoise } from './model/generator'
import type { RunLog } from './run-log'
import type { RunSpec } from './run-messages'
import { maskIoU, storyStripPng } from './sample-render'
import { hashSeed } from '../datasets/demo/random'

/**
 * The fixed evaluation stories of a run (the first `sampleStories` of its split) with fixed
 * noise, rendered on schedule so a person watches the same stories improve. Ground-truth
 * masks (hand, imported or the demo's truth) give the generated masks' IoU.
 */
export class EvalStories {
  private readonly fixed: ReturnType<BatchSampler['fixedStories']>
  private readonly noise: PathNoise
  readonly count: number

  constructor(db: Db, private readonly spec: RunSpec, index: DatasetIndex) {
    const truthIndex = loadDatasetIndex(db, spec.datasetId, spec.split, 'hand+imported+truth')
    const frames = new FrameSource(db, workspacePaths(spec.workspace).frames, spec.config.imageSize)
    const sampler = new BatchSampler(truthIndex, frames, spec.config, spec.seed)
    this.count = Math.min(spec.sampleStories, index.stories.length)
    this.fixed = sampler.fixedStories(Array.from({ length: this.count }, (_, i) => i))
    this.noise = samplePathNoise(spec.config, this.count, spec.config.videoLen, hashSeed(spec.seed, 99) % 2147483647)
  }

  /**
   * Renders the stories; returns the files, the generated masks' IoU with the stories' masks
   * and the mean absolute error of the generated frames against the real ones (in [-1, 1]
   * units): on a handful of training stories the generator should come to reproduce them.
   */
  render(models: CpcsvModels, step: number, log: RunLog): { files: string[]; maskIoU: number | null; frameL1: number } {
    const c = this.spec.config
    const [K, T, D, L, S] = [this.count, c.videoLen, c.textDim, c.labelNum, c.imageSize]
    const text = tf.tensor3d(this.fixed.text, [K, T, D])
    const labels = tf.tensor3d(this.fixed.labels, [K, T, L])
    const out = generateStories(models, text, labels, this.noise)
    const images = out.images.dataSync() as Float32Array
    const masks = out.masks ? (out.masks.dataSync() as Float32Array) : null
    tf.dispose([text, labels, out.images, ...(out.masks ? [out.masks] : [])])
    const files: string[] = []
    const ious: number[] = []
    const px = S * S
    for (let k = 0; k < K; k++) {
      const frames = images.subarray(k * T * px * 3, (k + 1) * T * px * 3)
      const m = masks ? masks.subarray(k * T * px, (k + 1) * T * px) : null
      const truth = this.fixed.images.subarray(k * T * px * 3, (k + 1) * T * px * 3)
      files.push(log.sample(step, k, this.fixed.storyIds[k], storyStripPng(frames, m, truth, T, S), T * S, (m ? 3 : 2) * S))
      if (!m) continue
      for (let t = 0; t < T; t++) {
        const row = k * T + t
        if (this.fixed.hasMask[row]) ious.push(maskIoU(m.subarray(t * px, (t + 1) * px), this.fixed.masks.subarray(row * px, (row + 1) * px)))
      }
    }
    let l1 = 0
    for (let i = 0; i < images.length; i++) l1 += Math.abs(images[i] - this.fixed.images[i])
    return { files, maskIoU: ious.length ? ious.reduce((a, b) => a + b, 0) / ious.length : null, frameL1: l1 / images.length }
  }

  dispose(): void {
    disposePathNoise(this.noise)
  }
}

const cache = new WeakMap<CpcsvModels, EvalStories>()

/** Renders the run's sample stories at `step` (building the fixed set on first use). */
export function renderSamples(models: CpcsvModels, db: Db, spec: RunSpec, index: DatasetIndex, step: number, log: RunLog) {
  let ev = cache.get(models)
  if (!ev) {
    ev = new EvalStories(db, spec, index)
    cache.set(models, ev)
  }
  return ev.render(models, step, log)
}

export function disposeSamples(models: CpcsvModels): void {
  cache.get(models)?.dispose()
  cache.delete(models)
}
