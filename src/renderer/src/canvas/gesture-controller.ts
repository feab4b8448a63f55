/**
 * Pointer and wheel input of the mask canvas: turns DOM events into editor-core gestures
 * (StrokeSession per stroke, fill, polygon, lasso, rectangle) and view changes (pan, zoom).
 *
 * Modifier rules (also listed in the shortcut sheet): Alt subtracts with every tool (Alt+brush
 * erases); with the fill tool Shift selects every pixel of that colour in the frame (global wand)
 * instead of the connected region, and Alt+Shift removes them; a polygon takes its mode from Alt
 * at its first vertex. Space-drag, middle-drag and the wheel pan; Ctrl/Cmd+wheel zooms at the cursor.
 *
 * Latency: Chromium holds `pointermove` until the next animation frame (up to 16 ms), so where
 * the browser has `pointerrawupdate` (fired as soon as the input arrives) the brush paints on that
 * instead, with every coalesced sample, and draws the overlay at once (PaintScheduler decides
 * when a draw waits for the next frame).
 */

import type { Command } from '../editor/commands'
import type { PaintMode, Point } from '../editor/geometry'
import type { MaskDocument } from '../editor/mask-document'
import { StrokeSession } from '../editor/stroke-session'
import { snapBrushCenter } from '../editor/tools/brush'
import { FloodScratch } from '../editor/tools/flood-fill'
import type { MaskStage } from './mask-stage'
import { PaintScheduler } from './paint-scheduler'

/** The pointer tools of the Label view. */
export type ToolId = 'brush' | 'eraser' | 'polygon' | 'lasso' | 'fill' | 'rectangle'

/** What the controller needs from the view; every call reads the current value. */
export interface GestureHost {
  document(): MaskDocument | null
  activeLayer(): number
  tool(): ToolId
  brushDiameter(): number
  /** Flood fill tolerance, 0..255. */
  tolerance(): number
  /** The frame's RGBA pixels, for the fill tool; null until the picture is decoded. */
  pictureRgba(): Uint8ClampedArray | null
  /** Whether the pan key (Space) is held. */
  panHeld(): boolean
  /** A gesture finished and changed pixels; `committedAt` is `performance.now()` at pointer-up. */
  commit(command: Command, committedAt: number): void
  /** The pointer moved over the image (image coordinates) or left it (null). */
  cursorMoved(point: Point | null): void
  /** A gesture was refused (locked or missing layer); shown to the person. */
  refused(reason: string): void
  /** The polygon being drawn gained or lost vertices (0 = none open). */
  polygonChanged(vertices: number): void
}

/** Screen distance in CSS pixels within which a click on the first vertex closes the polygon. */
const CLOSE_RADIUS = 8

type Gesture =
  | { kind: 'none' }
  | { kind: 'pan'; lastX: number; lastY: number }
  | { kind: 'brush'; session: StrokeSession; mode: PaintMode }
  | { kind: 'lasso'; points: Point[]; mode: PaintMode }
  | { kind: 'rectangle'; start: Point; end: Point; mode: PaintMode }

/** See the module comment. Attach once per canvas; it reads the host on every event. */
export class GestureController {
  private gesture: Gesture = { kind: 'none' }
  private polygon: Point[] = []
  private polygonMode: PaintMode = 'add'
  private origin: Point = { x: 0, y: 0 }
  private hover: Point | null = null
  private readonly scratch = new FloodScratch()
  /** The browser sends pointerrawupdate: moves are handled there, and pointermove only for what it lacks. */
  private rawUpdates = false
  private readonly scheduler: PaintScheduler
  private readonly element: HTMLElement
  private readonly removers: (() => void)[] = []

