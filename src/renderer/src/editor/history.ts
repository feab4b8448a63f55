/**
 * Undo/redo for mask documents: a History per frame, and a HistoryBook that keeps each frame's
 * History while the person moves between frames, so undo still works after coming back.
 */

import type { Command } from './commands'
import type { MaskDocument } from './mask-document'

/** Size limits of one History. The oldest entries are dropped first. */
export interface HistoryOptions {
  /** Most undo entries kept, ≥ 1; default 200. */
  limit?: number
  /** Most bytes of command data kept (undo + redo), default 64 MiB; the newest entry always stays. */
  maxBytes?: number
}

/** Default entry limit per frame. */
export const DEFAULT_HISTORY_LIMIT = 200
/** Default memory budget per frame in bytes. */
export const DEFAULT_HISTORY_BYTES = 64 * 1024 * 1024

/** Called after every run, record, undo, redo, clear, attach or markSaved. */
export type HistoryListener = (history: History) => void

interface Entry {
  readonly command: Command
  /** Identifies the document state right after this command, for saved-state tracking. */
  readonly state: number
}

let nextState = 1

/** Linear undo/redo stack over one MaskDocument. */
export class History {
  /** Entry limit this history enforces. */
  readonly limit: number
  /** Byte budget this history enforces. */
  readonly maxBytes: number
  private doc: MaskDocument
  private done: Entry[] = []
  private undone: Entry[] = []
  private bytes = 0
  /** State id when `done` is empty; changes when old entries are trimmed. */
  private baseState = 0
  private savedState = 0
  private readonly listeners = new Set<HistoryListener>()

  /** @throws RangeError on a limit below 1 or a negative byte budget. */
  constructor(doc: MaskDocument, options: HistoryOptions = {}) {
    this.limit = options.limit ?? DEFAULT_HISTORY_LIMIT
    this.maxBytes = options.maxBytes ?? DEFAULT_HISTORY_BYTES
    if (!Number.isSafeInteger(this.limit) || this.limit < 1) throw new RangeError(`history limit ${this.limit} must be ≥ 1`)
    if (!(this.maxBytes >= 0)) throw new RangeError(`history byte budget ${this.maxBytes} must be ≥ 0`)
    this.doc = doc
  }

  /** The document commands are applied to. */
  get document(): MaskDocument {
    return this.doc
  }

  /**
   * Points the history at another document object of the same frame (e.g. reloaded after a frame
   * switch). When its geometry differs the recorded tiles cannot apply, so the history is cleared.
   */
  attach(doc: MaskDocument): void {
    if (doc === this.doc) return
    const compatible = doc.sameGeometry(this.doc)
    this.doc = doc
    if (!compatible) this.reset()
    this.emit()
  }

  /** Applies `command` to the document and records it. If apply throws, nothing is recorded. */
  run(command: Command): void {
    command.apply(this.doc)
    this.record(command)
  }

  /**
   * Records a command whose effect is already on the document (a committed StrokeSession painted
   * live while the pointer moved). Drops the redo stack, then trims to the limits.
   */
  record(command: Command): void {
    for (const entry of this.undone) this.bytes -= entry.command.byteSize ?? 0
    this.undone = []
    this.done.push({ command, state: nextState++ })
    this.bytes += command.byteSize ?? 0
    this.trim()
    this.emit()
  }

  /** Reverts the newest entry. @returns it, or null when there is nothing to undo. */
  undo(): Command | null {
    const entry = this.done.at(-1)
    if (entry === undefined) return null
    entry.command.revert(this.doc)
    this.done.pop()
    this.undone.push(entry)
    this.emit()
    return entry.command
  }

  /** Re-applies the newest undone entry. @returns it, or null when there is nothing to redo. */
  redo(): Command | null {
    const entry = this.undone.at(-1)
    if (entry === undefined) return null
    entry.command.apply(this.doc)
    this.undone.pop()
    this.done.push(entry)
    this.emit()
    return entry.command
  }

  /** Whether undo() would do something. */
  get canUndo(): boolean {
    return this.done.length > 0
  }

  /** Whether redo() would do something. */
  get canRedo(): boolean {
    return this.undone.length > 0
  }

  /** Label of the entry undo() would revert, or null. */
  get undoLabel(): string | null {
    return this.done.at(-1)?.command.label ?? null
  }

