/**
 * Benchmark of the built-in demo datasets: time to generate, render and PNG-encode every clip of
 * the default-size cartoon and CLEVR-SV-like sets (what a fresh workspace's demo import pays
 * before any database work). Run with `npx tsx bench/demo.ts`.
 */
import { pathToFileURL } from 'node:url'
import type { ImportBundle } from '../src/main/datasets/bundle'
import { cartoonDemo } from '../src/main/datasets/demo/cartoon'
import { clevrDemo } from '../src/main/datasets/demo/clevr'

/**
 * One timed dataset: clip count, wall and CPU time in milliseconds (CPU time is the fairer figure
 * on a shared 2-core machine), total PNG bytes.
 */
export interface DemoBenchResult {
  name: string
  stories: number
  clips: number
  ms: number
  cpuMs: number
  pngBytes: number
}

async function timeBundle(make: () => ImportBundle): Promise<DemoBenchResult> {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const bundle = make()
  let clips = 0
  let pngBytes = 0
  for await (const clip of bundle.clips()) {
    clips++
    for (const frame of clip.frames) pngBytes += frame.png.length
  }
  const ms = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  return { name: bundle.name, stories: bundle.stories.length, clips, ms, cpuMs: (cpu.user + cpu.system) / 1000, pngBytes }
}

/** Generates and encodes both default demo datasets, prints and returns the timings. */
export async function benchDemo(): Promise<DemoBenchResult[]> {
  const results = [await timeBundle(() => cartoonDemo()), await timeBundle(() => clevrDemo())]
  for (const r of results) {
    const perClip = (r.ms / r.clips).toFixed(3)
    const kib = (r.pngBytes / 1024).toFixed(0)
    const cpu = r.cpuMs.toFixed(0)
    console.log(`${r.name}: ${r.stories} stories, ${r.clips} clips in ${r.ms.toFixed(0)} ms wall, ${cpu} ms CPU (${perClip} ms/clip, ${kib} KiB PNG)`)
  }
  return results
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDemo()
}
