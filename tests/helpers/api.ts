import { dispatch } from '../../src/main/api/dispatch'
import type { Workbench } from '../../src/main/api/workbench'
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
