import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { getRun } from '../db/repos/run-repo'
import type { Workbench } from './workbench'

/**
 * Resolves an asset path 'runs/<id>/samples/<file>.png' to the file in that run's folder, or
 * null. Only sample PNGs are reachable, and only through the run's recorded folder (no path
 * from the request is joined as is).
 */
export function runAssetPath(wb: Workbench, asset: string): string | null {
  const m = /^runs\/(\d+)\/samples\/(step-\d{7}-s\d{2}\.png)$/.exec(asset)
  if (!m) return null
  const run = getRun(wb.db, Number(m[1]))
  if (!run) return null
  const file = join(wb.paths.root, run.folder, 'samples', m[2])
  return existsSync(file) ? file : null
}
