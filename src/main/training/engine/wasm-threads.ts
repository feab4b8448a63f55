/**
 * Multi-threaded `wasm` backend under Node.
 *
 * `@tensorflow/tfjs-backend-wasm` ships a threaded SIMD binary (XNNPACK with a pthreadpool) but
 * never uses it in Node: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false there,
 * because it starts its pthread workers from a `blob:` URL, which Node's `Worker` refuses; and its
 * C++ initialiser caps the pool at half the logical cores (it assumes hyper-threading), which is
 * one thread on a 2-core machine. This loader gets round all three:
 * - the pthread worker script, shipped in the package as a string, is written once to a real
 *   `.cjs` file (content-hashed name in the temp folder) and the Emscripten factory is pointed at
 *   it and at the main script's path instead of blobs;
 * - while the module initialises, `os.cpus()` reports twice the wanted thread count, so the cap
 *   lands on exactly the count asked for;
 * - the idle workers the module pre-spawns (8) beyond the pool's are terminated, each being a
 *   whole V8 isolate, and the pool's own are unreferenced so that they never keep a process
 *   alive after its work is done.
 * The backend is registered under the name `wasm`, so every project kernel applies unchanged.
 * Measured on 2 cores: matMul 2.0x, Conv2D 1.9x, Conv2DBackpropFilter 1.6x faster than one thread.
 */
import * as tf from '@tensorflow/tfjs'
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { nativeKernels } from './native-kernels'

const MAIN_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'
const WORKER_MODULE = 'tfjs-backend-wasm-threaded-simd.worker.js'
/** The most threads the compiled module's pthread pool allows. */
const MAX_THREADS = 8
/** A module whose workers never report in is given up on after this long (then one thread). */
const INIT_TIMEOUT_MS = 30_000

/** The Emscripten module as far as this loader and `BackendWasm` use it. */
interface ThreadedModule {
  cwrap: (name: string, returns: string | null, args: string[]) => (...args: number[]) => unknown
  PThread?: {
    unusedWorkers: Array<{ terminate: () => unknown }>
    runningWorkers: Array<{ unref: () => void }>
  }
  tfjs?: Record<string, unknown>
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>

/**
 * Threads to use: `CPCSV_WASM_THREADS` when set (1 turns threading off), else one where the
 * native kernels run the convolutions and products (XNNPACK's idle pool threads spin and take CPU
 * from them: a `tiny` step measured 993 ms with one wasm thread, 1076 ms with two), else every
 * logical core, at most 8.
 */
export function wantedWasmThreads(env: NodeJS.ProcessEnv = process.env, native = nativeKernels() != null): number {
  const fromEnv = Number(env.CPCSV_WASM_THREADS)
  const wanted = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : native ? 1 : os.availableParallelism()
  return Math.max(1, Math.min(MAX_THREADS, wanted))
}

/** Writes the worker script to a content-addressed file (atomically) and returns its path. */
function workerScriptPath(contents: string, folder: string): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16)
  const file = path.join(folder, `tfjs-wasm-pthread-${hash}.cjs`)
  if (existsSync(file)) return file
  mkdirSync(folder, { recursive: true })
  const partial = `${file}.${process.pid}.${Date.now()}.partial`
  writeFileSync(partial, contents)
  renameSync(partial, file)
  return file
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Instantiates the threaded module with `threads` pool threads and wraps it as `BackendWasm`. */
async function createThreadedBackend(threads: number, folder: string): Promise<BackendWasm> {
  const require = createRequire(import.meta.url)
  const mainScript = require.resolve(MAIN_SCRIPT)
  const outDir = path.dirname(mainScript)
  const { wasmWorkerContents } = require(path.join(outDir, WORKER_MODULE)) as { wasmWorkerContents: string }
  // The package escapes newlines the same way before making its blob: the string holds `\n`
  // escapes that must stay escapes inside the script's string literals.
  const workerScript = workerScriptPath(wasmWorkerContents.replace(/\n/g, '\\n'), folder)
  const factory = require(mainScript) as Factory
  const config: Record<string, unknown> = {
    locateFile: (file: string) => (file.endsWith('.worker.js') ? workerScript : path.join(outDir, file)),
    mainScriptUrlOrBlob: mainScript
  }
  const cpus = os.cpus
  os.cpus = () => {
    const real = cpus()
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length])
  }
  let module: ThreadedModule
  try {
    module = await withTimeout(factory(config), INIT_TIMEOUT_MS, 'starting the threaded WebAssembly module')
  } catch (error) {
    ;(config as Partial<ThreadedModule>).PThread?.unusedWorkers.forEach((w) => w.terminate())
    throw error
  } finally {
    os.cpus = cpus
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, [])
  }
  setThreadsCount(threads)
  const backend = new BackendWasm(module as never)
  // The pool now owns the workers it needs; the rest of the pre-spawned ones would idle forever.
  const idle = module.PThread?.unusedWorkers ?? []
  for (const worker of idle.splice(0)) void worker.terminate()
  // Pool threads wait for work for the life of the process; Emscripten refs their workers while
  // they run, which would keep every process (CLI, worker thread, test) from ever exiting.
  for (const worker of module.PThread?.runningWorkers ?? []) worker.unref()
  return backend
}

/** Where the worker script goes: `CPCSV_WASM_WORKER_DIR`, else a folder in the OS temp folder. */
export function wasmWorkerFolder(env: NodeJS.ProcessEnv = process.env): string {
  return env.CPCSV_WASM_WORKER_DIR != null && env.CPCSV_WASM_WORKER_DIR !== ''
    ? env.CPCSV_WASM_WORKER_DIR
    : path.join(os.tmpdir(), 'cpcsv-workbench')
}

/** Threads of the started `wasm` backend; null before it starts. */
let activeThreads: number | null = null

/** Threads the `wasm` backend started with (1 for the stock one), or null if it hasn't started. */
export function wasmThreads(): number | null {
  return activeThreads
}

/**
 * Replaces the package's `wasm` backend factory by the threaded one, falling back to the
 * package's own single-threaded SIMD factory when the threaded module fails to start. Call
 * before the backend is first initialised. With one thread wanted the stock factory stays.
 */
export function registerThreadedWasm(threads: number, folder = wasmWorkerFolder()): void {
  if (threads <= 1) return
  const stock = tf.findBackendFactory('wasm')
  if (stock == null) throw new Error('the wasm backend must be imported before registerThreadedWasm')
  tf.removeBackend('wasm')
  tf.registerBackend('wasm', async () => {
    try {
      const backend = await createThreadedBackend(threads, folder)
      activeThreads = threads
      return backend
    } catch (error) {
      activeThreads = 1
      console.warn(`wasm: threaded module failed (${(error as Error).message}); using one thread`)
      return stock()
    }
  }, 2)
}
