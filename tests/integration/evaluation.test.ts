/**
 * Evaluation end to end: a tiny run's checkpoints scored through the CLI (FSD with the fixture's
 * w4 R(2+1)D as the "FSD network", FID with a stand-in network written from scratch, character
 * accuracy with a classifier trained through the CLI, mask IoU against the demo's truth masks),
 * results in SQLite, TensorBoard and metrics.jsonl, real statistics cached; clear errors and
 * nothing written for missing, invalid or mismatched network files; cancel; the main thread
 * stays responsive while the worker scores.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Workbench } from '../../src/main/api/workbench'
import { callApi } from '../helpers/api'
import { runImport } from '../../src/main/datasets/run-import'
import { listEvaluations } from '../../src/main/db/repos/evaluation-repo'
import { fidInput, FID_SIDE } from '../../src/main/evaluation/fid'
import { bilinearTaps, resizePlane } from '../../src/main/evaluation/bilinear'
import { standinFidNetwork } from '../../src/main/evaluation/standin-networks'
import { readEventFile } from '../../src/main/training/tensorboard-reader'
import type { Channel, EvaluationJob, EvaluationOptions, EvaluationRecord } from '../../src/shared/contract'
import type { RunSummary } from '../../src/shared/domain'
import { tempDir } from '../helpers/paths'

const ROOT = resolve(__dirname, '../..')
const ENTRY = join(ROOT, 'src/main/cli/entry.ts')
const FSD_MODEL = join(resolve(__dirname, '../../../shared/fixtures/fsd'), 'r2p1d18_w4_seed0.onnx')
let ws: string
let wb: Workbench
let run: RunSummary
let fidModel: string
let cleanup: () => void

function cpcsv(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args, '--workspace', ws], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CPCSV_WORKSPACE: '' } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

const call = <T>(channel: Channel, req: unknown): Promise<T> => callApi<T>(wb, channel, req)

/** Everything an evaluation may leave behind, to check that a refused one left nothing. */
function written() {
  const folder = join(ws, run.folder)
  return {
    rows: listEvaluations(wb.db).length,
    evalMetrics: wb.db.prepare("SELECT count(*) FROM metrics WHERE tag IN ('eval/fsd', 'eval/fid', 'eval/char_f1', 'eval/frame_acc')").pluck().get(),
    eventFiles: readdirSync(folder).filter((f) => f.endsWith('.eval')).length,
    jsonl: existsSync(join(folder, 'metrics.jsonl')) ? readFileSync(join(folder, 'metrics.jsonl'), 'utf8') : '',
    cache: existsSync(join(ws, 'eval-cache')) ? readdirSync(join(ws, 'eval-cache')).length : 0,
    stats: wb.db.prepare('SELECT count(*) FROM reference_stats').pluck().get()
  }
}

beforeAll(async () => {
  const t = tempDir()
  cleanup = t.cleanup
  ws = join(t.dir, 'ws')
  fidModel = join(t.dir, 'fid-standin.onnx')
  writeFileSync(fidModel, standinFidNetwork())
  const { datasetId } = await runImport(ws, { kind: 'demo', demo: 'cartoon', stories: 40, seed: 1 })
  wb = new Workbench(ws)
  const started = wb.training.start({
    datasetId, name: 'evalrun', preset: 'tiny', overrides: { gfDim: 4, gfSegDim: 16, dfDim: 2 }, steps: 2, seed: 1,
    backend: 'wasm', tickSteps: 1, checkpointEvery: 1, sampleEvery: 100, split: 'train'
  })
  run = await wb.training.wait(started.id)
  expect(run.status).toBe('finished')
})
afterAll(async () => {
  await wb?.close()
  cleanup?.()
})

describe('FID preprocessing (pytorch-fid)', () => {
  it('resizes bilinearly with align_corners=False, as F.interpolate does', () => {
    // F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode='bilinear', align_corners=False) -> [0, .25, .75, 1]
    const out = new Float32Array(4)
    resizePlane([0, 1], 0, 1, 1, 2, out, 0, bilinearTaps(1, 1), bilinearTaps(2, 4), new Float64Array(4))
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1])
    const taps = bilinearTaps(64, FID_SIDE)
    expect(taps.lo[0]).toBe(0)
    expect(taps.w[0]).toBe(0) // the first source coordinate is clamped at 0
    expect(taps.lo[FID_SIDE - 1]).toBe(63)
  })

  it('maps 8-bit frames to NCHW 299×299 in [0, 1] (the network does its own 2x − 1)', () => {
    const frame = new Uint8Array(64 * 64 * 3)
    for (let i = 0; i < 64 * 64; i++) frame.set([255, 0, 51], i * 3)
    const x = fidInput(frame, 1, 64)
    expect(x.length).toBe(3 * FID_SIDE * FID_SIDE)
    const plane = FID_SIDE * FID_SIDE
    expect(x[0]).toBe(1)
    expect(x[plane + 123]).toBe(0)
    expect(x[2 * plane + 4567]).toBeCloseTo(0.2, 6)
  })
})