  constructor(private readonly stage: MaskStage, private readonly host: GestureHost) {
    this.element = stage.container
    this.scheduler = new PaintScheduler(() => {
      stage.flushMasks()
      stage.drawInteraction()
    })
    const on = <K extends keyof HTMLElementEventMap>(type: K, handler: (event: HTMLElementEventMap[K]) => void, options?: AddEventListenerOptions): void => {
      this.element.addEventListener(type, handler as EventListener, options)
      this.removers.push(() => this.element.removeEventListener(type, handler as EventListener, options))
    }
    on('pointerdown', (e) => this.pointerDown(e))
    on('pointermove', (e) => {
      if (!this.rawUpdates) this.pointerMove(e)
    })
    this.element.addEventListener('pointerrawupdate', this.rawUpdate)
    this.removers.push(() => this.element.removeEventListener('pointerrawupdate', this.rawUpdate))
    on('pointerup', (e) => this.pointerUp(e))
    on('pointercancel', () => this.cancel())
    on('lostpointercapture', () => this.cancelGesture())
    on('pointerleave', () => this.pointerLeave())
    on('wheel', (e) => this.wheel(e), { passive: false })
    on('contextmenu', (e) => e.preventDefault())
    this.removers.push(stage.onViewChange(() => this.refreshOrigin()))
  }

  /** Whether a polygon has vertices and waits for more (Enter closes, Escape abandons). */
  get polygonOpen(): boolean {
    return this.polygon.length > 0
  }

  /** Whether a drag gesture is under way. */
  get busy(): boolean {
    return this.gesture.kind !== 'none'
  }

  /** Fills the open polygon (Enter). Fewer than 3 vertices just abandon it. */
  closePolygon(): void {
    const points = this.polygon
    this.polygon = []
    this.host.polygonChanged(0)
    this.stage.setShapePreview([], false)
    this.stage.drawInteraction()
    if (points.length < 3) return
    const session = this.session(this.polygonMode === 'add' ? 'Polygon' : 'Polygon (subtract)')
    if (session === null) return
    session.fillPolygon(points, this.polygonMode)
    this.finish(session)
  }

  /** Abandons the polygon and any drag gesture, restoring pixels a stroke had painted (Escape). */
  cancel(): void {
    this.cancelGesture()
    if (this.polygon.length > 0) {
      this.polygon = []
      this.host.polygonChanged(0)
    }
    this.stage.setShapePreview([], false)
    this.stage.drawInteraction()
  }

  /** Redraws the brush outline after a brush size or tool change. */
  refreshCursor(): void {
    this.showCursor()
    this.stage.drawInteraction()
  }

  /** Removes every listener. */
  detach(): void {
    this.cancel()
    this.scheduler.dispose()
    for (const remove of this.removers.splice(0)) remove()
  }

  private refreshOrigin(): void {
    this.origin = this.stage.publishOrigin()
  }

  private imagePoint(event: { clientX: number; clientY: number }): Point {
    return this.stage.toImage(event.clientX, event.clientY, this.origin)
  }

  private modeOf(event: PointerEvent | MouseEvent): PaintMode {
    return event.altKey || this.host.tool() === 'eraser' ? 'subtract' : 'add'
  }

  private session(label: string): StrokeSession | null {
    const doc = this.host.document()
    const layer = this.host.activeLayer()
    if (doc === null || layer < 0 || layer >= doc.layerCount) {
      this.host.refused('Pick a character layer first (keys 1–9).')
      return null
    }
    if (doc.isLocked(layer)) {
      this.host.refused('This layer is locked: unlock it in the layers panel to edit it.')
      return null
    }
    return new StrokeSession(doc, layer, label)
  }

  private finish(session: StrokeSession): void {
    const committedAt = performance.now()
    const command = session.commit()
    this.scheduler.flush()
    if (command !== null) this.host.commit(command, committedAt)
  }

