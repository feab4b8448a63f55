import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UserError } from '../../../shared/result'
import type { RunSummary } from '../../../shared/domain'
import { Workbench } from '../../api/workbench'
import { findDatasetByName, getDataset, listDatasets } from '../../db/repos/dataset-repo'
import { findRunByName, getRun, listRuns } from '../../db/repos/run-repo'
import { defaultPresetFor } from '../../api/training-jobs'
import { generateDatasetStory } from '../../training/generate'
import { formatTable, intOption, progressPrinter, type Command, type CommandContext } from '../cli-kit'

const PRESETS = ['tiny', 'small', 'paper', 'clevr'] as const
const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const

function resolveRun(wb: Workbench, ref: string): RunSummary {
  const run = /^\d+$/.test(ref) ? getRun(wb.db, Number(ref)) : findRunByName(wb.db, ref)
  if (!run) throw new UserError(`run "${ref}" not found (see cpcsv runs)`)
  return run
}

function resolveDatasetId(wb: Workbench, ref: string): number {
  const d = /^\d+$/.test(ref) ? getDataset(wb.db, Number(ref)) : findDatasetByName(wb.db, ref)
  if (!d) throw new UserError(`dataset "${ref}" not found (have: ${listDatasets(wb.db).map((x) => x.name).join(', ') || 'none'})`)
  return d.id
}

/** Follows a run to its end with a progress bar; Ctrl-C stops it cooperatively (it checkpoints). */
async function follow(ctx: CommandContext, wb: Workbench, run: RunSummary): Promise<number> {
  const bar = progressPrinter(`train ${run.name}`)
  const off = wb.onEvent((e) => {
    if (e.type === 'training:progress' && e.runId === run.id) {
      const p = e.progress
      bar(p.step, p.totalSteps, `G ${p.losses.gTotal?.toFixed(3)} D ${p.losses.dImg?.toFixed(3)} ${p.itPerSec.toFixed(2)} it/s ETA ${Math.round(p.etaSec)} s`)
    }
    if (e.type === 'training:log' && e.runId === run.id) ctx.err(e.line)
  })
  const onSignal = (): void => {
    ctx.err('stopping: finishing the current step and writing a checkpoint (Ctrl-C again to abort)')
    process.once('SIGINT', () => process.exit(130))
    void wb.dispatchStop(run.id)
  }
  process.once('SIGINT', onSignal)
  const end = await wb.training.wait(run.id)
  process.off('SIGINT', onSignal)
  off()
  if (ctx.values.json) ctx.out(JSON.stringify(end, null, 2))
  else ctx.out(`run ${end.id} "${end.name}" ${end.status} at step ${end.step}/${end.totalSteps}${end.error ? `: ${end.error}` : ''} (${end.folder})`)
  return end.status === 'failed' ? 1 : 0
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train CP-CSV on a dataset, or resume a run',
  usage:
    'cpcsv train --dataset <name|id> [--preset tiny|small|paper|clevr] [--steps N] [--backend auto|tensorflow|wasm|cpu] [--seed N] [--split train|val|test|all] [--name <run>] [--checkpoint-every N] [--sample-every N] [--json] [--workspace <dir>]\n' +
    '       cpcsv train --resume <run> [--steps N]',
  options: {
    dataset: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' }, backend: { type: 'string' },
    seed: { type: 'string' }, split: { type: 'string' }, name: { type: 'string' }, resume: { type: 'string' },
    'checkpoint-every': { type: 'string' }, 'sample-every': { type: 'string' }, json: { type: 'boolean' }
  },
  async run(ctx) {
    const v = ctx.values
    const steps = intOption(v.steps, 'steps', 1, 100_000_000)
    const wb = new Workbench(ctx.workspace)
    try {
      if (v.resume) return await follow(ctx, wb, wb.training.resume(resolveRun(wb, v.resume as string).id, steps))
      if (!v.dataset) throw new UserError('train needs --dataset <name|id> (or --resume <run>)')
      const datasetId = resolveDatasetId(wb, v.dataset as string)
      const preset = (v.preset as string | undefined) ?? defaultPresetFor(getDataset(wb.db, datasetId)!.format)
      if (!(PRESETS as readonly string[]).includes(preset)) throw new UserError(`--preset must be one of ${PRESETS.join(', ')}`)
      const backend = (v.backend as string | undefined) ?? 'auto'
      if (!(BACKENDS as readonly string[]).includes(backend)) throw new UserError(`--backend must be one of ${BACKENDS.join(', ')}`)
      const split = (v.split as string | undefined) ?? 'train'
      if (!['train', 'val', 'test', 'all'].includes(split)) throw new UserError('--split must be train, val, test or all')
      const run = wb.training.start({
        datasetId,
        preset: preset as (typeof PRESETS)[number],
        steps: steps ?? 1000,
        seed: intOption(v.seed, 'seed', 0, 2 ** 31),
        backend: backend as (typeof BACKENDS)[number],
        split: split as 'train',
        name: v.name as string | undefined,
        checkpointEvery: intOption(v['checkpoint-every'], 'checkpoint-every', 1, 1e9),
        sampleEvery: intOption(v['sample-every'], 'sample-every', 1, 1e9)
      })
      ctx.err(`run ${run.id} "${run.name}" started in ${run.folder}`)
      return await follow(ctx, wb, run)
    } finally {
      await wb.close()
    }
  }
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list training runs',
  usage: 'cpcsv runs [--json] [--workspace <dir>]',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const wb = new Workbench(ctx.workspace)
    try {
      const runs = listRuns(wb.db)
      if (ctx.values.json) ctx.out(JSON.stringify(runs, null, 2))
      else if (!runs.length) ctx.out('no runs yet (try: cpcsv train --dataset demo-cartoon --preset tiny --steps 100)')
      else {
        const rows = [['ID', 'NAME', 'DATASET', 'PRESET', 'STATUS', 'STEP', 'BACKEND', 'FOLDER']]
        for (const r of runs) rows.push([String(r.id), r.name, r.datasetName, r.preset, r.status, `${r.step}/${r.totalSteps}`, r.backend ?? '-', r.folder])
        ctx.out(formatTable(rows))
      }
      return 0
    } finally {
      await wb.close()
    }
  }
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'generate a dataset story with a run checkpoint and write a PNG strip',
  usage: 'cpcsv generate --run <run>[:step] --story <id> --out story.png [--seed N] [--backend ...] [--workspace <dir>]',
  options: { run: { type: 'string' }, story: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' } },
  async run(ctx) {
    const v = ctx.values
    if (!v.run || !v.story || !v.out) throw new UserError('generate needs --run <run>[:step], --story <id> and --out <file.png>')
    const [ref, stepText] = (v.run as string).split(':')
    const wb = new Workbench(ctx.workspace)
    try {
      const run = resolveRun(wb, ref)
      const step = stepText === undefined ? undefined : intOption(stepText, 'run step', 0, 1e12)
      const story = intOption(v.story, 'story', 1, 1e12)!
      const r = await generateDatasetStory(wb.db, wb.paths.root, {
        runId: run.id, step, storyId: story, seed: intOption(v.seed, 'seed', 0, 2 ** 31), backend: (v.backend as 'auto') ?? 'auto'
      })
      const out = resolve(v.out as string)
      writeFileSync(out, r.png)
      ctx.out(`wrote ${out} (${r.width}x${r.height}: generated frames, generated masks, ground truth; checkpoint step ${r.step})`)
      return 0
    } finally {
      await wb.close()
    }
  }
}
