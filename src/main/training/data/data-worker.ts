/**
 * Data worker: builds training batches on the other core while the training worker runs the
 * model (decoding PNGs, resizing, assembling arrays), and hands them over without copying.
 */
import { parentPort } from 'node:worker_threads'
import { openDatabase, type Db } from '../../db/database'
import { workspacePaths } from '../../workspace'
import { loadDatasetIndex } from './dataset-index'
import { FrameSource } from './frame-source'
import { BatchSampler, type BatchArrays } from './batch-sampler'
import type { DataInit, FromDataWorker, ToDataWorker } from './data-messages'

const port = parentPort
if (!port) throw new Error('data-worker must run in a worker thread')
let sampler: BatchSampler | null = null
let db: Db | null = null

function buffersOf(a: BatchArrays): ArrayBuffer[] {
  return [a.storyImages, a.storyText, a.storyLabels, a.images, a.masks, a.maskWeight, a.imageText, a.imageLabels, a.imageContent].map(
    (x) => x.buffer as ArrayBuffer
  )
}

function init(msg: DataInit): void {
  const paths = workspacePaths(msg.workspace)
  db = openDatabase(paths.database)
  const index = loadDatasetIndex(db, msg.datasetId, msg.split, msg.maskPolicy)
  sampler = new BatchSampler(index, new FrameSource(db, paths.frames, msg.shape.imageSize), msg.shape, msg.seed)
}

port.on('message', (msg: ToDataWorker) => {
  try {
    if (msg.type === 'init') {
      init(msg.init)
      port.postMessage({ type: 'ready' } satisfies FromDataWorker)
    } else if (msg.type === 'batch') {
      if (!sampler) throw new Error('data worker not initialised')
      const arrays = sampler.batch(msg.step)
      port.postMessage({ type: 'batch', step: msg.step, arrays } satisfies FromDataWorker, buffersOf(arrays))
    } else if (msg.type === 'close') {
      db?.close()
      db = null
      port.close()
    }
  } catch (e) {
    port.postMessage({ type: 'error', step: msg.type === 'batch' ? msg.step : -1, message: (e as Error).message } satisfies FromDataWorker)
  }
})
