import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ToolId } from '../canvas/gesture-controller'
import { MAX_BRUSH_DIAMETER, MIN_BRUSH_DIAMETER } from '../editor/tools/brush'

/** Brush sizes `[` and `]` step through, in pixels. */
export const BRUSH_STEPS = [1, 2, 3, 4, 5, 7, 9, 12, 15, 20, 25, 32, 40, 50, 64, 80, 100, 128, 160, 200, 256]

/** Tool choice and view toggles of the Label view: small values, no pixels. */
export const useLabelToolsStore = defineStore('label-tools', () => {
  const tool = ref<ToolId>('brush')
  /** Brush and eraser diameter in image pixels, 1..256. */
  const brushSize = ref(5)
  /** Flood fill tolerance per channel, 0..255. */
  const tolerance = ref(24)
  const onionSkin = ref(false)
  const showImported = ref(false)
  const shortcutsOpen = ref(false)
  const progressOpen = ref(false)
  /** Space is held: left-drag pans. */
  const panHeld = ref(false)
  /** Zoom shown in the status bar (screen pixels per image pixel). */
  const zoom = ref(1)
  /** Image pixel under the pointer, or null when it is off the canvas. */
  const cursor = ref<{ x: number; y: number } | null>(null)
  /** Vertices of the polygon being drawn (0 = none open). */
  const polygonVertices = ref(0)
  /** A short message about a refused gesture or action, cleared after a few seconds. */
  const notice = ref<string | null>(null)
  let noticeTimer: ReturnType<typeof setTimeout> | undefined

  function setTool(next: ToolId): void {
    tool.value = next
  }

  /** Steps the brush size to the next smaller (−1) or larger (+1) preset. */
  function stepBrush(direction: -1 | 1): void {
    const current = brushSize.value
    const next = direction > 0 ? BRUSH_STEPS.find((s) => s > current) : [...BRUSH_STEPS].reverse().find((s) => s < current)
    brushSize.value = Math.max(MIN_BRUSH_DIAMETER, Math.min(MAX_BRUSH_DIAMETER, next ?? current))
  }

  function notify(message: string): void {
    notice.value = message
    clearTimeout(noticeTimer)
    noticeTimer = setTimeout(() => (notice.value = null), 4000)
  }

  return {
    tool, brushSize, tolerance, onionSkin, showImported, shortcutsOpen, progressOpen, panHeld, zoom, cursor,
    polygonVertices, notice, setTool, stepBrush, notify
  }
})
