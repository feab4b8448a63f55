/**
 * Equality check of the TF.js CP-CSV against a PyTorch reference dump (fixture format): loads
 * the dump's weights, runs one full training step on its batch and noise, and compares every
 * recorded module activation, every loss term, every gradient the optimisers used and every
 * tensor after the step (weights, BatchNorm running statistics, spectral-norm u / v).
 *
 * Error measure: for each tensor, max |ours - ref| / max |ref| over the compared elements
 * (a relative error in the max norm, so near-zero elements do not blow it up); for losses
 * |ours - ref| / |ref|. Elements whose true gradient is zero (reference 11.8) are left out of
 * the gradient and after-step comparisons: there rounding noise becomes +-lr Adam steps of
 * random sign in either implementation.
 *
 * Two more things keep the check about this implementation rather than about float noise:
 * - Unresolved gradients. Adam's first step is lr * g / (|g| + eps): for an element with a
 *   tiny gradient the size (even the sign) of the step is decided by rounding. Where our and the
 *   reference gradient (compared in their own rows) imply steps that differ by more than half
 *   the tolerance budget, the element is checked after the step only against |ours - ref| <= 2 lr
 *   and counted in `unresolved`.
 * - Resynchronisation (`resync`, default on). After our D updates are recorded, D's trainable
 *   weights are set to the dump's post-step values before the G phase, so the G phase sees the
 *   reference's D. Without it, the few unresolved D elements (and the +-lr noise on zero-gradient
 *   elements) reach G: D_SEG's features of early fake masks are badly conditioned (near-constant
 *   channels that BatchNorm amplifies), and one D_SEG weight off by 1e-5 moves G's mask-branch
 *   gradients by ~1e-2 relative. BatchNorm statistics and spectral-norm u / v are never reset.
 */
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { registerCpuKernels } from '../engine/cpu-kernels'
import { disposeBatch, disposeStepNoise } from './batch'
import { createCpcsv, createOptimisers, disposeCpcsv, networks, type CpcsvModels } from './cpcsv'
import { type ParamEntry, fromTorch, toTorch } from './params'
import {
  type DumpManifest, entriesByKey, entryData, loadPytorchWeights, readBlob, readDumpManifest, torchValues, trainConfigFromDump
} from './pytorch-import'
import { batchFromDump, constantColumns, dumpConditions, noiseFromDump, readDumpArray, zeroGradientMask } from './reference-dump'
import { Tracer } from './tracer'
import { type StepLosses, trainStep } from './train-step'

/** Options of checkReference. */
export interface CheckOptions {
  /** Pass threshold on the relative error (default 1e-4). */
  tolerance?: number
  /** Give the G phase the dump's post-step D weights (default true; see the file comment). */
  resync?: boolean
  /** Progress lines (phase names, timings). */
  log?: (line: string) => void
}

/** The comparison of one tensor (or loss). */
export interface CheckRow {
  name: string
  /** max |ours - ref| / max |ref| over compared elements. */
  maxRelError: number
  maxAbsError: number
  compared: number
  /** Elements left out (zero true gradient). */
  excluded: number
  /** Elements checked only against the 2 lr bound (unresolved gradient, after-step rows). */
  unresolved: number
  passed: boolean
}

/** Everything checkReference compared; `passed` is the verdict. */
export interface CheckReport {
  dir: string
  backend: string
  tolerance: number
  passed: boolean
  activations: CheckRow[]
  losses: CheckRow[]
  gradients: CheckRow[]
  /** Every tensor after the step, in dump order. */
  weights: CheckRow[]
  /** Dump entries that could not be compared, and other problems (each fails the check). */
  problems: string[]
  /** Whether the G phase ran on the dump's post-step D weights. */
  resync: boolean
  /** Milliseconds of the training step alone. */
  stepMs: number
  totalMs: number
}

/** Dump loss key -> StepLosses field. */
const LOSS_FIELDS: Record<string, keyof StepLosses> = {
  D_seg: 'dSeg', D_img: 'dImg', D_sty: 'dSty', G_total: 'gTotal', G_img: 'gImg', G_sty: 'gSty',
  G_seg: 'gSeg', KL_img: 'klImg', KL_sty: 'klSty'
}

