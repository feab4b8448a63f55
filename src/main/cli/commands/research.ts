import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UserError } from '../../../shared/result'
import { readNpy } from '../../datasets/npy'
import { frechetFromFeatures } from '../../evaluation/frechet'
import type { Command } from '../cli-kit'

function featuresOf(path: string): { data: Float32Array | Float64Array; n: number; dim: number } {
  const file = resolve(path)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`)
  }
  const arr = readNpy(bytes, file)
  if (arr.shape.length !== 2) throw new UserError(`${file}: expected a 2-D array (samples × features), found shape (${arr.shape.join(', ')})`)
  const data = arr.data instanceof Float32Array || arr.data instanceof Float64Array ? arr.data : Float64Array.from(arr.data as ArrayLike<number>, Number)
  return { data, n: arr.shape[0], dim: arr.shape[1] }
}

export const frechetCommand: Command = {
  name: 'frechet',
  summary: 'Fréchet distance of two feature sets (.npy, rows are samples), as pytorch-fid computes it',
  usage: 'cpcsv frechet <a.npy> <b.npy> [--json]',
  options: { json: { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 2) throw new UserError('frechet takes two .npy files')
    const a = featuresOf(ctx.positionals[0])
    const b = featuresOf(ctx.positionals[1])
    const t0 = performance.now()
    const d = frechetFromFeatures(a, b)
    const ms = performance.now() - t0
    if (ctx.values.json) ctx.out(JSON.stringify({ frechet: d, a: { n: a.n, dim: a.dim }, b: { n: b.n, dim: b.dim }, ms }))
    else ctx.out(String(d))
    return 0
  }
}

export const checkReferenceCommand: Command = {
  name: 'check-reference',
  summary: 'compare the TF.js CP-CSV with a PyTorch dump (weights, one step, activations, gradients)',
  usage: 'cpcsv check-reference <dir> [--tolerance 1e-4] [--backend cpu|wasm] [--json]',
  options: { tolerance: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UserError('check-reference takes one dump folder')
    const tolerance = ctx.values.tolerance === undefined ? 1e-4 : Number(ctx.values.tolerance)
    if (!(tolerance > 0)) throw new UserError('--tolerance must be a positive number')
    const { initBackend } = await import('../../training/engine/backend')
    await initBackend(((ctx.values.backend as string | undefined) ?? 'cpu') as 'cpu')
    const { checkReference, formatCheckReport } = await import('../../training/model/check-reference')
    const report = await checkReference(resolve(ctx.positionals[0]), { tolerance, log: (l) => ctx.err(l) })
    ctx.out(ctx.values.json ? JSON.stringify(report, null, 2) : formatCheckReport(report))
    return report.passed ? 0 : 1
  }
}

export const importWeightsCommand: Command = {
  name: 'import-weights',
  summary: 'import upstream CP-CSV PyTorch weights (see tools/export_cpcsv_state_dict.py) as a run',
  usage: 'cpcsv import-weights <dir> --dataset <name|id> [--name <run>] [--json] [--workspace <dir>]',
  options: { dataset: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1 || !ctx.values.dataset) throw new UserError('import-weights takes a folder and --dataset <name|id>')
    const { Workbench } = await import('../../api/workbench')
    const { findDatasetByName, getDataset } = await import('../../db/repos/dataset-repo')
    const { importUpstreamWeights } = await import('../../training/import-weights')
    const wb = new Workbench(ctx.workspace)
    try {
      const ref = ctx.values.dataset as string
      const d = /^\d+$/.test(ref) ? getDataset(wb.db, Number(ref)) : findDatasetByName(wb.db, ref)
      if (!d) throw new UserError(`dataset "${ref}" not found`)
      const run = await importUpstreamWeights(wb.db, wb.paths.root, { dir: resolve(ctx.positionals[0]), datasetId: d.id, name: ctx.values.name as string | undefined })
      ctx.out(ctx.values.json ? JSON.stringify(run, null, 2) : `imported as run ${run.id} "${run.name}" (${run.folder}); try: cpcsv generate --run ${run.id} --story <id> --out story.png`)
      return 0
    } finally {
      await wb.close()
    }
  }
}