  private pointerDown(event: PointerEvent): void {
    this.refreshOrigin()
    if (event.button === 1 || (event.button === 0 && this.host.panHeld())) {
      this.startCapture(event)
      this.gesture = { kind: 'pan', lastX: event.clientX, lastY: event.clientY }
      this.element.classList.add('panning')
      return
    }
    if (event.button === 2 && this.polygonOpen) return this.closePolygon()
    if (event.button !== 0 || this.gesture.kind !== 'none') return
    const point = this.imagePoint(event)
    const mode = this.modeOf(event)
    switch (this.host.tool()) {
      case 'brush':
      case 'eraser':
        return this.startBrush(event, point, mode)
      case 'fill':
        return this.fill(point, mode, event.shiftKey)
      case 'polygon':
        return this.addVertex(point, event)
      case 'lasso':
        if (this.session('Lasso') === null) return
        this.startCapture(event)
        this.gesture = { kind: 'lasso', points: [point], mode }
        return
      case 'rectangle':
        if (this.session('Rectangle') === null) return
        this.startCapture(event)
        this.gesture = { kind: 'rectangle', start: point, end: point, mode }
        return
    }
  }

  private startBrush(event: PointerEvent, point: Point, mode: PaintMode): void {
    const session = this.session(mode === 'add' ? 'Brush' : 'Eraser')
    if (session === null) return
    this.startCapture(event)
    this.gesture = { kind: 'brush', session, mode }
    const diameter = this.host.brushDiameter()
    const center = snapBrushCenter(point.x, point.y, diameter)
    session.brushTo(center.x, center.y, diameter, mode)
    this.scheduler.painted(event.timeStamp)
  }

  private fill(point: Point, mode: PaintMode, global: boolean): void {
    const rgba = this.host.pictureRgba()
    if (rgba === null) return this.host.refused('The frame picture is still loading.')
    const label = `${global ? 'Global fill' : 'Fill'}${mode === 'subtract' ? ' (subtract)' : ''}`
    const session = this.session(label)
    if (session === null) return
    session.floodFill(rgba, point.x, point.y, this.host.tolerance(), mode, { contiguous: !global, scratch: this.scratch })
    this.finish(session)
  }

  private addVertex(point: Point, event: PointerEvent): void {
    if (this.polygon.length === 0) {
      if (this.session('Polygon') === null) return
      this.polygonMode = this.modeOf(event)
    }
    const first = this.polygon[0]
    const zoom = this.stage.view.zoom
    if (first !== undefined && this.polygon.length >= 3 && Math.hypot((point.x - first.x) * zoom, (point.y - first.y) * zoom) <= CLOSE_RADIUS) {
      return this.closePolygon()
    }
    this.polygon.push(point)
    this.host.polygonChanged(this.polygon.length)
    this.previewPolygon(point)
    this.stage.drawInteraction()
  }

  private previewPolygon(hover: Point | null): void {
    const points = hover === null ? this.polygon : [...this.polygon, hover]
    this.stage.setShapePreview(points, false, true, this.polygonMode === 'subtract')
  }

