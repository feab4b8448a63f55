import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ClassifierInfo, EvaluationJob, EvaluationOptions, EvaluationRecord, RequestOf } from '../../../shared/contract'
import type { CheckpointInfo, RunSummary } from '../../../shared/domain'
import { callOrThrow, getClient } from '../api/client'

/**
 * Evaluations: network settings, runs and their checkpoints, stored scores, the running job
 * (one at a time in the worker; evaluating several runs queues them here) and the character
 * classifier of each dataset.
 */
export const useEvaluationsStore = defineStore('evaluations', () => {
  const options = ref<EvaluationOptions | null>(null)
  const runs = ref<RunSummary[]>([])
  const checkpoints = ref<Record<number, CheckpointInfo[]>>({})
  const results = ref<EvaluationRecord[]>([])
  const classifiers = ref<Record<number, ClassifierInfo | null>>({})
  const jobs = ref<Record<string, EvaluationJob>>({})
  const currentId = ref<string | null>(null)
  const queue = ref<RequestOf<'evaluation:start'>[]>([])
  const error = ref<string | null>(null)
  const current = computed(() => (currentId.value ? (jobs.value[currentId.value] ?? null) : null))
  const busy = computed(() => current.value?.state === 'running' || queue.value.length > 0)

  async function guarded(work: () => Promise<void>): Promise<void> {
    try {
      await work()
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  async function load(): Promise<void> {
    await guarded(async () => {
      const [o, r, res] = await Promise.all([callOrThrow('evaluation:options', {}), callOrThrow('runs:list', {}), callOrThrow('evaluation:results', {})])
      options.value = o
      runs.value = r
      results.value = res
      if (o.activeJob) {
        jobs.value[o.activeJob.jobId] = o.activeJob
        currentId.value = o.activeJob.jobId
      }
    })
  }

  async function saveModels(fidModel: string, fsdModel: string, fsdCompat: boolean): Promise<void> {
    await guarded(async () => {
      options.value = await callOrThrow('evaluation:setModels', { fidModel: fidModel.trim() || null, fsdModel: fsdModel.trim() || null, fsdCompat })
    })
  }

  async function loadCheckpoints(runId: number): Promise<void> {
    await guarded(async () => {
      checkpoints.value[runId] = await callOrThrow('runs:checkpoints', { runId })
    })
  }

  async function loadClassifier(datasetId: number): Promise<void> {
    await guarded(async () => {
      classifiers.value[datasetId] = await callOrThrow('classifier:get', { datasetId })
    })
  }

  function track(job: EvaluationJob): void {
    // Events can overtake the reply: keep the newer state.
    jobs.value[job.jobId] ??= job
    currentId.value = job.jobId
  }

  async function trainClassifier(datasetId: number, epochs?: number): Promise<void> {
    await guarded(async () => track(await callOrThrow('classifier:train', { datasetId, epochs })))
  }

  /** Evaluates runs one after another (the worker scores one run at a time). */
  async function evaluate(requests: RequestOf<'evaluation:start'>[]): Promise<void> {
    if (requests.length === 0) return
    queue.value = requests.slice(1)
    await guarded(async () => track(await callOrThrow('evaluation:start', requests[0])))
    if (error.value) queue.value = []
  }

  async function cancel(): Promise<void> {
    queue.value = []
    if (currentId.value) await guarded(async () => void (await callOrThrow('evaluation:cancel', { jobId: currentId.value! })))
  }

  async function finished(job: EvaluationJob): Promise<void> {
    if (job.kind === 'classifier') {
      if (job.classifier) classifiers.value[job.datasetId] = job.classifier
    } else {
      await guarded(async () => {
        results.value = await callOrThrow('evaluation:results', {})
      })
    }
    if (job.jobId !== currentId.value || queue.value.length === 0) return
    if (job.state !== 'finished') {
      queue.value = []
      return
    }
    const [next, ...rest] = queue.value
    queue.value = rest
    await guarded(async () => track(await callOrThrow('evaluation:start', next)))
  }

  getClient().onEvent((e) => {
    if (e.type === 'evaluation:progress') jobs.value[e.job.jobId] = e.job
    if (e.type === 'evaluation:finished') {
      jobs.value[e.job.jobId] = e.job
      void finished(e.job)
    }
    if (e.type === 'training:checkpoint' && checkpoints.value[e.runId]) void loadCheckpoints(e.runId)
    if (e.type === 'training:status') {
      const i = runs.value.findIndex((r) => r.id === e.run.id)
      if (i >= 0) runs.value[i] = e.run
      else runs.value.unshift(e.run)
    }
  })

  return {
    options, runs, checkpoints, results, classifiers, jobs, current, queue, busy, error,
    load, saveModels, loadCheckpoints, loadClassifier, trainClassifier, evaluate, cancel
  }
})
