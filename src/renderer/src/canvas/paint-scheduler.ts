/**
 * When to draw freshly painted pixels: at once (lowest latency) unless the last draw was very
 * recent, in which case on the next animation frame. Pointer devices can report at 1000 Hz; a
 * screen shows at most one picture per frame, so drawing more often only burns the CPU.
 */

import { recordLatency } from './latency-probe'

/** Shortest time in ms between two immediate draws; closer paints are drawn on the next frame. */
export const MIN_DRAW_INTERVAL = 4

/** See the module comment. `draw` puts the painted pixels on screen. */
export class PaintScheduler {
  private lastDraw = -Infinity
  /** Event time of the oldest painted sample not yet drawn, or null. */
  private undrawnSince: number | null = null
  private frame = 0

  constructor(private readonly draw: () => void) {}

  /** Pixels were painted for an input event of time `eventTime` (`event.timeStamp`). */
  painted(eventTime: number): void {
    this.undrawnSince ??= eventTime
    if (performance.now() - this.lastDraw >= MIN_DRAW_INTERVAL) return this.flush()
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush())
  }

  /** Draws now (also at the end of a gesture), recording the paint latency of what was waiting. */
  flush(): void {
    cancelAnimationFrame(this.frame)
    this.frame = 0
    this.draw()
    this.lastDraw = performance.now()
    if (this.undrawnSince !== null) recordLatency('paint', this.undrawnSince)
    this.undrawnSince = null
  }

  /** Drops a pending frame callback. */
  dispose(): void {
    cancelAnimationFrame(this.frame)
    this.frame = 0
  }
}
