import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { GenerationResult, RequestOf, TextEncoding } from '../../../shared/contract'
import type { DatasetDetail, StorySummary } from '../../../shared/domain'
import { callOrThrow } from '../api/client'

/** A generated story as the Stories view shows it. */
export interface GeneratedStory {
  key: number
  result: GenerationResult
  title: string
  captions: string[]
  /** 'dataset story #12' or 'typed sentences'. */
  source: string
}

/** Generations kept on screen (newest first); older ones drop off. */
const KEEP = 6

/**
 * Story generation from the Stories view: the dataset (characters, stories) of the chosen run,
 * a live preview of how typed sentences are encoded, and the generated stories.
 */
export const useGenerationStore = defineStore('generation', () => {
  const dataset = shallowRef<DatasetDetail | null>(null)
  const stories = shallowRef<StorySummary[]>([])
  const storyTotal = ref(0)
  const encoding = shallowRef<TextEncoding | null>(null)
  const results = shallowRef<GeneratedStory[]>([])
  const busy = ref(false)
  const error = ref<string | null>(null)
  let encodeSeq = 0
  let key = 0

  /** The run's dataset and its first stories (for the story picker). */
  async function loadDataset(datasetId: number): Promise<void> {
    if (dataset.value?.id === datasetId) return
    const [detail, page] = await Promise.all([
      callOrThrow('datasets:get', { id: datasetId }),
      callOrThrow('stories:list', { datasetId, limit: 200 })
    ])
    dataset.value = detail
    stories.value = page.stories
    storyTotal.value = page.total
    encoding.value = null
  }

  /** How the typed sentences will be read; a reply to an older request is dropped. */
  async function encode(datasetId: number, sentences: string[], characters: number[][]): Promise<void> {
    const seq = ++encodeSeq
    try {
      const r = await callOrThrow('generation:encode', { datasetId, sentences, characters })
      if (seq === encodeSeq) encoding.value = r
    } catch (e) {
      if (seq === encodeSeq) error.value = (e as Error).message
    }
  }

  async function generate(request: RequestOf<'generation:story'>, meta: { title: string; captions: string[]; source: string }): Promise<GeneratedStory | null> {
    busy.value = true
    error.value = null
    try {
      const result = await callOrThrow('generation:story', request)
      const item: GeneratedStory = { key: ++key, result, ...meta }
      results.value = [item, ...results.value].slice(0, KEEP)
      return item
    } catch (e) {
      error.value = (e as Error).message
      return null
    } finally {
      busy.value = false
    }
  }

  function clear(): void {
    results.value = []
  }

  return { dataset, stories, storyTotal, encoding, results, busy, error, loadDataset, encode, generate, clear }
})
