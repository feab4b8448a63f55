/**
 * Labeling speed of the Label view, measured inside headless Chromium against serve mode:
 * - pointer move → painted pixels (brush), on a 512×512 frame at fit zoom and on a 64×64 frame
 *   at 16× zoom (targets: p95 ≤ 16 ms, aim 8 ms);
 * - committed stroke → `masks:save` acknowledged (target p95 ≤ 50 ms, aim 20 ms);
 * - next frame → frame drawn with its masks (target ≤ 100 ms).
 *
 * The page is opened with `?probe=1`, which makes the canvas record these latencies on
 * `window.__cpcsvProbe` (see src/renderer/src/canvas/latency-probe.ts); pointer input is real
 * input dispatched by Playwright (`page.mouse`). Run with `npx tsx bench/labeling.ts`.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { Workbench } from '../src/main/api/workbench'
import { dispatch } from '../src/main/api/dispatch'
import { openDatabase } from '../src/main/db/database'
import { cartoonDemo } from '../src/main/datasets/demo/cartoon'
import { runImport } from '../src/main/datasets/run-import'
import { writeBundle } from '../src/main/datasets/write-bundle'
import { FrameStore } from '../src/main/frame-store'
import { rendererDir } from '../src/main/paths'
import { startServer } from '../src/main/server/serve'
import { ensureWorkspace } from '../src/main/workspace'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Targets from docs/targets.md, in milliseconds. */
const TARGETS = { paint: 16, save: 50, frameSwitch: 100 }

/** One measured series. */
export interface LatencyStats {
  name: string
  samples: number
  p50: number
  p95: number
  max: number
  target: number
}

/** Result of {@link benchLabeling}. */
export interface LabelingBenchResult {
  paint512: LatencyStats
  paint64at16: LatencyStats
  save: LatencyStats
  frameSwitch: LatencyStats
}

interface ProbeSamples {
  paint: number[]
  save: number[]
  frameSwitch: number[]
  framesDrawn: number
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low)
}

function stats(name: string, samples: number[], target: number): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b)
  return { name, samples: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) ?? NaN, target }
}

function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (p && existsSync(p)) return p
  }
  throw new Error('Chromium not found: install Debian chromium or set CHROMIUM_PATH')
}

/** A workspace with the 64×64 cartoon demo and an 8-story 512×512 one. */
async function makeWorkspace(dir: string): Promise<{ ws: string; small: number; large: number }> {
  const ws = join(dir, 'ws')
  const small = (await runImport(ws, { kind: 'demo', demo: 'cartoon', stories: 40, seed: 1 })).datasetId
  const paths = ensureWorkspace(ws)
  const db = openDatabase(paths.database)
  try {
    const bundle = cartoonDemo({ stories: 8, seed: 2, size: 512 })
    const large = (await writeBundle(bundle, { db, frames: new FrameStore(paths.frames), name: 'demo-cartoon-512' })).datasetId
    return { ws, small, large }
  } finally {
    db.close()
  }
}

async function probe(page: Page): Promise<ProbeSamples> {
  return page.evaluate('({ ...window.__cpcsvProbe })') as Promise<ProbeSamples>
}

async function resetProbe(page: Page): Promise<void> {
  await page.evaluate('window.__cpcsvProbe.reset()')
}

async function waitSaved(page: Page): Promise<void> {
  await page.locator('[data-testid=save-state][data-state="saved"]').waitFor({ timeout: 30_000 })
}

/** Opens a frame through the route and waits until it is drawn. */
async function openFrame(page: Page, datasetId: number, storyId: number, frameId: number): Promise<void> {
  await page.evaluate(`window.location.hash = '#/label/${datasetId}/${storyId}/${frameId}'`)
  await page.locator(`[data-testid=mask-canvas][data-frame-id="${frameId}"]`).waitFor({ timeout: 30_000 })
}

/**
 * Brush strokes as real mouse input: `strokes` zig-zag drags of `moves` steps each inside the
 * visible part of the image, each committed (one undo entry, one save).
 */
