import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { LabelingProgress } from '../../../shared/domain'
import { callOrThrow, getClient } from '../api/client'

/** Delay in ms that gathers a burst of `labeling:changed` events (one per save) into one refresh. */
const REFRESH_DELAY = 300

/** Labeling progress of one dataset ('labeling:progress'), kept fresh while someone watches it. */
export const useLabelProgressStore = defineStore('label-progress', () => {
  const datasetId = ref<number | null>(null)
  const progress = ref<LabelingProgress | null>(null)
  const error = ref<string | null>(null)
  /** Components showing the overview; refreshes on events only while this is above 0. */
  const watchers = ref(0)
  let timer: ReturnType<typeof setTimeout> | undefined

  async function refresh(id = datasetId.value): Promise<void> {
    if (id === null) return
    datasetId.value = id
    try {
      const next = await callOrThrow('labeling:progress', { datasetId: id })
      if (datasetId.value === id) progress.value = next
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  /** Starts watching dataset `id`. @returns a function that stops watching. */
  function watchDataset(id: number): () => void {
    watchers.value++
    if (datasetId.value !== id) progress.value = null
    void refresh(id)
    return () => {
      watchers.value--
    }
  }

  getClient().onEvent((e) => {
    if (e.type !== 'labeling:changed' || e.datasetId !== datasetId.value || watchers.value === 0) return
    clearTimeout(timer)
    timer = setTimeout(() => void refresh(), REFRESH_DELAY)
  })

  return { datasetId, progress, error, refresh, watchDataset }
})
