/**
 * `npm run bench [-- <name> ...]`: runs the benchmarks and prints numbers and ratios to the
 * targets of docs/targets.md. Names: import, frechet, demo, kernels, train, labeling.
 * Never used by tests (machines are shared and noisy; compare ratios from one run).
 */
import { cpus, loadavg } from 'node:os'

type Bench = () => Promise<unknown>
const benches: Record<string, () => Promise<Bench>> = {
  import: async () => (await import('./import')).benchImport,
  frechet: async () => (await import('./frechet')).benchFrechet,
  demo: async () => (await import('./demo')).benchDemo,
  kernels: async () => (await import('./kernels')).benchKernels,
  train: async () => (await import('./train')).benchTrain,
  labeling: async () => (await import('./labeling')).benchLabeling
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const names = wanted.length ? wanted : Object.keys(benches)
console.log(`bench: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (a busy machine inflates every number)`)
for (const name of names) {
  const load = benches[name]
  if (!load) {
    console.error(`bench: unknown benchmark "${name}" (known: ${Object.keys(benches).join(', ')})`)
    process.exitCode = 2
    continue
  }
  console.log(`\n== ${name} ==`)
  try {
    const fn = await load()
    await fn()
  } catch (e) {
    console.error(`bench ${name} failed: ${(e as Error).stack ?? e}`)
    process.exitCode = 1
  }
}
