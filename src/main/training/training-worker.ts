/**
 * The long-lived training worker thread: owns TF.js, runs one Trainer at a time, streams its
 * events to the main thread. Errors cross as data; a crash of this thread is noticed by the
 * main thread, which marks the run failed (its last checkpoint stays resumable).
 */
import { parentPort } from 'node:worker_threads'
import { UserError } from '../../shared/result'
import type { FromTrainingWorker, ToTrainingWorker } from './run-messages'
import { Trainer } from './trainer'

const port = parentPort
if (!port) throw new Error('training-worker must run in a worker thread')
let current: Trainer | null = null
let seq = 0
const post = (m: FromTrainingWorker): void => port.postMessage({ ...m, seq: ++seq })

port.on('message', (msg: ToTrainingWorker) => {
  if (msg.type === 'stop') {
    current?.stop()
    return
  }
  if (current) {
    post({ type: 'failed', seq: 0, runId: msg.spec.runId, message: 'the training worker is busy with another run', internal: false })
    return
  }
  const trainer = new Trainer(msg.spec, post)
  current = trainer
  trainer.run().then(
    (status) => {
      current = null
      post({ type: 'ended', seq: 0, runId: msg.spec.runId, status, step: trainer.step })
    },
    (e: unknown) => {
      current = null
      const user = e instanceof UserError
      post({
        type: 'failed',
        seq: 0,
        runId: msg.spec.runId,
        message: e instanceof Error ? (user ? e.message : (e.stack ?? e.message)) : String(e),
        internal: !user
      })
    }
  )
})
