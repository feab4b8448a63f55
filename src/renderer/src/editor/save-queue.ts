/**
 * Autosave queue for mask layers: one slot per (frame, character) holding the newest unsaved
 * payload (the layer's full RLE), so a burst of edits to one layer costs at most one save in
 * flight plus one waiting, while different layers save concurrently.
 *
 * Guarantees the Label view relies on:
 * - A payload is never dropped. It is replaced only by a newer payload of the same layer (which
 *   supersedes it, being the whole layer), and a failed send puts it back and retries with
 *   exponential backoff until it succeeds.
 * - Saves of one layer reach the server in request order: one send per key at a time.
 * - Failures are visible: `snapshot()` reports them and `onChange` fires on every transition.
 *
 * Framework-free (no Vue, no DOM beyond timers) so it is unit-tested in Node with fake timers.
 */

/** Identifies one mask layer of one frame. */
export interface SaveKey {
  frameId: number
  characterIdx: number
}

/** Aggregate state: nothing pending, something pending or in flight, or at least one layer failing. */
export type SaveState = 'saved' | 'saving' | 'failed'

/** One layer whose last send failed and waits for its retry. */
export interface SaveFailure {
  key: SaveKey
  /** Message of the last error. */
  message: string
  /** Consecutive failed sends of this key. */
  attempts: number
}

/** What the UI shows. */
export interface SaveQueueSnapshot {
  state: SaveState
  /** Keys with a payload waiting or in flight. */
  pending: number
  failures: SaveFailure[]
}

/** Options of {@link SaveQueue}. */
export interface SaveQueueOptions<P, R> {
  /** Sends one payload; rejects (or throws) on failure. Its value reaches `onSaved` listeners. */
  send: (key: SaveKey, payload: P) => Promise<R>
  /** Delay in ms from a request to its send; further requests of the key in that window coalesce. Default 0 (next microtask). */
  debounceMs?: number
  /** First retry delay in ms after a failure; doubles per consecutive failure. Default 500. */
  retryBaseMs?: number
  /** Longest retry delay in ms. Default 15,000. */
  retryMaxMs?: number
}

/** Called after each successful send with the payload that was saved and the send's result. */
export type SavedListener<P, R> = (key: SaveKey, payload: P, result: R) => void

interface Slot<P> {
  key: SaveKey
  /** Newest payload not yet handed to `send`. */
  waiting: P | undefined
  inFlight: boolean
  timer: ReturnType<typeof setTimeout> | null
  /** A microtask send is already queued (debounce 0). */
  queued: boolean
  attempts: number
  error: string | null
}

const keyOf = (key: SaveKey): string => `${key.frameId}:${key.characterIdx}`

/** See the module comment. */
export class SaveQueue<P, R = unknown> {
  private readonly slots = new Map<string, Slot<P>>()
  private readonly changeListeners = new Set<(snapshot: SaveQueueSnapshot) => void>()
  private readonly savedListeners = new Set<SavedListener<P, R>>()
  private readonly idleWaiters: (() => void)[] = []
  private readonly debounceMs: number
  private readonly retryBaseMs: number
  private readonly retryMaxMs: number
  private disposed = false

  constructor(private readonly options: SaveQueueOptions<P, R>) {
    this.debounceMs = options.debounceMs ?? 0
    this.retryBaseMs = options.retryBaseMs ?? 500
    this.retryMaxMs = options.retryMaxMs ?? 15_000
  }

  /**
   * Asks for `payload` to be saved as the content of `key`, replacing any payload of that key not
   * yet sent. A key waiting for a retry keeps its backoff (use {@link retryNow} to hurry it).
   */
  request(key: SaveKey, payload: P): void {
    if (this.disposed) throw new Error('save queue is disposed')
    const id = keyOf(key)
    let slot = this.slots.get(id)
    if (slot === undefined) {
      slot = { key: { ...key }, waiting: undefined, inFlight: false, timer: null, queued: false, attempts: 0, error: null }
      this.slots.set(id, slot)
    }
    slot.waiting = payload
    // In flight: the completion handler sends the newest payload next. Failed: its retry timer does.
    if (!slot.inFlight && slot.error === null) this.schedule(slot, this.debounceMs)
    this.emitChange()
  }

