import type { Db } from '../../db/database'
import { FrameStore } from '../../frame-store'
import { decodePngRgba } from '../../datasets/png'
import { rleDecodeInto, rleFromBytes } from '../../../shared/rle'
import { figureGround } from '../../../shared/figure-ground'
import type { IndexedFrame } from './dataset-index'
import { resizeArea } from './resize'

/** A frame ready for the model: side·side·3 RGB and side·side mask, both in [-1, 1]. */
export interface PreparedFrame {
  rgb: Float32Array
  /** Figure-ground target in [-1, 1] (1 = figure), or null when the frame has none. */
  mask: Float32Array | null
}

/**
 * Decodes, resizes and normalises frames and their figure-ground targets, with an LRU cache
 * (pixels are decoded once per run, not once per step). The mask comes from the same frame as
 * the image, so image and mask always agree (fixes upstream bug B2, where they were cropped
 * with independent random frame indices).
 */
export class FrameSource {
  private readonly cache = new Map<number, PreparedFrame>()
  private readonly store: FrameStore
  private readonly masksOf
  constructor(
    private readonly db: Db,
    framesDir: string,
    readonly side = 64,
    private readonly capacity = 20_000
  ) {
    this.store = new FrameStore(framesDir)
    this.masksOf = db.prepare('SELECT character_id, source, rle FROM masks WHERE frame_id = ? AND source = ?')
  }

  get(frame: IndexedFrame): PreparedFrame {
    const hit = this.cache.get(frame.id)
    if (hit) {
      this.cache.delete(frame.id)
      this.cache.set(frame.id, hit)
      return hit
    }
    const prepared = this.prepare(frame)
    this.cache.set(frame.id, prepared)
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as number)
    return prepared
  }

  private prepare(frame: IndexedFrame): PreparedFrame {
    const file = this.store.pathOf(frame.hash)
    const img = decodePngRgba(this.store.read(frame.hash), file)
    const rgb = resizeArea(img.data, img.width, img.height, 4, img.width * 4, this.side, this.side)
    const out = new Float32Array(this.side * this.side * 3)
    for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
      out[i] = rgb[j] / 127.5 - 1
      out[i + 1] = rgb[j + 1] / 127.5 - 1
      out[i + 2] = rgb[j + 2] / 127.5 - 1
    }
    return { rgb: out, mask: frame.maskSource ? this.mask(frame) : null }
  }

  /** Union of the frame's masks of its chosen source, resized to side×side, in [-1, 1]. */
  private mask(frame: IndexedFrame): Float32Array {
    const rows = this.masksOf.all(frame.id, frame.maskSource) as { rle: Buffer }[]
    const n = frame.width * frame.height
    const layers = rows.map((r) => {
      const m = new Uint8Array(n)
      rleDecodeInto(rleFromBytes(r.rle), m)
      return m
    })
    const fg = figureGround(layers, n)
    const small = resizeArea(fg, frame.width, frame.height, 1, frame.width, this.side, this.side)
    for (let i = 0; i < small.length; i++) small[i] = small[i] / 127.5 - 1
    return small
  }
}
