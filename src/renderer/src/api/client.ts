import type { Channel, ReplyOf, RequestOf, WorkbenchEvent } from '../../../shared/contract'
import type { Result } from '../../../shared/result'

/**
 * The renderer's one view of the Workbench API. Two transports implement it (Electron preload
 * bridge, serve-mode HTTP + WebSocket); nothing else in the renderer knows which one runs.
 */
export interface WorkbenchClient {
  readonly transport: 'electron' | 'serve'
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ReplyOf<C>>>
  onEvent(listener: (e: WorkbenchEvent) => void): () => void
  /** URL of an asset path returned by the API (e.g. 'frames/ab/ab….png'). */
  assetUrl(path: string): string
}

function electronClient(bridge: CpcsvBridge): WorkbenchClient {
  return {
    transport: 'electron',
    call: (channel, request) => bridge.invoke(channel, request) as Promise<never>,
    onEvent: (listener) => bridge.onEvent((e) => listener(e as WorkbenchEvent)),
    assetUrl: (path) => `${bridge.assetBase}${path}`
  }
}

/** Serve mode: the token arrives in the start URL once, then lives in sessionStorage. */
function serveClient(): WorkbenchClient {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem('cpcsv-token', fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
  }
  const token = sessionStorage.getItem('cpcsv-token') ?? ''
  const listeners = new Set<(e: WorkbenchEvent) => void>()
  let socket: WebSocket | null = null
  const connect = (): void => {
    const ws = new WebSocket(`ws://${window.location.host}/events?token=${encodeURIComponent(token)}`)
    ws.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as WorkbenchEvent
      for (const l of listeners) l(e)
    }
    ws.onclose = () => {
      socket = null
      setTimeout(connect, 1000)
    }
    socket = ws
  }
  connect()
  return {
    transport: 'serve',
    async call(channel, request) {
      try {
        const res = await fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-cpcsv-token': token },
          body: JSON.stringify(request ?? {})
        })
        return (await res.json()) as never
      } catch (e) {
        return { ok: false, error: { code: 'internal', message: `cannot reach the workbench: ${(e as Error).message}` } }
      }
    },
    onEvent(listener) {
      listeners.add(listener)
      if (!socket) connect()
      return () => listeners.delete(listener)
    },
    assetUrl: (path) => `/assets/${path}`
  }
}

let client: WorkbenchClient | null = null

export function getClient(): WorkbenchClient {
  client ??= window.cpcsv ? electronClient(window.cpcsv) : serveClient()
  return client
}

/** Unwraps a Result, throwing an Error with the API's message (stores catch and show it). */
export async function callOrThrow<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>> {
  const r = await getClient().call(channel, request)
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}