describe('cpcsv evaluate and classifier', () => {
  it('refuses missing networks with a clear error and writes nothing', () => {
    const before = written()
    const none = cpcsv('evaluate', '--run', 'evalrun', '--metrics', 'fid')
    expect(none.code).toBe(1)
    expect(none.err.trim().split('\n').pop()).toMatch(/^cpcsv: FID: no InceptionV3 \(tools\/export_fid_inception\.py\) ONNX file is set: give --fid-model/)
    const missing = cpcsv('evaluate', '--run', 'evalrun', '--metrics', 'fsd', '--fsd-model', '/no/such/r2p1d18.onnx')
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/cpcsv: FSD: its network file was not found: \/no\/such\/r2p1d18\.onnx/)
    const noClassifier = cpcsv('evaluate', '--run', 'evalrun', '--metrics', 'char')
    expect(noClassifier.err).toMatch(/character accuracy: the dataset has no character classifier yet/)
    expect(written()).toEqual(before)
  })

  it('trains the character classifier and reports its held-out accuracy', () => {
    const r = cpcsv('classifier', '--dataset', 'demo-cartoon', '--epochs', '3')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/classifier of "demo-cartoon": \d+ training frames, 3 epochs/)
    expect(r.out).toMatch(/held out \(\d+ frames, val\+test\): frame accuracy [\d.]+%, micro F1 [\d.]+%/)
    expect(existsSync(join(ws, 'classifiers', `${run.datasetId}.ckpt`))).toBe(true)
  })

  let first: { job: EvaluationJob; results: EvaluationRecord[] }
  it('scores every checkpoint end to end and records the scores everywhere', () => {
    const r = cpcsv(
      'evaluate', '--run', 'evalrun', '--checkpoint', 'all', '--metrics', 'fid,fsd,char,mask',
      '--fid-model', fidModel, '--fsd-model', FSD_MODEL, '--fsd-compat', '--json'
    )
    expect(r.code, r.err).toBe(0)
    first = JSON.parse(r.out)
    expect(first.job).toMatchObject({ state: 'finished', steps: [1, 2], split: 'test', metrics: ['fid', 'fsd', 'char', 'mask'] })
    const scores = first.results.map((x) => `${x.step}:${x.score}`).sort()
    expect(scores).toEqual(['1:char_f1', '1:fid', '1:frame_acc', '1:fsd', '1:mask_iou', '2:char_f1', '2:fid', '2:frame_acc', '2:fsd', '2:mask_iou'])
    for (const x of first.results) expect(Number.isFinite(x.value) && x.value >= 0, `${x.score} ${x.value}`).toBe(true)
    const fsd = first.results.find((x) => x.score === 'fsd')!
    expect(fsd).toMatchObject({ samples: 8, split: 'test', details: { dim: 128, realSamples: 8 } })
    expect(fsd.variant).toMatch(/^fsd:[0-9a-f]{12}:frames=5,mode=compat,side=64$/)
    expect(first.results.find((x) => x.score === 'fid')).toMatchObject({ samples: 40, details: { dim: 2048 } })
    // SQLite: evaluations and the metrics the training charts read
    expect(listEvaluations(wb.db, [run.id])).toHaveLength(10)
    const tags = wb.db.prepare("SELECT tag || '@' || step FROM metrics WHERE run_id = ? AND tag LIKE 'eval/%'").pluck().all(run.id)
    for (const t of ['eval/fsd@1', 'eval/fid@2', 'eval/char_f1@2', 'eval/frame_acc@1', 'eval/mask_iou@2']) expect(tags).toContain(t)
    // run folder: metrics.jsonl and a TensorBoard event file
    const folder = join(ws, run.folder)
    const lines = readFileSync(join(folder, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>)
    expect(lines.filter((l) => 'eval/fsd' in l).map((l) => l.step)).toEqual([1, 2])
    const eventFile = readdirSync(folder).find((f) => f.endsWith('.eval'))!
    const events = readEventFile(readFileSync(join(folder, eventFile)))
    const scalars = new Set(events.events.flatMap((e) => e.values.map((v) => `${v.kind}:${v.tag}`)))
    for (const t of ['eval/fsd', 'eval/fid', 'eval/char_f1', 'eval/frame_acc', 'eval/mask_iou']) expect(scalars).toContain(`scalar:${t}`)
    // real statistics cached per extractor
    expect(wb.db.prepare('SELECT extractor FROM reference_stats ORDER BY extractor').pluck().all()).toEqual(['fid', 'fsd'])
  })

  it('reuses the cached real statistics and gives the same numbers again', () => {
    const r = cpcsv('evaluate', '--run', 'evalrun', '--checkpoint', '2', '--metrics', 'fid,fsd', '--fid-model', fidModel, '--fsd-model', FSD_MODEL, '--fsd-compat', '--json')
    expect(r.code, r.err).toBe(0)
    const again = JSON.parse(r.out) as { job: EvaluationJob; results: EvaluationRecord[] }
    expect(again.job.total).toBe(1) // one batch of generated stories, no real-statistics pass
    for (const x of again.results) expect(x.value).toBe(first.results.find((y) => y.step === 2 && y.score === x.score)!.value)
    expect(wb.db.prepare('SELECT count(*) FROM reference_stats').pluck().get()).toBe(2)
  })
})

