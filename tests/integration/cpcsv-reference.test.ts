/**
 * The TF.js CP-CSV against the PyTorch fixture `cpcsv-tiny`: one full training step from the
 * dump's weights, batch and noise, on the `cpu` backend (exact float32 kernels; about a minute).
 * Every recorded module activation, every loss term, every gradient the optimisers used and
 * every tensor after the step (weights, BatchNorm statistics, spectral-norm u / v) must be
 * within 1e-4 relative (max-norm) of PyTorch. Left out, as check-reference.ts documents: the
 * zero-true-gradient elements the fixture README names; after the step, elements whose Adam
 * step is decided by their (already compared) tiny gradients are held to 2 lr instead.
 */
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { type CheckReport, checkReference, formatCheckReport } from '../../src/main/training/model/check-reference'

const FIXTURE = path.resolve(__dirname, '../../../shared/fixtures/cpcsv-tiny')
const TOLERANCE = 1e-4

function failures(rows: CheckReport['activations']): string[] {
  return rows.filter((r) => !r.passed).map((r) => `${r.name}: ${r.maxRelError.toExponential(2)}`)
}

describe('CP-CSV tiny step equals the PyTorch reference (cpu)', () => {
  let report: CheckReport

  beforeAll(async () => {
    await tf.setBackend('cpu')
    report = await checkReference(FIXTURE, { tolerance: TOLERANCE })
    console.log(formatCheckReport(report))
  }, 600_000)

  it('records and matches every module activation', () => {
    expect(report.problems).toEqual([])
    expect(report.activations).toHaveLength(71)
    expect(failures(report.activations)).toEqual([])
  })

  it('matches every loss term', () => {
    expect(report.losses.map((r) => r.name).sort()).toEqual(
      ['D_img', 'D_seg', 'D_sty', 'G_img', 'G_seg', 'G_sty', 'G_total', 'KL_img', 'KL_sty']
    )
    expect(failures(report.losses)).toEqual([])
  })

  it('matches every gradient group', () => {
    expect(report.gradients).toHaveLength(107)
    expect(failures(report.gradients)).toEqual([])
    // Only the README's zero-gradient elements are left out of gradient rows.
    expect(report.gradients.every((r) => r.unresolved === 0)).toBe(true)
  })

  it('matches every tensor after Adam, BatchNorm and spectral-norm updates', () => {
    expect(report.weights).toHaveLength(191)
    expect(failures(report.weights)).toEqual([])
    const compared = report.weights.reduce((s, r) => s + r.compared, 0)
    const unresolved = report.weights.reduce((s, r) => s + r.unresolved, 0)
    // Tiny-gradient elements are a handful in ~5 million.
    expect(unresolved).toBeLessThan(1e-3 * compared)
    expect(report.passed).toBe(true)
  })
})
