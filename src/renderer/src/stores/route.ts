import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

export type ViewName = 'datasets' | 'label' | 'train' | 'stories' | 'evaluate' | 'export'
export const VIEWS: { name: ViewName; title: string }[] = [
  { name: 'datasets', title: 'Datasets' },
  { name: 'label', title: 'Label' },
  { name: 'train', title: 'Train' },
  { name: 'stories', title: 'Stories' },
  { name: 'evaluate', title: 'Evaluate' },
  { name: 'export', title: 'Export' }
]

/** Hash routing (#/view/arg/arg): bookmarkable, works from file:// in Electron and in serve mode. */
export const useRouteStore = defineStore('route', () => {
  const parts = ref<string[]>([])
  const read = (): void => {
    parts.value = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean)
  }
  read()
  window.addEventListener('hashchange', read)
  const view = computed<ViewName>(() => {
    const v = parts.value[0] as ViewName | undefined
    return v && VIEWS.some((x) => x.name === v) ? v : 'datasets'
  })
  const args = computed(() => parts.value.slice(1))
  function go(...segments: (string | number)[]): void {
    window.location.hash = `#/${segments.join('/')}`
  }
  return { view, args, go }
})
