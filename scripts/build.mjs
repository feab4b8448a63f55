// Builds the workbench: the Node side (CLI, server, workers) with esbuild, the renderer with
// Vite, and the Electron main/preload with electron-vite when the Electron package is present.
//   --if-stale   skip when out/ is newer than every source file (used by `npm install`)
//   --node-only  only the Node side (what `cpcsv` needs)
import { build as esbuild } from 'esbuild'
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = new Set(process.argv.slice(2))
const stamp = join(root, 'out', '.build-stamp')

function newestMtime(path) {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)))
  return max
}

function isStale() {
  if (!existsSync(stamp)) return true
  const built = statSync(stamp).mtimeMs
  const inputs = ['src', 'package.json', 'vite.renderer.config.ts', 'scripts/build.mjs'].map((p) => join(root, p))
  return inputs.some((p) => existsSync(p) && newestMtime(p) > built)
}

/** Node-side entry points; workers are emitted next to cli.mjs (see src/main/workers.ts). */
export const nodeEntries = {
  cli: 'src/main/cli/entry.ts',
  'import-worker': 'src/main/datasets/import-worker.ts',
  'training-worker': 'src/main/training/training-worker.ts',
  'data-worker': 'src/main/training/data/data-worker.ts',
  'generation-worker': 'src/main/training/generation-worker.ts',
  'evaluation-worker': 'src/main/evaluation/evaluation-worker.ts'
}

async function buildNode() {
  const entryPoints = Object.fromEntries(
    Object.entries(nodeEntries).filter(([, p]) => existsSync(join(root, p))).map(([k, p]) => [k, join(root, p)])
  )
  await esbuild({
    entryPoints,
    outdir: join(root, 'out', 'node'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning'
  })
}

async function buildRenderer() {
  const { build } = await import('vite')
  await build({ configFile: join(root, 'vite.renderer.config.ts'), logLevel: 'warn' })
}

function buildElectron() {
  if (!existsSync(join(root, 'node_modules', 'electron', 'package.json'))) return false
  const bin = join(root, 'node_modules', '.bin', 'electron-vite')
  const r = spawnSync(bin, ['build'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('electron-vite build failed')
  return true
}

if (args.has('--if-stale') && !isStale()) {
  process.exit(0)
}
const t0 = Date.now()
await buildNode()
if (!args.has('--node-only')) {
  await buildRenderer()
  const electron = buildElectron()
  mkdirSync(join(root, 'out'), { recursive: true })
  writeFileSync(stamp, new Date().toISOString())
  console.error(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s${electron ? ' (with Electron)' : ' (Electron not installed: serve mode only)'}`)
}
