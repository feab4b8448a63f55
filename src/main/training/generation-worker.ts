/**
 * The generation worker thread: owns a TF.js instance for one-off generations (the Stories
 * view), so the main thread never runs tensors and a generation never waits for a training
 * tick. Requests are served one at a time in arrival order; errors cross as data. It reads the
 * workspace database with its own read-only connection.
 */
import { parentPort } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import { openDatabase, type Db } from '../db/database'
import { workspacePaths } from '../workspace'
import { UserError, type ErrorCode } from '../../shared/result'
import type { TrainConfig } from '../../shared/train-config'
import { initBackend, type BackendName } from './engine/backend'
import { checkpointFile, generateDatasetStory } from './generate'
import { readCheckpoint } from './checkpoint'
import { createCpcsv, disposeCpcsv, generateStories, loadWeights, type CpcsvModels } from './model/cpcsv'
import { disposePathNoise, samplePathNoise } from './model/batch'
import { storyStripPng } from './sample-render'

/** One generation: a dataset story, or typed text already encoded by the main thread. */
export type GenerationTask = {
  workspace: string
  runId: number
  /** Checkpoint step; the run's latest when absent. */
  step?: number
  seed: number
  backend: BackendName | 'auto'
} & (
  | { kind: 'story'; storyId: number }
  /** text: T·textDim (sentence ++ attributes per frame); labels: T·labelNum in {0, 1}. */
  | { kind: 'text'; text: Float32Array; labels: Float32Array }
)

/** A PNG strip: row 1 generated frames, row 2 generated masks (if any), row 3 ground truth (stories only). */
export interface GeneratedStrip {
  png: Uint8Array
  width: number
  height: number
  step: number
  frames: number
  imageSize: number
  hasMasks: boolean
  hasTruth: boolean
  millis: number
}

export type ToGenerationWorker = { type: 'generate'; seq: number; task: GenerationTask }
export type FromGenerationWorker =
  | ({ type: 'generated'; seq: number } & GeneratedStrip)
  | { type: 'failed'; seq: number; message: string; code: ErrorCode; internal: boolean }

/** The model of the last checkpoint used, kept so stepping through seeds does not reload it. */
let cached: { file: string; config: TrainConfig; models: CpcsvModels } | null = null
let database: { workspace: string; db: Db } | null = null

function dbFor(workspace: string): Db {
  if (database?.workspace === workspace) return database.db
  database?.db.close()
  database = { workspace, db: openDatabase(workspacePaths(workspace).database, { readonly: true }) }
  return database.db
}

function modelsFor(file: string): { config: TrainConfig; models: CpcsvModels } {
  // Keyed by backend too: weights live on the backend that was active when they were loaded.
  const key = `${tf.getBackend()}:${file}`
  if (cached?.file === key) return cached
  if (cached) disposeCpcsv(cached.models)
  cached = null
  const ckpt = readCheckpoint(file)
  const models = createCpcsv(ckpt.config, { zeroInit: true })
  loadWeights(models, ckpt.weights)
  cached = { file: key, config: ckpt.config, models }
  return cached
}

async function generateFromText(task: Extract<GenerationTask, { kind: 'text' }>): Promise<GeneratedStrip> {
  const t0 = performance.now()
  const { file, step } = checkpointFile(dbFor(task.workspace), task.workspace, task.runId, task.step)
  await initBackend(task.backend)
  const { config, models } = modelsFor(file)
  const [T, D, L, S] = [config.videoLen, config.textDim, config.labelNum, config.imageSize]
  if (task.text.length !== T * D || task.labels.length !== T * L) {
    throw new UserError(`the checkpoint expects ${T} frames of ${D}-d text and ${L} labels; got ${task.text.length / D} frames`)
  }
  const noise = samplePathNoise(config, 1, T, task.seed)
  try {
    const text = tf.tensor3d(task.text, [1, T, D])
    const labels = tf.tensor3d(task.labels, [1, T, L])
    const out = generateStories(models, text, labels, noise)
    const frames = out.images.dataSync() as Float32Array
    const masks = out.masks ? (out.masks.dataSync() as Float32Array) : null
    tf.dispose([text, labels, out.images, ...(out.masks ? [out.masks] : [])])
    const png = storyStripPng(frames, masks, null, T, S)
    const rows = masks ? 2 : 1
    return { png, width: T * S, height: rows * S, step, frames: T, imageSize: S, hasMasks: masks !== null, hasTruth: false, millis: performance.now() - t0 }
  } finally {
    disposePathNoise(noise)
  }
}

async function generateStory(task: Extract<GenerationTask, { kind: 'story' }>): Promise<GeneratedStrip> {
  const t0 = performance.now()
  const r = await generateDatasetStory(dbFor(task.workspace), task.workspace, {
    runId: task.runId,
    step: task.step,
    storyId: task.storyId,
    seed: task.seed,
    backend: task.backend
  })
  const S = r.height / (r.masks ? 3 : 2)
  return {
    png: r.png,
    width: r.width,
    height: r.height,
    step: r.step,
    frames: r.width / S,
    imageSize: S,
    hasMasks: r.masks !== null,
    hasTruth: true,
    millis: performance.now() - t0
  }
}

const port = parentPort
if (!port) throw new Error('generation-worker must run in a worker thread')
const post = (m: FromGenerationWorker): void => port.postMessage(m)
// One generation at a time: TF.js work is synchronous anyway, and order keeps replies simple.
let queue: Promise<void> = Promise.resolve()

port.on('message', (msg: ToGenerationWorker) => {
  queue = queue.then(async () => {
    try {
      const strip = msg.task.kind === 'story' ? await generateStory(msg.task) : await generateFromText(msg.task)
      post({ type: 'generated', seq: msg.seq, ...strip })
    } catch (e) {
      const user = e instanceof UserError
      const message = e instanceof Error ? (user ? e.message : (e.stack ?? e.message)) : String(e)
      post({ type: 'failed', seq: msg.seq, message, code: user ? e.code : 'internal', internal: !user })
    }
  })
})
