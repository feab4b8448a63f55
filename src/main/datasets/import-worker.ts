/** Import worker thread: parses a dataset and writes it with its own database connection. */
import { parentPort } from 'node:worker_threads'
import { UserError } from '../../shared/result'
import type { FromImportWorker, ToImportWorker } from './import-messages'
import { runImport } from './run-import'
import { ImportCancelled } from './write-bundle'

const port = parentPort
if (!port) throw new Error('import-worker must run in a worker thread')
let cancelled = false
const post = (m: FromImportWorker): void => port.postMessage(m)

port.on('message', (msg: ToImportWorker) => {
  if (msg.type === 'cancel') {
    cancelled = true
    return
  }
  const seq = msg.seq
  runImport(msg.workspace, msg.task, {
    cancelled: () => cancelled,
    onProgress: (p) => post({ type: 'progress', seq, phase: p.phase, done: p.done, total: p.total, path: p.path })
  }).then(
    (r) => post({ type: 'finished', seq, datasetId: r.datasetId, unchanged: r.unchanged }),
    (e: unknown) =>
      post({
        type: 'failed',
        seq,
        message: e instanceof Error ? (e instanceof UserError || e instanceof ImportCancelled ? e.message : e.stack ?? e.message) : String(e),
        cancelled: e instanceof ImportCancelled,
        internal: !(e instanceof UserError || e instanceof ImportCancelled)
      })
  )
})
