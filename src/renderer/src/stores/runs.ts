import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import type { RequestOf, TrainingOptions } from '../../../shared/contract'
import type { CheckpointInfo, RunSummary, SampleInfo, StoryDetail, TrainingProgress } from '../../../shared/domain'
import { callOrThrow, getClient } from '../api/client'

/** One metric of one run: y values at steps, ascending. Plain arrays (outside Vue reactivity). */
export interface MetricSeries {
  steps: number[]
  values: number[]
}

/** Lines kept per run in the log tail. */
const LOG_LINES = 400

/** Tags that exist only while the app watches a run (not stored in the database). */
const LIVE_ONLY = ['mem/rss_mb', 'mem/tensor_mb']

function appendPoint(tags: Map<string, MetricSeries>, tag: string, step: number, value: number): boolean {
  if (!Number.isFinite(value)) return false
  let s = tags.get(tag)
  if (!s) tags.set(tag, (s = { steps: [], values: [] }))
  // History and live events overlap: only points after the last one known are new.
  if (s.steps.length && s.steps[s.steps.length - 1] >= step) return false
  s.steps.push(step)
  s.values.push(value)
  return true
}

/** Scalars a progress event carries, under the tags the run log stores them with. */
function progressScalars(p: TrainingProgress): Record<string, number> {
  const out: Record<string, number> = { 'speed/it_per_sec': p.itPerSec }
  for (const [k, v] of Object.entries(p.losses)) out[`loss/${k}`] = v
  for (const [k, v] of Object.entries(p.lr)) out[`lr/${k}`] = v
  out['mem/rss_mb'] = p.memory.rssBytes / 2 ** 20
  out['mem/tensor_mb'] = p.memory.numBytes / 2 ** 20
  return out
}

/**
 * Training runs: the list with live status, the new-run options, per-run progress, metric
 * history (database history merged with live progress events), samples, checkpoints and a log
 * tail. Metric arrays stay out of reactivity; `metricsVersion[runId]` changes when they grow.
 */
