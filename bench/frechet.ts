/**
 * Times the Fréchet distance on every case of `fixtures/frechet/expected.json` and compares it
 * with scipy's recorded time (pytorch-fid's `sqrtm` route) and value.
 *
 *   npx tsx bench/frechet.ts            features route (what the evaluator calls)
 *   npx tsx bench/frechet.ts --stats    also the statistics route (frechetDistance on featureStats)
 *
 * Times are wall-clock medians of several runs after warm-up runs, and include computing the
 * statistics from the float32 features; scipy's figure is the distance from precomputed
 * statistics, so the ratio is if anything unfavourable to us. The fixture folder is found beside
 * the checkout (`../shared/fixtures`) or inside it (`shared/fixtures`); CPCSV_FIXTURES overrides.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { readNpy } from '../src/main/datasets/npy'
import { featureStats, frechetDistance, frechetFromFeatures, type FeatureSet } from '../src/main/evaluation/frechet'

interface ExpectedCase {
  name: string
  a: string
  b: string
  distance: number
  rtol: number
  scipy_seconds: number
}

function fixtureDir(): string {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const candidates = [process.env.CPCSV_FIXTURES, resolve(root, 'shared/fixtures'), resolve(root, '../shared/fixtures')]
  for (const candidate of candidates) {
    if (candidate && existsSync(join(candidate, 'frechet', 'expected.json'))) return join(candidate, 'frechet')
  }
  throw new Error('bench/frechet: fixtures/frechet not found; set CPCSV_FIXTURES to the fixtures folder')
}

function loadSet(dir: string, file: string): FeatureSet {
  const array = readNpy(readFileSync(join(dir, file)), file)
  if (!(array.data instanceof Float32Array) || array.shape.length !== 2) throw new Error(`${file}: expected a 2-D float32 array`)
  return { data: array.data, n: array.shape[0], dim: array.shape[1] }
}

/**
 * Median wall time in ms and the last result. Warms up first (three calls, so V8 has optimised
 * the kernels), then runs at least `minRuns` times and, for fast cases, until ~0.5 s is spent.
 */
function time(run: () => number, minRuns: number): { ms: number; value: number } {
  let value = 0
  for (let i = 0; i < (minRuns > 1 ? 3 : 1); i++) value = run()
  const times: number[] = []
  let spent = 0
  while (times.length < minRuns || (spent < 500 && times.length < 50)) {
    const start = performance.now()
    value = run()
    times.push(performance.now() - start)
    spent += times[times.length - 1]
  }
  times.sort((x, y) => x - y)
  return { ms: times[Math.floor(times.length / 2)], value }
}

/**
 * Runs the benchmark and prints one line per case.
 * @param options.stats also time the statistics route (slow at 2048-d: seconds per run)
 * @returns median milliseconds per case, keyed `frechet.<case>` (and `frechet.<case>.stats`)
 */
export async function benchFrechet(options: { stats?: boolean } = {}): Promise<Record<string, number>> {
  const dir = fixtureDir()
  const cases = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] }).cases
  const results: Record<string, number> = {}
  console.log('case          route         ms  scipy ms  ratio       error  (rtol)')
  for (const c of cases) {
    const a = loadSet(dir, c.a)
    const b = loadSet(dir, c.b)
    const runs = a.dim >= 2048 ? 3 : 5
    const routes: [string, () => number][] = [['features', () => frechetFromFeatures(a, b)]]
    if (options.stats) {
      routes.push(['stats', () => frechetDistance(featureStats(a.data, a.n, a.dim), featureStats(b.data, b.n, b.dim))])
    }
    for (const [route, run] of routes) {
      const { ms, value } = time(run, route === 'stats' && a.dim >= 2048 ? 1 : runs)
      const scipyMs = c.scipy_seconds * 1000
      // Relative error; absolute below 1, where the identical-sets case (expected ±1e-13) lives.
      const error = Math.abs(value - c.distance) / Math.max(Math.abs(c.distance), 1)
      console.log(
        `${c.name.padEnd(13)} ${route.padEnd(8)} ${ms.toFixed(1).padStart(7)} ${scipyMs.toFixed(0).padStart(9)} ${(ms / scipyMs).toFixed(3).padStart(6)}  ${error.toExponential(2).padStart(10)}  (${c.rtol})`
      )
      results[route === 'features' ? `frechet.${c.name}` : `frechet.${c.name}.stats`] = ms
    }
  }
  return results
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await benchFrechet({ stats: process.argv.includes('--stats') })
}
