import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { Workbench } from '../../src/main/api/workbench'
import { demoWorkbench } from '../helpers/api'
import type { RunningServer } from '../../src/main/server/serve'
import { closeAll, serveAndOpen, shot } from '../helpers/browser'
import { PORORO_MINI } from '../helpers/paths'

let browser: Browser
let page: Page
let wb: Workbench
let server: RunningServer
let cleanup: () => Promise<void>
const pageErrors: string[] = []

beforeAll(async () => {
  ;({ wb, cleanup } = await demoWorkbench(40, 1))
  ;({ server, browser, page } = await serveAndOpen(wb, { width: 1280, height: 800 }, pageErrors))
})
afterAll(() => closeAll({ browser, server, cleanup }))

describe('Datasets view in Chromium against serve mode', () => {
  it('opens the app with the demo dataset listed', async () => {
    await page.goto(server.startUrl)
    await page.getByTestId('dataset-table').waitFor()
    await expect(page.getByTestId('dataset-demo-cartoon').textContent()).resolves.toMatch(/Demo \(cartoon\)\s*40/)
    expect(new URL(page.url()).searchParams.has('token')).toBe(false) // token taken out of the address bar
    await shot(page, 'datasets-01-list')
  })

  it('imports the mini Pororo-SV fixture through the UI with progress', async () => {
    await page.getByTestId('import-path').fill(PORORO_MINI)
    await page.getByTestId('import-submit').click()
    await page.getByTestId('job-finished').waitFor({ timeout: 60_000 })
    await page.getByTestId('dataset-pororo-sv-mini').waitFor()
    await expect(page.getByTestId('dataset-pororo-sv-mini').textContent()).resolves.toMatch(/Pororo-SV\s*11/)
    await shot(page, 'datasets-02-imported')
  })

  it('shows a clear error for a bad folder', async () => {
    await page.getByTestId('import-path').fill('/no/such/folder')
    await page.getByTestId('import-submit').click()
    await expect(page.getByTestId('job-error').first().textContent()).resolves.toMatch(/\/no\/such\/folder: folder not found/)
  })

  it('opens a story and shows its frames, captions and character labels', async () => {
    await page.getByTestId('dataset-pororo-sv-mini').getByRole('link', { name: 'pororo-sv-mini' }).click()
    await page.getByTestId('dataset-detail').waitFor()
    await page.getByTestId('story-0').click()
    await page.getByTestId('story-viewer').waitFor()
    await expect(page.getByTestId('position-0').textContent()).resolves.toMatch(/Pororo and Loopy and Tongtong talk/)
    const chips = await page.getByTestId('position-0').getByTestId('label-chip').allTextContents()
    expect(chips).toEqual(['Pororo', 'Loopy', 'Tongtong'])
    const loaded = await page.locator('[data-testid=position-0] img').evaluateAll((imgs) =>
      imgs.every((i) => {
        const img = i as unknown as { complete: boolean; naturalWidth: number }
        return img.complete && img.naturalWidth > 0
      })
    )
    expect(loaded).toBe(true)
    await shot(page, 'datasets-03-story')
  })

  it('visits every view', async () => {
    for (const v of ['label', 'train', 'stories', 'evaluate', 'export', 'datasets']) {
      await page.getByTestId(`nav-${v}`).click()
      await page.getByTestId(`view-${v}`).waitFor()
      await shot(page, `view-${v}`)
    }
  })

  it('deletes a dataset after confirmation', async () => {
    await page.getByTestId('delete-pororo-sv-mini').click()
    await page.getByTestId('confirm-ok').click()
    await page.getByTestId('dataset-pororo-sv-mini').waitFor({ state: 'detached' })
    expect(pageErrors).toEqual([])
  })
})
