import type { Worker } from 'node:worker_threads'
import type { Db } from '../db/database'
import type { GenerationResult, TextEncoding } from '../../shared/contract'
import type { DatasetDetail, RunSummary } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { getDataset } from '../db/repos/dataset-repo'
import { getRun, listCheckpoints } from '../db/repos/run-repo'
import { encodeSentences, type EncoderDataset } from '../training/text-encoder'
import type { BackendName } from '../training/engine/backend'
import type { FromGenerationWorker, GeneratedStrip, GenerationTask, ToGenerationWorker } from '../training/generation-worker'
import { startWorker } from '../workers'
import type { HandlerGroup } from './handler-types'

/** A worker left idle this long is ended, returning its TF.js memory (the next request restarts it). */
const IDLE_MS = 120_000

/**
 * Runs generations in a worker thread of their own (TF.js never runs on the main thread, and a
 * generation does not queue behind training ticks). The worker is started on first use.
 */
export class GenerationJobs {
  private worker: Worker | null = null
  private seq = 0
  private readonly pending = new Map<number, { resolve: (s: GeneratedStrip) => void; reject: (e: Error) => void }>()
  private idle: ReturnType<typeof setTimeout> | null = null

  constructor(private readonly log: (m: string) => void = (m) => console.error(m)) {}

  /** Generates one story; rejects with a UserError for anything the person can fix. */
  generate(task: GenerationTask): Promise<GeneratedStrip> {
    const seq = ++this.seq
    const worker = this.ensureWorker()
    if (this.idle) clearTimeout(this.idle)
    return new Promise<GeneratedStrip>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject })
      worker.postMessage({ type: 'generate', seq, task } satisfies ToGenerationWorker)
    }).finally(() => this.armIdle())
  }

  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle)
    const w = this.worker
    this.worker = null
    await w?.terminate()
  }

  private armIdle(): void {
    if (this.idle) clearTimeout(this.idle)
    if (this.pending.size > 0) return
    this.idle = setTimeout(() => void this.close(), IDLE_MS)
    this.idle.unref()
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const w = startWorker('generation-worker.mjs', new URL('../training/generation-worker.ts', import.meta.url))
    // Never keep the process alive for a generation worker alone (CLI exit, test teardown).
    w.unref()
    w.on('message', (m: FromGenerationWorker) => this.onMessage(m))
    w.on('error', (e) => this.failAll(`the generation worker crashed: ${e.message}`))
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null
      this.failAll(`the generation worker exited with code ${code}`)
    })
    this.worker = w
    return w
  }

  private onMessage(m: FromGenerationWorker): void {
    const p = this.pending.get(m.seq)
    if (!p) return
    this.pending.delete(m.seq)
    if (m.type === 'generated') {
      const { type: _t, seq: _s, ...strip } = m
      return p.resolve(strip)
    }
    if (m.internal) {
      this.log(`generation failed: ${m.message}`)
      return p.reject(new Error(`generation failed unexpectedly: ${m.message.split('\n')[0]}`))
    }
    p.reject(new UserError(m.message, m.code))
  }

  private failAll(reason: string): void {
    if (this.pending.size) this.log(reason)
    for (const p of this.pending.values()) p.reject(new UserError(`${reason}; try again`))
    this.pending.clear()
  }
}

function encoderDataset(d: DatasetDetail): EncoderDataset {
  const characters: string[] = []
  for (const c of d.characters) characters[c.idx] = c.name
  return { format: d.format, sentenceDim: d.sentenceDim, attributeDim: d.attributeDim, characters }
}

function runWithCheckpoint(db: Db, runId: number, step?: number): RunSummary {
  const run = getRun(db, runId)
  if (!run) throw new UserError(`run ${runId} not found`, 'not_found')
  const steps = listCheckpoints(db, runId).map((c) => c.step)
  if (steps.length === 0) {
    throw new UserError(`run "${run.name}" has no checkpoint yet (one is written every ${String(run.config.checkpointEvery ?? '?')} steps and when it stops)`)
  }
  if (step !== undefined && !steps.includes(step)) {
    throw new UserError(`run "${run.name}" has no checkpoint at step ${step} (it has: ${steps.join(', ')})`, 'not_found')
  }
  return run
}