/** Elements checked against an absolute bound instead of the relative tolerance. */
export interface BoundedElements {
  mask: Uint8Array
  bound: number
}

/**
 * Compares ours against ref, skipping elements where exclude[i] is 1 and checking elements in
 * `bounded` only against |ours - ref| <= bound.
 */
export function compareArrays(
  name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, tolerance: number,
  exclude?: Uint8Array | null, bounded?: BoundedElements | null
): CheckRow {
  if (ours.length !== ref.length) {
    return { name, maxRelError: Infinity, maxAbsError: Infinity, compared: 0, excluded: 0, unresolved: 0, passed: false }
  }
  let maxAbs = 0
  let maxRef = 0
  let compared = 0
  let excluded = 0
  let unresolved = 0
  let boundOk = true
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i])
    if (exclude && exclude[i]) {
      excluded++
    } else if (bounded && bounded.mask[i]) {
      unresolved++
      if (!(d <= bounded.bound)) boundOk = false
    } else {
      compared++
      if (!(d <= maxAbs)) maxAbs = d // also catches NaN
      maxRef = Math.max(maxRef, Math.abs(ref[i]))
    }
  }
  const rel = maxAbs === 0 ? 0 : maxAbs / Math.max(maxRef, 1e-30)
  return { name, maxRelError: rel, maxAbsError: maxAbs, compared, excluded, unresolved, passed: rel <= tolerance && boundOk }
}

function constantConditionColumns(dir: string, models: CpcsvModels): Partial<Record<string, number[]>> {
  const conds = dumpConditions(dir, models.config)
  const image = constantColumns(conds.image.shape[0], conds.image.shape[1], conds.image.data)
  const story = constantColumns(conds.story.shape[0], conds.story.shape[1], conds.story.data)
  return { D_img: image, D_seg: image, D_sty: story }
}

interface StepRecord {
  tracer: Tracer
  /** Our gradients, PyTorch layout, by `<model>/<name>`. */
  grads: Map<string, Float32Array>
  /** Our D trainable weights right after the D updates, PyTorch layout. */
  dPhase: Map<string, Float32Array>
  losses: StepLosses
  ms: number
}

/** Sets D's trainable weights to the dump's post-step values (see `resync`). */
function resyncDiscriminators(models: CpcsvModels, manifest: DumpManifest, after: Uint8Array): void {
  const entries = entriesByKey(models)
  for (const w of manifest.weights) {
    const e = entries.get(`${w.model}/${w.name}`)
    if (!e || w.model === 'G' || !e.trainable) continue
    tf.tidy(() => e.variable.assign(tf.tensor(fromTorch(e, entryData(after, w)), e.variable.shape)))
  }
}

/** Runs the step, collecting activations, gradients and D's post-update weights. */
function runStep(models: CpcsvModels, dir: string, manifest: DumpManifest, resync: boolean): StepRecord {
  const byVariable = new Map<string, ParamEntry & { model: string }>()
  for (const { model, store } of networks(models)) {
    for (const e of store.entries.values()) byVariable.set(e.variable.name, { ...e, model })
  }
  const grads = new Map<string, Float32Array>()
  const dPhase = new Map<string, Float32Array>()
  const tracer = new Tracer()
  const batch = batchFromDump(dir, models.config)
  const noise = noiseFromDump(dir)
  const optimisers = createOptimisers(models)
  try {
    const start = performance.now()
    const losses = trainStep(models, optimisers, batch, noise, {
      trace: tracer,
      onGradients: (_model, g) => {
        for (const [varName, t] of Object.entries(g)) {
          const e = byVariable.get(varName)
          if (e) grads.set(`${e.model}/${e.name}`, toTorch(e, t.dataSync() as Float32Array))
        }
      },
      betweenPhases: () => {
        for (const e of byVariable.values()) {
          if (e.model !== 'G' && e.trainable) dPhase.set(`${e.model}/${e.name}`, torchValues(e))
        }
        if (resync) resyncDiscriminators(models, manifest, readBlob(dir, 'weights_after.bin'))
      }
    })
    return { tracer, grads, dPhase, losses, ms: performance.now() - start }
  } finally {
    disposeBatch(batch)
    disposeStepNoise(noise)
    for (const o of [optimisers.g, optimisers.dImg, optimisers.dSty, optimisers.dSeg]) o?.dispose()
  }
}

