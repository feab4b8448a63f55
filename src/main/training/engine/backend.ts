/**
 * Chooses the TF.js backend at run time (design.md, "Engine"): best first `tensorflow` (native
 * libtensorflow through the optional `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node`),
 * then `wasm` (with the project's kernels, see wasm-kernels.ts), then the pure-JS `cpu`.
 *
 * Everything here goes through the full `@tensorflow/tfjs` package: `tfjs-core` alone registers
 * no gradient functions, so training would fail on any backend.
 */
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { UserError } from '../../../shared/result'
import { registerCpuKernels } from './cpu-kernels'
import { nativeKernelsStatus } from './native-kernels'
import { registerThreadedWasm, wantedWasmThreads, wasmThreads } from './wasm-threads'
import { installEagerBackprop } from './eager-backprop'

/** A backend the workbench can train on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu'

/** Backends in order of preference. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu']

/** What the backend picker shows for one backend. */
export interface BackendInfo {
  name: BackendName
  /** Whether selecting it is expected to work. */
  available: boolean
  /** Why it is or is not available, in words a person can act on. */
  reason: string
  /** Whether it is the backend TF.js is using now. */
  active: boolean
}

/** Result of `initBackend`: the backend now in use, why, and how every backend fared. */
export interface InitBackendResult {
  name: BackendName
  reason: string
  available: BackendInfo[]
}

/** Optional native packages, GPU build first; both are absent where libtensorflow can't be fetched. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm'
const WASM_BINARY = 'tfjs-backend-wasm-simd.wasm'

interface Attempt {
  ok: boolean
  reason: string
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0].trim()
}

function describeImportError(pkg: string, error: unknown): string {
  const code = (error as { code?: string } | null)?.code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return `${pkg} is not installed (optional dependency: npm drops it when libtensorflow cannot be downloaded)`
  }
  return `${pkg} failed to load: ${firstLine(error)}`
}

let nativePackage: string | null = null

/** Imports the first native package that loads; it registers the `tensorflow` backend. */
async function loadNative(): Promise<Attempt> {
  if (nativePackage != null) return { ok: true, reason: `native TensorFlow through ${nativePackage}` }
  const failures: string[] = []
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps TypeScript and bundlers from resolving a package that is
      // legitimately absent.
      const specifier: string = pkg
      await import(specifier)
      if (tf.findBackendFactory('tensorflow') == null) {
        failures.push(`${pkg} loaded but registered no 'tensorflow' backend (is a second copy of @tensorflow/tfjs-core installed?)`)
        continue
      }
      nativePackage = pkg
      const device = pkg.endsWith('-gpu') ? 'CUDA build' : 'CPU build'
      return { ok: true, reason: `native TensorFlow through ${pkg} (${device})` }
    } catch (error) {
      failures.push(describeImportError(pkg, error))
    }
  }
  return { ok: false, reason: failures.join('; ') }
}

/** The folder holding the wasm binaries, resolved from the package so bundling doesn't move it. */
function wasmDistFolder(): string {
  const require = createRequire(import.meta.url)
  return path.dirname(require.resolve(WASM_PACKAGE))
}

let wasmPrepared = false

/** Imports the wasm backend, points it at its binaries and registers the project's kernels. */
async function loadWasm(): Promise<Attempt> {
  if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object') return { ok: false, reason: 'this runtime has no WebAssembly' }
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    const folder = wasmDistFolder()
    if (!existsSync(path.join(folder, WASM_BINARY))) {
      return { ok: false, reason: `${WASM_PACKAGE} is installed but ${WASM_BINARY} is missing from ${folder}` }
    }
    if (!wasmPrepared) {
      // The default location is next to the loaded script, which a bundled build moves; the
      // binaries stay in the package.
      wasm.setWasmPaths(folder + path.sep)
      const { registerWasmKernels } = await import('./wasm-kernels')
      registerWasmKernels()
      registerThreadedWasm(wantedWasmThreads())
      wasmPrepared = true
    }
  } catch (error) {
    return { ok: false, reason: describeImportError(WASM_PACKAGE, error) }
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true
  // Before the backend starts the count is the one asked for; afterwards the one it got.
  const threads = wasmThreads() ?? wantedWasmThreads()
  const threading = threads > 1 ? `${threads} threads` : 'one thread'
  return { ok: true, reason: `WebAssembly (XNNPACK${simd ? ', SIMD' : ', no SIMD'}, ${threading}) with ${nativeKernelsStatus()}` }
}