describe('evaluation API', () => {
  const start = (extra: Record<string, unknown>) => call<EvaluationJob>('evaluation:start', { runId: run.id, ...extra })

  it('fails clearly on an invalid or mismatched network file, before writing anything', async () => {
    const before = written()
    const notOnnx = await start({ metrics: ['fsd'], fsdModel: join(ROOT, 'README.md'), fsdCompat: true })
    const a = await wb.evaluations.wait(notOnnx.jobId)
    expect(a.state).toBe('failed')
    expect(a.error).toMatch(/FSD network .*README\.md is not a valid ONNX model/)
    // the fixture is fixed at 64×64: the default mode feeds 112×112
    const mismatched = await start({ metrics: ['fsd', 'mask'], fsdModel: FSD_MODEL, fsdCompat: false })
    const b = await wb.evaluations.wait(mismatched.jobId)
    expect(b.state).toBe('failed')
    expect(b.error).toMatch(/expects input 'clips' of float32 \(n, C=3, T=5, H=64, W=64\), but this evaluation feeds float32 \(N, C=3, T=5, H=112, W=112\)/)
    const notFid = await start({ metrics: ['fid'], fidModel: FSD_MODEL })
    expect((await wb.evaluations.wait(notFid.jobId)).error).toMatch(/FID network r2p1d18_w4_seed0\.onnx expects input 'clips' .*\(N, C=3, H=299, W=299\)/)
    expect(written()).toEqual(before)
  })

  it('stores settings, reports which files are missing and lists the reference rows', async () => {
    const opts = await call<EvaluationOptions>('evaluation:setModels', { fidModel: '/no/such/inception.onnx', fsdModel: FSD_MODEL, fsdCompat: true })
    expect(opts.models.map((m) => m.state)).toEqual(['missing', 'found'])
    expect(opts.models[0].message).toMatch(/file not found: \/no\/such\/inception\.onnx/)
    expect(opts.paper.find((p) => p.model === 'CP-CSV' && p.protocol === 'cpcsv')).toMatchObject({ fid: 67.7, fsd: 71.51 })
    expect(opts.paper.find((p) => p.model === 'StoryGAN' && p.protocol === 'duco')).toMatchObject({ charF1: 18.59, frameAcc: 9.34 })
    // without named metrics: what is available, with the reason for what is left out
    const job = await start({})
    expect(job.metrics).toEqual(['fsd', 'char', 'mask'])
    expect(job.notes).toEqual(['FID left out: its network file was not found: /no/such/inception.onnx'])
    expect((await wb.evaluations.wait(job.jobId)).state).toBe('finished')
    expect((await call<{ heldOutFrom: string } | null>('classifier:get', { datasetId: run.datasetId }))?.heldOutFrom).toBe('val+test')
    expect(await call<EvaluationRecord[]>('evaluation:results', { runIds: [run.id] })).toHaveLength(10)
  })

  it('runs beside a training run, cancels between batches, and keeps the main thread responsive', async () => {
    let worst = 0
    let last = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      worst = Math.max(worst, now - last)
      last = now
    }, 10)
    // a second run trains in the training worker while the evaluation worker scores the first
    const training = wb.training.start({
      datasetId: run.datasetId!, name: 'beside', preset: 'tiny', overrides: { gfDim: 4, gfSegDim: 16, dfDim: 2 }, steps: 3, seed: 2,
      backend: 'wasm', tickSteps: 1, checkpointEvery: 3, sampleEvery: 100, split: 'train'
    })
    const done = await start({ steps: 'all', metrics: ['fsd', 'char', 'mask'] })
    await expect(start({ steps: 'all' })).rejects.toThrow(/conflict: run "evalrun" is being evaluated/)
    const [evaluated, trained] = await Promise.all([wb.evaluations.wait(done.jobId), wb.training.wait(training.id)])
    expect(evaluated.state).toBe('finished')
    expect(trained.status).toBe('finished')
    const job = await start({ steps: 'all', metrics: ['fsd', 'mask'] })
    await call('evaluation:cancel', { jobId: job.jobId })
    const end = await wb.evaluations.wait(job.jobId)
    clearInterval(timer)
    expect(end.state).toBe('cancelled')
    expect(end.results).toEqual([])
    expect(worst).toBeLessThan(1000)
  })
})
