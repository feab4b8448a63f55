import type { Channel, ParsedRequestOf, ReplyOf } from '../../shared/contract'

/** A service function per channel, receiving the already-validated request. */
export type Handlers = { [C in Channel]: (req: ParsedRequestOf<C>) => Promise<ReplyOf<C>> | ReplyOf<C> }
export type HandlerGroup<C extends Channel> = Pick<Handlers, C>
