import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { DatasetDetail, DatasetSummary, FrameDetail, FrameInfo, FrameStatus, Split, StoryDetail } from '../../../shared/domain'
import { callOrThrow, getClient } from '../api/client'
import { useAutosaveStore } from './autosave'
import { loadPicture, useMaskEditorStore } from './mask-editor'
import { useRouteStore } from './route'

/** One frame of the current story in strip order. */
export interface StripFrame {
  frameId: number
  /** Position of its clip in the story, 0-based. */
  position: number
  caption: string
  clipKey: string
}

/**
 * Where the person is labeling: dataset, story, frame, its status and presence labels, the
 * queue of unlabeled frames, and the dataset's progress. Navigation goes through the hash route
 * (`#/label/<datasetId>/<storyId>/<frameId>`) so every frame is bookmarkable; `show` loads what
 * the route names.
 */
export const useLabelingStore = defineStore('labeling', () => {
  const editor = useMaskEditorStore()
  const autosave = useAutosaveStore()
  const route = useRouteStore()
  const datasets = ref<DatasetSummary[]>([])
  /** The dataset list has been fetched at least once (tells "no datasets" from "not loaded yet"). */
  const listed = ref(false)
  const dataset = shallowRef<DatasetDetail | null>(null)
  const story = shallowRef<StoryDetail | null>(null)
  const frameId = ref<number | null>(null)
  const captions = ref<string[]>([])
  const clipKey = ref('')
  /** Newest known info of every frame seen (status badges, labels); updated from every reply. */
  const frameInfos = ref<Record<number, FrameInfo>>({})
  const queueMode = ref(false)
  const queueSplit = ref<Split | ''>('')
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** `performance.now()` when the newest navigation started (frame-switch probe). */
  const navigationStartedAt = ref(0)
  const storyOfFrame = new Map<number, number>()
  const details = new Map<number, FrameDetail>()
  /** Neighbours of the current frame, fetched ahead so stepping to them waits for nothing. */
  const prefetched = new Map<number, { at: number; ready: Promise<[FrameDetail, HTMLImageElement]> }>()
  let loadToken = 0

  const frames = computed<StripFrame[]>(() =>
    (story.value?.clips ?? []).flatMap((clip, position) =>
      clip.frames.map((f) => ({ frameId: f.id, position, caption: clip.captions[0] ?? '', clipKey: clip.key }))
    )
  )
  const frameIndex = computed(() => frames.value.findIndex((f) => f.frameId === frameId.value))
  const frame = computed<FrameInfo | null>(() => (frameId.value === null ? null : frameInfos.value[frameId.value] ?? null))

  function updateInfo(info: FrameInfo): void {
    frameInfos.value[info.id] = info
  }

  /** Loads what the route arguments name; fills in missing ones with the first dataset, story and frame. */
  async function show(args: string[]): Promise<void> {
    const [ds, st, fr] = args.map((a) => Number(a))
    error.value = null
    try {
      if (datasets.value.length === 0) datasets.value = await callOrThrow('datasets:list', {})
      listed.value = true
      // The bare `#/label` (sidebar link) returns to where the person was.
      if (args.length === 0 && dataset.value && story.value && frameId.value !== null) {
        return go(dataset.value.id, story.value.id, frameId.value, true)
      }
      const datasetId = Number.isInteger(ds) && ds > 0 ? ds : datasets.value[0]?.id
      if (datasetId === undefined) return
      if (!(Number.isInteger(st) && st > 0)) return await openDataset(datasetId, true)
      if (!(Number.isInteger(fr) && fr > 0)) return await openStory(datasetId, st, undefined, true)
      await load(datasetId, st, fr)
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  async function ensureDataset(id: number): Promise<DatasetDetail> {
    if (dataset.value?.id !== id) {
      dataset.value = await callOrThrow('datasets:get', { id })
      editor.setCharacters(dataset.value.characters)
    }
    return dataset.value
  }

  async function ensureStory(id: number): Promise<StoryDetail> {
    if (story.value?.id !== id) {
      const detail = await callOrThrow('stories:get', { id })
      for (const clip of detail.clips) {
        for (const f of clip.frames) {
          storyOfFrame.set(f.id, detail.id)
          updateInfo(f)
        }
      }
      story.value = detail
    }
    return story.value
  }

  /** Opens a dataset at its first story. */
  async function openDataset(id: number, replace = false): Promise<void> {
    const page = await callOrThrow('stories:list', { datasetId: id, offset: 0, limit: 1 })
    const first = page.stories[0]
    if (first === undefined) {
      await ensureDataset(id)
      story.value = null
      frameId.value = null
      return
    }
    await openStory(id, first.id, undefined, replace)
  }

  /** Opens a story at frame `frame` (default its first). */
  async function openStory(datasetId: number, storyId: number, frame?: number, replace = false): Promise<void> {
    const detail = await ensureStory(storyId)
    const target = frame ?? detail.clips[0]?.frames[0]?.id
    if (target !== undefined) go(datasetId, storyId, target, replace)
  }

  /** Navigates to a frame (through the route, so the back button and bookmarks work). */
  function go(datasetId: number, storyId: number, frame: number, replace = false): void {
    navigationStartedAt.value = performance.now()
    const hash = `#/label/${datasetId}/${storyId}/${frame}`
    if (replace) window.location.replace(hash)
    else route.go('label', datasetId, storyId, frame)
  }

  async function fetchDetail(id: number): Promise<FrameDetail> {
    const detail = await callOrThrow('frames:get', { id })
    details.set(id, detail)
    updateInfo(detail.frame)
    return detail
  }

  /** The reply and decoded picture of a frame, in parallel (the asset path is known from the story). */
  async function fetchFrame(id: number): Promise<[FrameDetail, HTMLImageElement]> {
    const known = frameInfos.value[id]
    const picture = known ? loadPicture(known.asset) : null
    const detail = await fetchDetail(id)
    return [detail, await (picture ?? loadPicture(detail.frame.asset))]
  }

  /** A prefetched frame younger than a few seconds (masks edited here live in the editor's documents anyway). */
  function takePrefetched(id: number): Promise<[FrameDetail, HTMLImageElement]> | null {
    const entry = prefetched.get(id)
    prefetched.delete(id)
    return entry && performance.now() - entry.at < 5000 ? entry.ready : null
  }

  function prefetchNeighbours(): void {
    const around = [frames.value[frameIndex.value - 1], frames.value[frameIndex.value + 1]].flatMap((f) => (f ? [f.frameId] : []))
    for (const id of prefetched.keys()) if (!around.includes(id)) prefetched.delete(id)
    for (const id of around) {
      if (prefetched.has(id)) continue
      const ready = fetchFrame(id)
      ready.catch(() => prefetched.delete(id))
      prefetched.set(id, { at: performance.now(), ready })
    }
  }

  /** Loads a frame (prefetched when it is a neighbour of the last one), then hands it to the editor. */
  async function load(datasetId: number, storyId: number, id: number): Promise<void> {
    const token = ++loadToken
    if (navigationStartedAt.value === 0) navigationStartedAt.value = performance.now()
    loading.value = true
    try {
      const frame = takePrefetched(id)?.catch(() => fetchFrame(id)) ?? fetchFrame(id)
      const [, , [detail, image]] = await Promise.all([ensureDataset(datasetId), ensureStory(storyId), frame])
      if (token !== loadToken) return
      frameId.value = id
      captions.value = detail.captions
      clipKey.value = detail.clipKey
      editor.open(detail, image)
      prefetchNeighbours()
    } finally {
      if (token === loadToken) loading.value = false
    }
  }

  /** Reply of the frame before the current one in the story (fetched when not cached), or null. */
  async function previousDetail(): Promise<FrameDetail | null> {
    const previous = frames.value[frameIndex.value - 1]
    if (previous === undefined) return null
    return details.get(previous.frameId) ?? (await fetchDetail(previous.frameId))
  }

  /** Replies of every frame after the current one in the story, fetched fresh. */
  async function laterDetails(): Promise<FrameDetail[]> {
    const later = frames.value.slice(frameIndex.value + 1)
    return Promise.all(later.map((f) => fetchDetail(f.frameId)))
  }

  function stepFrame(delta: number): void {
    const target = frames.value[frameIndex.value + delta]
    if (target && dataset.value && story.value) go(dataset.value.id, story.value.id, target.frameId)
  }

  async function stepStory(delta: number): Promise<void> {
    if (!dataset.value || !story.value) return
    const offset = story.value.idx + delta
    if (offset < 0) return
    const page = await callOrThrow('stories:list', { datasetId: dataset.value.id, offset, limit: 1 })
    const next = page.stories[0]
    if (next) await openStory(dataset.value.id, next.id)
  }

  /** Goes to the next frame not done or skipped (of the queue's split), after the current one. */
  async function nextUnlabeled(): Promise<boolean> {
    if (!dataset.value) return false
    const next = await callOrThrow('frames:nextUnlabeled', {
      datasetId: dataset.value.id, split: queueSplit.value || undefined, afterFrameId: frameId.value ?? undefined
    })
    if (next === null) return false
    // Stay in the current story when it holds the frame: stories overlap (stride-1 windows).
    const storyId = frames.value.some((f) => f.frameId === next.frameId) && story.value ? story.value.id : next.storyId
    go(dataset.value.id, storyId, next.frameId)
    return true
  }

  async function setStatus(status: FrameStatus): Promise<void> {
    if (frameId.value === null) return
    // A status is a judgement on the saved masks: let pending saves land first (briefly; a failing
    // save keeps retrying on its own and must not block review).
    await autosave.idle(3000)
    updateInfo(await callOrThrow('frames:setStatus', { id: frameId.value, status }))
  }

  async function setPresent(characterIdx: number, present: boolean): Promise<void> {
    if (frameId.value === null) return
    updateInfo(await callOrThrow('labels:set', { frameId: frameId.value, characterIdx, present }))
  }

  /** Opens any frame of the dataset, finding a story that contains it. */
  async function openFrame(id: number): Promise<void> {
    if (!dataset.value) return
    const storyId = storyOfFrame.get(id) ?? (await findStory(dataset.value.id, id))
    if (storyId === null) throw new Error(`no story of this dataset contains frame ${id}`)
    go(dataset.value.id, storyId, id)
  }

  async function findStory(datasetId: number, id: number): Promise<number | null> {
    // The queue knows the story of a frame that is not finished yet; a finished one needs a scan.
    const next = await callOrThrow('frames:nextUnlabeled', { datasetId, afterFrameId: id - 1 })
    if (next?.frameId === id) return next.storyId
    for (let offset = 0; ; offset += 500) {
      const page = await callOrThrow('stories:list', { datasetId, offset, limit: 500 })
      for (let k = 0; k < page.stories.length; k += 8) {
        const batch = await Promise.all(page.stories.slice(k, k + 8).map((s) => callOrThrow('stories:get', { id: s.id })))
        for (const s of batch) for (const clip of s.clips) for (const f of clip.frames) storyOfFrame.set(f.id, s.id)
        if (storyOfFrame.has(id)) return storyOfFrame.get(id) as number
      }
      if (offset + 500 >= page.total) return null
    }
  }

  autosave.onSaved((_key, reply) => updateInfo(reply.frame))
  getClient().onEvent((e) => {
    if (e.type !== 'datasets:changed') return
    callOrThrow('datasets:list', {}).then((list) => (datasets.value = list), () => {})
  })

  return {
    datasets, listed, dataset, story, frameId, captions, clipKey, frameInfos, queueMode, queueSplit, loading, error,
    navigationStartedAt, frames, frameIndex, frame, updateInfo, show, go, previousDetail, laterDetails, stepFrame,
    stepStory, nextUnlabeled, setStatus, setPresent, openFrame, openDataset
  }
})
