import { dispatch } from '../api/dispatch'
import type { Workbench } from '../api/workbench'
import { channels } from '../../shared/contract'
import { err } from '../../shared/result'

/** The part of Electron's ipcMain this binding uses (so it is testable without Electron). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}
export interface IpcEventLike {
  senderFrame: { url: string } | null
}

export const IPC_PREFIX = 'cpcsv:'
export const EVENT_CHANNEL = 'cpcsv:event'

/**
 * Binds every contract channel to ipcMain. Requests from any frame other than the app's own
 * page are refused; the request is validated by the same `dispatch` serve mode uses.
 */
export function bindIpc(ipc: IpcMainLike, wb: Workbench, isTrustedUrl: (url: string) => boolean): () => void {
  for (const channel of channels) {
    ipc.handle(`${IPC_PREFIX}${channel}`, async (event, request) => {
      const url = event.senderFrame?.url ?? ''
      if (!isTrustedUrl(url)) return err('unauthorized', `request from untrusted frame ${url || '(none)'}`)
      return dispatch(wb, channel, request)
    })
  }
  return () => channels.forEach((c) => ipc.removeHandler(`${IPC_PREFIX}${c}`))
}
