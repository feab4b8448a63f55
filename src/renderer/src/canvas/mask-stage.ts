/**
 * Konva adapter of the mask canvas: the frame picture, the composited mask overlay, guides (pixel
 * grid, onion-skin and imported-mask outlines) and the interaction layer (brush outline, shape
 * previews), under one zoom/pan transform.
 *
 * Layers are separate canvases on purpose: painting redraws only the mask and interaction layers
 * (one image and a circle), never the picture or the outlines. Pixels stay crisp at every zoom
 * (image smoothing off). The view transform is kept with integer offsets and published on the
 * container as data attributes (`data-zoom`, `data-origin-x`, `data-origin-y`) so tests can map
 * screen points to image points with exactly the arithmetic of {@link MaskStage.toImage}.
 */

import Konva from 'konva'
import type { Point } from '../editor/geometry'

/** Smallest and largest zoom factors (screen pixels per image pixel); fit may go below 1 for big frames. */
export const MAX_ZOOM = 32
/** Zoom below which fit is allowed to go for frames larger than the view. */
export const MIN_ZOOM = 1 / 8
/** Zoom from which the pixel grid is drawn. */
const GRID_ZOOM = 12

/** An outline to draw: segments from `maskOutline`, in a CSS colour. */
export interface OutlinePath {
  segments: Float32Array
  color: string
  dash?: number[]
}

/** The current view transform: screen = origin + zoom × image. */
export interface ViewTransform {
  zoom: number
  /** Stage-space offset of image pixel (0, 0), integer CSS pixels. */
  x: number
  y: number
}

/** See the module comment. */
export class MaskStage {
  private readonly stage: Konva.Stage
  private readonly pictureLayer = new Konva.Layer({ listening: false, imageSmoothingEnabled: false })
  private readonly maskLayer = new Konva.Layer({ listening: false, imageSmoothingEnabled: false })
  private readonly guideLayer = new Konva.Layer({ listening: false })
  private readonly interactionLayer = new Konva.Layer({ listening: false })
  private readonly picture = new Konva.Image({ image: undefined, listening: false })
  private readonly masks = new Konva.Image({ image: undefined, listening: false })
  private readonly border = new Konva.Rect({ stroke: '#0b0e13', strokeWidth: 1, strokeScaleEnabled: false, listening: false })
  private readonly grid: Konva.Shape
  private readonly outlines: Record<'onion' | 'imported', Konva.Shape>
  private readonly outlinePaths: Record<'onion' | 'imported', OutlinePath[]> = { onion: [], imported: [] }
  private readonly brush: Konva.Circle = new Konva.Circle({ visible: false, stroke: '#ffffff', strokeWidth: 1.5, strokeScaleEnabled: false, shadowColor: '#000', shadowBlur: 2, shadowOpacity: 1, listening: false })
  private readonly shape: Konva.Line = new Konva.Line({ visible: false, stroke: '#ffd400', strokeWidth: 1.5, strokeScaleEnabled: false, dash: [6, 4], listening: false })
  private readonly vertices = new Konva.Group({ listening: false })
  private frameWidth = 0
  private frameHeight = 0
  private transform: ViewTransform = { zoom: 1, x: 0, y: 0 }
  private readonly viewListeners = new Set<(view: ViewTransform) => void>()
  private maskDirty = false
  /** The view is the fit view (not zoomed or panned since): a resize fits again instead of keeping the centre. */
  private fitted = false
  private rafHandle = 0

  /** @param container an empty element that the stage fills; its size is the view size. */
  constructor(readonly container: HTMLDivElement) {
    this.stage = new Konva.Stage({ container, width: Math.max(1, container.clientWidth), height: Math.max(1, container.clientHeight), listening: false })
    this.grid = new Konva.Shape({ listening: false, stroke: 'rgba(255,255,255,0.14)', strokeWidth: 1, strokeScaleEnabled: false, sceneFunc: (ctx, shape) => this.drawGrid(ctx, shape) })
    const outline = (kind: 'onion' | 'imported'): Konva.Shape =>
      new Konva.Shape({ listening: false, sceneFunc: (ctx) => this.drawOutlines(ctx, this.outlinePaths[kind]) })
    this.outlines = { onion: outline('onion'), imported: outline('imported') }
    this.pictureLayer.add(this.picture, this.border)
    this.maskLayer.add(this.masks)
    this.guideLayer.add(this.grid, this.outlines.imported, this.outlines.onion)
    this.interactionLayer.add(this.shape, this.vertices, this.brush)
    this.stage.add(this.pictureLayer, this.maskLayer, this.guideLayer, this.interactionLayer)
  }

  /** Current zoom and offset. */
  get view(): Readonly<ViewTransform> {
    return this.transform
  }

