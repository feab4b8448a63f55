import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { DatasetDetail, DatasetSummary, ImportJob, StoryDetail, StorySummary, Split } from '../../../shared/domain'
import { callOrThrow, getClient } from '../api/client'

/** Datasets, the running imports, and the story being looked at. */
export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<DatasetSummary[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  const jobs = ref<Record<string, ImportJob>>({})
  const current = ref<DatasetDetail | null>(null)
  const stories = ref<StorySummary[]>([])
  const storyTotal = ref(0)
  const story = ref<StoryDetail | null>(null)

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      list.value = await callOrThrow('datasets:list', {})
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    } finally {
      loading.value = false
    }
  }

  async function startImport(path: string, format?: 'pororo' | 'clevr', name?: string): Promise<ImportJob> {
    const job = await callOrThrow('datasets:import', { path, format, name: name || undefined })
    jobs.value[job.jobId] = job
    return job
  }

  async function createDemo(kind: 'cartoon' | 'clevr'): Promise<void> {
    const job = await callOrThrow('datasets:createDemo', { kind })
    jobs.value[job.jobId] = job
  }

  async function cancelImport(jobId: string): Promise<void> {
    await callOrThrow('datasets:cancelImport', { jobId })
  }

  function dismissJob(jobId: string): void {
    delete jobs.value[jobId]
  }

  async function remove(id: number): Promise<void> {
    await callOrThrow('datasets:delete', { id })
    if (current.value?.id === id) current.value = null
    await refresh()
  }

  async function open(id: number, split?: Split, offset = 0): Promise<void> {
    current.value = await callOrThrow('datasets:get', { id })
    const page = await callOrThrow('stories:list', { datasetId: id, split, offset, limit: 24 })
    stories.value = page.stories
    storyTotal.value = page.total
  }

  async function openStory(id: number): Promise<void> {
    story.value = await callOrThrow('stories:get', { id })
    if (current.value?.id !== story.value.datasetId) {
      current.value = await callOrThrow('datasets:get', { id: story.value.datasetId })
    }
  }

  getClient().onEvent((e) => {
    if (e.type === 'import:progress' || e.type === 'import:finished') jobs.value[e.job.jobId] = e.job
    if (e.type === 'datasets:changed') void refresh()
  })

  return {
    list, loading, error, jobs, current, stories, storyTotal, story,
    refresh, startImport, createDemo, cancelImport, dismissJob, remove, open, openStory
  }
})
