// `npm start`: build if needed, then open the Electron window where Electron is installed,
// otherwise start serve mode and print its URL (with token). Extra args go to the workbench,
// e.g. `npm start -- --workspace /data/ws --port 4870`.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale'], { stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

function electronBinary() {
  try {
    const require = createRequire(import.meta.url)
    const bin = require('electron') // the package exports the binary's path
    return typeof bin === 'string' && existsSync(bin) ? bin : null
  } catch {
    return null
  }
}

const electron = electronBinary()
const child = electron && existsSync(join(root, 'out', 'electron', 'main', 'index.mjs'))
  ? spawn(electron, [join(root, 'out', 'electron', 'main', 'index.mjs'), ...args], { stdio: 'inherit' })
  : (console.error('Electron is not installed here: starting serve mode (open the URL below in a browser).'),
    spawn(process.execPath, [join(root, 'bin', 'cpcsv.mjs'), 'serve', ...args], { stdio: 'inherit' }))
child.on('exit', (code) => process.exit(code ?? 0))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