  /** Shows a frame: its picture and its overlay canvas (both at image resolution), fitted to the view. */
  setFrame(picture: CanvasImageSource, overlay: HTMLCanvasElement, width: number, height: number, keepView = false): void {
    const sizeChanged = width !== this.frameWidth || height !== this.frameHeight
    this.frameWidth = width
    this.frameHeight = height
    this.picture.setAttrs({ image: picture, width, height })
    this.masks.setAttrs({ image: overlay, width, height })
    this.border.setAttrs({ width, height })
    this.setOutlines('onion', [])
    this.setOutlines('imported', [])
    this.clearInteraction()
    if (sizeChanged || !keepView) this.fit()
    else this.applyView()
  }

  /** Size of the frame shown, in image pixels. */
  get frameSize(): { width: number; height: number } {
    return { width: this.frameWidth, height: this.frameHeight }
  }

  /** Follows a container resize, keeping the image centre where it was. */
  resize(): void {
    const width = Math.max(1, this.container.clientWidth)
    const height = Math.max(1, this.container.clientHeight)
    if (width === this.stage.width() && height === this.stage.height()) return
    const dx = (width - this.stage.width()) / 2
    const dy = (height - this.stage.height()) / 2
    this.stage.size({ width, height })
    if (this.fitted) return this.fit()
    this.setView({ ...this.transform, x: this.transform.x + dx, y: this.transform.y + dy })
  }

