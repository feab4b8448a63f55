/**
 * The FSD pipeline against PyTorch (shared/fixtures/fsd): a width-reduced, randomly initialised
 * R(2+1)D-18 exported to ONNX, run through the workbench's preprocessing, extractor and Fréchet
 * code. The fixture's FSD uses the reference's effective preprocessing, i.e. the compat mode.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readNpy } from '../../src/main/datasets/npy'
import { frechetFromFeatures } from '../../src/main/evaluation/frechet'
import { fsdInput, ncthwToNthwc, openFsdExtractor } from '../../src/main/evaluation/fsd'
import { OnnxNetwork } from '../../src/main/evaluation/onnx-extractor'
import type { FeatureExtractor } from '../../src/main/evaluation/extractor'

const FSD = resolve(__dirname, '../../../shared/fixtures/fsd')
const MODEL = join(FSD, 'r2p1d18_w4_seed0.onnx')
const npy = (name: string) => readNpy(readFileSync(join(FSD, name)), name)
const expected = JSON.parse(readFileSync(join(FSD, 'fsd_expected.json'), 'utf8')) as { fsd: number }

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

let extractor: FeatureExtractor
beforeAll(async () => {
  extractor = await openFsdExtractor(MODEL, { compat: true, frames: 5, side: 64 })
})
afterAll(async () => {
  await extractor?.close()
})

describe('FSD through onnxruntime-node', () => {
  it('reproduces PyTorch features of the float input to 1e-4', async () => {
    const input = npy('r2p1d18_input.npy')
    expect(input.shape).toEqual([4, 3, 5, 64, 64])
    const net = await OnnxNetwork.open(MODEL, {
      metric: 'FSD', what: 'R(2+1)D', option: '--fsd-model', exportScript: 'tools/export_r2p1d18.py',
      inputName: 'clips', outputName: 'features', sampleShape: [3, 5, 64, 64], axes: ['N', 'C', 'T', 'H', 'W'], shapeHint: '', maxBatch: 3
    })
    try {
      expect(net.dim).toBe(128)
      // maxBatch 3 splits the 4 clips in two calls: batching must not change the features.
      const features = await net.run(input.data as Float32Array, 4)
      expect(maxAbsDiff(features, npy('r2p1d18_w4_features.npy').data as Float32Array)).toBeLessThan(1e-4)
    } finally {
      await net.close()
    }
  })

  it('preprocesses uint8 stories as x/255, (x − 0.5)/0.5 in float32, no resize (compat mode)', () => {
    const u8 = new Uint8Array([0, 127, 128, 255, 0, 127, 128, 255, 1, 2, 3, 4])
    // one story of 1 frame of 2×2 pixels (RGB triples): NTHWC → NCTHW, one plane per channel
    const out = fsdInput(u8, 1, { compat: true, frames: 1, side: 2 })
    const f = Math.fround
    const v = (u: number) => f(f(f(u / 255) - 0.5) / 0.5)
    expect(Array.from(out)).toEqual([0, 255, 128, 2, 127, 0, 255, 3, 128, 127, 1, 4].map(v))
  })

  it('reproduces the features of both story sets (1e-4) and their FSD (1e-5 relative)', async () => {
    const sets = await Promise.all(
      ['real', 'fake'].map(async (side) => {
        const clips = npy(`fsd_${side}_u8.npy`)
        expect(clips.shape).toEqual([32, 3, 5, 64, 64])
        const stories = ncthwToNthwc(clips.data as Uint8Array, 32, 5, 64)
        const features = await extractor.extract(stories, 32)
        expect(maxAbsDiff(features, npy(`fsd_${side}_features.npy`).data as Float32Array)).toBeLessThan(1e-4)
        return { data: features, n: 32, dim: extractor.dim }
      })
    )
    const fsd = frechetFromFeatures(sets[0], sets[1])
    expect(Math.abs(fsd - expected.fsd) / expected.fsd).toBeLessThan(1e-5)
  })

  it('refuses the default 112×112 mode on a network fixed at 64×64, naming the fix', async () => {
    await expect(openFsdExtractor(MODEL, { compat: false, frames: 5, side: 64 })).rejects.toThrow(
      /FSD network r2p1d18_w4_seed0\.onnx expects input 'clips' of float32 \(n, C=3, T=5, H=64, W=64\), but this evaluation feeds float32 \(N, C=3, T=5, H=112, W=112\)\. .*--fsd-compat/
    )
    await expect(openFsdExtractor(MODEL, { compat: true, frames: 4, side: 64 })).rejects.toThrow(/T=5.*feeds float32 \(N, C=3, T=4, H=64, W=64\)/)
  })

  it('says clearly when the file is missing or not ONNX', async () => {
    await expect(openFsdExtractor('/no/such/r2p1d.onnx', { compat: true, frames: 5, side: 64 })).rejects.toThrow(
      /FSD network file not found: \/no\/such\/r2p1d\.onnx\. Set it with --fsd-model .*tools\/export_r2p1d18\.py/
    )
    await expect(openFsdExtractor(join(FSD, 'README.md'), { compat: true, frames: 5, side: 64 })).rejects.toThrow(
      /FSD network .*README\.md is not a valid ONNX model/
    )
  })
})
