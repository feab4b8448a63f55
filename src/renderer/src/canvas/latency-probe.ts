/**
 * In-page latency measurements of the Label view, for `bench/labeling.ts` and for people tuning
 * the canvas. Off unless the page URL has the query parameter `probe` (`?probe=1`), so normal use
 * pays one boolean test per event and exposes nothing on `window`.
 *
 * Samples are milliseconds:
 * - `paint`: pointer event (`event.timeStamp`) → overlay drawn with the painted pixels.
 * - `save`: stroke committed → its `masks:save` acknowledged.
 * - `frameSwitch`: navigation asked for → new frame drawn with its masks.
 */

/** Collected samples; see the module comment. */
export interface LatencySamples {
  paint: number[]
  save: number[]
  frameSwitch: number[]
}

/** Named marks the page reaches, for tests that wait on them. */
export interface LatencyProbe extends LatencySamples {
  /** Frames drawn so far (increments after each frame switch). */
  framesDrawn: number
  /** Empties every sample list. */
  reset(): void
}

declare global {
  interface Window {
    /** Present only with `?probe` in the URL. */
    __cpcsvProbe?: LatencyProbe
  }
}

function create(): LatencyProbe {
  const probe: LatencyProbe = {
    paint: [],
    save: [],
    frameSwitch: [],
    framesDrawn: 0,
    reset() {
      probe.paint.length = 0
      probe.save.length = 0
      probe.frameSwitch.length = 0
    }
  }
  return probe
}

/** Whether measurements are taken in this page. */
export const probeEnabled: boolean =
  typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('probe')

const probe: LatencyProbe | null = probeEnabled ? create() : null
if (probe !== null) window.__cpcsvProbe = probe

/** Records one sample of `kind` ending now, started at `startedAt` (a `performance.now()` time). */
export function recordLatency(kind: keyof LatencySamples, startedAt: number): void {
  if (probe === null) return
  const elapsed = performance.now() - startedAt
  probe[kind].push(elapsed)
  // A user-timing entry too, so a DevTools performance trace shows the same numbers.
  performance.measure(`cpcsv:${kind}`, { start: startedAt, end: startedAt + elapsed })
}

/** Counts a drawn frame (tests wait for the count to move). */
export function markFrameDrawn(): void {
  if (probe !== null) probe.framesDrawn++
}
