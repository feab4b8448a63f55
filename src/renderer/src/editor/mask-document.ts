/**
 * The mask document of one frame: one 0/1 byte layer per character index plus per-layer view
 * flags, split into square tiles for undo capture.
 *
 * Pixel edits go through StrokeSession / commands so History sees them; this class only stores
 * pixels, hands out tile copies, and tells listeners (canvas adapters, stores) which rectangle
 * changed so they redraw only that. Flags (visible, locked, opacity) are view state and never
 * enter the history, matching "zoom, selection and tool changes are not history entries".
 */

import { type Rect, unionRect } from './geometry'

/** Default tile edge in pixels: a 512×512 frame has 256 tiles of 1 KiB per layer. */
export const DEFAULT_TILE_SIZE = 32

/** Per-layer view state. Not part of undo history. */
export interface LayerFlags {
  /** Drawn on the canvas. */
  visible: boolean
  /** No tool may change the layer's pixels. */
  locked: boolean
  /** Overlay opacity, 0..1. */
  opacity: number
}

/** Flags a new layer starts with. */
export const DEFAULT_LAYER_FLAGS: Readonly<LayerFlags> = Object.freeze({ visible: true, locked: false, opacity: 0.5 })

/**
 * A change notification. 'pixels': `rect` of `layer` changed. 'flags': the flags of `layer`.
 * 'layers': the layer count grew or a layer was replaced wholesale (`layer` = -1 when the count grew).
 */
export interface DocumentChange {
  kind: 'pixels' | 'flags' | 'layers'
  layer: number
  rect: Rect | null
}

/** Receives every change synchronously, after it is applied. */
export type DocumentListener = (change: DocumentChange) => void

/** Pixel masks of one frame, one layer per character index. */
export class MaskDocument {
  /** Frame width in pixels. */
  readonly width: number
  /** Frame height in pixels. */
  readonly height: number
  /** Tile edge in pixels. */
  readonly tileSize: number
  /** Tiles per row (the last column may be narrower). */
  readonly tilesX: number
  /** Tile rows (the last row may be shorter). */
  readonly tilesY: number
  private readonly data: Uint8Array[] = []
  private readonly layerFlags: LayerFlags[] = []
  private readonly versions: number[] = []
  private revision = 0
  private readonly listeners = new Set<DocumentListener>()

