import { existsSync, readFileSync, readdirSync, truncateSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Workbench } from '../../src/main/api/workbench'
import { callApi, demoWorkbench } from '../helpers/api'
import { readCheckpoint } from '../../src/main/training/checkpoint'
import { readEventFile } from '../../src/main/training/tensorboard-reader'
import type { Channel } from '../../src/shared/contract'
import type { RunSummary } from '../../src/shared/domain'

let wb: Workbench
let cleanup: () => Promise<void>
let datasetId: number

/** Still smaller than `tiny` (tests may use smaller sizes; benchmarks use the presets). */
const SMALL = { gfDim: 4, gfSegDim: 16, dfDim: 2 }

const call = <T>(channel: Channel, req: unknown): Promise<T> => callApi<T>(wb, channel, req)

const start = (extra: Record<string, unknown> = {}) =>
  call<RunSummary>('training:start', {
    datasetId, preset: 'tiny', overrides: SMALL, steps: 6, seed: 3, backend: 'wasm', tickSteps: 2,
    checkpointEvery: 3, sampleEvery: 3, sampleStories: 2, split: 'all', ...extra
  })

const lastCheckpoint = (run: RunSummary) => {
  const dir = join(wb.paths.root, run.folder, 'checkpoints')
  return join(dir, readdirSync(dir).sort().pop()!)
}

beforeAll(async () => {
  ;({ wb, datasetId, cleanup } = await demoWorkbench(8, 4))
})
afterAll(() => cleanup())

