/**
 * The Evaluate view in Chromium against serve mode: network files (found / missing), the
 * character classifier trained from the UI with its held-out accuracy, a tiny run's checkpoints
 * scored with progress, the scores table with the papers' reference rows, a chart per metric,
 * and the error for a missing network file.
 */
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { Workbench } from '../../src/main/api/workbench'
import { demoWorkbench } from '../helpers/api'
import type { RunningServer } from '../../src/main/server/serve'
import { closeAll, serveAndOpen, shot } from '../helpers/browser'

const FSD_MODEL = join(resolve(__dirname, '../../../shared/fixtures/fsd'), 'r2p1d18_w4_seed0.onnx')
let browser: Browser
let page: Page
let wb: Workbench
let server: RunningServer
let cleanup: () => Promise<void>
const pageErrors: string[] = []

beforeAll(async () => {
  let datasetId: number
  ;({ wb, datasetId, cleanup } = await demoWorkbench(40, 1))
  const run = wb.training.start({
    datasetId, name: 'e2e-run', preset: 'tiny', overrides: { gfDim: 4, gfSegDim: 16, dfDim: 2 }, steps: 2, seed: 1,
    backend: 'wasm', tickSteps: 1, checkpointEvery: 1, sampleEvery: 100, split: 'train'
  })
  expect((await wb.training.wait(run.id)).status).toBe('finished')
  ;({ server, browser, page } = await serveAndOpen(wb, { width: 1280, height: 900 }, pageErrors))
})
afterAll(() => closeAll({ browser, server, cleanup }))

describe('Evaluate view in Chromium against serve mode', () => {
  it('shows which network files are set, found or missing, and the reference rows', async () => {
    await page.goto(server.startUrl)
    await page.getByTestId('nav-evaluate').click()
    await page.getByTestId('view-evaluate').waitFor()
    await expect(page.getByTestId('eval-fsd-state').textContent()).resolves.toBe('not set')
    await page.getByTestId('eval-fsd-model').fill(FSD_MODEL)
    await page.getByTestId('eval-fsd-compat').check()
    await page.getByTestId('eval-fid-model').fill('/no/such/inception.onnx')
    await page.getByTestId('eval-models-save').click()
    await page.getByTestId('eval-fsd-state').getByText('found').waitFor()
    await expect(page.getByTestId('eval-fid-state').textContent()).resolves.toBe('file not found')
    await expect(page.getByTestId('eval-model-note-fid').textContent()).resolves.toMatch(/file not found: \/no\/such\/inception\.onnx/)
    const cpcsv = await page.getByTestId('eval-ref-CP-CSV-cpcsv').textContent()
    expect(cpcsv).toMatch(/reference\s*CP-CSV \(paper, CP-CSV protocol\)\s*67\.70\s*71\.51/)
    await expect(page.getByTestId('eval-ref-StoryGAN-duco').textContent()).resolves.toMatch(/158\.06.*18\.59%.*9\.34%/)
    await shot(page, 'evaluate-01-models')
  })

  it('trains the character classifier and shows its held-out accuracy', async () => {
    await page.getByTestId('eval-classifier-none').waitFor()
    await page.getByTestId('eval-classifier-epochs').fill('3')
    await page.getByTestId('eval-classifier-train').click()
    await page.getByTestId('eval-classifier-info').waitFor({ timeout: 120_000 })
    await expect(page.getByTestId('eval-classifier-info').textContent()).resolves.toMatch(/held-out frame accuracy \(baseline [\d.]+%\).*held-out micro F1/)
  })

  it('scores every checkpoint with progress, then shows the table and a chart per metric', async () => {
    await expect(page.getByTestId('eval-run-e2e-run').locator('input').isChecked()).resolves.toBe(true)
    await page.getByTestId('eval-checkpoints').selectOption('all')
    await page.getByTestId('eval-metric-fid').uncheck()
    await page.getByTestId('eval-start').click()
    await page.getByTestId('eval-progress').waitFor()
    await shot(page, 'evaluate-02-running')
    await page.getByTestId('eval-job-finished').waitFor({ timeout: 120_000 })
    for (const step of [1, 2]) {
      const row = page.getByTestId(`eval-row-e2e-run-${step}`)
      await row.waitFor()
      await expect(row.getByTestId('eval-cell-fsd').textContent()).resolves.toMatch(/^\d+\.\d\d$/)
      await expect(row.getByTestId('eval-cell-char_f1').textContent()).resolves.toMatch(/^\d+\.\d\d%$/)
      await expect(row.getByTestId('eval-cell-mask_iou').textContent()).resolves.toMatch(/^\d\.\d{3}$/)
      await expect(row.getByTestId('eval-cell-fid').textContent()).resolves.toBe('—')
    }
    for (const score of ['fsd', 'char_f1', 'frame_acc', 'mask_iou']) {
      const chart = page.getByTestId(`eval-chart-${score}`)
      await expect(chart.getAttribute('data-points')).resolves.toBe('2')
      expect(await chart.locator('canvas').count()).toBeGreaterThan(0)
    }
    await shot(page, 'evaluate-03-results')
  })

  it('says clearly when a metric\'s network file is missing', async () => {
    await page.getByTestId('eval-metric-fid').check()
    await page.getByTestId('eval-start').click()
    await expect(page.getByTestId('eval-error').textContent()).resolves.toMatch(/FID: its network file was not found: \/no\/such\/inception\.onnx/)
    await shot(page, 'evaluate-04-missing-model')
    expect(pageErrors).toEqual([])
  })
})
