/**
 * Fréchet Story Distance features (reference doc §6.1): torchvision's R(2+1)D-18 trunk (512-d
 * global-pool features), one story = one clip, input (N, 3, T, H, W).
 *
 * Two preprocessings:
 * - default: x/255 → bilinear resize to 112×112 (align_corners=False) → Kinetics mean/std, what
 *   torchvision's Kinetics-400 weights were trained on;
 * - compat (`--fsd-compat`): the reference's effective behaviour, 64×64 clips in [-1, 1]
 *   (x/255, then (x − 0.5)/0.5, float32) with no resize and no Kinetics normalisation. Upstream
 *   computes the resize and then feeds the original tensor (bug B4); only this mode gives
 *   numbers comparable with the paper's FSD.
 */
import { bilinearTaps, resizePlane } from './bilinear'
import type { FeatureExtractor } from './extractor'
import { OnnxNetwork, type OnnxNetworkSpec } from './onnx-extractor'

/** Spatial side of the default mode (the Kinetics training crop). */
export const FSD_SIDE = 112

/** torchvision's Kinetics-400 mean of the R(2+1)D weights (per RGB channel, on [0, 1] input). */
export const KINETICS_MEAN = [0.43216, 0.394666, 0.37645] as const
/** torchvision's Kinetics-400 standard deviation (per RGB channel). */
export const KINETICS_STD = [0.22803, 0.22145, 0.216989] as const

/** Stories per network call. */
const FSD_BATCH = 8

/** u8 → [-1, 1] as the reference's float32 chain: x/255, then (x − 0.5)/0.5. */
const TO_SIGNED = Float32Array.from({ length: 256 }, (_, u) => {
  const f = Math.fround
  return f(f(f(u / 255) - 0.5) / 0.5)
})

/** Settings of the FSD preprocessing. */
export interface FsdOptions {
  /** Reference-compatible: no resize, [-1, 1], no Kinetics normalisation (bug B4). */
  compat: boolean
  /** Frames per story, T. */
  frames: number
  /** Frame side of the dataset (64). */
  side: number
}

/** Spatial side the network sees. */
export function fsdSide(o: FsdOptions): number {
  return o.compat ? o.side : FSD_SIDE
}

/**
 * R(2+1)D input of stories.
 * @param stories count×T×side×side×3 uint8 (NTHWC)
 * @returns count×3×T×S×S float32 (NCTHW), S = side (compat) or 112
 */
export function fsdInput(stories: Uint8Array, count: number, o: FsdOptions): Float32Array {
  const { frames: T, side } = o
  const px = side * side
  if (stories.length !== count * T * px * 3) throw new RangeError(`${stories.length} bytes are not ${count} stories of ${T}×${side}×${side}×3`)
  const S = fsdSide(o)
  const plane = S * S
  const out = new Float32Array(count * 3 * T * plane)
  const at = (n: number, c: number, t: number): number => (((n * 3 + c) * T + t) * plane)
  if (o.compat) {
    for (let n = 0; n < count; n++) {
      for (let t = 0; t < T; t++) {
        const base = (n * T + t) * px * 3
        for (let c = 0; c < 3; c++) {
          const o0 = at(n, c, t)
          for (let i = 0; i < px; i++) out[o0 + i] = TO_SIGNED[stories[base + i * 3 + c]]
        }
      }
    }
    return out
  }
  const taps = bilinearTaps(side, S)
  const unit = new Float32Array(px * 3)
  const scratch = new Float64Array(side * S)
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < T; t++) {
      const base = (n * T + t) * px * 3
      for (let i = 0; i < unit.length; i++) unit[i] = stories[base + i] / 255
      for (let c = 0; c < 3; c++) {
        const o0 = at(n, c, t)
        resizePlane(unit, c, 3, side, side, out, o0, taps, taps, scratch)
        const mean = KINETICS_MEAN[c]
        const std = KINETICS_STD[c]
        for (let i = 0; i < plane; i++) out[o0 + i] = (out[o0 + i] - mean) / std
      }
    }
  }
  return out
}

/** Reorders NCTHW clips (as the reference and the fixture store them) to NTHWC stories. */
export function ncthwToNthwc(clips: Uint8Array, count: number, frames: number, side: number): Uint8Array {
  const px = side * side
  const out = new Uint8Array(clips.length)
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < 3; c++) {
      for (let t = 0; t < frames; t++) {
        const src = ((n * 3 + c) * frames + t) * px
        const dst = (n * frames + t) * px * 3 + c
        for (let i = 0; i < px; i++) out[dst + i * 3] = clips[src + i]
      }
    }
  }
  return out
}

function fsdSpec(o: FsdOptions): OnnxNetworkSpec {
  const S = fsdSide(o)
  return {
    metric: 'FSD',
    what: 'R(2+1)D-18 video features (torchvision, Kinetics-400)',
    option: '--fsd-model or the Evaluate view',
    exportScript: 'tools/export_r2p1d18.py',
    inputName: 'clips',
    outputName: 'features',
    sampleShape: [3, o.frames, S, S],
    axes: ['N', 'C', 'T', 'H', 'W'],
    shapeHint: o.compat
      ? `The reference-compatible mode feeds ${o.frames} frames of ${o.side}×${o.side}; tools/export_r2p1d18.py exports a network with dynamic T, H and W.`
      : `The default mode resizes frames to ${FSD_SIDE}×${FSD_SIDE}: use a network with dynamic H and W (tools/export_r2p1d18.py), or the reference-compatible mode (--fsd-compat, ${o.side}×${o.side}).`,
    maxBatch: FSD_BATCH
  }
}

/**
 * Opens an R(2+1)D ONNX file as the FSD extractor.
 * @throws UserError when the file is missing, not ONNX or does not take the clips this mode feeds
 */
export async function openFsdExtractor(file: string, o: FsdOptions): Promise<FeatureExtractor> {
  const net = await OnnxNetwork.open(file, fsdSpec(o))
  const per = o.frames * o.side * o.side * 3
  return {
    kind: 'fsd',
    dim: net.dim,
    modelFile: net.file,
    modelHash: net.hash,
    settings: o.compat ? { mode: 'compat', side: o.side, frames: o.frames } : { mode: 'resize', side: FSD_SIDE, frames: o.frames },
    async extract(pixels, count) {
      const out = new Float32Array(count * net.dim)
      for (let start = 0; start < count; start += net.batch) {
        const n = Math.min(net.batch, count - start)
        const input = fsdInput(pixels.subarray(start * per, (start + n) * per), n, o)
        out.set(await net.run(input, n), start * net.dim)
      }
      return out
    },
    close: () => net.close()
  }
}
