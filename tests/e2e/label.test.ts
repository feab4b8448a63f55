import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { Workbench } from '../../src/main/api/workbench'
import { callTyped, demoWorkbench } from '../helpers/api'
import { runImport } from '../../src/main/datasets/run-import'
import type { RunningServer } from '../../src/main/server/serve'
import type { Channel, ReplyOf, RequestOf } from '../../src/shared/contract'
import type { StoryDetail } from '../../src/shared/domain'
import { rleDecode } from '../../src/shared/rle'
import { MaskDocument } from '../../src/renderer/src/editor/mask-document'
import { StrokeSession } from '../../src/renderer/src/editor/stroke-session'
import { snapBrushCenter } from '../../src/renderer/src/editor/tools/brush'
import { fillPolygon } from '../../src/renderer/src/editor/tools/polygon'
import { fillRectangle } from '../../src/renderer/src/editor/tools/rectangle'
import { floodFill } from '../../src/renderer/src/editor/tools/flood-fill'
import { closeAll, serveAndOpen, shot } from '../helpers/browser'
import { PORORO_MINI } from '../helpers/paths'

let browser: Browser
let page: Page
let wb: Workbench
let server: RunningServer
let cleanup: () => Promise<void>
let datasetId: number
let pororoId: number
let story: StoryDetail
const pageErrors: string[] = []

const call = <C extends Channel>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>> => callTyped(wb, channel, request)

const frameOf = (position: number): { id: number; width: number; height: number } => story.clips[position].frames[0]

/** The saved hand mask of a character on a frame as 0/1 bytes (all zero when none). */
async function handMask(frameId: number, characterIdx: number): Promise<Uint8Array> {
  const detail = await call('frames:get', { id: frameId })
  const { width, height } = detail.frame
  const mask = detail.masks.find((m) => m.source === 'hand' && m.characterIdx === characterIdx)
  return mask ? rleDecode(mask.rle, width * height) : new Uint8Array(width * height)
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i])
const area = (a: Uint8Array): number => a.reduce((sum, v) => sum + v, 0)
const iou = (a: Uint8Array, b: Uint8Array): number => area(a.map((v, i) => v & b[i])) / Math.max(1, area(a.map((v, i) => v | b[i])))

/** Polls the server until the hand mask equals `expected` (saves are asynchronous). */
async function expectSaved(frameId: number, characterIdx: number, expected: Uint8Array): Promise<void> {
  await expect.poll(async () => same(await handMask(frameId, characterIdx), expected), { timeout: 10_000 }).toBe(true)
}

async function waitFrame(frameId: number): Promise<void> {
  await page.locator(`[data-testid=mask-canvas][data-frame-id="${frameId}"]`).waitFor({ timeout: 20_000 })
}

async function waitSavedIndicator(): Promise<void> {
  await page.locator('[data-testid=save-state][data-state="saved"]').waitFor({ timeout: 10_000 })
}

/** Zoom and client position of image pixel (0, 0), as the canvas publishes them. */
async function transform(): Promise<{ zoom: number; ox: number; oy: number }> {
  const canvas = page.getByTestId('mask-canvas')
  const [zoom, ox, oy] = await Promise.all(['data-zoom', 'data-origin-x', 'data-origin-y'].map((a) => canvas.getAttribute(a)))
  return { zoom: Number(zoom), ox: Number(ox), oy: Number(oy) }
}

/** Integer client points near the image points, and the exact image points the canvas derives from them. */
async function clientPoints(imagePoints: [number, number][]): Promise<{ client: [number, number][]; image: { x: number; y: number }[] }> {
  const { zoom, ox, oy } = await transform()
  const client = imagePoints.map(([x, y]): [number, number] => [Math.round(ox + x * zoom), Math.round(oy + y * zoom)])
  return { client, image: client.map(([cx, cy]) => ({ x: (cx - ox) / zoom, y: (cy - oy) / zoom })) }
}

/** A mouse drag through integer client points: down at the first, a move to each next, up at the last. */
async function drag(points: [number, number][]): Promise<void> {
  await page.mouse.move(...points[0])
  await page.mouse.down()
  for (const p of points.slice(1)) await page.mouse.move(...p)
  await page.mouse.up()
}

/** What the brush (or eraser) of diameter 5 paints along image points, by the editor core. */
function brushExpected(doc: MaskDocument, layer: number, points: { x: number; y: number }[], mode: 'add' | 'subtract'): void {
  const session = new StrokeSession(doc, layer, 'Brush')
  for (const p of points) {
    const c = snapBrushCenter(p.x, p.y, 5)
    session.brushTo(c.x, c.y, 5, mode)
  }
  session.commit()
}