/** Loads what `name` needs without switching to it. */
async function load(name: BackendName): Promise<Attempt> {
  switch (name) {
    case 'tensorflow':
      return loadNative()
    case 'wasm':
      return loadWasm()
    case 'cpu':
      return { ok: true, reason: 'pure JavaScript (always present; far too slow beyond toy sizes)' }
  }
}

/** Loads and switches to `name`; `setBackend` reports a failed initialisation as `false`. */
async function activate(name: BackendName): Promise<Attempt> {
  const loaded = await load(name)
  if (!loaded.ok) return loaded
  let switched = false
  try {
    switched = await tf.setBackend(name)
  } catch (error) {
    return { ok: false, reason: `${loaded.reason}, but it failed to initialise: ${firstLine(error)}` }
  }
  if (!switched || tf.getBackend() !== name) {
    return { ok: false, reason: `${loaded.reason}, but it failed to initialise (see the log)` }
  }
  await tf.ready()
  // wasm's description names the thread count it actually got, known only now.
  return name === 'wasm' ? loadWasm() : loaded
}

function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value)
}

/**
 * Lists every backend with whether it can be used and why, for the backend picker. Loading a
 * package is the only reliable check, so this imports what is installed; if that switches the
 * active backend (the native package does on import), the previous one is restored.
 */
export async function probeBackends(): Promise<BackendInfo[]> {
  const previous = tf.getBackend()
  const infos: BackendInfo[] = []
  for (const name of BACKEND_ORDER) {
    const attempt = await load(name)
    infos.push({ name, available: attempt.ok, reason: attempt.reason, active: false })
  }
  if (previous != null && tf.getBackend() !== previous) await tf.setBackend(previous)
  const active = tf.getBackend()
  for (const info of infos) info.active = info.name === active
  return infos
}

/**
 * Switches TF.js to `preferred`, or with 'auto' (the default) to the best backend that works.
 * An explicitly requested backend that cannot be used is a `UserError` naming the reason; with
 * 'auto' the reasons for skipped backends are part of the returned `reason`.
 */
export async function initBackend(preferred: BackendName | 'auto' = 'auto'): Promise<InitBackendResult> {
  if (preferred !== 'auto' && !isBackendName(preferred)) {
    throw new UserError(`Unknown backend '${String(preferred)}': choose one of auto, ${BACKEND_ORDER.join(', ')}`)
  }
  // The cpu backend is always loaded (the engine falls back to it for some ops), so its fixes
  // are registered whatever is chosen.
  registerCpuKernels()
  installEagerBackprop()
  const candidates = preferred === 'auto' ? BACKEND_ORDER : [preferred]
  const outcomes = new Map<BackendName, Attempt>()
  let chosen: BackendName | null = null
  for (const name of candidates) {
    const attempt = await activate(name)
    outcomes.set(name, attempt)
    if (attempt.ok) {
      chosen = name
      break
    }
  }
  const available = await probeBackends()
  for (const info of available) {
    const outcome = outcomes.get(info.name)
    if (outcome != null) Object.assign(info, { available: outcome.ok, reason: outcome.reason })
  }
  if (chosen == null) {
    const why = outcomes.get(candidates[0])?.reason ?? 'unknown reason'
    const usable = available.filter((info) => info.available).map((info) => info.name)
    throw new UserError(
      `Backend '${preferred}' is not available: ${why}.` + (usable.length > 0 ? ` Available: ${usable.join(', ')}.` : '')
    )
  }
  const chosenReason = outcomes.get(chosen)?.reason ?? ''
  const skipped = candidates
    .filter((name) => name !== chosen && outcomes.has(name))
    .map((name) => `${name} skipped: ${outcomes.get(name)?.reason}`)
  const reason = preferred === 'auto'
    ? [`${chosen}: ${chosenReason}`, ...skipped].join('; ')
    : `${chosen} (requested): ${chosenReason}`
  return { name: chosen, reason, available }
}
