import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Download, Page } from 'playwright-core'
import type { Workbench } from '../../src/main/api/workbench'
import { callTyped, demoWorkbench } from '../helpers/api'
import type { RunningServer } from '../../src/main/server/serve'
import type { Channel, ReplyOf, RequestOf } from '../../src/shared/contract'
import { closeAll, serveAndOpen, shot } from '../helpers/browser'

let browser: Browser
let page: Page
let wb: Workbench
let server: RunningServer
let cleanup: () => Promise<void>
let datasetId: number
let runId: number
let secondId: number
const pageErrors: string[] = []

const call = <C extends Channel>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>> => callTyped(wb, channel, request)

const testid = (id: string) => page.getByTestId(id)
const points = async (chart: string): Promise<number> => Number(await testid(chart).getAttribute('data-points'))
const stepShown = async (): Promise<number> => Number(/step ([\d,]+)/.exec((await testid('run-step').textContent()) ?? '')![1].replace(/,/g, ''))

/** Waits until every canvas row of a story card has been drawn from its strip. */
async function drawn(card: string): Promise<void> {
  await expect.poll(async () => page.locator(`[data-testid=${card}] .strip-rows`).evaluateAll((els) => els.length > 0 && els.every((e) => e.getAttribute('data-loaded') === 'true')), { timeout: 20_000 }).toBe(true)
}

async function downloaded(trigger: () => Promise<void>): Promise<Buffer> {
  const [download] = (await Promise.all([page.waitForEvent('download'), trigger()])) as [Download, void]
  return readFileSync((await download.path())!)
}

beforeAll(async () => {
  ;({ wb, datasetId, cleanup } = await demoWorkbench(16, 2))
  ;({ server, browser, page } = await serveAndOpen(wb, { width: 1360, height: 900 }, pageErrors))
})
afterAll(() => closeAll({ browser, server, cleanup }))