  /**
   * @param width frame width in pixels (positive integer).
   * @param height frame height in pixels (positive integer).
   * @param layerCount initial number of empty layers (character indices 0..layerCount-1).
   * @param tileSize undo tile edge in pixels.
   * @throws RangeError on non-positive or non-integer sizes.
   */
  constructor(width: number, height: number, layerCount = 0, tileSize = DEFAULT_TILE_SIZE) {
    for (const [name, value] of [['width', width], ['height', height], ['tileSize', tileSize]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} ${value} is not a positive integer`)
    }
    this.width = width
    this.height = height
    this.tileSize = tileSize
    this.tilesX = Math.ceil(width / tileSize)
    this.tilesY = Math.ceil(height / tileSize)
    this.ensureLayers(layerCount)
  }

  /** Pixels per layer (width × height). */
  get pixelCount(): number {
    return this.width * this.height
  }

  /** Number of layers. */
  get layerCount(): number {
    return this.data.length
  }

  /** Tiles per layer. */
  get tileCount(): number {
    return this.tilesX * this.tilesY
  }

  /** Increases on every change of any kind; stores keep it instead of the pixels. */
  get version(): number {
    return this.revision
  }

  /** Increases whenever the pixels or flags of `index` change. */
  layerVersion(index: number): number {
    this.checkIndex(index)
    return this.versions[index]
  }

  /** Appends empty layers until there are at least `count`. Not a history entry: empty layers change no mask. */
  ensureLayers(count: number): void {
    if (count <= this.data.length) return
    while (this.data.length < count) {
      this.data.push(new Uint8Array(this.pixelCount))
      this.layerFlags.push({ ...DEFAULT_LAYER_FLAGS })
      this.versions.push(0)
    }
    this.emit({ kind: 'layers', layer: -1, rect: null })
  }

  /**
   * The live 0/1 pixels of layer `index`, row-major, width × height. Read freely; write only
   * through StrokeSession or a Command so the change is undoable and announced.
   */
  layer(index: number): Uint8Array {
    this.checkIndex(index)
    return this.data[index]
  }

  /** All layers in index order (live buffers, same rules as {@link layer}). */
  layers(): readonly Uint8Array[] {
    return this.data
  }

  /**
   * Replaces the pixels of layer `index` (growing the layer list if needed) with a copy of
   * `pixels`, nonzero → 1. Meant for loading saved masks, so it is not a history entry.
   * @throws RangeError when `pixels.length !== width × height`.
   */
  setLayer(index: number, pixels: Uint8Array): void {
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`layer index ${index} is invalid`)
    if (pixels.length !== this.pixelCount) {
      throw new RangeError(`layer has ${pixels.length} bytes, expected ${this.width}×${this.height}`)
    }
    this.ensureLayers(index + 1)
    const target = this.data[index]
    for (let i = 0; i < pixels.length; i++) target[i] = pixels[i] !== 0 ? 1 : 0
    this.emit({ kind: 'layers', layer: index, rect: { x: 0, y: 0, w: this.width, h: this.height } })
  }

  /** Current flags of layer `index` (a frozen copy). */
  flags(index: number): Readonly<LayerFlags> {
    this.checkIndex(index)
    return Object.freeze({ ...this.layerFlags[index] })
  }

  /**
   * Updates some flags of layer `index`. Not a history entry.
   * @throws RangeError on an opacity outside 0..1.
   */
  setFlags(index: number, patch: Partial<LayerFlags>): void {
    this.checkIndex(index)
    if (patch.opacity !== undefined && !(patch.opacity >= 0 && patch.opacity <= 1)) {
      throw new RangeError(`opacity ${patch.opacity} is outside 0..1`)
    }
    Object.assign(this.layerFlags[index], patch)
    this.emit({ kind: 'flags', layer: index, rect: null })
  }

  /** Whether tools must leave layer `index` alone. */
  isLocked(index: number): boolean {
    this.checkIndex(index)
    return this.layerFlags[index].locked
  }

  /** Pixel rectangle of tile `tile` (row-major tile index), clipped to the frame. */
  tileRect(tile: number): Rect {
    if (!Number.isSafeInteger(tile) || tile < 0 || tile >= this.tileCount) throw new RangeError(`tile ${tile} is out of range`)
    const x = (tile % this.tilesX) * this.tileSize
    const y = Math.floor(tile / this.tilesX) * this.tileSize
    return { x, y, w: Math.min(this.tileSize, this.width - x), h: Math.min(this.tileSize, this.height - y) }
  }

  /** Calls `visit` with the index of every tile overlapping `rect` (which must lie inside the frame). */
  forEachTileIn(rect: Rect, visit: (tile: number) => void): void {
    const size = this.tileSize
    const tx1 = Math.floor((rect.x + rect.w - 1) / size)
    const ty1 = Math.floor((rect.y + rect.h - 1) / size)
    for (let ty = Math.floor(rect.y / size); ty <= ty1; ty++) {
      for (let tx = Math.floor(rect.x / size); tx <= tx1; tx++) visit(ty * this.tilesX + tx)
    }
  }

  /** Copies tile `tile` of layer `index` into `out` (or a new array) as compact rows of tileRect's size. */
  readTile(index: number, tile: number, out?: Uint8Array): Uint8Array {
    const rect = this.tileRect(tile)
    const source = this.layer(index)
    const bytes = out ?? new Uint8Array(rect.w * rect.h)
    for (let row = 0; row < rect.h; row++) {
      const start = (rect.y + row) * this.width + rect.x
      bytes.set(source.subarray(start, start + rect.w), row * rect.w)
    }
    return bytes
  }

  /** Whether tile `tile` of layer `index` currently equals `bytes` (compact rows, as readTile). */
  tileEquals(index: number, tile: number, bytes: Uint8Array): boolean {
    const rect = this.tileRect(tile)
    const source = this.layer(index)
    for (let row = 0; row < rect.h; row++) {
      const start = (rect.y + row) * this.width + rect.x
      const offset = row * rect.w
      for (let i = 0; i < rect.w; i++) if (source[start + i] !== bytes[offset + i]) return false
    }
    return true
  }

  /** Copies of the given tiles of layer `index`, parallel to `tiles`. */
  snapshotTiles(index: number, tiles: readonly number[]): Uint8Array[] {
    return tiles.map((tile) => this.readTile(index, tile))
  }

  /**
   * Writes tile contents back (compact rows, parallel arrays) and announces the union of their
   * rectangles as one change. Used by PaintCommand apply/revert and by cancelling a stroke.
   */
  restoreTiles(index: number, tiles: readonly number[], contents: readonly Uint8Array[]): void {
    const target = this.layer(index)
    let changed: Rect | null = null
    for (let k = 0; k < tiles.length; k++) {
      const rect = this.tileRect(tiles[k])
      const bytes = contents[k]
      if (bytes.length !== rect.w * rect.h) {
        throw new RangeError(`tile ${tiles[k]} data has ${bytes.length} bytes, expected ${rect.w * rect.h}`)
      }
      for (let row = 0; row < rect.h; row++) {
        target.set(bytes.subarray(row * rect.w, (row + 1) * rect.w), (rect.y + row) * this.width + rect.x)
      }
      changed = unionRect(changed, rect)
    }
    if (changed !== null) this.notifyPixels(index, changed)
  }

  /** Announces that `rect` of layer `index` was written (tools write buffers directly for speed). */
  notifyPixels(index: number, rect: Rect): void {
    this.checkIndex(index)
    this.emit({ kind: 'pixels', layer: index, rect })
  }

  /** Subscribes to changes. @returns a function that unsubscribes. */
  onChange(listener: DocumentListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Whether `other` has the same frame and tile geometry, so tile data can move between the two. */
  sameGeometry(other: MaskDocument): boolean {
    return other.width === this.width && other.height === this.height && other.tileSize === this.tileSize
  }

  private emit(change: DocumentChange): void {
    this.revision++
    if (change.layer >= 0) this.versions[change.layer]++
    for (const listener of this.listeners) listener(change)
  }

  private checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.data.length) {
      throw new RangeError(`layer index ${index} is outside 0..${this.data.length - 1}`)
    }
  }
}