  private pointerMove(event: PointerEvent): void {
    const gesture = this.gesture
    if (gesture.kind === 'pan') {
      this.stage.panBy(event.clientX - gesture.lastX, event.clientY - gesture.lastY)
      gesture.lastX = event.clientX
      gesture.lastY = event.clientY
      return
    }
    const samples = event.getCoalescedEvents?.() ?? []
    const events = samples.length > 0 ? samples : [event]
    const point = this.imagePoint(event)
    this.hover = point
    this.host.cursorMoved(point)
    if (gesture.kind === 'brush') {
      const diameter = this.host.brushDiameter()
      for (const sample of events) {
        const p = this.imagePoint(sample)
        const center = snapBrushCenter(p.x, p.y, diameter)
        gesture.session.brushTo(center.x, center.y, diameter, gesture.mode)
      }
      this.showCursor()
      return this.scheduler.painted(events[0].timeStamp)
    } else if (gesture.kind === 'lasso') {
      for (const sample of events) gesture.points.push(this.imagePoint(sample))
      this.stage.setShapePreview(gesture.points, true, false, gesture.mode === 'subtract')
    } else if (gesture.kind === 'rectangle') {
      gesture.end = point
      const { start: a, end: b } = gesture
      this.stage.setShapePreview([a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }], true, false, gesture.mode === 'subtract')
    } else if (this.polygon.length > 0) {
      this.previewPolygon(point)
    }
    this.showCursor()
    this.stage.drawInteraction()
  }

  private readonly rawUpdate = (event: Event): void => {
    this.rawUpdates = true
    this.pointerMove(event as PointerEvent)
  }

  private showCursor(): void {
    const tool = this.host.tool()
    if (this.hover === null || (tool !== 'brush' && tool !== 'eraser') || this.gesture.kind === 'pan') {
      this.stage.setBrushCursor(null, 0)
      return
    }
    const diameter = this.host.brushDiameter()
    const center = snapBrushCenter(this.hover.x, this.hover.y, diameter)
    this.stage.setBrushCursor(center, diameter, tool === 'eraser')
  }

  private pointerUp(event: PointerEvent): void {
    const gesture = this.gesture
    if (gesture.kind === 'none') return
    this.gesture = { kind: 'none' }
    this.releaseCapture(event)
    this.element.classList.remove('panning')
    if (gesture.kind === 'brush') return this.finish(gesture.session)
    if (gesture.kind === 'lasso') {
      this.stage.setShapePreview([], false)
      this.stage.drawInteraction()
      const session = this.session(gesture.mode === 'add' ? 'Lasso' : 'Lasso (subtract)')
      if (session !== null && gesture.points.length >= 3) {
        session.fillPolygon(gesture.points, gesture.mode)
        this.finish(session)
      }
    } else if (gesture.kind === 'rectangle') {
      this.stage.setShapePreview([], false)
      this.stage.drawInteraction()
      const session = this.session(gesture.mode === 'add' ? 'Rectangle' : 'Rectangle (subtract)')
      if (session !== null) {
        const { start: a } = gesture
        const b = this.imagePoint(event)
        session.fillRectangle(a.x, a.y, b.x, b.y, gesture.mode)
        this.finish(session)
      }
    }
  }

  private pointerLeave(): void {
    this.hover = null
    this.host.cursorMoved(null)
    this.showCursor()
    this.stage.drawInteraction()
  }

  private wheel(event: WheelEvent): void {
    event.preventDefault()
    // Lines and pages (Firefox, some mice) are scaled to pixels so every source feels alike.
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1
    const dx = event.deltaX * unit
    const dy = event.deltaY * unit
    if (event.ctrlKey || event.metaKey) {
      const rect = this.element.getBoundingClientRect()
      const factor = 2 ** (-dy / 300)
      this.stage.zoomAt(this.stage.view.zoom * factor, event.clientX - rect.left, event.clientY - rect.top)
    } else if (event.shiftKey && dx === 0) {
      this.stage.panBy(-dy, 0)
    } else {
      this.stage.panBy(-dx, -dy)
    }
    this.hover = this.imagePoint(event)
    this.showCursor()
    this.stage.drawInteraction()
  }

  private cancelGesture(): void {
    const gesture = this.gesture
    this.gesture = { kind: 'none' }
    this.element.classList.remove('panning')
    if (gesture.kind === 'brush') {
      gesture.session.cancel()
      this.stage.flushMasks()
    }
    if (gesture.kind === 'lasso' || gesture.kind === 'rectangle') this.stage.setShapePreview([], false)
  }

  private startCapture(event: PointerEvent): void {
    try {
      this.element.setPointerCapture(event.pointerId)
    } catch {
      // Synthetic events (tests) may carry no active pointer; the gesture works without capture.
    }
  }

  private releaseCapture(event: PointerEvent): void {
    if (this.element.hasPointerCapture(event.pointerId)) this.element.releasePointerCapture(event.pointerId)
  }
}
