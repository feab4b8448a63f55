import { dispatch } from '../../src/main/api/dispatch'
import { join } from 'node:path'
import { Workbench } from '../../src/main/api/workbench'
import { runImport } from '../../src/main/datasets/run-import'
import { tempDir } from './paths'
import type { Channel, ReplyOf, RequestOf } from '../../src/shared/contract'

/**
 * Calls the Workbench API exactly as both bindings do (validation included) and unwraps the
 * Result: a failure throws `<code>: <message>`, which tests match on.
 */
export async function callApi<T>(wb: Workbench, channel: Channel, request: unknown): Promise<T> {
  const r = await dispatch(wb, channel, request, () => {})
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value as T
}

/** callApi with the contract's request and reply types. */
export function callTyped<C extends Channel>(wb: Workbench, channel: C, request: RequestOf<C>): Promise<ReplyOf<C>> {
  return callApi<ReplyOf<C>>(wb, channel, request)
}

/** A temporary workspace holding a small cartoon demo dataset, and a Workbench over it. */
export async function demoWorkbench(stories: number, seed: number): Promise<{ wb: Workbench; datasetId: number; cleanup: () => Promise<void> }> {
  const t = tempDir()
  const ws = join(t.dir, 'ws')
  const { datasetId } = await runImport(ws, { kind: 'demo', demo: 'cartoon', stories, seed })
  const wb = new Workbench(ws)
  return {
    wb,
    datasetId,
    cleanup: async () => {
      await wb.close()
      t.cleanup()
    }
  }
}
