import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../workers'
import type { BatchArrays } from './batch-sampler'
import type { DataInit, FromDataWorker, ToDataWorker } from './data-messages'

/**
 * Batches from the data worker, one step ahead: while the model trains on step s, batch s+1 is
 * being built on the other core. Batches are deterministic per step, so prefetching never
 * changes what the model sees.
 */
export class Prefetcher {
  private readonly pending = new Map<number, { resolve: (a: BatchArrays) => void; reject: (e: Error) => void; promise: Promise<BatchArrays> }>()
  private readonly worker: Worker
  private readonly ready: Promise<void>
  private failure: Error | null = null

  constructor(init: DataInit) {
    this.worker = startWorker('data-worker.mjs', new URL('./data-worker.ts', import.meta.url))
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (m: FromDataWorker) => {
        if (m.type === 'ready') resolve()
        else if (m.type === 'batch') this.pending.get(m.step)?.resolve(m.arrays)
        else {
          const e = new Error(`data loader: ${m.message}`)
          if (m.step < 0) reject(e)
          else this.pending.get(m.step)?.reject(e)
        }
      })
      this.worker.on('error', (e) => this.fail(e))
      this.worker.on('exit', (code) => this.fail(new Error(`data worker exited with code ${code}`)))
    })
    this.ready.catch(() => undefined)
    this.worker.postMessage({ type: 'init', init } satisfies ToDataWorker)
  }

  private fail(e: Error): void {
    this.failure ??= e
    for (const p of this.pending.values()) p.reject(e)
  }

  /** Starts building `step` if it is not already on its way. */
  prefetch(step: number): void {
    if (this.pending.has(step) || this.failure) return
    let resolve!: (a: BatchArrays) => void
    let reject!: (e: Error) => void
    const promise = new Promise<BatchArrays>((res, rej) => ((resolve = res), (reject = rej)))
    promise.catch(() => undefined)
    this.pending.set(step, { resolve, reject, promise })
    void this.ready.then(() => this.worker.postMessage({ type: 'batch', step } satisfies ToDataWorker), reject)
  }

  /** The batch of `step`, and starts `step + 1`. */
  async get(step: number): Promise<BatchArrays> {
    if (this.failure) throw this.failure
    this.prefetch(step)
    const arrays = await this.pending.get(step)!.promise
    this.pending.delete(step)
    this.prefetch(step + 1)
    return arrays
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies ToDataWorker)
    await this.worker.terminate()
  }
}
