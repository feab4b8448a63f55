import { defineStore } from 'pinia'
import { computed, markRaw, ref } from 'vue'
import type { CharacterInfo, FrameDetail, MaskVersion } from '../../../shared/domain'
import { rleDecode } from '../../../shared/rle'
import { callOrThrow, getClient } from '../api/client'
import { CompositeCommand, PaintCommand, type Command } from '../editor/commands'
import { applyClearLayer, applyCopyLayers } from '../editor/document-actions'
import { HistoryBook, type History } from '../editor/history'
import { DEFAULT_LAYER_FLAGS, MaskDocument, type LayerFlags } from '../editor/mask-document'
import { StrokeSession } from '../editor/stroke-session'
import { useAutosaveStore } from './autosave'

/** The frame being edited, outside Vue reactivity (pixel buffers): read it through `current()`. */
export interface EditorFrame {
  frameId: number
  width: number
  height: number
  doc: MaskDocument
  history: History
  picture: HTMLImageElement
  /** Figure-ground union imported with the dataset (characterIdx null), or null. */
  imported: Uint8Array | null
}

/** Most frames whose documents stay in memory (each ≤ 9 layers × frame pixels bytes). */
const DOC_CACHE = 60

/** Character layers a command touched, so exactly those get saved. */
export function layersOf(command: Command): number[] {
  if (command instanceof PaintCommand) return [command.layer]
  if (command instanceof CompositeCommand) return [...new Set(command.commands.flatMap(layersOf))]
  return []
}

/** Indices of layers with at least one pixel. */
export function nonEmptyLayers(doc: MaskDocument): number[] {
  return doc.layers().flatMap((layer, index) => (layer.includes(1) ? [index] : []))
}

/** Builds a document from the hand masks of a frame reply. */
export function documentFromDetail(detail: FrameDetail, layerCount: number): MaskDocument {
  const { width, height } = detail.frame
  const doc = new MaskDocument(width, height, layerCount)
  for (const mask of detail.masks) {
    if (mask.source !== 'hand' || mask.characterIdx === null) continue
    doc.setLayer(mask.characterIdx, rleDecode(mask.rle, width * height))
  }
  return doc
}

/** Loads and decodes a frame picture. */
export async function loadPicture(asset: string): Promise<HTMLImageElement> {
  const image = new Image()
  image.src = getClient().assetUrl(asset)
  await image.decode()
  return image
}

/**
 * Mask documents, undo histories and layer state of the Label view. Documents and histories are
 * kept per frame (HistoryBook), so undo survives switching frames; every committed change, undo
 * and redo queues a save of exactly the layers it touched.
 */