async function drawStrokes(page: Page, strokes: number, moves: number, imageSize: number): Promise<void> {
  const canvas = page.getByTestId('mask-canvas')
  const box = await canvas.boundingBox()
  if (box === null) throw new Error('canvas is not visible')
  const [zoom, ox, oy] = await Promise.all(['data-zoom', 'data-origin-x', 'data-origin-y'].map(async (a) => Number(await canvas.getAttribute(a))))
  // The part of the image that is on screen, shrunk by a margin.
  const left = Math.max(box.x, ox) + 20
  const top = Math.max(box.y, oy) + 20
  const right = Math.min(box.x + box.width, ox + imageSize * zoom) - 20
  const bottom = Math.min(box.y + box.height, oy + imageSize * zoom) - 20
  for (let s = 0; s < strokes; s++) {
    const y0 = top + ((bottom - top) * (s + 0.5)) / strokes
    await page.mouse.move(left, y0)
    await page.mouse.down()
    for (let m = 1; m <= moves; m++) {
      await page.mouse.move(left + ((right - left) * m) / moves, y0 + (m % 2 === 0 ? 6 : -6))
    }
    await page.mouse.up()
    await waitSaved(page)
  }
}

function print(series: LatencyStats): void {
  const ratio = series.p95 / series.target
  console.log(
    `${series.name.padEnd(34)} n=${String(series.samples).padStart(4)}  p50 ${series.p50.toFixed(1).padStart(6)} ms  ` +
      `p95 ${series.p95.toFixed(1).padStart(6)} ms  max ${series.max.toFixed(1).padStart(6)} ms  ` +
      `target ${series.target} ms  p95/target ${ratio.toFixed(2)}${ratio <= 1 ? '' : '  (MISSED)'}`
  )
}

/** Runs the whole benchmark, prints a table and returns the numbers. */
export async function benchLabeling(): Promise<LabelingBenchResult> {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' })
  if (build.status !== 0) throw new Error('build failed')
  const dir = mkdtempSync(join(tmpdir(), 'cpcsv-bench-label-'))
  const { ws, small, large } = await makeWorkspace(dir)
  const wb = new Workbench(ws)
  const server = await startServer(wb, { staticDir: rendererDir(), log: () => {} })
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
  const call = async (channel: string, request: unknown): Promise<any> => {
    const r = await dispatch(wb, channel, request, () => {})
    if (!r.ok) throw new Error(r.error.message)
    return r.value
  }
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(`${server.url}/?probe=1&token=${server.token}#/label`)
    await page.getByTestId('mask-canvas').waitFor()

    // 512×512 at fit zoom.
    const largeStory = await call('stories:get', { id: (await call('stories:list', { datasetId: large, limit: 1 })).stories[0].id })
    await openFrame(page, large, largeStory.id, largeStory.clips[0].frames[0].id)
    await page.keyboard.press('b')
    await drawStrokes(page, 2, 10, 512) // warm-up: JIT, first uploads
    await resetProbe(page)
    await drawStrokes(page, 12, 40, 512)
    const large512 = await probe(page)

    // 64×64 at 16×.
    const smallStory = await call('stories:get', { id: (await call('stories:list', { datasetId: small, limit: 1 })).stories[0].id })
    await openFrame(page, small, smallStory.id, smallStory.clips[0].frames[0].id)
    await page.getByTestId('zoom-select').selectOption('16')
    await page.locator('[data-testid=mask-canvas][data-zoom="16"]').waitFor()
    await drawStrokes(page, 1, 10, 64)
    await resetProbe(page)
    await drawStrokes(page, 12, 40, 64)
    const small16 = await probe(page)

    // Frame switches: next / previous through the small story, waiting for each frame to draw.
    await resetProbe(page)
    const frames: number[] = smallStory.clips.map((c: { frames: { id: number }[] }) => c.frames[0].id)
    let position = 0
    let direction = 1
    for (let k = 1; k <= 24; k++) {
      if (position + direction < 0 || position + direction >= frames.length) direction = -direction
      position += direction
      await page.keyboard.press(direction > 0 ? 'd' : 'a')
      await page.locator(`[data-testid=mask-canvas][data-frame-id="${frames[position]}"]`).waitFor({ timeout: 30_000 })
      await page.waitForFunction((count) => ((globalThis as { __cpcsvProbe?: ProbeSamples }).__cpcsvProbe?.frameSwitch.length ?? 0) >= count, k)
    }
    const switches = await probe(page)

    const result: LabelingBenchResult = {
      paint512: stats('paint, 512×512 frame, fit zoom', large512.paint, TARGETS.paint),
      paint64at16: stats('paint, 64×64 frame, 16× zoom', small16.paint, TARGETS.paint),
      save: stats('save of a committed stroke', [...large512.save, ...small16.save], TARGETS.save),
      frameSwitch: stats('switch to the next frame', switches.frameSwitch, TARGETS.frameSwitch)
    }
    console.log('labeling latency in headless Chromium (software rendering), serve mode on loopback:')
    for (const series of Object.values(result)) print(series)
    return result
  } finally {
    await browser.close()
    await server.close()
    await wb.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchLabeling()
}
