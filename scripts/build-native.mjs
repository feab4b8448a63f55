#!/usr/bin/env node
/**
 * Builds the native kernel library (native/cpcsv_kernels.cc -> native/build/Release/
 * cpcsv_kernels.node) with node-gyp. Run by `npm install` (the package's `install` script) and
 * by `npm run build:native`.
 *
 * The library is optional: without it the wasm backend runs its convolutions in XNNPACK, about
 * 3x slower. So a failed build (no C++ compiler, no Node headers) prints a warning and exits 0,
 * and install goes on. It is a plain N-API module, so one build serves Node and Electron alike.
 *
 * Skipped when the built library is newer than its sources and was built for this Node
 * (`--force` rebuilds), or when CPCSV_SKIP_NATIVE=1.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const nativeDir = path.join(root, 'native')
const library = path.join(nativeDir, 'build', 'Release', 'cpcsv_kernels.node')
const stamp = path.join(nativeDir, 'build', 'source-hash.txt')
const SOURCES = ['binding.gyp', 'cpcsv_kernels.cc']

function warn(message) {
  console.warn(`cpcsv: native kernels not built: ${message}`)
  console.warn('cpcsv: training still works; the wasm backend then runs convolutions in XNNPACK (about 3x slower).')
}

function sourceHash() {
  const hash = createHash('sha256').update(process.versions.node)
  for (const file of SOURCES) hash.update(readFileSync(path.join(nativeDir, file)))
  return hash.digest('hex')
}

/** node-gyp's entry script: the one npm runs lifecycle scripts with, npm's own copy, or a package. */
function findNodeGyp() {
  const candidates = []
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp)
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'))
  } catch {
    // not installed as a package; the npm copies above are the usual source
  }
  return candidates.find((file) => existsSync(file)) ?? null
}

/**
 * Node's headers: node-gyp downloads them unless told where they are, and only the npm registry
 * may be reachable. A Node installed with its headers (Debian's, nvm's, the official tarballs)
 * has them under <prefix>/include/node.
 */
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return []
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : []
}

function main() {
  if (process.env.CPCSV_SKIP_NATIVE === '1') {
    console.log('cpcsv: CPCSV_SKIP_NATIVE=1, native kernels not built')
    return
  }
  const force = process.argv.includes('--force')
  const hash = sourceHash()
  if (!force && existsSync(library) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return
  const nodeGyp = findNodeGyp()
  if (nodeGyp == null) return warn('node-gyp was not found (it ships with npm)')
  console.log('cpcsv: building the native kernels (native/cpcsv_kernels.cc)...')
  const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', ...nodeDirArgs()], {
    cwd: nativeDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8'
  })
  if (result.error != null || result.status !== 0 || !existsSync(library)) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n')
    console.warn(output.slice(-15).join('\n'))
    return warn(result.error?.message ?? `node-gyp exited with status ${result.status} (output above)`)
  }
  writeFileSync(stamp, hash)
  console.log(`cpcsv: native kernels built: ${path.relative(root, library)}`)
}

main()
