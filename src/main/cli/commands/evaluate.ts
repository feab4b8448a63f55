/**
 * `cpcsv evaluate` (FID, FSD, character accuracy, mask IoU of a run's checkpoints) and
 * `cpcsv classifier` (train a dataset's character classifier), both through the evaluation
 * worker as the Evaluate view uses it.
 */
import { EVAL_METRICS, type EvalMetric, type EvaluationJob, type EvaluationRecord } from '../../../shared/contract'
import type { RunSummary } from '../../../shared/domain'
import { UserError } from '../../../shared/result'
import { Workbench } from '../../api/workbench'
import { findDatasetByName, getDataset, listDatasets } from '../../db/repos/dataset-repo'
import { setEvaluationSettings } from '../../db/repos/evaluation-repo'
import { findRunByName, getRun } from '../../db/repos/run-repo'
import { formatTable, intOption, progressPrinter, type Command, type CommandContext } from '../cli-kit'
import { resolve } from 'node:path'

const SPLITS = ['train', 'val', 'test', 'all'] as const

function resolveRun(wb: Workbench, ref: string): RunSummary {
  const run = /^\d+$/.test(ref) ? getRun(wb.db, Number(ref)) : findRunByName(wb.db, ref)
  if (!run) throw new UserError(`run "${ref}" not found (see cpcsv runs)`)
  return run
}

function parseSteps(value: unknown): number[] | 'all' | 'latest' {
  if (value === undefined || value === 'latest') return 'latest'
  if (value === 'all') return 'all'
  return String(value)
    .split(',')
    .map((s) => intOption(s.trim(), 'checkpoint', 0, 1e12)!)
}

function parseMetrics(value: unknown): EvalMetric[] | undefined {
  if (value === undefined) return undefined
  const list = String(value).split(',').map((s) => s.trim()).filter(Boolean)
  const bad = list.filter((m) => !(EVAL_METRICS as readonly string[]).includes(m))
  if (bad.length || list.length === 0) throw new UserError(`--metrics takes a comma list of ${EVAL_METRICS.join(', ')}${bad.length ? `, got ${bad.join(', ')}` : ''}`)
  return list as EvalMetric[]
}

/** Follows a job to its end with a progress bar; Ctrl-C cancels it (finished checkpoints stay). */
async function follow(ctx: CommandContext, wb: Workbench, job: EvaluationJob, label: string): Promise<EvaluationJob> {
  const bar = progressPrinter(label)
  const off = wb.onEvent((e) => {
    if (e.type === 'evaluation:progress' && e.job.jobId === job.jobId && e.job.total > 0) bar(e.job.done, e.job.total, e.job.phase)
  })
  const onSignal = (): void => {
    ctx.err('cancelling after the current batch (Ctrl-C again to abort)')
    process.once('SIGINT', () => process.exit(130))
    wb.evaluations.cancel(job.jobId)
  }
  process.once('SIGINT', onSignal)
  try {
    return await wb.evaluations.wait(job.jobId)
  } finally {
    process.off('SIGINT', onSignal)
    off()
  }
}

const fmt = (r: EvaluationRecord | undefined, percent = false): string =>
  r === undefined ? '-' : percent ? `${(100 * r.value).toFixed(2)}%` : r.value.toPrecision(6)

function resultTable(records: EvaluationRecord[]): string {
  const rows = [['STEP', 'FID', 'FSD', 'CHAR-F1', 'FRAME-ACC', 'MASK-IOU']]
  for (const step of [...new Set(records.map((r) => r.step))]) {
    const of = (score: EvaluationRecord['score']) => records.find((r) => r.step === step && r.score === score)
    rows.push([String(step), fmt(of('fid')), fmt(of('fsd')), fmt(of('char_f1'), true), fmt(of('frame_acc'), true), fmt(of('mask_iou'))])
  }
  return formatTable(rows)
}

