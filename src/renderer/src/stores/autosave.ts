import { defineStore } from 'pinia'
import { markRaw, ref } from 'vue'
import type { ReplyOf } from '../../../shared/contract'
import { rleEncode, type Rle } from '../../../shared/rle'
import { callOrThrow } from '../api/client'
import { recordLatency } from '../canvas/latency-probe'
import { SaveQueue, type SaveFailure, type SaveKey, type SaveState } from '../editor/save-queue'

/** What one queued save carries: the layer's whole RLE and when the edit was committed. */
export interface SavePayload {
  rle: Rle
  /** `performance.now()` of the commit, for the save-latency probe. */
  requestedAt: number
}

/** Reply of one successful save. */
export type SaveReply = ReplyOf<'masks:save'>

/**
 * Autosave of mask layers: every committed edit, undo and redo asks for its layer to be saved;
 * the SaveQueue coalesces, retries and never drops. This store mirrors the queue's state for the
 * save indicator and warns before the page closes while saves are pending.
 */
export const useAutosaveStore = defineStore('autosave', () => {
  const state = ref<SaveState>('saved')
  const pending = ref(0)
  const failures = ref<SaveFailure[]>([])
  /** ISO time of the last acknowledged save. */
  const lastSavedAt = ref<string | null>(null)

  const queue = markRaw(
    new SaveQueue<SavePayload, SaveReply>({
      send: (key, payload) => callOrThrow('masks:save', { frameId: key.frameId, characterIdx: key.characterIdx, rle: payload.rle }),
      debounceMs: 0,
      retryBaseMs: 500,
      retryMaxMs: 15_000
    })
  )
  queue.onChange((snapshot) => {
    state.value = snapshot.state
    pending.value = snapshot.pending
    failures.value = snapshot.failures
  })
  queue.onSaved((_key, payload, reply) => {
    lastSavedAt.value = reply.updatedAt
    recordLatency('save', payload.requestedAt)
  })

  /** Queues layer `characterIdx` of `frameId` (0/1 pixels, encoded now) for saving. */
  function save(frameId: number, characterIdx: number, pixels: Uint8Array, requestedAt = performance.now()): void {
    queue.request({ frameId, characterIdx }, { rle: rleEncode(pixels), requestedAt })
  }

  /** Subscribes to acknowledged saves (frame info refresh, history saved-state). */
  function onSaved(listener: (key: SaveKey, reply: SaveReply) => void): () => void {
    return queue.onSaved((key, _payload, reply) => listener(key, reply))
  }

  /** Whether saves of `frameId` (any frame when omitted) are waiting or in flight. */
  function hasPending(frameId?: number): boolean {
    return queue.hasPending(frameId)
  }

  /**
   * Waits until nothing is pending, at most `timeoutMs`.
   * @returns whether everything was saved in time (false while saves keep failing).
   */
  async function idle(timeoutMs = 5000): Promise<boolean> {
    if (!queue.hasPending()) return true
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const saved = await Promise.race([queue.idle().then(() => true), timeout])
    clearTimeout(timer)
    return saved
  }

  function retryNow(): void {
    queue.retryNow()
  }

  // A crash or close may lose only the stroke in progress: warn while committed edits are unsaved.
  window.addEventListener('beforeunload', (event) => {
    if (!queue.hasPending()) return
    event.preventDefault()
    event.returnValue = ''
  })

  return { state, pending, failures, lastSavedAt, save, onSaved, hasPending, idle, retryNow }
})
