import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../src/main/db/database'
import { runImport } from '../../src/main/datasets/run-import'
import { importUpstreamWeights } from '../../src/main/training/import-weights'
import { readCheckpoint } from '../../src/main/training/checkpoint'
import { createCpcsv, disposeCpcsv, serialiseWeights } from '../../src/main/training/model/cpcsv'
import { loadPytorchWeights, readBlob, readDumpManifest, trainConfigFromDump } from '../../src/main/training/model/pytorch-import'
import { listCheckpoints } from '../../src/main/db/repos/run-repo'
import { FIXTURES, tempDir } from '../helpers/paths'

const DUMP = join(FIXTURES, 'cpcsv-tiny')
let db: Db
let ws: string
let dir: string
let cleanup: () => void
let datasetId: number

beforeAll(async () => {
  const t = tempDir()
  cleanup = t.cleanup
  dir = t.dir
  ws = join(t.dir, 'ws')
  datasetId = (await runImport(ws, { kind: 'demo', demo: 'cartoon', stories: 6, seed: 1 })).datasetId
  db = openDatabase(join(ws, 'workbench.sqlite'))
})
afterAll(() => {
  db.close()
  cleanup()
})

/** What tools/export_cpcsv_state_dict.py writes: upstream keys only, no workbench names. */
function upstreamOnlyDump(): string {
  const out = join(dir, 'upstream-dump')
  mkdirSync(out, { recursive: true })
  const m = JSON.parse(readFileSync(join(DUMP, 'manifest.json'), 'utf8')) as { config: object; weights: { name?: string }[] }
  const weights = m.weights.map(({ name: _n, ...rest }) => rest)
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ config: m.config, losses: {}, weights, grads: [], activations: [] }))
  copyFileSync(join(DUMP, 'weights_before.bin'), join(out, 'weights_before.bin'))
  return out
}

describe('importing upstream PyTorch weights', () => {
  it('maps upstream keys and layouts into a run with a step-0 checkpoint', async () => {
    const run = await importUpstreamWeights(db, ws, { dir: upstreamOnlyDump(), datasetId, name: 'authors' })
    expect(run).toMatchObject({ name: 'authors', status: 'finished', preset: 'custom' })
    const [ckpt] = listCheckpoints(db, run.id)
    const imported = readCheckpoint(join(ws, run.folder, ckpt.file))
    // the same tensors as loading the dump by the workbench's own names
    const manifest = readDumpManifest(DUMP)
    const models = createCpcsv(trainConfigFromDump(manifest.config), { zeroInit: true })
    loadPytorchWeights(models, manifest.weights, readBlob(DUMP, 'weights_before.bin'))
    const expected = serialiseWeights(models)
    disposeCpcsv(models)
    expect(Object.keys(imported.weights).sort()).toEqual(Object.keys(expected).sort())
    for (const [k, w] of Object.entries(expected)) expect(Array.from(imported.weights[k].data), k).toEqual(Array.from(w.data))
  })

  it('refuses a dump with unknown keys or a dataset that does not fit', async () => {
    const bad = join(dir, 'bad-dump')
    mkdirSync(bad, { recursive: true })
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify({ config: { text_dim: 356 }, weights: [{ model: 'G', upstream: 'mystery.weight', shape: [1], offset: 0, count: 1 }], grads: [] }))
    writeFileSync(join(bad, 'weights_before.bin'), Buffer.alloc(4))
    await expect(importUpstreamWeights(db, ws, { dir: bad, datasetId })).rejects.toThrow(/no CP-CSV counterpart: G\/mystery\.weight/)
    const clevr = join(dir, 'clevr-dump')
    mkdirSync(clevr, { recursive: true })
    writeFileSync(join(clevr, 'manifest.json'), JSON.stringify({ config: { text_dim: 75, label_num: 15, video_len: 4 }, weights: [], grads: [] }))
    await expect(importUpstreamWeights(db, ws, { dir: clevr, datasetId })).rejects.toThrow(/does not fit/)
    await expect(importUpstreamWeights(db, ws, { dir: join(dir, 'nothing'), datasetId })).rejects.toThrow(/cannot read .*manifest\.json/)
  })
})
