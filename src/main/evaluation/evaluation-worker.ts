/**
 * The evaluation worker thread: owns its own TF.js (generation, character classifier) and
 * onnxruntime sessions (feature networks), so scoring never blocks the UI and can run beside a
 * training run, which trains in another worker. One job at a time; cancel is cooperative
 * (between batches); errors cross as data.
 */
import { parentPort } from 'node:worker_threads'
import { UserError } from '../../shared/result'
import { openDatabase } from '../db/database'
import { workspacePaths } from '../workspace'
import { initBackend } from '../training/engine/backend'
import { trainDatasetClassifier } from './classifier-training'
import { evaluateRun } from './evaluate-run'
import type { ClassifierSpec, FromEvaluationWorker, ToEvaluationWorker } from './evaluation-messages'

const port = parentPort
if (!port) throw new Error('evaluation-worker must run in a worker thread')
let seq = 0
const post = (m: FromEvaluationWorker): void => port.postMessage({ ...m, seq: ++seq })
let current: { jobId: string; cancelled: boolean } | null = null

async function trainClassifier(spec: ClassifierSpec, job: { cancelled: boolean }): Promise<'finished' | 'cancelled'> {
  const db = openDatabase(workspacePaths(spec.workspace).database)
  try {
    post({ type: 'progress', seq: 0, jobId: spec.jobId, phase: 'loading frames', done: 0, total: 1 })
    await initBackend('auto')
    const info = await trainDatasetClassifier(db, spec.workspace, spec.datasetId, {
      epochs: spec.epochs,
      seed: spec.seed,
      onProgress: (done, total, loss) =>
        post({ type: 'progress', seq: 0, jobId: spec.jobId, phase: loss === null ? 'training' : `training (loss ${loss.toFixed(4)})`, done, total }),
      cancelled: () => job.cancelled
    })
    if (!info) return 'cancelled'
    post({ type: 'classifier', seq: 0, jobId: spec.jobId, info })
    return 'finished'
  } finally {
    db.close()
  }
}

function start(msg: Exclude<ToEvaluationWorker, { type: 'cancel' }>): void {
  const jobId = msg.spec.jobId
  if (current) {
    post({ type: 'failed', seq: 0, jobId, message: 'the evaluation worker is busy with another job', internal: false })
    return
  }
  const job = { jobId, cancelled: false }
  current = job
  const work =
    msg.type === 'evaluate'
      ? evaluateRun(msg.spec, {
          progress: (phase, done, total) => post({ type: 'progress', seq: 0, jobId, phase, done, total }),
          results: (records) => post({ type: 'results', seq: 0, jobId, records }),
          cancelled: () => job.cancelled
        })
      : trainClassifier(msg.spec, job)
  work.then(
    (status) => {
      current = null
      post({ type: 'ended', seq: 0, jobId, status })
    },
    (e: unknown) => {
      current = null
      const user = e instanceof UserError
      const message = e instanceof Error ? (user ? e.message : (e.stack ?? e.message)) : String(e)
      post({ type: 'failed', seq: 0, jobId, message, internal: !user })
    }
  )
}

port.on('message', (msg: ToEvaluationWorker) => {
  if (msg.type === 'cancel') {
    if (current?.jobId === msg.jobId) current.cancelled = true
    return
  }
  start(msg)
})