async function keys(...presses: string[]): Promise<void> {
  for (const key of presses) await page.keyboard.press(key)
}

async function setZoom(zoom: number): Promise<void> {
  await page.getByTestId('zoom-select').selectOption(String(zoom))
  await page.locator(`[data-testid=mask-canvas][data-zoom="${zoom}"]`).waitFor()
}

async function openFrame(position: number, ds = datasetId, storyId = story.id, frameId = frameOf(position).id): Promise<void> {
  await page.evaluate(`window.location.hash = '#/label/${ds}/${storyId}/${frameId}'`)
  await waitFrame(frameId)
}

beforeAll(async () => {
  ;({ wb, datasetId, cleanup } = await demoWorkbench(40, 1))
  pororoId = (await runImport(wb.paths.root, { kind: 'folder', path: PORORO_MINI })).datasetId
  story = await call('stories:get', { id: (await call('stories:list', { datasetId, offset: 0, limit: 1 })).stories[0].id })
  ;({ server, browser, page } = await serveAndOpen(wb, { width: 1280, height: 800 }, pageErrors))
})
afterAll(() => closeAll({ browser, server, cleanup }))

describe('Label view in Chromium against serve mode', () => {
  it('opens the first story with its strip, layers and canvas', async () => {
    await page.goto(`${server.startUrl}#/label`)
    await waitFrame(frameOf(0).id)
    expect(new URL(page.url()).hash).toBe(`#/label/${datasetId}/${story.id}/${frameOf(0).id}`)
    await expect(page.getByTestId('story-strip').locator('.frame-card').count()).resolves.toBe(story.clips.length)
    await expect(page.getByTestId('strip-status-0').textContent()).resolves.toBe('Unlabeled')
    await expect(page.getByTestId('layers-panel').locator('.layer').count()).resolves.toBe(9)
    await expect(page.getByTestId('caption-panel').textContent()).resolves.toContain(story.clips[0].captions[0])
    await shot(page, 'label-01-open')
  })

  it('saves a brush stroke and polygons pixel for pixel, with keyboard undo/redo across frame switches', async () => {
    const frame = frameOf(1)
    await openFrame(1)
    await setZoom(8)
    const { width, height } = frame
    const expected = new MaskDocument(width, height, 9)

    // Brush, character 1, size 5: painted from the same image points the canvas derives.
    await keys('1', 'b')
    const stroke = await clientPoints([[8.2, 40.4], [14.6, 42.1], [20.3, 37.8], [26.9, 44.2], [31.1, 40.6]])
    brushExpected(expected, 0, stroke.image, 'add')
    await drag(stroke.client)

    // Polygon, character 2, closed with Enter.
    await keys('2', 'p')
    const polygon = await clientPoints([[36.4, 8.3], [56.2, 10.7], [52.8, 30.1], [40.3, 26.6]])
    for (const p of polygon.client) await page.mouse.click(...p)
    await page.keyboard.press('Enter')
    fillPolygon(expected.layer(1), width, height, polygon.image, 'add')

    // Polygon, character 3, closed by clicking near its first vertex.
    await page.keyboard.press('3')
    const triangle = await clientPoints([[6.2, 6.4], [20.5, 6.1], [14.3, 18.8]])
    for (const p of triangle.client) await page.mouse.click(...p)
    await page.mouse.click(triangle.client[0][0] + 2, triangle.client[0][1] - 1)
    fillPolygon(expected.layer(2), width, height, triangle.image, 'add')

    // Rectangle (character 4) and lasso (character 5) by drag; eraser over the brush stroke.
    await keys('4', 'r')
    const box = await clientPoints([[4.4, 50.2], [18.7, 60.9]])
    await drag([box.client[0], [box.client[0][0] + 30, box.client[0][1] + 20], box.client[1]])
    fillRectangle(expected.layer(3), width, height, box.image[0].x, box.image[0].y, box.image[1].x, box.image[1].y, 'add')
    await keys('5', 'l')
    const lasso = await clientPoints([[40.2, 44.1], [50.6, 41.3], [58.8, 48.9], [54.1, 58.2], [44.7, 55.5], [47.3, 49.8]])
    await drag(lasso.client)
    fillPolygon(expected.layer(4), width, height, lasso.image, 'add')
    await keys('1', 'e')
    const rub = await clientPoints([[16.2, 36.3], [18.4, 46.6]])
    const brushOnly = expected.layer(0).slice()
    brushExpected(expected, 0, rub.image, 'subtract')
    await drag(rub.client)

    for (const layer of [0, 1, 2, 3, 4]) expect(area(expected.layer(layer))).toBeGreaterThan(20)
    for (const layer of [0, 1, 2, 3, 4]) await expectSaved(frame.id, layer, expected.layer(layer))
    await shot(page, 'label-02-drawn')

    // Undo / redo by keyboard: each change is saved too.
    const empty = new Uint8Array(width * height)
    await page.keyboard.press('Control+z')
    await expectSaved(frame.id, 0, brushOnly)
    await page.keyboard.press('Control+z')
    await expectSaved(frame.id, 4, empty)
    await page.keyboard.press('Control+Shift+z')
    await expectSaved(frame.id, 4, expected.layer(4))
    await page.keyboard.press('Control+y')
    await expectSaved(frame.id, 0, expected.layer(0))

    // History survives switching frames: next frame, back, undo still works and re-saves.
    await page.keyboard.press('d')
    await waitFrame(frameOf(2).id)
    await page.keyboard.press('a')
    await waitFrame(frame.id)
    await page.keyboard.press('Control+z')
    await expectSaved(frame.id, 0, brushOnly)
    await page.keyboard.press('Control+Shift+z')
    await expectSaved(frame.id, 0, expected.layer(0))
    await waitSavedIndicator()

    // After a reload everything comes back from storage, exactly as drawn.
    await page.reload()
    await waitFrame(frame.id)
    for (const layer of [0, 1, 2, 3, 4]) expect(same(await handMask(frame.id, layer), expected.layer(layer))).toBe(true)
    await expect(page.getByTestId('layer-0').textContent()).resolves.toContain(area(expected.layer(0)).toLocaleString('en-US'))
    const info = (await call('frames:get', { id: frame.id })).frame
    expect(info.status).toBe('in_progress')
    expect(info.labels).toEqual(expect.arrayContaining([0, 1, 2, 3, 4]))
    await expect(page.getByTestId('strip-status-1').textContent()).resolves.toBe('In progress')
  })

  it('restores an older version of the active layer, undoably', async () => {
    const frame = frameOf(1)
    await page.keyboard.press('1')
    const versions = await call('masks:versions', { frameId: frame.id, characterIdx: 0 })
    const oldest = versions.at(-1)!
    const current = await handMask(frame.id, 0)
    expect(area(current)).not.toBe(oldest.area)
    await page.getByTestId(`version-${oldest.version}`).getByRole('button', { name: 'Restore' }).click()
    // The panel lists the restored copy as the newest version once the editor has taken it.
    await page.getByTestId(`version-${versions[0].version + 1}`).waitFor()
    expect((await call('masks:versions', { frameId: frame.id, characterIdx: 0 }))[0].area).toBe(oldest.area)
    await page.keyboard.press('Control+z')
    await expect.poll(async () => same(await handMask(frame.id, 0), current), { timeout: 10_000 }).toBe(true)
    const afterUndo = await call('masks:versions', { frameId: frame.id, characterIdx: 0 })
    expect(afterUndo.length).toBeGreaterThanOrEqual(versions.length + 1)
  })

  it('shows a failed save and retries it until it lands', async () => {
    const frame = frameOf(1)
    await page.route('**/api/masks:save', (route) => route.abort())
    await keys('0', '6', 'r') // fit: the whole frame on screen
    const box = await clientPoints([[30.2, 2.3], [36.8, 8.6]])
    await drag(box.client)
    await page.locator('[data-testid=save-state][data-state="failed"]').waitFor({ timeout: 10_000 })
    await expect(page.getByTestId('save-state').textContent()).resolves.toMatch(/failed.*retrying/i)
    await shot(page, 'label-03-save-failed')
    await page.unroute('**/api/masks:save')
    // The queue retries by itself with backoff; the button only hurries it.
    await page.getByTestId('save-retry').click({ timeout: 2000 }).catch(() => {})
    const expected = new Uint8Array(frame.width * frame.height)
    fillRectangle(expected, frame.width, frame.height, box.image[0].x, box.image[0].y, box.image[1].x, box.image[1].y, 'add')
    await expectSaved(frame.id, 5, expected)
    await waitSavedIndicator()
  })

  it('zooms at the cursor with Ctrl+wheel and pans with Space-drag without painting', async () => {
    const before = await transform()
    const at: [number, number] = [Math.round(before.ox + 20 * before.zoom), Math.round(before.oy + 30 * before.zoom)]
    await page.mouse.move(...at)
    await page.keyboard.down('Control')
    await page.mouse.wheel(0, -300)
    await page.keyboard.up('Control')
    await expect.poll(async () => (await transform()).zoom).toBeGreaterThan(before.zoom)
    const zoomed = await transform()
    // The image point under the cursor stays there (offsets are rounded to whole pixels).
    const under = [(at[0] - zoomed.ox) / zoomed.zoom - 20, (at[1] - zoomed.oy) / zoomed.zoom - 30]
    for (const d of under) expect(Math.abs(d)).toBeLessThan(1 / zoomed.zoom + 1e-9)
    const masks = await handMask(frameOf(1).id, 0)
    await keys('b')
    await page.keyboard.down(' ')
    await drag([at, [at[0] + 40, at[1] + 25]])
    await page.keyboard.up(' ')
    const panned = await transform()
    expect([panned.ox - zoomed.ox, panned.oy - zoomed.oy]).toEqual([40, 25])
    await page.keyboard.press('0')
    await waitSavedIndicator()
    expect(same(await handMask(frameOf(1).id, 0), masks)).toBe(true)
  })

  it('copies the previous frame and propagates through the story', async () => {
    const source = frameOf(1)
    await openFrame(2)
    await page.keyboard.press('c')
    for (const layer of [0, 1, 2]) await expectSaved(frameOf(2).id, layer, await handMask(source.id, layer))
    await page.getByTestId('action-propagate').click()
    await page.getByTestId('confirm-ok').click()
    const last = frameOf(story.clips.length - 1)
    for (const layer of [0, 1, 2]) await expectSaved(last.id, layer, await handMask(source.id, layer))
    await page.keyboard.press('o')
    await page.getByTestId('toggle-onion').and(page.locator('[aria-pressed=true]')).waitFor()
    await shot(page, 'label-04-onion')
    await page.keyboard.press('o')
  })

  it('flood-fills a demo character to its ground-truth mask (IoU > 0.95)', async () => {
    const frame = frameOf(3)
    const info = (await call('frames:get', { id: frame.id })).frame
    await openFrame(3)
    await setZoom(8)
    await page.keyboard.press('f')
    const tolerance = Number(await page.getByTestId('tolerance').inputValue())
    const rgba = await pictureRgba(info.asset)
    const { width, height } = frame
    // Click points chosen in Node with the same fill function; the browser does the filling.
    let plan: { character: number; clicks: { x: number; y: number }[] | null; truth: Uint8Array } | undefined
    for (const character of info.labels) {
      const truthMask = await call('masks:get', { frameId: frame.id, characterIdx: character, source: 'truth' })
      const truth = truthMask && truthMask.area >= 60 ? rleDecode(truthMask.rle, width * height) : null
      plan = truth ? { character, truth, clicks: planClicks(rgba, truth, width, height, tolerance) } : undefined
      if (plan?.clicks) break
    }
    const { character, clicks, truth } = plan!
    expect(clicks).not.toBeNull()
    await keys(String(character + 1), 'Delete') // propagation may have filled this layer already
    const { zoom, ox, oy } = await transform()
    for (const p of clicks!) await page.mouse.click(Math.round(ox + (p.x + 0.5) * zoom), Math.round(oy + (p.y + 0.5) * zoom))
    await expect.poll(async () => iou(await handMask(frame.id, character), truth), { timeout: 10_000 }).toBeGreaterThan(0.95)
    await shot(page, 'label-05-fill')
  })

  it('uses the imported mask for the active character as one undoable step', async () => {
    // The cartoon demo keeps its ground truth apart; the Pororo-SV fixture brings imported masks.
    const first = (await call('stories:list', { datasetId: pororoId, offset: 0, limit: 1 })).stories[0]
    const pororoStory = await call('stories:get', { id: first.id })
    const frame = pororoStory.clips.flatMap((c) => c.frames).find((f) => f.hasImportedMask)!
    expect(frame).toBeDefined()
    await openFrame(-1, pororoId, pororoStory.id, frame.id)
    await page.keyboard.press('2')
    const imported = await call('masks:get', { frameId: frame.id, characterIdx: null, source: 'imported' })
    await page.getByTestId('toggle-imported').click()
    await shot(page, 'label-06-imported')
    await page.getByTestId('action-use-imported').click()
    await expectSaved(frame.id, 1, rleDecode(imported!.rle, frame.width * frame.height))
    await page.getByTestId('action-undo').click()
    await expectSaved(frame.id, 1, new Uint8Array(frame.width * frame.height))
    await page.getByTestId('toggle-imported').click()
    await openFrame(0)
  })

  it('marks a frame done and the progress overview follows', async () => {
    await openFrame(1)
    await page.getByTestId('open-progress').click()
    const done = page.getByTestId('progress-done').locator('b')
    await done.waitFor()
    const before = Number(await done.textContent())
    await page.keyboard.press('Enter')
    await expect.poll(async () => Number(await done.textContent()), { timeout: 10_000 }).toBe(before + 1)
    await expect(page.getByTestId('frame-status').getAttribute('data-status')).resolves.toBe('done')
    await expect(page.getByTestId('strip-status-1').textContent()).resolves.toBe('Done')
    await expect(page.getByTestId(`recent-${frameOf(1).id}`).textContent()).resolves.toContain('Done')
    await shot(page, 'label-07-progress')
    await page.getByTestId('open-progress').click()
  })

  it('walks unlabeled frames with N and shows the shortcut sheet', async () => {
    const next = await call('frames:nextUnlabeled', { datasetId, afterFrameId: frameOf(1).id })
    await page.keyboard.press('n')
    await waitFrame(next!.frameId)
    await page.keyboard.press('?')
    const sheet = page.getByTestId('shortcut-sheet')
    await sheet.waitFor()
    await expect(sheet.textContent()).resolves.toMatch(/Brush\s*B/)
    await expect(sheet.textContent()).resolves.toMatch(/Alt\+Shift/)
    await shot(page, 'label-08-shortcuts')
    await page.keyboard.press('Escape')
    await sheet.waitFor({ state: 'detached' })
    await page.keyboard.press('PageDown')
    await expect.poll(async () => page.getByTestId('label-where').textContent()).toContain('Story 1')
    // The story viewer of the Datasets view opens any frame here.
    await page.evaluate(`window.location.hash = '#/datasets/${datasetId}/story/${story.id}'`)
    await page.getByTestId('label-frame-2').click()
    await waitFrame(frameOf(2).id)
    expect(pageErrors).toEqual([])
  })
})