  /** Label of the entry redo() would re-apply, or null. */
  get redoLabel(): string | null {
    return this.undone.at(-1)?.command.label ?? null
  }

  /** Number of undoable entries. */
  get size(): number {
    return this.done.length
  }

  /** Bytes of command data held (undo and redo). */
  get byteSize(): number {
    return this.bytes
  }

  /** Drops all entries; the document is unchanged and so is whether it counts as saved. */
  clear(): void {
    this.reset()
    this.emit()
  }

  /** Marks the current document state as the saved one (call after masks:save succeeds). */
  markSaved(): void {
    this.savedState = this.currentState()
    this.emit()
  }

  /** Whether the document differs from the last state passed to markSaved (or the initial state). */
  get isDirty(): boolean {
    return this.currentState() !== this.savedState
  }

  /** Subscribes to changes. @returns a function that unsubscribes. */
  onChange(listener: HistoryListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private currentState(): number {
    return this.done.at(-1)?.state ?? this.baseState
  }

  private reset(): void {
    this.baseState = this.currentState()
    this.done = []
    this.undone = []
    this.bytes = 0
  }

  private trim(): void {
    while (this.done.length > 1 && (this.done.length > this.limit || this.bytes > this.maxBytes)) {
      const oldest = this.done.shift() as Entry
      this.bytes -= oldest.command.byteSize ?? 0
      // The state after the dropped entry is now the bottom of the stack.
      this.baseState = oldest.state
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this)
  }
}

/** A frame identifier as the catalog hands it out. */
export type FrameKey = string | number

/** HistoryBook limits: per-History limits plus how many frames keep a history. */
export interface HistoryBookOptions extends HistoryOptions {
  /** Most frames with a kept history, ≥ 1; default 50. Least recently used clean ones go first. */
  maxFrames?: number
}

/** frameId → History, so each frame's undo stack survives switching frames. */
export class HistoryBook {
  private readonly histories = new Map<FrameKey, History>()
  private readonly maxFrames: number

  /** @throws RangeError on maxFrames below 1. */
  constructor(private readonly options: HistoryBookOptions = {}) {
    this.maxFrames = options.maxFrames ?? 50
    if (!Number.isSafeInteger(this.maxFrames) || this.maxFrames < 1) {
      throw new RangeError(`maxFrames ${this.maxFrames} must be ≥ 1`)
    }
  }

  /**
   * The History of `frameId`, attached to `doc` (the frame's current document object). Creates
   * one on first use and marks the frame most recently used.
   */
  get(frameId: FrameKey, doc: MaskDocument): History {
    let history = this.histories.get(frameId)
    if (history === undefined) {
      history = new History(doc, this.options)
    } else {
      history.attach(doc)
      this.histories.delete(frameId)
    }
    // Map iteration order is insertion order: re-inserting keeps it least- to most-recent.
    this.histories.set(frameId, history)
    this.evict(frameId)
    return history
  }

  /** The History of `frameId` without creating one or changing recency. */
  peek(frameId: FrameKey): History | undefined {
    return this.histories.get(frameId)
  }

  /** Whether `frameId` has a kept history. */
  has(frameId: FrameKey): boolean {
    return this.histories.has(frameId)
  }

  /** Forgets the history of `frameId` (e.g. the frame was deleted). */
  delete(frameId: FrameKey): boolean {
    return this.histories.delete(frameId)
  }

  /** Forgets every history (e.g. the dataset was closed). */
  clear(): void {
    this.histories.clear()
  }

  /** Number of frames with a kept history. */
  get size(): number {
    return this.histories.size
  }

  /** Frames whose document differs from its last saved state. */
  dirtyFrames(): FrameKey[] {
    return [...this.histories].filter(([, history]) => history.isDirty).map(([frameId]) => frameId)
  }

  private evict(keep: FrameKey): void {
    while (this.histories.size > this.maxFrames) {
      // Prefer dropping a saved frame's history: a dirty one still tells the app what to save.
      let victim: FrameKey | undefined
      for (const [frameId, history] of this.histories) {
        if (frameId !== keep && !history.isDirty) {
          victim = frameId
          break
        }
      }
      victim ??= [...this.histories.keys()].find((frameId) => frameId !== keep)
      if (victim === undefined) return
      this.histories.delete(victim)
    }
  }
}
