/** Import benchmark: a 10,000-frame Pororo-SV folder, and the built-in demo datasets. */
import { join } from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { runImport } from '../src/main/datasets/run-import'
import { writeSyntheticPororo } from './synthetic-pororo'

export async function benchImport(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'cpcsv-bench-import-'))
  try {
    const folder = join(dir, 'pororo')
    const t0 = performance.now()
    writeSyntheticPororo(folder, 2500, 4, 128) // 2,500 strips × 4 frames = 10,000 frames
    const prep = performance.now() - t0
    const t1 = performance.now()
    const r = await runImport(join(dir, 'ws'), { kind: 'folder', path: folder })
    const pororoMs = performance.now() - t1
    const t2 = performance.now()
    await runImport(join(dir, 'ws'), { kind: 'demo', demo: 'cartoon' })
    const cartoonMs = performance.now() - t2
    const t3 = performance.now()
    await runImport(join(dir, 'ws'), { kind: 'demo', demo: 'clevr' })
    const clevrMs = performance.now() - t3
    console.log(`import: 10,000-frame Pororo-SV folder (128 px strips of 4) in ${(pororoMs / 1000).toFixed(1)} s` +
      ` (target well under 60 s, aim 20 s: ${(pororoMs / 60000).toFixed(2)}x of the limit); folder written in ${(prep / 1000).toFixed(1)} s; dataset ${r.datasetId}`)
    console.log(`import: demo cartoon (default size) ${(cartoonMs / 1000).toFixed(1)} s, demo clevr ${(clevrMs / 1000).toFixed(1)} s`)
    return { pororo10kMs: pororoMs, demoCartoonMs: cartoonMs, demoClevrMs: clevrMs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchImport()
