import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { Db } from '../db/database'
import { workspacePaths } from '../workspace'
import { UserError } from '../../shared/result'
import { getRun, listCheckpoints } from '../db/repos/run-repo'
import { initBackend, type BackendName } from './engine/backend'
import { loadDatasetIndex } from './data/dataset-index'
import { FrameSource } from './data/frame-source'
import { BatchSampler } from './data/batch-sampler'
import { createCpcsv, disposeCpcsv, generateStories, loadWeights } from './model/cpcsv'
import { disposePathNoise, samplePathNoise } from './model/batch'
import { readCheckpoint } from './checkpoint'
import { storyStripPng } from './sample-render'
import type { TrainConfig } from '../../shared/train-config'

export interface GeneratedStory {
  png: Uint8Array
  width: number
  height: number
  step: number
  /** Generated frames (T·64·64·3) and masks (T·64·64) in [-1, 1]. */
  frames: Float32Array
  masks: Float32Array | null
}

/** The checkpoint file of a run at `step` (default: its latest). */
export function checkpointFile(db: Db, workspace: string, runId: number, step?: number): { file: string; step: number; config: TrainConfig } {
  const run = getRun(db, runId)
  if (!run) throw new UserError(`run ${runId} not found`, 'not_found')
  const ckpts = listCheckpoints(db, runId)
  const c = step === undefined ? ckpts[ckpts.length - 1] : ckpts.find((x) => x.step === step)
  if (!c) {
    throw new UserError(
      step === undefined ? `run ${run.name} has no checkpoint yet` : `run ${run.name} has no checkpoint at step ${step} (has: ${ckpts.map((x) => x.step).join(', ') || 'none'})`,
      'not_found'
    )
  }
  return { file: join(workspace, run.folder, c.file), step: c.step, config: run.config as unknown as TrainConfig }
}

/**
 * Generates one dataset story with a run's checkpoint (eval-mode BatchNorm, seeded noise) and
 * lays it out as a PNG strip: generated frames, generated masks, ground-truth frames.
 */
export async function generateDatasetStory(
  db: Db,
  workspace: string,
  opts: { runId: number; step?: number; storyId: number; seed?: number; backend?: BackendName | 'auto' }
): Promise<GeneratedStory> {
  const { file, step, config: recorded } = checkpointFile(db, workspace, opts.runId, opts.step)
  const story = db.prepare('SELECT dataset_id, idx FROM stories WHERE id = ?').get(opts.storyId) as { dataset_id: number; idx: number } | undefined
  if (!story) throw new UserError(`story ${opts.storyId} not found`, 'not_found')
  await initBackend(opts.backend ?? 'auto')
  const ckpt = readCheckpoint(file)
  const config = { ...ckpt.config }
  const index = loadDatasetIndex(db, story.dataset_id, 'all', 'hand+imported+truth')
  const position = index.storyIds.indexOf(opts.storyId)
  if (index.textDim !== config.textDim || index.labelNum !== config.labelNum) {
    throw new UserError(`story ${opts.storyId} is from a dataset that does not fit run ${opts.runId}'s model (text ${index.textDim} vs ${config.textDim})`)
  }
  const sampler = new BatchSampler(index, new FrameSource(db, workspacePaths(workspace).frames, config.imageSize), config, 0)
  const fixed = sampler.fixedStories([position])
  const models = createCpcsv(config, { seed: recorded.seed ?? 0 })
  const T = config.videoLen
  const noise = samplePathNoise(config, 1, T, opts.seed ?? 0)
  try {
    loadWeights(models, ckpt.weights)
    const text = tf.tensor3d(fixed.text, [1, T, config.textDim])
    const labels = tf.tensor3d(fixed.labels, [1, T, config.labelNum])
    const out = generateStories(models, text, labels, noise)
    const frames = out.images.dataSync() as Float32Array
    const masks = out.masks ? (out.masks.dataSync() as Float32Array) : null
    tf.dispose([text, labels, out.images, ...(out.masks ? [out.masks] : [])])
    const S = config.imageSize
    return { png: storyStripPng(frames, masks, fixed.images, T, S), width: T * S, height: (masks ? 3 : 2) * S, step, frames, masks }
  } finally {
    disposePathNoise(noise)
    disposeCpcsv(models)
  }
}