function compareActivations(dir: string, manifest: DumpManifest, tracer: Tracer, tol: number, problems: string[]): CheckRow[] {
  const rows: CheckRow[] = []
  for (const a of manifest.activations) {
    const ours = tracer.records.get(a.name)
    const file = path.join('act', `${a.name}.npy`)
    if (!ours || !existsSync(path.join(dir, file))) {
      problems.push(`activation ${a.name}: ${ours ? 'no reference file' : 'not recorded'}`)
      continue
    }
    if (ours.size !== a.shape.reduce((x, y) => x * y, 1)) {
      problems.push(`activation ${a.name}: shape [${ours.shape}] vs [${a.shape}]`)
      continue
    }
    rows.push(compareArrays(a.name, ours.dataSync(), readDumpArray(dir, file).data, tol))
  }
  return rows
}

/**
 * Elements whose after-step difference is explained by the gradient difference alone: Adam's
 * first step is lr * g / (|g| + eps), so where our and the reference gradient give steps that
 * differ by more than half the tolerance budget, the weight cannot be compared more tightly
 * than its gradient already was (tiny or sign-ambiguous gradients).
 */
function unresolvedElements(ours: Float32Array, ref: Float32Array, lr: number, eps: number, budget: number, zero: Uint8Array | null): Uint8Array {
  const mask = new Uint8Array(ref.length)
  for (let i = 0; i < ref.length; i++) {
    if (zero && zero[i]) continue
    const step = lr * Math.abs(ours[i] / (Math.abs(ours[i]) + eps) - ref[i] / (Math.abs(ref[i]) + eps))
    if (step > budget) mask[i] = 1
  }
  return mask
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]))
  return m
}

function compareTables(
  models: CpcsvModels, dir: string, manifest: DumpManifest, step: StepRecord, tol: number, problems: string[]
): { gradients: CheckRow[]; weights: CheckRow[] } {
  const entries = entriesByKey(models)
  const columns = constantConditionColumns(dir, models)
  const gradBlob = readBlob(dir, 'grads.bin')
  const afterBlob = readBlob(dir, 'weights_after.bin')
  const gradients: CheckRow[] = []
  const unresolved = new Map<string, Uint8Array>()
  for (const g of manifest.grads) {
    const key = `${g.model}/${g.name}`
    const ours = step.grads.get(key)
    if (!ours) {
      problems.push(`gradient ${key}: not computed`)
      continue
    }
    const ref = entryData(gradBlob, g)
    const zero = zeroGradientMask(g, manifest, columns)
    gradients.push(compareArrays(key, ours, ref, tol, zero))
    const w = manifest.weights.find((x) => x.model === g.model && x.name === g.name)
    if (w) {
      const lr = g.model === 'G' ? models.config.lrG : models.config.lrD
      const budget = 0.5 * tol * maxAbs(entryData(afterBlob, w))
      unresolved.set(key, unresolvedElements(ours, ref, lr, models.config.adamEps, budget, zero))
    }
  }
  const weights: CheckRow[] = []
  for (const w of manifest.weights) {
    const key = `${w.model}/${w.name}`
    const e = entries.get(key)
    if (!e) {
      problems.push(`tensor ${key}: not in the model`)
      continue
    }
    const ours = step.dPhase.get(key) ?? torchValues(e)
    const lr = w.model === 'G' ? models.config.lrG : models.config.lrD
    const mask = unresolved.get(key)
    const bounded = mask ? { mask, bound: 2 * lr * (1 + 1e-3) } : null
    weights.push(compareArrays(key, ours, entryData(afterBlob, w), tol, zeroGradientMask(w, manifest, columns), bounded))
  }
  return { gradients, weights }
}