/** The frame's RGBA as the browser decodes it (the pixels the fill tool sees). */
async function pictureRgba(asset: string): Promise<Uint8ClampedArray> {
  // A string, so the test's Node typings need no DOM; it runs in the page like the app's own decode.
  const bytes = (await page.evaluate(`(async () => {
    const image = Object.assign(new Image(), { src: '/assets/${asset}' })
    await image.decode()
    const context = Object.assign(document.createElement('canvas'), { width: image.width, height: image.height }).getContext('2d')
    context.drawImage(image, 0, 0)
    return Array.from(context.getImageData(0, 0, image.width, image.height).data)
  })()`)) as number[]
  return Uint8ClampedArray.from(bytes)
}

/**
 * Greedy choice of fill clicks: repeatedly the truth pixel whose flood region (at the UI's
 * tolerance) adds the most truth pixels while staying at least 90% inside the truth, until the
 * union reaches IoU 0.97. Null when the character cannot be reached that way.
 */
function planClicks(rgba: Uint8ClampedArray, truth: Uint8Array, width: number, height: number, tolerance: number): { x: number; y: number }[] | null {
  const covered = new Uint8Array(width * height)
  const clicks: { x: number; y: number }[] = []
  for (let round = 0; round < 20 && iou(covered, truth) < 0.97; round++) {
    let best: { x: number; y: number; gain: number; region: Uint8Array } | null = null
    const tried = new Uint8Array(width * height)
    for (let i = 0; i < truth.length; i++) {
      if (!truth[i] || covered[i] || tried[i]) continue
      const region = new Uint8Array(width * height)
      floodFill(region, width, height, rgba, (i % width) + 0.5, Math.floor(i / width) + 0.5, tolerance, 'add')
      region.forEach((v, k) => (tried[k] |= v))
      const inside = area(region.map((v, k) => v & truth[k]))
      const gain = area(region.map((v, k) => v & truth[k] & (covered[k] ^ 1)))
      const size = area(region)
      if (inside / size >= 0.9 && (best === null || gain > best.gain)) best = { x: i % width, y: Math.floor(i / width), gain, region }
    }
    if (best === null) break
    clicks.push({ x: best.x, y: best.y })
    covered.set(covered.map((v, k) => v | best!.region[k]))
  }
  return iou(covered, truth) > 0.95 ? clicks : null
}
