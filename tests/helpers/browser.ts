import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Workbench } from '../../src/main/api/workbench'
import { rendererDir } from '../../src/main/paths'
import { startServer, type RunningServer } from '../../src/main/server/serve'

const ROOT = resolve(__dirname, '../..')
/** Screenshots land here for a person to look at (CI keeps them as artifacts). */
export const ARTIFACTS = join(ROOT, 'test-artifacts')

/** Builds the renderer when it is missing or older than the sources. */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' })
  if (r.status !== 0) throw new Error('build failed')
}

export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (p && existsSync(p)) return p
  }
  throw new Error('Chromium not found: install Debian chromium (apt-get install chromium) or set CHROMIUM_PATH')
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/** A new page in a fresh Chromium, collecting uncaught page errors into `errors`. */
export async function openPage(viewport: { width: number; height: number }, errors: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await launch()
  const page = await browser.newPage({ viewport })
  page.on('pageerror', (e) => errors.push(e.message))
  return { browser, page }
}

/**
 * Serves `wb` in serve mode (renderer built if stale) and opens a page on a fresh Chromium,
 * collecting uncaught page errors into `errors`.
 */
export async function serveAndOpen(
  wb: Workbench, viewport: { width: number; height: number }, errors: string[]
): Promise<{ server: RunningServer; browser: Browser; page: Page }> {
  ensureBuilt()
  const server = await startServer(wb, { staticDir: rendererDir(), log: () => {} })
  return { server, ...(await openPage(viewport, errors)) }
}

/** Closes what an e2e file opened, in reverse order; each part may be missing after a failed setup. */
export async function closeAll(parts: {
  browser?: Browser
  server?: { close(): Promise<void> }
  wb?: { close(): Promise<void> }
  cleanup?: () => void | Promise<void>
}): Promise<void> {
  await parts.browser?.close()
  await parts.server?.close()
  await parts.wb?.close()
  await parts.cleanup?.()
}
