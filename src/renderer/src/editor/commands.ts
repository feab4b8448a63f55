/**
 * Undoable document changes. Every pixel change of the editor is a Command run or recorded by a
 * History; a whole gesture (stroke, fill, polygon) is one PaintCommand holding before/after bytes
 * of only the tiles it changed, which keeps a long session's undo memory proportional to what was
 * actually painted (delta-based, as in Excalidraw).
 */

import type { MaskDocument } from './mask-document'

/** One undoable change. `apply` and `revert` must be exact inverses on the same document state. */
export interface Command {
  /** Shown in Edit menu entries ("Undo Brush"). */
  readonly label: string
  /** Performs (or re-performs, on redo) the change. */
  apply(doc: MaskDocument): void
  /** Undoes the change. */
  revert(doc: MaskDocument): void
  /** Approximate bytes held, for History's memory budget; 0 when omitted. */
  readonly byteSize?: number
}

/** Before/after contents of one tile of one layer, compact rows of the tile's (clipped) size. */
export interface TilePatch {
  readonly tile: number
  readonly before: Uint8Array
  readonly after: Uint8Array
}

/** Frame and tile geometry a PaintCommand was captured on; it refuses to apply elsewhere. */
export interface TileGeometry {
  readonly width: number
  readonly height: number
  readonly tileSize: number
}

/** A pixel change of one layer as per-tile before/after data. Built by StrokeSession. */
export class PaintCommand implements Command {
  /** Tile indices, parallel to the before/after arrays. */
  readonly tiles: readonly number[]
  private readonly before: readonly Uint8Array[]
  private readonly after: readonly Uint8Array[]

  /**
   * @param label human-readable name of the gesture.
   * @param layer character layer index the patches belong to.
   * @param patches changed tiles only (unchanged tiles waste memory but are harmless).
   * @param geometry the document geometry the tiles were cut from.
   */
  constructor(
    readonly label: string,
    readonly layer: number,
    patches: readonly TilePatch[],
    readonly geometry: TileGeometry
  ) {
    this.tiles = patches.map((patch) => patch.tile)
    this.before = patches.map((patch) => patch.before)
    this.after = patches.map((patch) => patch.after)
  }

  /** Bytes held by the tile copies. */
  get byteSize(): number {
    let size = 0
    for (let k = 0; k < this.tiles.length; k++) size += this.before[k].length + this.after[k].length
    return size
  }

  /** Writes the after-bytes of every tile. @throws Error on a document of another geometry. */
  apply(doc: MaskDocument): void {
    this.prepare(doc)
    doc.restoreTiles(this.layer, this.tiles, this.after)
  }

  /** Writes the before-bytes of every tile. @throws Error on a document of another geometry. */
  revert(doc: MaskDocument): void {
    this.prepare(doc)
    doc.restoreTiles(this.layer, this.tiles, this.before)
  }

  private prepare(doc: MaskDocument): void {
    const { width, height, tileSize } = this.geometry
    if (doc.width !== width || doc.height !== height || doc.tileSize !== tileSize) {
      throw new Error(`"${this.label}" was recorded on a ${width}×${height} document, not ${doc.width}×${doc.height}`)
    }
    // A document reloaded from storage may not have created the layer yet; an empty one is the
    // correct starting point because unsaved layers are empty.
    doc.ensureLayers(this.layer + 1)
  }
}

/** Several commands as one history entry (e.g. "Copy previous frame" over all layers). */
export class CompositeCommand implements Command {
  /**
   * @param label human-readable name of the whole change.
   * @param commands applied in order, reverted in reverse order.
   */
  constructor(readonly label: string, readonly commands: readonly Command[]) {}

  /** Sum of the parts' sizes. */
  get byteSize(): number {
    return this.commands.reduce((sum, command) => sum + (command.byteSize ?? 0), 0)
  }

  /** Applies every part in order. */
  apply(doc: MaskDocument): void {
    for (const command of this.commands) command.apply(doc)
  }

  /** Reverts every part in reverse order. */
  revert(doc: MaskDocument): void {
    for (let k = this.commands.length - 1; k >= 0; k--) this.commands[k].revert(doc)
  }
}