/** `cpcsv evaluate`: scores a run's checkpoints through the evaluation worker. */
export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "score a run's checkpoints: FID, FSD, character accuracy, mask IoU",
  usage:
    'cpcsv evaluate --run <run> [--checkpoint <step>[,<step>…]|latest|all] [--split test|val|train|all] [--metrics fid,fsd,char,mask]\n' +
    '               [--fid-model inception.onnx] [--fsd-model r2p1d18.onnx] [--fsd-compat] [--save-models] [--json] [--workspace <dir>]\n' +
    '  Without --metrics, every metric whose network file, classifier or ground truth is available is computed.\n' +
    '  --fsd-compat feeds R(2+1)D 64x64 clips without resize, as the reference does (bug B4): comparable with the paper.\n' +
    '  --save-models stores the given network paths (and --fsd-compat) in the workspace for later runs and the Evaluate view.',
  options: {
    run: { type: 'string' }, checkpoint: { type: 'string' }, split: { type: 'string' }, metrics: { type: 'string' },
    'fid-model': { type: 'string' }, 'fsd-model': { type: 'string' }, 'fsd-compat': { type: 'boolean' },
    'save-models': { type: 'boolean' }, json: { type: 'boolean' }
  },
  async run(ctx) {
    const v = ctx.values
    if (!v.run) throw new UserError('evaluate needs --run <name|id> (see cpcsv runs)')
    const split = (v.split as string | undefined) ?? 'test'
    if (!(SPLITS as readonly string[]).includes(split)) throw new UserError(`--split must be one of ${SPLITS.join(', ')}`)
    const steps = parseSteps(v.checkpoint)
    const metrics = parseMetrics(v.metrics)
    const wb = new Workbench(ctx.workspace)
    try {
      const run = resolveRun(wb, v.run as string)
      const fidModel = v['fid-model'] ? resolve(v['fid-model'] as string) : undefined
      const fsdModel = v['fsd-model'] ? resolve(v['fsd-model'] as string) : undefined
      const fsdCompat = v['fsd-compat'] ? true : undefined
      if (v['save-models']) setEvaluationSettings(wb.db, { fidModel, fsdModel, fsdCompat })
      const job = wb.evaluations.start({ runId: run.id, steps, split: split as 'test', metrics, fidModel, fsdModel, fsdCompat })
      for (const note of job.notes) ctx.err(note)
      ctx.err(`evaluating run ${run.id} "${run.name}" at step ${job.steps.join(', ')} on the ${split} split: ${job.metrics.join(', ')}`)
      const end = await follow(ctx, wb, job, `evaluate ${run.name}`)
      if (v.json) ctx.out(JSON.stringify({ job: { ...end, results: undefined }, results: end.results }, null, 2))
      else if (end.results.length) ctx.out(resultTable(end.results))
      if (end.state === 'failed') throw new UserError(end.error ?? 'evaluation failed')
      if (end.state === 'cancelled') ctx.err(`cancelled; scores of ${new Set(end.results.map((r) => r.step)).size} checkpoint(s) were kept`)
      return end.state === 'finished' ? 0 : 1
    } finally {
      await wb.close()
    }
  }
}

/** `cpcsv classifier`: trains a dataset's character classifier. */
export const classifierCommand: Command = {
  name: 'classifier',
  summary: "train a dataset's character classifier (used for character accuracy)",
  usage: 'cpcsv classifier --dataset <name|id> [--epochs N] [--json] [--workspace <dir>]',
  options: { dataset: { type: 'string' }, epochs: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    const v = ctx.values
    if (!v.dataset) throw new UserError('classifier needs --dataset <name|id>')
    const epochs = intOption(v.epochs, 'epochs', 1, 500)
    const wb = new Workbench(ctx.workspace)
    try {
      const ref = v.dataset as string
      const dataset = /^\d+$/.test(ref) ? getDataset(wb.db, Number(ref)) : findDatasetByName(wb.db, ref)
      if (!dataset) throw new UserError(`dataset "${ref}" not found (have: ${listDatasets(wb.db).map((d) => d.name).join(', ') || 'none'})`)
      const end = await follow(ctx, wb, wb.evaluations.trainClassifier(dataset.id, epochs), `classifier ${dataset.name}`)
      if (end.state === 'failed') throw new UserError(end.error ?? 'classifier training failed')
      const c = end.classifier
      if (!c) return 1
      if (v.json) ctx.out(JSON.stringify(c, null, 2))
      else {
        const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
        ctx.out(`classifier of "${dataset.name}": ${c.trainFrames} training frames, ${c.epochs} epochs`)
        ctx.out(`held out (${c.heldOutFrames} frames, ${c.heldOutFrom}): frame accuracy ${pct(c.heldOut.frameAcc)}, micro F1 ${pct(c.heldOut.microF1)}, macro F1 ${pct(c.heldOut.macroF1)}`)
        ctx.out(`constant-prediction baseline: frame accuracy ${pct(c.baseline.frameAcc)}, micro F1 ${pct(c.baseline.microF1)}`)
      }
      return 0
    } finally {
      await wb.close()
    }
  }
}
