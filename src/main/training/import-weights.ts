import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { Db } from '../db/database'
import { UserError } from '../../shared/result'
import type { RunSummary } from '../../shared/domain'
import { validateTrainConfig } from '../../shared/train-config'
import { getDataset } from '../db/repos/dataset-repo'
import { getRun, insertRun, setRunFolder, setRunStatus } from '../db/repos/run-repo'
import { initBackend } from './engine/backend'
import { loadDatasetIndex } from './data/dataset-index'
import { checkDatasetFits } from './trainer'
import { createCpcsv, createOptimisers, disposeCpcsv, serialiseOptimisers, serialiseWeights } from './model/cpcsv'
import { loadPytorchWeights, readBlob, readDumpManifest, trainConfigFromDump, type DumpEntry } from './model/pytorch-import'
import { upstreamToName } from './model/upstream-names'
import { writeCheckpoint } from './checkpoint'

/**
 * Imports upstream CP-CSV PyTorch weights (exported by tools/export_cpcsv_state_dict.py, or any
 * dump in the reference manifest format) as a run with one checkpoint at step 0, so the
 * authors' pretrained model can generate, be evaluated and be fine-tuned like any run.
 */
export async function importUpstreamWeights(
  db: Db,
  workspace: string,
  opts: { dir: string; datasetId: number; name?: string }
): Promise<RunSummary> {
  let manifest
  try {
    manifest = readDumpManifest(opts.dir)
  } catch (e) {
    throw new UserError(`cannot read ${join(opts.dir, 'manifest.json')}: ${(e as Error).message}`)
  }
  const dataset = getDataset(db, opts.datasetId)
  if (!dataset) throw new UserError(`dataset ${opts.datasetId} not found`, 'not_found')
  const config = { ...trainConfigFromDump(manifest.config), seed: 0 }
  const problems = validateTrainConfig(config)
  if (problems.length) throw new UserError(`${opts.dir}/manifest.json: config is not usable: ${problems.join('; ')}`)
  checkDatasetFits(loadDatasetIndex(db, dataset.id, 'all', 'hand+imported'), { config })
  const unknown: string[] = []
  const entries: DumpEntry[] = manifest.weights.flatMap((w) => {
    const name = w.name ?? (w.upstream ? upstreamToName(w.model, w.upstream) : null)
    if (!name) {
      if (!w.upstream?.endsWith('num_batches_tracked')) unknown.push(`${w.model}/${w.upstream}`)
      return []
    }
    return [{ ...w, name }]
  })
  if (unknown.length) throw new UserError(`${opts.dir}: keys with no CP-CSV counterpart: ${unknown.slice(0, 8).join(', ')}`)
  await initBackend('auto')
  const models = createCpcsv(config, { seed: 0, zeroInit: false })
  const optimisers = createOptimisers(models, config)
  try {
    let report
    try {
      report = loadPytorchWeights(models, entries, readBlob(opts.dir, 'weights_before.bin'), false)
    } catch (e) {
      throw new UserError(`${opts.dir}: ${(e as Error).message}`)
    }
    const missingG = report.missing.filter((k) => k.startsWith('G/'))
    if (missingG.length) throw new UserError(`${opts.dir}: the generator is incomplete, missing ${missingG.slice(0, 8).join(', ')}`)
    const name = opts.name?.trim() || `imported-${dataset.name}`
    const runId = insertRun(db, { name, datasetId: dataset.id, datasetName: dataset.name, split: 'train', preset: 'custom', config: { ...config, importedFrom: opts.dir }, totalSteps: 0 })
    const folder = join(workspace, 'runs', `${runId}-${name.replace(/[^\w.+-]+/g, '_')}`)
    mkdirSync(join(folder, 'checkpoints'), { recursive: true })
    setRunFolder(db, runId, relative(workspace, folder))
    writeFileSync(join(folder, 'config.json'), `${JSON.stringify({ config, importedFrom: opts.dir, missingDiscriminators: report.missing.filter((k) => !k.startsWith('G/')).length }, null, 2)}\n`)
    const file = join(folder, 'checkpoints', 'step-0000000.ckpt')
    const bytes = writeCheckpoint(file, { step: 0, epoch: 0, seed: 0, config, weights: serialiseWeights(models), optimisers: serialiseOptimisers(models, optimisers), meta: { importedFrom: opts.dir } })
    db.prepare('INSERT INTO checkpoints (run_id, step, epoch, file, bytes, created_at) VALUES (?, 0, 0, ?, ?, ?)').run(runId, relative(folder, file), bytes, new Date().toISOString())
    setRunStatus(db, runId, 'finished')
    return getRun(db, runId)!
  } finally {
    disposeCpcsv(models, optimisers)
  }
}
