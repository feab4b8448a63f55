/**
 * The threaded wasm module under Node (engine/wasm-threads.ts): each case runs in a child
 * process, because a TF.js backend starts once per process.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { wantedWasmThreads } from '../../src/main/training/engine/wasm-threads'
import { tempDir } from '../helpers/paths'

/** Prints the backend's reason, thread count and a conv / matMul / conv-gradient result. */
const PROBE = path.resolve(__dirname, '../helpers/wasm-probe.ts')
const ROOT = path.resolve(__dirname, '../..')

interface Outcome {
  reason: string
  threads: number
  conv: number[]
  mm: number[]
  dw: number[]
}

function run(env: Record<string, string>): { outcome: Outcome; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', PROBE], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CPCSV_NATIVE_KERNELS: '0', ...env }, timeout: 120_000 })
  expect(r.status, r.stderr).toBe(0)
  return { outcome: JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Outcome, stderr: r.stderr }
}

function maxRelative(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length)
  const scale = Math.max(...b.map(Math.abs), 1e-12)
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale
}

describe('threaded wasm backend in Node', () => {
  it('takes the thread count from CPCSV_WASM_THREADS, else the logical cores, at most 8', () => {
    expect(wantedWasmThreads({ CPCSV_WASM_THREADS: '3' })).toBe(3)
    expect(wantedWasmThreads({ CPCSV_WASM_THREADS: '64' })).toBe(8)
    expect(wantedWasmThreads({ CPCSV_WASM_THREADS: 'x' }, false)).toBe(Math.min(8, availableParallelism()))
    expect(wantedWasmThreads({}, false)).toBe(Math.min(8, availableParallelism()))
    // With the native kernels doing the heavy products, wasm stays on one thread unless asked.
    expect(wantedWasmThreads({}, true)).toBe(1)
    expect(wantedWasmThreads({ CPCSV_WASM_THREADS: '2' }, true)).toBe(2)
  })

  it('runs XNNPACK on two threads and gives the single-threaded results', () => {
    const one = run({ CPCSV_WASM_THREADS: '1' }).outcome
    const two = run({ CPCSV_WASM_THREADS: '2' }).outcome
    expect(one.threads).toBe(1)
    expect(one.reason).toMatch(/one thread/)
    expect(two.threads).toBe(2)
    expect(two.reason).toMatch(/2 threads/)
    expect(maxRelative(two.conv, one.conv)).toBeLessThan(1e-6)
    expect(maxRelative(two.mm, one.mm)).toBeLessThan(1e-6)
    expect(maxRelative(two.dw, one.dw)).toBeLessThan(1e-5)
  })

  it('falls back to one thread, with a warning, when the worker script cannot be written', () => {
    const temp = tempDir('wasm-threads-')
    const notAFolder = path.join(temp.dir, 'file')
    writeFileSync(notAFolder, 'x')
    const { outcome, stderr } = run({ CPCSV_WASM_THREADS: '2', CPCSV_WASM_WORKER_DIR: notAFolder })
    temp.cleanup()
    expect(outcome.threads).toBe(1)
    expect(outcome.reason).toMatch(/one thread/)
    expect(stderr).toMatch(/threaded module failed .*; using one thread/)
    expect(outcome.conv.length).toBe(4 * 16 * 16 * 6)
  })
})
