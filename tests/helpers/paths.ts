import { mkdtempSync, rmSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The read-only shared fixtures beside the checkout (../shared/fixtures). */
export const FIXTURES = resolve(__dirname, '../../../shared/fixtures')
export const PORORO_MINI = join(FIXTURES, 'pororo-sv-mini')
export const CLEVR_MINI = join(FIXTURES, 'clevr-sv-mini')

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'cpcsv-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A writable copy of a fixture folder (tests break copies, never the shared originals). */
export function copyFixture(src: string, into: string): string {
  const dst = join(into, src.split('/').pop() as string)
  cpSync(src, dst, { recursive: true })
  return dst
}
