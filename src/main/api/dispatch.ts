import { isChannel, validateRequest, type Channel, type ReplyOf } from '../../shared/contract'
import { UserError, err, ok, type Result } from '../../shared/result'
import type { Workbench } from './workbench'

/**
 * The one entry point both bindings use: checks the channel, validates the request against the
 * contract's schema, runs the service and turns every outcome into a `Result`. UserErrors go to
 * the person verbatim; anything else is logged with its stack and reported generically.
 */
export async function dispatch(
  wb: Workbench,
  channel: unknown,
  request: unknown,
  log: (msg: string) => void = (m) => console.error(m)
): Promise<Result<ReplyOf<Channel>>> {
  if (!isChannel(channel)) return err('invalid_request', `unknown channel ${String(channel)}`)
  const parsed = validateRequest(channel, request)
  if (!parsed.ok) return err('invalid_request', parsed.message)
  try {
    const handler = wb.handlers[channel] as (req: unknown) => Promise<ReplyOf<Channel>> | ReplyOf<Channel>
    return ok(await handler(parsed.value))
  } catch (e) {
    if (e instanceof UserError) return err(e.code, e.message)
    log(`${channel} failed: ${(e as Error)?.stack ?? String(e)}`)
    return err('internal', `${channel} failed unexpectedly; see the workbench log for details`)
  }
}
