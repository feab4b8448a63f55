import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ExportFormat, ExportJob, RequestOf } from '../../../shared/contract'
import { callOrThrow, getClient } from '../api/client'

/** Dataset exports: the jobs started from this window and the workspace's default output folder. */
export const useExportsStore = defineStore('exports', () => {
  const jobs = ref<Record<string, ExportJob>>({})
  const currentId = ref<string | null>(null)
  const error = ref<string | null>(null)
  const workspace = ref('')
  const current = computed(() => (currentId.value ? (jobs.value[currentId.value] ?? null) : null))
  const running = computed(() => current.value?.state === 'running')

  async function loadWorkspace(): Promise<void> {
    try {
      workspace.value = (await callOrThrow('app:info', {})).workspace
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  /** The path the service uses when none is given: `<workspace>/exports/<dataset>-<format>`. */
  function defaultOut(datasetName: string, format: ExportFormat, zip: boolean): string {
    const sep = workspace.value.includes('\\') && !workspace.value.includes('/') ? '\\' : '/'
    const safe = datasetName.replace(/[^\w.+-]+/g, '_')
    return `${workspace.value}${sep}exports${sep}${safe}-${format}${zip ? '.zip' : ''}`
  }

  async function start(request: RequestOf<'export:start'>): Promise<void> {
    error.value = null
    try {
      const job = await callOrThrow('export:start', request)
      // Events can overtake the reply (a small export may already be done): keep the newer state.
      jobs.value[job.jobId] ??= job
      currentId.value = job.jobId
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  async function cancel(): Promise<void> {
    if (!currentId.value) return
    try {
      await callOrThrow('export:cancel', { jobId: currentId.value })
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  getClient().onEvent((e) => {
    if (e.type === 'export:progress' || e.type === 'export:finished') jobs.value[e.job.jobId] = e.job
  })

  return { jobs, current, running, error, workspace, loadWorkspace, defaultOut, start, cancel }
})