/** Text and label vectors (T·textDim, T·labelNum) for typed sentences, after checking them against the run. */
function encodeForRun(
  db: Db,
  run: RunSummary,
  sentences: string[],
  characters: number[][] | undefined
): { encoding: TextEncoding; text: Float32Array; labels: Float32Array } {
  const config = run.config as { videoLen: number; textDim: number; labelNum: number }
  const dataset = run.datasetId === null ? undefined : getDataset(db, run.datasetId)
  if (!dataset) throw new UserError(`run "${run.name}": its dataset ${run.datasetName} was deleted, so its text encoder is unknown`)
  const T = config.videoLen
  if (sentences.length !== T) throw new UserError(`run "${run.name}" generates stories of ${T} frames: type ${T} sentences, one per frame (got ${sentences.length})`)
  const empty = sentences.findIndex((s) => s.trim() === '')
  if (empty >= 0) throw new UserError(`sentence ${empty + 1} is empty: type one sentence per frame`)
  const { encoder, sentences: encoded } = encodeSentences(encoderDataset(dataset), sentences, characters ?? [])
  const D = config.textDim
  const L = config.labelNum
  if (encoded[0].vector.length !== D) {
    throw new UserError(`run "${run.name}" expects ${D}-d text vectors but dataset ${dataset.name} has ${encoded[0].vector.length}-d ones`)
  }
  const text = new Float32Array(T * D)
  const labels = new Float32Array(T * L)
  encoded.forEach((e, t) => {
    text.set(e.vector, t * D)
    // The ticked characters are the label vector; without any, the characters the sentence names.
    for (const c of characters?.[t] ?? e.characters) if (c < L) labels[t * L + c] = 1
  })
  const info = encoded.map(({ vector: _v, ...rest }) => rest)
  return { encoding: { encoder, sentences: info }, text, labels }
}

function toResult(strip: GeneratedStrip, run: RunSummary, seed: number, storyId: number | null, encoding: TextEncoding | null): GenerationResult {
  return {
    dataUrl: `data:image/png;base64,${Buffer.from(strip.png).toString('base64')}`,
    width: strip.width,
    height: strip.height,
    frames: strip.frames,
    imageSize: strip.imageSize,
    hasMasks: strip.hasMasks,
    hasTruth: strip.hasTruth,
    runId: run.id,
    step: strip.step,
    seed,
    storyId,
    encoding,
    millis: Math.round(strip.millis)
  }
}

/**
 * Generation services: preview how typed sentences are encoded ('generation:encode', main
 * thread, no tensors) and generate a story from a dataset story or typed sentences with a run's
 * checkpoint ('generation:story', in the generation worker).
 */
export function generationHandlers(db: Db, workspace: string, jobs = new GenerationJobs()): HandlerGroup<'generation:encode' | 'generation:story'> {
  return {
    'generation:encode': ({ datasetId, sentences, characters }) => {
      const dataset = getDataset(db, datasetId)
      if (!dataset) throw new UserError(`dataset ${datasetId} not found`, 'not_found')
      const { encoder, sentences: encoded } = encodeSentences(encoderDataset(dataset), sentences, characters ?? [])
      return { encoder, sentences: encoded.map(({ vector: _v, ...rest }) => rest) }
    },
    'generation:story': async ({ runId, step, seed, storyId, sentences, characters }) => {
      const run = runWithCheckpoint(db, runId, step)
      const backend = (run.backend ?? 'auto') as BackendName | 'auto'
      const base = { workspace, runId, step, seed, backend }
      if (storyId !== undefined) {
        const strip = await jobs.generate({ ...base, kind: 'story', storyId })
        return toResult(strip, run, seed, storyId, null)
      }
      const { encoding, text, labels } = encodeForRun(db, run, sentences ?? [], characters)
      const strip = await jobs.generate({ ...base, kind: 'text', text, labels })
      return toResult(strip, run, seed, null, encoding)
    }
  }
}
