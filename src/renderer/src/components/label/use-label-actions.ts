/**
 * Every action of the Label view in one place, shared by keyboard shortcuts and buttons so a
 * button and its key always do the same thing. Actions that ask for confirmation (propagate)
 * set `pendingConfirm`, which the view renders as a dialog.
 */

import { ref, type Ref } from 'vue'
import { characterIndexOf } from '../../editor/keymap'
import { useLabelToolsStore } from '../../stores/label-tools'
import { useLabelingStore } from '../../stores/labeling'
import { useMaskEditorStore } from '../../stores/mask-editor'
import type { LabelActionId } from './label-shortcuts'

/** What the canvas component exposes to the actions. */
export interface CanvasControls {
  fit(): void
  /** Multiplies the zoom, centred on the view. */
  zoomBy(factor: number): void
  zoomTo(zoom: number): void
  closePolygon(): void
  /** Abandons the polygon or gesture in progress. */
  cancel(): void
  polygonOpen(): boolean
}

/** A question the view must ask before an action runs. */
export interface PendingConfirm {
  title: string
  message: string
  confirmLabel: string
  run: () => Promise<void>
}

/** See the module comment. `canvas` is the MaskCanvas component's exposed controls. */
export function useLabelActions(canvas: Ref<CanvasControls | null>) {
  const tools = useLabelToolsStore()
  const labeling = useLabelingStore()
  const editor = useMaskEditorStore()
  const pendingConfirm = ref<PendingConfirm | null>(null)

  async function copyPrevious(): Promise<void> {
    const previous = await labeling.previousDetail()
    if (previous === null) return tools.notify('This is the first frame of the story: there is no previous frame.')
    const doc = editor.cachedDocument(previous.frame.id) ?? editor.documentFor(previous)
    if (!editor.copyFrom(doc, 'Copy previous frame')) tools.notify('The previous frame has no masks to copy (or the layers are locked).')
  }

  function askPropagate(): void {
    const later = labeling.frames.length - labeling.frameIndex - 1
    const names = editor.characters.filter((_, index) => (editor.areas[index] ?? 0) > 0).map((c) => c.name)
    if (later <= 0) return tools.notify('This is the last frame of the story.')
    if (names.length === 0) return tools.notify('This frame has no masks to propagate.')
    pendingConfirm.value = {
      title: 'Propagate masks',
      message: `Replace the masks of ${names.join(', ')} on the ${later} later frame${later === 1 ? '' : 's'} of this story with this frame's? Each frame can undo it (Ctrl+Z on that frame).`,
      confirmLabel: 'Propagate',
      run: async () => {
        const changed = editor.propagateTo(await labeling.laterDetails())
        tools.notify(`Masks propagated to ${changed} frame${changed === 1 ? '' : 's'}.`)
      }
    }
  }

  async function finishFrame(status: 'done' | 'skipped'): Promise<void> {
    await labeling.setStatus(status)
    if (labeling.queueMode && !(await labeling.nextUnlabeled())) tools.notify('Queue finished: every frame is done or skipped.')
  }

  function setTool(tool: typeof tools.tool): void {
    if (tool !== tools.tool) canvas.value?.cancel()
    tools.setTool(tool)
  }

  const handlers: Partial<Record<LabelActionId, () => unknown>> = {
    'tool.brush': () => setTool('brush'),
    'tool.eraser': () => setTool('eraser'),
    'tool.polygon': () => setTool('polygon'),
    'tool.lasso': () => setTool('lasso'),
    'tool.fill': () => setTool('fill'),
    'tool.rectangle': () => setTool('rectangle'),
    'brush.smaller': () => tools.stepBrush(-1),
    'brush.larger': () => tools.stepBrush(1),
    'history.undo': () => editor.undo(),
    'history.redo': () => editor.redo(),
    'frame.previous': () => labeling.stepFrame(-1),
    'frame.next': () => labeling.stepFrame(1),
    'story.previous': () => labeling.stepStory(-1),
    'story.next': () => labeling.stepStory(1),
    'frame.nextUnlabeled': async () => {
      if (!(await labeling.nextUnlabeled())) tools.notify('No unlabeled frames left in this dataset.')
    },
    'frame.markDone': () => finishFrame('done'),
    'frame.skip': () => finishFrame('skipped'),
    'polygon.close': () => canvas.value?.closePolygon(),
    'polygon.cancel': () => canvas.value?.cancel(),
    'masks.copyPrevious': copyPrevious,
    'view.toggleOnionSkin': () => (tools.onionSkin = !tools.onionSkin),
    'layer.toggleHidden': () => editor.setFlags(editor.activeLayer, { visible: !(editor.flags[editor.activeLayer]?.visible ?? true) }),
    'help.shortcuts': () => (tools.shortcutsOpen = !tools.shortcutsOpen),
    'view.fitZoom': () => canvas.value?.fit(),
    'layer.clear': () => {
      if (!editor.clearActive()) tools.notify('Nothing to clear (the layer is empty or locked).')
    },
    'masks.propagate': askPropagate,
    'masks.useImported': () => {
      if (!editor.useImported()) tools.notify('This frame has no imported mask, or the layer is locked or already equal to it.')
    },
    'view.toggleImported': () => (tools.showImported = !tools.showImported),
    'view.zoomIn': () => canvas.value?.zoomBy(2),
    'view.zoomOut': () => canvas.value?.zoomBy(0.5),
    'queue.toggle': () => (labeling.queueMode = !labeling.queueMode),
    'view.progress': () => (tools.progressOpen = !tools.progressOpen)
  }

  /** Runs an action; errors become a notice instead of an unhandled rejection. */
  async function run(action: LabelActionId): Promise<void> {
    const character = characterIndexOf(action as Parameters<typeof characterIndexOf>[0])
    try {
      if (character !== null) return editor.setActive(character)
      await handlers[action]?.()
    } catch (e) {
      tools.notify((e as Error).message)
    }
  }

  /** Runs the pending confirmation's action and closes the dialog. */
  async function confirm(): Promise<void> {
    const pending = pendingConfirm.value
    pendingConfirm.value = null
    try {
      await pending?.run()
    } catch (e) {
      tools.notify((e as Error).message)
    }
  }

  return { run, pendingConfirm, confirm }
}