export const useMaskEditorStore = defineStore('mask-editor', () => {
  const autosave = useAutosaveStore()
  const docs = new Map<number, MaskDocument>()
  const book = new HistoryBook({ maxFrames: 50 })
  let frame: EditorFrame | null = null
  let rgba: Uint8ClampedArray | null = null
  let unsubscribeHistory: (() => void) | null = null

  /** Increments when `current()` changes to another frame. */
  const frameToken = ref(0)
  /** Increments on every pixel change of the current frame (commands, undo, loads). */
  const pixelsVersion = ref(0)
  const characters = ref<CharacterInfo[]>([])
  const activeLayer = ref(0)
  /** View flags per character index; applied to every frame's document. */
  const flags = ref<LayerFlags[]>([])
  const areas = ref<number[]>([])
  const undoLabel = ref<string | null>(null)
  const redoLabel = ref<string | null>(null)
  const importedArea = ref(0)
  const versions = ref<MaskVersion[]>([])
  const activeCharacter = computed(() => characters.value[activeLayer.value] ?? null)

  /** The frame being edited (raw objects, never reactive), or null. */
  function current(): EditorFrame | null {
    return frame
  }

  /** The picture's RGBA pixels for the fill tool, decoded on first use. */
  function pictureRgba(): Uint8ClampedArray | null {
    if (frame === null) return null
    if (rgba === null) {
      const canvas = document.createElement('canvas')
      canvas.width = frame.width
      canvas.height = frame.height
      const context = canvas.getContext('2d', { willReadFrequently: true })
      if (context === null) return null
      context.drawImage(frame.picture, 0, 0)
      rgba = context.getImageData(0, 0, frame.width, frame.height).data
    }
    return rgba
  }

  /** Layer k of every document is the character with idx k (datasets number characters 0..n−1). */
  function setCharacters(list: CharacterInfo[]): void {
    characters.value = [...list].sort((a, b) => a.idx - b.idx)
    flags.value = list.map((_, index) => flags.value[index] ?? { ...DEFAULT_LAYER_FLAGS })
    if (activeLayer.value >= list.length) activeLayer.value = 0
  }

  function remember(frameId: number, doc: MaskDocument): void {
    docs.delete(frameId)
    docs.set(frameId, doc)
    while (docs.size > DOC_CACHE) {
      // Oldest first, but never a frame whose edits are still being saved or could be undone.
      const victim = [...docs.keys()].find((id) => id !== frameId && !autosave.hasPending(id) && !book.has(id))
      if (victim === undefined) break
      docs.delete(victim)
    }
  }

  /** The document of a frame: the one in memory (newest edits), else built from `detail`. */
  function documentOf(detail: FrameDetail): MaskDocument {
    const cached = docs.get(detail.frame.id)
    const doc = cached ?? documentFromDetail(detail, characters.value.length)
    doc.ensureLayers(characters.value.length)
    remember(detail.frame.id, doc)
    return doc
  }

  /** Makes `detail` the edited frame, with its decoded picture. */
  function open(detail: FrameDetail, picture: HTMLImageElement): void {
    const doc = documentOf(detail)
    flags.value.forEach((f, index) => doc.setFlags(index, f))
    const history = book.get(detail.frame.id, doc)
    const imported = detail.masks.find((m) => m.source === 'imported' && m.characterIdx === null)
    const { width, height } = detail.frame
    frame = markRaw({
      frameId: detail.frame.id, width, height, doc, history, picture: markRaw(picture),
      imported: imported ? rleDecode(imported.rle, width * height) : null
    })
    rgba = null
    importedArea.value = imported?.area ?? 0
    unsubscribeHistory?.()
    unsubscribeHistory = history.onChange(syncHistory)
    syncHistory(history)
    refreshAreas()
    versions.value = []
    frameToken.value++
  }

  function syncHistory(history: History): void {
    undoLabel.value = history.undoLabel
    redoLabel.value = history.redoLabel
  }

  function refreshAreas(layers?: number[]): void {
    if (frame === null) return
    const next = areas.value.length === frame.doc.layerCount ? [...areas.value] : new Array<number>(frame.doc.layerCount).fill(0)
    for (const index of layers ?? next.map((_, i) => i)) {
      let area = 0
      for (const byte of frame.doc.layer(index)) area += byte
      next[index] = area
    }
    areas.value = next
    pixelsVersion.value++
  }

  function saveLayers(frameId: number, doc: MaskDocument, layers: number[], requestedAt?: number): void {
    for (const index of layers) autosave.save(frameId, index, doc.layer(index), requestedAt)
  }

  /** Records a command already applied to the current frame (a committed gesture) and saves it. */
  function record(command: Command, committedAt = performance.now()): void {
    if (frame === null) return
    frame.history.record(command)
    const layers = layersOf(command)
    saveLayers(frame.frameId, frame.doc, layers, committedAt)
    refreshAreas(layers)
  }

  function undo(): void {
    if (frame === null) return
    const command = frame.history.undo()
    if (command === null) return
    saveLayers(frame.frameId, frame.doc, layersOf(command))
    refreshAreas(layersOf(command))
  }

  function redo(): void {
    if (frame === null) return
    const command = frame.history.redo()
    if (command === null) return
    saveLayers(frame.frameId, frame.doc, layersOf(command))
    refreshAreas(layersOf(command))
  }

  /** Empties the active layer (one undo entry). @returns false when there was nothing to clear or the layer is locked. */
  function clearActive(): boolean {
    if (frame === null) return false
    const command = applyClearLayer(frame.doc, activeLayer.value)
    if (command !== null) record(command)
    return command !== null
  }

  /** Copies the non-empty layers of `source` into the current frame (one undo entry). */
  function copyFrom(source: MaskDocument, label: string): boolean {
    if (frame === null) return false
    const command = applyCopyLayers(frame.doc, source, { layers: nonEmptyLayers(source), label })
    if (command !== null) record(command)
    return command !== null
  }

  /** Replaces the active layer with the imported figure-ground mask (one undo entry). */
  function useImported(): boolean {
    if (frame === null || frame.imported === null) return false
    const session = new StrokeSession(frame.doc, activeLayer.value, `Use imported mask`)
    session.copyFrom(frame.imported)
    const command = session.commit()
    if (command !== null) record(command)
    return command !== null
  }

  /**
   * Copies the current frame's non-empty layers onto each of `targets` (frame replies, in story
   * order), each as one undo entry in that frame's own history, and saves them.
   * @returns how many frames changed.
   */
  function propagateTo(targets: FrameDetail[]): number {
    if (frame === null) return 0
    const source = frame.doc
    const layers = nonEmptyLayers(source)
    let changed = 0
    for (const detail of targets) {
      const doc = documentOf(detail)
      if (!doc.sameGeometry(source)) continue
      const command = applyCopyLayers(doc, source, { layers, label: 'Propagate masks' })
      if (command === null) continue
      book.get(detail.frame.id, doc).record(command)
      saveLayers(detail.frame.id, doc, layersOf(command))
      changed++
    }
    // Recording in other frames' histories made them most recent; the current frame stays first.
    book.get(frame.frameId, frame.doc)
    return changed
  }

  /** A frame's document if it is in memory (for onion skin and copy-previous without a fetch). */
  function cachedDocument(frameId: number): MaskDocument | undefined {
    return docs.get(frameId)
  }

  /** A frame's document, from memory or built from its reply (kept for later use). */
  function documentFor(detail: FrameDetail): MaskDocument {
    return documentOf(detail)
  }

  function setActive(index: number): void {
    if (index >= 0 && index < characters.value.length) activeLayer.value = index
  }

  function setFlags(index: number, patch: Partial<LayerFlags>): void {
    if (index < 0 || index >= flags.value.length) return
    flags.value[index] = { ...flags.value[index], ...patch }
    if (frame !== null && index < frame.doc.layerCount) frame.doc.setFlags(index, patch)
  }

  async function loadVersions(): Promise<void> {
    if (frame === null) return
    versions.value = await callOrThrow('masks:versions', { frameId: frame.frameId, characterIdx: activeLayer.value })
  }

  /**
   * Restores a saved version of the active layer: the server stores it as a new version, and
   * the document takes it as one undo entry (not saved again: the server already has it).
   */
  async function restoreVersion(version: number): Promise<void> {
    if (frame === null) return
    const target = frame
    const layer = activeLayer.value
    // A save still in flight for this frame would land after the restore and undo it.
    if (!(await autosave.idle())) throw new Error('Earlier edits are not saved yet; restore once the save indicator says saved.')
    const restored = await callOrThrow('masks:restore', { frameId: target.frameId, characterIdx: layer, version })
    const session = new StrokeSession(target.doc, layer, `Restore version ${version}`)
    session.copyFrom(rleDecode(restored.rle, target.width * target.height))
    const command = session.commit()
    if (command !== null) target.history.record(command)
    if (frame === target) refreshAreas([layer])
    await loadVersions()
  }

  autosave.onSaved((key, reply) => {
    if (!autosave.hasPending(key.frameId)) book.peek(key.frameId)?.markSaved()
    // The reply names the new version: list it without asking the server again.
    if (frame?.frameId === key.frameId && activeLayer.value === key.characterIdx) {
      versions.value = [{ version: reply.version, area: reply.area, createdAt: reply.updatedAt }, ...versions.value.filter((v) => v.version !== reply.version)]
    }
  })

  return {
    frameToken, pixelsVersion, characters, activeLayer, activeCharacter, flags, areas, undoLabel, redoLabel,
    importedArea, versions, current, pictureRgba, setCharacters, open, record, undo, redo, clearActive, copyFrom,
    useImported, propagateTo, cachedDocument, documentFor, setActive, setFlags, loadVersions, restoreVersion,
    refreshAreas
  }
})
