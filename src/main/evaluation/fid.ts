/**
 * FID features (reference doc §6.2): pytorch-fid's InceptionV3 pool features (2048-d), every
 * frame an independent sample. Preprocessing as pytorch-fid after CP-CSV's loader: 8-bit frame
 * → [-1, 1] (x/255, then (x − 0.5)/0.5, float32) → [0, 1] → bilinear resize to 299×299
 * (align_corners=False). The network applies its own 2x − 1 (exported with
 * `normalize_input=True`, see tools/export_fid_inception.py).
 */
import { bilinearTaps, resizePlane } from './bilinear'
import type { FeatureExtractor } from './extractor'
import { OnnxNetwork, type OnnxNetworkSpec } from './onnx-extractor'

/** Input side of InceptionV3. */
export const FID_SIDE = 299

/** Frames per network call (a 16×3×299×299 batch is 17 MB of float32). */
const FID_BATCH = 16

/**
 * u8 → value in [0, 1] exactly as the float32 chain of the reference computes it:
 * ToTensor (x/255), Normalize(0.5, 0.5), then (x + 1)/2.
 */
const TO_UNIT = Float32Array.from({ length: 256 }, (_, u) => {
  const f = Math.fround
  const signed = f(f(f(u / 255) - 0.5) / 0.5)
  return f(f(signed + 1) / 2)
})

/**
 * pytorch-fid input of frames.
 * @param frames count×side×side×3 uint8 (NHWC)
 * @returns count×3×299×299 float32 (NCHW) in [0, 1]
 */
export function fidInput(frames: Uint8Array, count: number, side: number): Float32Array {
  if (frames.length !== count * side * side * 3) throw new RangeError(`${frames.length} bytes are not ${count} frames of ${side}×${side}×3`)
  const taps = bilinearTaps(side, FID_SIDE)
  const plane = FID_SIDE * FID_SIDE
  const out = new Float32Array(count * 3 * plane)
  const unit = new Float32Array(side * side * 3)
  const scratch = new Float64Array(side * FID_SIDE)
  for (let n = 0; n < count; n++) {
    const base = n * side * side * 3
    for (let i = 0; i < unit.length; i++) unit[i] = TO_UNIT[frames[base + i]]
    for (let c = 0; c < 3; c++) resizePlane(unit, c, 3, side, side, out, (n * 3 + c) * plane, taps, taps, scratch)
  }
  return out
}

function fidSpec(side: number): OnnxNetworkSpec {
  return {
    metric: 'FID',
    what: 'InceptionV3 pool features (pytorch-fid)',
    option: '--fid-model or the Evaluate view',
    exportScript: 'tools/export_fid_inception.py',
    inputName: 'images',
    outputName: 'features',
    sampleShape: [3, FID_SIDE, FID_SIDE],
    axes: ['N', 'C', 'H', 'W'],
    shapeHint: `Frames of ${side}×${side} are resized to ${FID_SIDE}×${FID_SIDE} before the network; export it with tools/export_fid_inception.py (input 'images' (N, 3, 299, 299) in [0, 1]).`,
    maxBatch: FID_BATCH
  }
}

/**
 * Opens an InceptionV3 ONNX file as the FID extractor.
 * @param side frame side of the dataset (64)
 * @throws UserError when the file is missing, not ONNX or of the wrong shape
 */
export async function openFidExtractor(file: string, side = 64): Promise<FeatureExtractor> {
  const net = await OnnxNetwork.open(file, fidSpec(side))
  return {
    kind: 'fid',
    dim: net.dim,
    modelFile: net.file,
    modelHash: net.hash,
    settings: { resize: FID_SIDE, input: side },
    async extract(pixels, count) {
      // Preprocess per network batch so only one 299² batch is held at a time.
      const out = new Float32Array(count * net.dim)
      const per = side * side * 3
      for (let start = 0; start < count; start += net.batch) {
        const n = Math.min(net.batch, count - start)
        const input = fidInput(pixels.subarray(start * per, (start + n) * per), n, side)
        out.set(await net.run(input, n), start * net.dim)
      }
      return out
    },
    close: () => net.close()
  }
}