describe('Train and Stories views in Chromium against serve mode', () => {
  it('checks hyperparameters as they are typed, and the API refuses what does not fit', async () => {
    await page.goto(`${server.startUrl}#/train/new`)
    await testid('run-form').waitFor()
    await expect.poll(() => testid('run-dataset').inputValue()).toBe(String(datasetId))
    await testid('hp-gfDim').fill('3')
    await testid('hp-lrG').fill('fast')
    await expect(testid('hp-error-gfDim').textContent()).resolves.toMatch(/gfDim must be even/)
    await expect(testid('hp-error-lrG').textContent()).resolves.toMatch(/lrG must be a number/)
    await testid('run-steps').fill('0')
    await expect(testid('run-error-steps').textContent()).resolves.toMatch(/Steps must be between 1 and/)
    expect(await testid('run-start').isDisabled()).toBe(true)
    await shot(page, 'train-01-form-invalid')
    await testid('hp-reset-gfDim').click()
    await testid('hp-reset-lrG').click()
    await testid('run-steps').fill('10')
    // A preset that does not fit the dataset: warned in the form, refused by the API.
    await testid('run-preset').selectOption('clevr')
    await expect(testid('run-fit').textContent()).resolves.toMatch(/356-d text vectors; this config expects textDim 75/)
    await testid('run-start').click()
    await expect(testid('run-form-error').textContent()).resolves.toMatch(/does not fit preset clevr: text vectors of 356 dims, the model expects 75/)
    await expect(call('training:start', { datasetId, preset: 'tiny', steps: 5, overrides: { gfDim: 3 } })).rejects.toThrow(
      /invalid_request: invalid training settings: gfDim must be even/
    )
    expect(await call('runs:list', {})).toEqual([])
  })

  it('starts a tiny run from the form and streams charts, sample stories and the log', async () => {
    await testid('run-preset').selectOption('tiny')
    const fields: Record<string, string> = { 'hp-gfDim': '4', 'hp-gfSegDim': '16', 'hp-dfDim': '2', 'run-steps': '400', 'run-tickSteps': '2', 'run-sampleEvery': '4', 'run-checkpointEvery': '4', 'run-sampleStories': '2', 'run-seed': '5', 'run-name': 'e2e-tiny' }
    for (const [id, value] of Object.entries(fields)) await testid(id).fill(value)
    await testid('run-split').selectOption('all')
    await testid('run-backend').selectOption('wasm')
    await expect(testid('run-form-problems').count()).resolves.toBe(0)
    await shot(page, 'train-02-form')
    await testid('run-start').click()
    await page.waitForURL(/#\/train\/run\/\d+$/)
    runId = Number(/run\/(\d+)$/.exec(page.url())![1])
    await testid(`run-monitor-${runId}`).waitFor()
    await expect.poll(() => points('chart-g-total'), { timeout: 120_000 }).toBeGreaterThanOrEqual(3)
    await expect.poll(() => points('chart-d-img'), { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    await page.locator('[data-testid=latest-sample-0] img').waitFor({ timeout: 60_000 })
    await expect.poll(() => page.locator('[data-testid=latest-sample-0] img').evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth), { timeout: 20_000 }).toBe(320)
    await expect.poll(async () => (await testid('log-tail').textContent()) ?? '').toMatch(/sample stories written at step \d+/)
    expect(await testid('monitor-status').textContent()).toMatch(/running/)
    await shot(page, 'train-03-live')
  })

  it('refuses a second run while one trains, and says why', async () => {
    await testid('run-start-from').click()
    await testid('run-form').waitFor()
    await expect(testid('from-run').textContent()).resolves.toMatch(/e2e-tiny/)
    await testid('form-active-run').waitFor()
    expect(await testid('hp-gfDim').inputValue()).toBe('4') // settings carried over from the run
    await testid('run-start').click()
    await expect(testid('run-form-error').textContent()).resolves.toMatch(/run "e2e-tiny" is training; stop it \(or wait for it\) before starting another/)
    await shot(page, 'train-04-refused')
    await testid(`run-item-${runId}`).click()
    await testid(`run-monitor-${runId}`).waitFor()
  })

  it('stops the run, resumes it with more steps, and the step continues', async () => {
    await testid('run-stop').click()
    await expect.poll(async () => testid('monitor-status').textContent(), { timeout: 120_000 }).toMatch(/stopped/)
    await expect.poll(stepShown, { timeout: 10_000 }).toBeGreaterThan(0)
    const stoppedAt = (await call('runs:get', { id: runId })).step
    expect(await stepShown()).toBe(stoppedAt)
    const before = await points('chart-g-total')
    await testid('resume-steps').fill('6')
    await testid('run-resume').click()
    await expect.poll(async () => testid('monitor-status').textContent(), { timeout: 120_000 }).toMatch(/finished/)
    await expect.poll(stepShown, { timeout: 10_000 }).toBe(stoppedAt + 6)
    await expect.poll(() => points('chart-g-total'), { timeout: 10_000 }).toBeGreaterThan(before)
    await shot(page, 'train-05-resumed')
  })

  it('shows the full history from the database after a reload', async () => {
    const history = await call('runs:metrics', { runId })
    await page.reload()
    await testid(`run-monitor-${runId}`).waitFor()
    await expect.poll(() => points('chart-g-total'), { timeout: 10_000 }).toBe(history['loss/gTotal'].length)
    await expect.poll(() => points('chart-iou'), { timeout: 10_000 }).toBe(history['eval/mask_iou'].length)
  })

  it('overlays a metric of two runs and lists the settings that differ; deletes a run after confirmation', async () => {
    const second = await call('training:start', { datasetId, name: 'e2e-lr', preset: 'tiny', split: 'all', overrides: { gfDim: 4, gfSegDim: 16, dfDim: 2, lrG: 0.0004 }, steps: 8, seed: 5, backend: 'wasm', tickSteps: 2, checkpointEvery: 4, sampleEvery: 4, sampleStories: 2 })
    secondId = second.id
    expect((await wb.training.wait(secondId)).status).toBe('finished')
    await testid(`compare-${runId}`).check()
    await testid(`compare-${secondId}`).check()
    await testid('compare-open').click()
    await testid('compare-runs').waitFor()
    await expect.poll(() => points('compare-chart'), { timeout: 10_000 }).toBeGreaterThan(4)
    await expect(testid('compare-differences').textContent()).resolves.toMatch(/lrG.*0\.0001.*0\.0004/)
    await shot(page, 'train-06-compare')
  })

  it('browses a run’s sample stories and steps through them, two runs side by side', async () => {
    await testid('nav-stories').click()
    await testid('view-stories').waitFor()
    await testid('browse-run').selectOption(String(runId))
    await testid('browse-story-0').waitFor()
    await drawn('browse-story-0')
    const captions = await page.locator('[data-testid=browse-story-0] [data-testid=story-captions] li').allTextContents()
    expect(captions).toHaveLength(5)
    expect(captions[0]).toMatch(/(is|are) \w+ing/)
    const last = await testid('step-label').textContent()
    await testid('step-prev').click()
    await expect.poll(() => testid('step-label').textContent()).not.toBe(last)
    await testid('step-slider').fill('0')
    await expect.poll(() => testid('step-label').textContent()).toMatch(/step 4 · 1 of/)
    await drawn('browse-story-0')
    await testid('mask-mode').selectOption('row')
    await expect(page.locator('[data-testid=browse-story-0] canvas[data-row=masks]').count()).resolves.toBe(1)
    await testid('mask-mode').selectOption('overlay')
    await testid('browse-compare').selectOption(String(secondId))
    await expect.poll(() => page.locator('[data-testid=browse-story-0] canvas[data-row=generated]').count()).toBe(2)
    await drawn('browse-story-0')
    await shot(page, 'stories-01-browse')
  })

  it('generates a story from typed sentences and downloads it as PNG and GIF', async () => {
    await testid('tab-generate').click()
    await testid('story-generator').waitFor()
    await testid('gen-run').selectOption(String(runId))
    const sentences = [
      'Pororo is skating on the ice.',
      'crong and pororo play with a kite on the ice',
      'Poby is eating a fish by the frozen lake.',
      'Loopy, Petty, and Harry are dancing in the forest.',
      'Eddy is reading a book in front of the house.'
    ]
    for (const [i, s] of sentences.entries()) await testid(`sentence-${i}`).fill(s)
    await expect(testid('encoder-name').textContent()).resolves.toBe('Demo cartoon caption encoder')
    await expect.poll(() => testid('sentence-mode-1').getAttribute('data-mode')).toBe('canonical')
    await expect(testid('sentence-mode-1').textContent()).resolves.toMatch(/Pororo and Crong are playing with a kite on the ice\./)
    expect(await testid('sentence-mode-0').getAttribute('data-mode')).toBe('exact')
    await expect.poll(() => testid('char-1-2').isChecked()).toBe(true) // Crong, named in sentence 2
    await testid('gen-seed').fill('11')
    await testid('generate').click()
    await testid('generated-latest').waitFor({ timeout: 120_000 })
    await drawn('generated-latest')
    const png = await downloaded(() => page.locator('[data-testid=generated-latest] [data-testid=download-png]').click())
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([320, 128]) // 5 frames; generated frames + masks
    const gif = await downloaded(() => page.locator('[data-testid=generated-latest] [data-testid=download-gif]').click())
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a')
    expect([gif.readUInt16LE(6), gif.readUInt16LE(8)]).toEqual([128, 128])
    await shot(page, 'stories-02-generate')
  })

  it('deletes a run after confirmation', async () => {
    await page.goto(`${server.url}/#/train/run/${secondId}`)
    await testid(`run-monitor-${secondId}`).waitFor()
    await testid('run-delete').click()
    await testid('confirm-ok').click()
    await testid(`run-item-${secondId}`).waitFor({ state: 'detached' })
    expect((await call('runs:list', {})).map((r) => r.id)).toEqual([runId])
    expect(pageErrors).toEqual([])
  })
})
