/**
 * Preload bridge: exposes exactly the contract's channels to the sandboxed renderer as
 * `window.cpcsv`, nothing else of Electron or Node.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { isChannel } from '../shared/contract'

const EVENT_CHANNEL = 'cpcsv:event'

contextBridge.exposeInMainWorld('cpcsv', {
  invoke(channel: string, request: unknown): Promise<unknown> {
    if (!isChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'invalid_request', message: `unknown channel ${channel}` } })
    return ipcRenderer.invoke(`cpcsv:${channel}`, request)
  },
  onEvent(listener: (event: unknown) => void): () => void {
    const wrapped = (_e: unknown, payload: unknown): void => listener(payload)
    ipcRenderer.on(EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped)
  },
  assetBase: 'cpcsv-asset://'
})
