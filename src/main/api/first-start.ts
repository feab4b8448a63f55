import type { Workbench } from './workbench'

/**
 * A fresh workspace gets the built-in demo datasets so every feature works with no download.
 * Runs in the import worker; the UI shows its progress like any import.
 */
export function ensureDemoOnFirstStart(wb: Workbench): void {
  const count = wb.db.prepare('SELECT count(*) FROM datasets').pluck().get() as number
  if (count > 0 || wb.imports.running > 0) return
  const cartoon = wb.imports.start({ kind: 'demo', demo: 'cartoon' })
  void wb.imports.wait(cartoon.jobId).then(() => wb.imports.start({ kind: 'demo', demo: 'clevr' }))
}