export const useRunsStore = defineStore('runs', () => {
  const list = ref<RunSummary[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const options = shallowRef<TrainingOptions | null>(null)
  const activeRunId = ref<number | null>(null)
  const progress = ref<Record<number, TrainingProgress>>({})
  const logs = ref<Record<number, string[]>>({})
  const samples = shallowRef<Record<number, SampleInfo[]>>({})
  const checkpoints = shallowRef<Record<number, CheckpointInfo[]>>({})
  const metricsVersion = ref<Record<number, number>>({})
  const series = markRaw(new Map<number, Map<string, MetricSeries>>())
  const stories = markRaw(new Map<number, Promise<StoryDetail | null>>())
  /** Per run: the step up to which database metrics were merged. */
  const synced = new Map<number, number>()
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  const byId = (id: number): RunSummary | undefined => list.value.find((r) => r.id === id)
  const bump = (runId: number): void => {
    metricsVersion.value[runId] = (metricsVersion.value[runId] ?? 0) + 1
  }

  async function refresh(): Promise<void> {
    try {
      list.value = await callOrThrow('runs:list', {})
      activeRunId.value = list.value.find((r) => r.status === 'running' || r.status === 'queued')?.id ?? null
      loaded.value = true
      error.value = null
    } catch (e) {
      error.value = (e as Error).message
    }
  }

  async function loadOptions(): Promise<TrainingOptions> {
    options.value ??= await callOrThrow('training:options', {})
    return options.value
  }

  function upsert(run: RunSummary): void {
    const i = list.value.findIndex((r) => r.id === run.id)
    if (i >= 0) list.value[i] = run
    else list.value.unshift(run)
  }

  function log(runId: number, line: string): void {
    if (!logs.value[runId]) logs.value[runId] = []
    const lines = logs.value[runId]
    lines.push(`${new Date().toLocaleTimeString()}  ${line}`)
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES)
  }

  /** Starts a run (the API validates again); returns it. Throws with the API's message. */
  async function start(request: RequestOf<'training:start'>): Promise<RunSummary> {
    const run = await callOrThrow('training:start', request)
    upsert(run)
    activeRunId.value = run.id
    return run
  }

  async function stop(runId: number): Promise<void> {
    upsert(await callOrThrow('training:stop', { runId }))
    log(runId, 'stop requested; the run stops after the current step and writes a checkpoint')
  }

  async function resume(runId: number, steps?: number): Promise<void> {
    const run = await callOrThrow('training:resume', { runId, steps })
    upsert(run)
    activeRunId.value = run.id
    log(runId, `resuming to step ${run.totalSteps}`)
  }

  async function remove(runId: number): Promise<void> {
    await callOrThrow('runs:delete', { id: runId })
    list.value = list.value.filter((r) => r.id !== runId)
    series.delete(runId)
    await refresh()
  }

  /** The run's full metric history from the database (what a reopened window shows). */
  async function loadMetrics(runId: number): Promise<void> {
    const history = await callOrThrow('runs:metrics', { runId })
    const tags = new Map<string, MetricSeries>()
    for (const [tag, points] of Object.entries(history)) tags.set(tag, { steps: points.map((p) => p[0]), values: points.map((p) => p[1]) })
    const previous = series.get(runId)
    for (const tag of LIVE_ONLY) {
      const live = previous?.get(tag)
      if (live) tags.set(tag, live)
    }
    series.set(runId, tags)
    synced.set(runId, Math.max(-1, ...[...tags.values()].map((t) => t.steps[t.steps.length - 1] ?? -1)))
    bump(runId)
  }

  /**
   * Metrics written since the last sample event (evaluation scalars are not in progress events;
   * they are written with the samples, so everything new lies after the previous sample step).
   */
  async function loadNewMetrics(runId: number, step: number): Promise<void> {
    const tags = series.get(runId)
    if (!tags) return loadMetrics(runId)
    const since = synced.get(runId) ?? -1
    synced.set(runId, step)
    // One step back: an evaluation scalar of the last merged step may have been written after the merge.
    const fresh = await callOrThrow('runs:metrics', { runId, sinceStep: Math.max(-1, since - 1) })
    let changed = false
    for (const [tag, points] of Object.entries(fresh)) for (const [step, value] of points) changed = appendPoint(tags, tag, step, value) || changed
    if (changed) bump(runId)
  }

  async function loadSamples(runId: number): Promise<SampleInfo[]> {
    const list = await callOrThrow('runs:samples', { runId })
    samples.value = { ...samples.value, [runId]: list }
    return list
  }

  async function loadCheckpoints(runId: number): Promise<CheckpointInfo[]> {
    const list = await callOrThrow('runs:checkpoints', { runId })
    checkpoints.value = { ...checkpoints.value, [runId]: list }
    return list
  }

  /** A dataset story a run samples (captions for the story browser); cached, null if gone. */
  function story(storyId: number): Promise<StoryDetail | null> {
    let p = stories.get(storyId)
    if (!p) {
      p = callOrThrow('stories:get', { id: storyId }).catch(() => null)
      stories.set(storyId, p)
    }
    return p
  }

  function onProgress(runId: number, p: TrainingProgress): void {
    progress.value[runId] = p
    const tags = series.get(runId) ?? new Map<string, MetricSeries>()
    series.set(runId, tags)
    let changed = false
    for (const [tag, value] of Object.entries(progressScalars(p))) changed = appendPoint(tags, tag, p.step, value) || changed
    if (changed) bump(runId)
  }

  function scheduleRefresh(): void {
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => void refresh(), 250)
  }

  getClient().onEvent((e) => {
    switch (e.type) {
      case 'training:status':
        upsert(e.run)
        if (e.run.status === 'running' || e.run.status === 'queued') activeRunId.value = e.run.id
        else if (activeRunId.value === e.run.id) activeRunId.value = null
        log(e.run.id, `status: ${e.run.status}${e.run.error ? ` (${e.run.error})` : ''} at step ${e.run.step}`)
        // A delete also reports the run's last status: the list from the database settles it.
        return scheduleRefresh()
      case 'training:progress': {
        onProgress(e.runId, e.progress)
        const run = byId(e.runId)
        if (run) Object.assign(run, { step: e.progress.step, totalSteps: e.progress.totalSteps })
        return
      }
      case 'training:sample':
        log(e.runId, `sample stories written at step ${e.step}`)
        void loadSamples(e.runId)
        void loadNewMetrics(e.runId, e.step)
        return
      case 'training:checkpoint':
        log(e.runId, `checkpoint written at step ${e.step}`)
        void loadCheckpoints(e.runId)
        return
      case 'training:log':
        return log(e.runId, e.line)
    }
  })

  return {
    list, loaded, error, options, activeRunId, progress, logs, samples, checkpoints, metricsVersion, series,
    byId, refresh, loadOptions, start, stop, resume, remove, loadMetrics, loadSamples, loadCheckpoints, story
  }
})
