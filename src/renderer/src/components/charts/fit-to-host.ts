import { onBeforeUnmount, onMounted, type Ref } from 'vue'
import type uPlot from 'uplot'

/**
 * Keeps a uPlot chart as wide as its host element: resizes it whenever the host resizes, and
 * stops watching on unmount. Call during a component's setup, before its own mount hooks.
 */
export function fitPlotToHost(host: Ref<HTMLElement | null>, plot: () => uPlot | null, height: () => number): void {
  let observer: ResizeObserver | null = null
  onMounted(() => {
    observer = new ResizeObserver(() => {
      const p = plot()
      if (p && host.value) p.setSize({ width: host.value.clientWidth, height: height() })
    })
    if (host.value) observer.observe(host.value)
  })
  onBeforeUnmount(() => observer?.disconnect())
}