describe('training runs', () => {
  let full: RunSummary

  it('trains in the worker and leaves the full record: config, checkpoints, metrics, samples, TensorBoard', async () => {
    const started = await start({ name: 'uninterrupted' })
    expect(started.status).toBe('queued')
    await expect(start({ name: 'second' })).rejects.toThrow(/conflict: run "uninterrupted" is training/)
    full = await wb.training.wait(started.id)
    expect(full).toMatchObject({ status: 'finished', step: 6, backend: 'wasm', error: null })
    const folder = join(wb.paths.root, full.folder)
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>
    expect(config).toMatchObject({ seed: 3, totalSteps: 6, backend: 'wasm', maskPolicy: 'hand+imported+truth' })
    expect((config.config as Record<string, number>).gfDim).toBe(4)
    const ckpts = await call<{ step: number }[]>('runs:checkpoints', { runId: full.id })
    expect(ckpts.map((c) => c.step)).toEqual([3, 6])
    const metrics = await call<Record<string, [number, number][]>>('runs:metrics', { runId: full.id })
    expect(metrics['loss/gTotal'].map(([s]) => s)).toEqual([2, 4, 6])
    for (const tag of ['loss/dImg', 'loss/dSty', 'loss/dSeg', 'loss/gImg', 'loss/gSty', 'loss/gSeg', 'loss/klImg', 'lr/g', 'lr/dImg', 'speed/it_per_sec', 'eval/mask_iou']) {
      expect(metrics[tag], tag).toBeDefined()
    }
    const samples = await call<{ step: number; asset: string }[]>('runs:samples', { runId: full.id })
    expect(samples.map((s) => s.step)).toEqual([3, 3, 6, 6])
    const jsonl = readFileSync(join(folder, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number })
    expect(jsonl.some((r) => r.step === 6)).toBe(true)
    const tb = readdirSync(folder).find((f) => f.startsWith('events.out.tfevents.'))!
    const parsed = readEventFile(readFileSync(join(folder, tb)))
    expect(parsed.truncated).toBe(false)
    const tags = new Set(parsed.events.flatMap((e) => e.values.map((v) => `${v.kind}:${v.tag}`)))
    expect(tags).toContain('scalar:loss/gTotal')
    expect(tags).toContain('image:samples/story_0')
    expect(full.maskCoverage?.withMask).toBeGreaterThan(0)
  })

  it('trains with order consistency on when asked, and records its two loss terms', async () => {
    const run = await start({ name: 'order', steps: 2, checkpointEvery: 2, sampleEvery: 2, overrides: { ...SMALL, useSeqConsistency: true } })
    const done = await wb.training.wait(run.id)
    expect(done).toMatchObject({ status: 'finished', step: 2, error: null })
    const metrics = await call<Record<string, [number, number][]>>('runs:metrics', { runId: run.id })
    for (const tag of ['loss/dStyOrder', 'loss/gStyOrder']) {
      expect(metrics[tag], tag).toHaveLength(1)
      expect(Number.isFinite(metrics[tag][0][1])).toBe(true)
    }
    expect(metrics['loss/dStyOrder'][0][1]).toBeGreaterThan(0)
    // Runs without it record no order terms (and get no empty chart).
    const plain = await call<Record<string, unknown>>('runs:metrics', { runId: full.id })
    expect(plain['loss/dStyOrder']).toBeUndefined()
    await call('runs:delete', { id: run.id })
  })

  it('stop + resume gives exactly the weights of an uninterrupted run', async () => {
    const run = await start({ name: 'interrupted' })
    await new Promise<void>((resolve) => {
      const off = wb.onEvent((e) => {
        if (e.type === 'training:progress' && e.runId === run.id && e.progress.step >= 2) {
          off()
          void call('training:stop', { runId: run.id }).then(() => resolve())
        }
      })
    })
    const stopped = await wb.training.wait(run.id)
    expect(stopped.status).toBe('stopped')
    expect(stopped.step).toBeLessThan(6)
    const resumed = await call<RunSummary>('training:resume', { runId: run.id, steps: 6 - stopped.step })
    expect(resumed.totalSteps).toBe(6)
    const done = await wb.training.wait(run.id)
    expect(done).toMatchObject({ status: 'finished', step: 6 })
    const a = readCheckpoint(lastCheckpoint(full))
    const b = readCheckpoint(lastCheckpoint(done))
    expect(b.step).toBe(6)
    let maxDiff = 0
    for (const [k, w] of Object.entries(a.weights)) {
      const o = b.weights[k].data
      for (let i = 0; i < w.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w.data[i] - o[i]))
    }
    expect(maxDiff).toBe(0)
  })

  it('refuses a corrupt checkpoint with a clear error and marks the run failed', async () => {
    const file = lastCheckpoint(full)
    truncateSync(file, statSync(file).size - 100)
    await call('training:resume', { runId: full.id, steps: 2 })
    const failed = await wb.training.wait(full.id)
    expect(failed.status).toBe('failed')
    expect(failed.error).toMatch(/checkpoint .*step-0000006\.ckpt is corrupt or not a checkpoint: expected \d+ bytes/)
  })

  it('marks the run failed when the worker crashes; the last checkpoint stays resumable', async () => {
    const run = await start({ name: 'crashy', steps: 40, checkpointEvery: 2 })
    await new Promise<void>((resolve) => {
      const off = wb.onEvent((e) => {
        if (e.type === 'training:checkpoint' && e.runId === run.id) {
          off()
          resolve()
        }
      })
    })
    await (wb.training as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate()
    const failed = await wb.training.wait(run.id)
    expect(failed.status).toBe('failed')
    expect(failed.error).toMatch(/training worker exited/)
    const ckpts = await call<{ step: number }[]>('runs:checkpoints', { runId: run.id })
    expect(ckpts.length).toBeGreaterThan(0)
    await call('training:resume', { runId: run.id, steps: 1 })
    expect((await wb.training.wait(run.id)).status).toBe('finished')
  })

  it('rejects invalid settings clearly', async () => {
    await expect(start({ overrides: { gfDim: 3 } })).rejects.toThrow(/invalid_request: invalid training settings: gfDim must be even/)
    await expect(start({ steps: 0 })).rejects.toThrow(/invalid training:start request: steps: steps must be at least 1/)
    await expect(start({ preset: 'clevr' })).rejects.toThrow(/does not fit preset clevr: text vectors of 356 dims, the model expects 75/)
    await expect(start({ datasetId: 9999 })).rejects.toThrow(/not_found: dataset 9999 not found/)
    // nothing was recorded for the refused starts
    const names = (await call<RunSummary[]>('runs:list', {})).map((r) => r.name)
    expect(names.sort()).toEqual(['crashy', 'interrupted', 'uninterrupted'])
    expect(existsSync(join(wb.paths.root, 'runs'))).toBe(true)
  })
})