  /** Sends every failed key now instead of waiting for its backoff. */
  retryNow(): void {
    for (const slot of this.slots.values()) {
      if (slot.error !== null && !slot.inFlight) this.schedule(slot, 0, true)
    }
  }

  /** Whether any payload of `frameId` (any frame when omitted) is waiting or in flight. */
  hasPending(frameId?: number): boolean {
    for (const slot of this.slots.values()) if (frameId === undefined || slot.key.frameId === frameId) return true
    return false
  }

  /** Keys with a payload waiting or in flight. */
  pendingKeys(): SaveKey[] {
    return [...this.slots.values()].map((slot) => ({ ...slot.key }))
  }

  /** Current aggregate state. */
  snapshot(): SaveQueueSnapshot {
    const failures: SaveFailure[] = []
    for (const slot of this.slots.values()) {
      if (slot.error !== null) failures.push({ key: { ...slot.key }, message: slot.error, attempts: slot.attempts })
    }
    const state: SaveState = failures.length > 0 ? 'failed' : this.slots.size > 0 ? 'saving' : 'saved'
    return { state, pending: this.slots.size, failures }
  }

  /** Resolves once nothing is pending (never, while a save keeps failing). */
  idle(): Promise<void> {
    if (this.slots.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /** Subscribes to state changes. @returns an unsubscribe function. */
  onChange(listener: (snapshot: SaveQueueSnapshot) => void): () => void {
    this.changeListeners.add(listener)
    return () => this.changeListeners.delete(listener)
  }

  /** Subscribes to successful sends. @returns an unsubscribe function. */
  onSaved(listener: SavedListener<P, R>): () => void {
    this.savedListeners.add(listener)
    return () => this.savedListeners.delete(listener)
  }

  /** Stops all timers. Pending payloads are abandoned, so call it only when the page goes away. */
  dispose(): void {
    this.disposed = true
    for (const slot of this.slots.values()) if (slot.timer !== null) clearTimeout(slot.timer)
  }

  private schedule(slot: Slot<P>, delayMs: number, replace = false): void {
    if (replace && slot.timer !== null) {
      clearTimeout(slot.timer)
      slot.timer = null
    }
    if (slot.timer !== null || slot.queued) return
    if (delayMs <= 0) {
      // A microtask still lets synchronous bursts (an undo touching several layers) coalesce.
      slot.queued = true
      queueMicrotask(() => {
        slot.queued = false
        this.send(slot)
      })
      return
    }
    slot.timer = setTimeout(() => {
      slot.timer = null
      this.send(slot)
    }, delayMs)
  }

  private send(slot: Slot<P>): void {
    if (this.disposed || slot.inFlight || slot.waiting === undefined) return
    const payload = slot.waiting
    slot.waiting = undefined
    slot.inFlight = true
    let sending: Promise<R>
    try {
      sending = this.options.send(slot.key, payload)
    } catch (error) {
      sending = Promise.reject(error)
    }
    sending.then(
      (result) => this.succeeded(slot, payload, result),
      (error: unknown) => this.failed(slot, payload, error)
    )
  }

  private succeeded(slot: Slot<P>, payload: P, result: R): void {
    slot.inFlight = false
    slot.attempts = 0
    slot.error = null
    for (const listener of this.savedListeners) listener(slot.key, payload, result)
    if (slot.waiting !== undefined) this.schedule(slot, this.debounceMs)
    else this.slots.delete(keyOf(slot.key))
    this.emitChange()
    if (this.slots.size === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve())
  }

  private failed(slot: Slot<P>, payload: P, error: unknown): void {
    slot.inFlight = false
    slot.attempts++
    slot.error = error instanceof Error ? error.message : String(error)
    // Never drop: the failed payload comes back unless a newer one already superseded it.
    slot.waiting ??= payload
    const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (slot.attempts - 1))
    this.schedule(slot, Math.max(1, delay))
    this.emitChange()
  }

  private emitChange(): void {
    if (this.changeListeners.size === 0) return
    const snapshot = this.snapshot()
    for (const listener of this.changeListeners) listener(snapshot)
  }
}
