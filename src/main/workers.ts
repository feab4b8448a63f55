import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * Starts a worker thread from a module next to the caller. In a bundled build the worker is a
 * sibling `.mjs` file; when running from TypeScript sources (tests, `tsx`), the `.ts` source is
 * loaded through a small bootstrap that registers tsx inside the worker (Node 20 does not apply
 * `--import` hooks to a worker's entry module).
 *
 * @param bundled file name of the built worker, e.g. 'import-worker.mjs'
 * @param source URL of the TypeScript source of the worker
 */
export function startWorker(bundled: string, source: URL, options: WorkerOptions = {}): Worker {
  const fromSource = import.meta.url.endsWith('.ts')
  if (fromSource) {
    return new Worker(new URL('./ts-worker-bootstrap.mjs', import.meta.url), {
      ...options,
      execArgv: [],
      workerData: { ...(options.workerData as object), __tsEntry: source.href }
    })
  }
  // Bundlers may put this code in a shared chunk one folder below the entry files.
  const candidates = [new URL(`./${bundled}`, import.meta.url), new URL(`../${bundled}`, import.meta.url)]
  const found = candidates.find((u) => existsSync(fileURLToPath(u)))
  if (!found) throw new Error(`worker ${bundled} not found next to ${fileURLToPath(import.meta.url)}; rebuild with npm run build`)
  return new Worker(found, options)
}