/**
 * Runs the comparison on the dump in `dir` with the current TF.js backend (on `cpu` the
 * project's kernel fixes are registered first) and reports every row; `passed` is true when
 * every row is within tolerance and nothing was missing.
 */
export async function checkReference(dir: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const tol = opts.tolerance ?? 1e-4
  const log = opts.log ?? ((): void => undefined)
  const t0 = performance.now()
  await tf.ready()
  // The stock cpu ResizeNearestNeighborGrad is wrong for batch > 1 (engine/cpu-kernels.ts), and
  // its Conv2DBackpropFilter is ~50x slower than needed (bit-identical replacement).
  registerCpuKernels()
  const manifest = readDumpManifest(dir)
  const config = trainConfigFromDump(manifest.config)
  const models = createCpcsv(config, { zeroInit: true })
  const problems: string[] = []
  try {
    loadPytorchWeights(models, manifest.weights, readBlob(dir, 'weights_before.bin'))
    log(`loaded ${manifest.weights.length} tensors; running one step on ${tf.getBackend()}`)
    const resync = opts.resync ?? true
    const step = runStep(models, dir, manifest, resync)
    const { tracer, losses, ms } = step
    log(`step took ${(ms / 1000).toFixed(1)} s`)
    try {
      const activations = compareActivations(dir, manifest, tracer, tol, problems)
      const lossRows = Object.entries(manifest.losses).map(([k, ref]) => {
        const field = LOSS_FIELDS[k]
        if (!field) problems.push(`loss ${k}: unknown`)
        return compareArrays(k, [field ? (losses[field] ?? NaN) : NaN], [ref], tol)
      })
      const { gradients, weights } = compareTables(models, dir, manifest, step, tol, problems)
      const all = [...activations, ...lossRows, ...gradients, ...weights]
      const passed = problems.length === 0 && all.every((r) => r.passed)
      return {
        dir, backend: tf.getBackend(), tolerance: tol, passed, activations, losses: lossRows, gradients, weights,
        problems, resync, stepMs: ms, totalMs: performance.now() - t0
      }
    } finally {
      tracer.dispose()
    }
  } finally {
    disposeCpcsv(models)
  }
}

function worst(rows: CheckRow[]): CheckRow | undefined {
  return rows.reduce<CheckRow | undefined>((w, r) => (!w || r.maxRelError > w.maxRelError ? r : w), undefined)
}

/** A readable summary: per section the count, failures and the worst row; then every failure. */
export function formatCheckReport(report: CheckReport): string {
  const lines = [
    `CP-CSV reference check ${report.passed ? 'PASSED' : 'FAILED'} (${report.dir}, backend ${report.backend}, ` +
      `tolerance ${report.tolerance}, ${report.resync ? 'D resynchronised before G' : 'phases chained'}, step ${(report.stepMs / 1000).toFixed(1)} s, total ${(report.totalMs / 1000).toFixed(1)} s)`
  ]
  const sections: [string, CheckRow[]][] = [
    ['activations', report.activations], ['losses', report.losses], ['gradients', report.gradients], ['after step', report.weights]
  ]
  for (const [title, rows] of sections) {
    const w = worst(rows)
    const failed = rows.filter((r) => !r.passed).length
    const excluded = rows.reduce((s, r) => s + r.excluded, 0)
    const unresolved = rows.reduce((s, r) => s + r.unresolved, 0)
    lines.push(`  ${title.padEnd(12)} ${rows.length} compared, ${failed} failed` +
      (excluded ? `, ${excluded} zero-gradient elements left out` : '') +
      (unresolved ? `, ${unresolved} unresolved-gradient elements held to 2 lr` : '') +
      (w ? `; worst ${w.name} rel ${w.maxRelError.toExponential(2)} (abs ${w.maxAbsError.toExponential(2)})` : ''))
  }
  for (const [title, rows] of sections) {
    for (const r of rows.filter((x) => !x.passed)) {
      lines.push(`  FAIL ${title}: ${r.name} rel ${r.maxRelError.toExponential(2)} abs ${r.maxAbsError.toExponential(2)}`)
    }
  }
  for (const p of report.problems) lines.push(`  PROBLEM ${p}`)
  return lines.join('\n')
}