  /** The zoom that fits the frame in the view (whole numbers from 2× up, so pixels stay even). */
  fitZoom(): number {
    if (this.frameWidth === 0) return 1
    const margin = 24
    const raw = Math.min((this.stage.width() - margin) / this.frameWidth, (this.stage.height() - margin) / this.frameHeight)
    const zoom = raw >= 2 ? Math.floor(raw) : raw
    return Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, zoom))
  }

  /** Fits and centres the frame. */
  fit(): void {
    this.zoomCentred(this.fitZoom())
    this.fitted = true
  }

  /** Sets the zoom with the frame centred in the view. */
  zoomCentred(zoom: number): void {
    const z = clampZoom(zoom)
    this.setView({ zoom: z, x: (this.stage.width() - this.frameWidth * z) / 2, y: (this.stage.height() - this.frameHeight * z) / 2 })
  }

  /** Zooms keeping the image point under stage point (sx, sy) in place (ctrl+wheel). */
  zoomAt(zoom: number, sx: number, sy: number): void {
    const z = clampZoom(zoom)
    const { zoom: old, x, y } = this.transform
    const ix = (sx - x) / old
    const iy = (sy - y) / old
    this.setView({ zoom: z, x: sx - ix * z, y: sy - iy * z })
  }

  /** Zooms keeping the image point at the centre of the view in place (zoom buttons, + and −). */
  zoomAroundCentre(zoom: number): void {
    this.zoomAt(zoom, this.stage.width() / 2, this.stage.height() / 2)
  }

  /** Moves the view by (dx, dy) screen pixels. */
  panBy(dx: number, dy: number): void {
    this.setView({ ...this.transform, x: this.transform.x + dx, y: this.transform.y + dy })
  }

  /** Calls `listener` after every zoom or pan. @returns an unsubscribe function. */
  onViewChange(listener: (view: ViewTransform) => void): () => void {
    this.viewListeners.add(listener)
    return () => this.viewListeners.delete(listener)
  }

  /** Client (CSS) coordinates of image point (0, 0). */
  origin(): Point {
    const rect = this.container.getBoundingClientRect()
    return { x: rect.left + this.transform.x, y: rect.top + this.transform.y }
  }

  /** Measures the origin, publishes it on the container (see the module comment) and returns it. */
  publishOrigin(): Point {
    const origin = this.origin()
    this.container.dataset.zoom = String(this.transform.zoom)
    this.container.dataset.originX = String(origin.x)
    this.container.dataset.originY = String(origin.y)
    return origin
  }

  /**
   * Image coordinates of a client point: `((clientX − originX) / zoom, (clientY − originY) / zoom)`,
   * with the origin as published in `data-origin-x/y`.
   */
  toImage(clientX: number, clientY: number, origin: Point = this.origin()): Point {
    return { x: (clientX - origin.x) / this.transform.zoom, y: (clientY - origin.y) / this.transform.zoom }
  }

  /** Marks the overlay canvas changed; it is drawn on the next animation frame unless {@link flushMasks} runs first. */
  invalidateMasks(): void {
    this.maskDirty = true
    if (this.rafHandle === 0) this.rafHandle = requestAnimationFrame(() => this.flushMasks())
  }

  /** Draws the overlay now if it changed. @returns whether it drew. */
  flushMasks(): boolean {
    if (this.rafHandle !== 0) {
      cancelAnimationFrame(this.rafHandle)
      this.rafHandle = 0
    }
    if (!this.maskDirty) return false
    this.maskDirty = false
    this.maskLayer.draw()
    return true
  }

  /** Overlay layer opacity as a whole (0..1), e.g. to peek at the picture. */
  setMaskOpacity(opacity: number): void {
    this.maskLayer.opacity(opacity)
    this.maskLayer.batchDraw()
  }

  /** Replaces the onion-skin or imported-mask outlines (empty hides them). */
  setOutlines(kind: 'onion' | 'imported', paths: OutlinePath[]): void {
    this.outlinePaths[kind] = paths
    this.guideLayer.batchDraw()
  }

  /** Shows the round brush outline centred at `center` (image coordinates), or hides it (null). */
  setBrushCursor(center: Point | null, diameter: number, erasing = false): void {
    if (center === null) this.brush.visible(false)
    else this.brush.setAttrs({ visible: true, x: center.x, y: center.y, radius: diameter / 2, stroke: erasing ? '#ff8a8a' : '#ffffff' })
  }

  /**
   * Shows an open or closed outline being drawn (polygon, lasso, rectangle) in image coordinates;
   * `vertexMarks` adds handles (the first one larger: clicking it closes the polygon).
   */
  setShapePreview(points: readonly Point[], closed: boolean, vertexMarks = false, subtract = false): void {
    const flat = points.flatMap((p) => [p.x, p.y])
    const color = subtract ? '#ff6b6b' : '#ffd400'
    this.shape.setAttrs({ visible: flat.length >= 4, points: flat, closed, stroke: color, fill: closed ? `${color}33` : undefined })
    this.vertices.destroyChildren()
    if (vertexMarks) {
      points.forEach((p, index) => {
        const radius = (index === 0 ? 5 : 3) / this.transform.zoom
        this.vertices.add(new Konva.Circle({ x: p.x, y: p.y, radius, fill: index === 0 ? color : '#fff', stroke: '#000', strokeWidth: 1, strokeScaleEnabled: false, listening: false }))
      })
    }
  }

  /** Hides previews and the brush outline. */
  clearInteraction(): void {
    this.shape.visible(false)
    this.vertices.destroyChildren()
    this.brush.visible(false)
    this.interactionLayer.batchDraw()
  }

  /** Draws the interaction layer now (brush outline follows the pointer without waiting a frame). */
  drawInteraction(): void {
    this.interactionLayer.draw()
  }

  /** Redraws every layer on the next animation frame. */
  redrawAll(): void {
    this.stage.batchDraw()
  }

  /** Releases the Konva stage and its canvases. */
  destroy(): void {
    if (this.rafHandle !== 0) cancelAnimationFrame(this.rafHandle)
    this.viewListeners.clear()
    this.stage.destroy()
  }

  private setView(view: ViewTransform): void {
    this.fitted = false
    // Integer offsets: pixel edges land on the same screen columns every time, and the
    // published origin is exact.
    this.transform = { zoom: view.zoom, x: Math.round(view.x), y: Math.round(view.y) }
    this.applyView()
  }

  private applyView(): void {
    const { zoom, x, y } = this.transform
    this.stage.scale({ x: zoom, y: zoom })
    this.stage.position({ x, y })
    this.publishOrigin()
    this.stage.batchDraw()
    for (const listener of this.viewListeners) listener(this.transform)
  }

  private drawGrid(ctx: Konva.Context, shape: Konva.Shape): void {
    const { zoom, x, y } = this.transform
    if (zoom < GRID_ZOOM || this.frameWidth === 0) return
    // Only the lines inside the view: at 32× a 512 frame would otherwise be 1,000 lines.
    const x0 = Math.max(0, Math.floor(-x / zoom))
    const y0 = Math.max(0, Math.floor(-y / zoom))
    const x1 = Math.min(this.frameWidth, Math.ceil((this.stage.width() - x) / zoom))
    const y1 = Math.min(this.frameHeight, Math.ceil((this.stage.height() - y) / zoom))
    ctx.beginPath()
    for (let i = x0; i <= x1; i++) {
      ctx.moveTo(i, y0)
      ctx.lineTo(i, y1)
    }
    for (let j = y0; j <= y1; j++) {
      ctx.moveTo(x0, j)
      ctx.lineTo(x1, j)
    }
    ctx.strokeShape(shape)
  }

  private drawOutlines(ctx: Konva.Context, paths: readonly OutlinePath[]): void {
    if (paths.length === 0) return
    const native = ctx._context
    const { zoom, x, y } = this.transform
    const ratio = this.guideLayer.getCanvas().getPixelRatio()
    native.save()
    // Screen space, so the line is 1.5 CSS pixels wide whatever the zoom.
    native.setTransform(ratio, 0, 0, ratio, 0, 0)
    native.lineWidth = 1.5
    for (const path of paths) {
      native.beginPath()
      const s = path.segments
      for (let k = 0; k < s.length; k += 4) {
        native.moveTo(x + s[k] * zoom, y + s[k + 1] * zoom)
        native.lineTo(x + s[k + 2] * zoom, y + s[k + 3] * zoom)
      }
      native.setLineDash(path.dash ?? [])
      native.strokeStyle = path.color
      native.stroke()
    }
    native.restore()
  }
}

function clampZoom(zoom: number): number {
  return Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, zoom))
}
