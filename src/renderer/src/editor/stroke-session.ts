/**
 * One gesture on one layer, from pointer-down to pointer-up.
 *
 * The session paints live (the person sees pixels under the pointer at once) and, before each
 * operation, copies every tile the operation may touch that it has not copied yet. On commit it
 * keeps only the tiles whose bytes changed and returns them as a single PaintCommand, so a stroke
 * of any length is one undo entry; on cancel it writes the copies back.
 */

import { PaintCommand, type TilePatch } from './commands'
import { frameRect, type PaintMode, type Point, type Rect } from './geometry'
import type { MaskDocument } from './mask-document'
import { brushSegmentBounds, paintBrushSegment } from './tools/brush'
import { floodFill, type FloodOptions } from './tools/flood-fill'
import { clearLayer, copyLayer } from './tools/layer-ops'
import { fillPolygon, polygonBounds, type FillRule } from './tools/polygon'
import { fillRectangle, rectangleBounds } from './tools/rectangle'

/** A raster operation on a layer buffer; must write only inside the bounds it was given. */
export type LayerPainter = (pixels: Uint8Array, width: number, height: number) => Rect | null

/** Gesture on one layer; see the module comment. Create on pointer-down. */
export class StrokeSession {
  private readonly before: (Uint8Array | undefined)[]
  private readonly captured: number[] = []
  private finished = false
  private last: Point | null = null

  /**
   * @param doc the frame's document.
   * @param layer character layer index to paint.
   * @param label history label of the gesture ("Brush", "Eraser", "Polygon", ...).
   * @throws RangeError when the layer does not exist.
   */
  constructor(readonly doc: MaskDocument, readonly layer: number, readonly label: string) {
    doc.layer(layer)
    this.before = new Array<Uint8Array | undefined>(doc.tileCount)
  }

  /** Whether operations still paint: false once committed or cancelled, or while the layer is locked. */
  get active(): boolean {
    return !this.finished && !this.doc.isLocked(this.layer)
  }

  /** Number of tiles copied so far (≥ the tiles that will end up in the command). */
  get capturedTileCount(): number {
    return this.captured.length
  }

  /**
   * Runs `painter` on the layer after capturing the tiles in `bounds`. Does nothing on a locked
   * layer or a finished session. Announces the painted rectangle to the document's listeners.
   * @param bounds every pixel `painter` may write (clipped to the frame); null = nothing.
   * @returns the rectangle `painter` reports, or null.
   */
  paint(bounds: Rect | null, painter: LayerPainter): Rect | null {
    if (bounds === null || !this.active) return null
    this.capture(bounds)
    const { width, height } = this.doc
    const written = painter(this.doc.layer(this.layer), width, height)
    if (written !== null) this.doc.notifyPixels(this.layer, written)
    return written
  }

  /**
   * Brush or eraser: paints the segment from the previous point to (x, y), or a dab at (x, y) for
   * the first point. Call on pointer-down and on every pointer-move (coalesced events included).
   * @param diameter 1..256 pixels; see paintBrushSegment for the exact pixel rule.
   */
  brushTo(x: number, y: number, diameter: number, mode: PaintMode): Rect | null {
    const from = this.last ?? { x, y }
    this.last = { x, y }
    const { width, height } = this.doc
    return this.paint(brushSegmentBounds(from.x, from.y, x, y, diameter, width, height), (pixels) =>
      paintBrushSegment(pixels, width, height, from.x, from.y, x, y, diameter, mode)
    )
  }

  /** Polygon or lasso fill of a closed outline; see fillPolygon. */
  fillPolygon(points: readonly Point[], mode: PaintMode, rule: FillRule = 'nonzero'): Rect | null {
    const { width, height } = this.doc
    return this.paint(polygonBounds(points, width, height), (pixels) => fillPolygon(pixels, width, height, points, mode, rule))
  }

  /** Rectangle between two corners; see fillRectangle. */
  fillRectangle(x0: number, y0: number, x1: number, y1: number, mode: PaintMode): Rect | null {
    const { width, height } = this.doc
    return this.paint(rectangleBounds(x0, y0, x1, y1, width, height), (pixels) =>
      fillRectangle(pixels, width, height, x0, y0, x1, y1, mode)
    )
  }

  /** Flood fill / magic wand on the frame's RGBA pixels; see floodFill. Captures the whole layer. */
  floodFill(
    rgba: Uint8Array | Uint8ClampedArray, x: number, y: number, tolerance: number, mode: PaintMode, options?: FloodOptions
  ): Rect | null {
    const { width, height } = this.doc
    return this.paint(frameRect(width, height), (pixels) =>
      floodFill(pixels, width, height, rgba, x, y, tolerance, mode, options)
    )
  }

  /** Sets the whole layer to 0. */
  clear(): Rect | null {
    const { width, height } = this.doc
    return this.paint(frameRect(width, height), (pixels) => clearLayer(pixels, width, height))
  }

  /** Replaces the whole layer with `source` (same size; nonzero → 1). */
  copyFrom(source: Uint8Array): Rect | null {
    const { width, height } = this.doc
    return this.paint(frameRect(width, height), (pixels) => copyLayer(source, pixels, width, height))
  }

  /**
   * Ends the gesture (pointer-up). The pixels stay as painted.
   * @returns one PaintCommand with the changed tiles, already applied, to pass to
   *   History.record; null when nothing changed (e.g. erasing an empty area or a locked layer).
   */
  commit(): PaintCommand | null {
    if (this.finished) return null
    this.finished = true
    const patches: TilePatch[] = []
    for (const tile of this.captured) {
      const before = this.before[tile] as Uint8Array
      if (this.doc.tileEquals(this.layer, tile, before)) continue
      patches.push({ tile, before, after: this.doc.readTile(this.layer, tile) })
    }
    this.release()
    if (patches.length === 0) return null
    const { width, height, tileSize } = this.doc
    return new PaintCommand(this.label, this.layer, patches, { width, height, tileSize })
  }

  /** Abandons the gesture (Escape, lost pointer capture): restores every captured tile. */
  cancel(): void {
    if (this.finished) return
    this.finished = true
    if (this.captured.length > 0) {
      this.doc.restoreTiles(this.layer, this.captured, this.captured.map((tile) => this.before[tile] as Uint8Array))
    }
    this.release()
  }

  private capture(bounds: Rect): void {
    this.doc.forEachTileIn(bounds, (tile) => {
      if (this.before[tile] !== undefined) return
      this.before[tile] = this.doc.readTile(this.layer, tile)
      this.captured.push(tile)
    })
  }

  private release(): void {
    this.before.fill(undefined)
    this.captured.length = 0
  }
}
