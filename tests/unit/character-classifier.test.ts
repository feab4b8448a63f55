/**
 * The character classifier learns the demo cartoon's characters well above chance in a few
 * seconds, its scores follow the multi-label definitions the papers use, it leaks no tensors,
 * and a saved classifier predicts exactly what the trained one did.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { planEpisodes, simulateEpisode } from '../../src/main/datasets/demo/cartoon-story'
import { renderCartoonClip } from '../../src/main/datasets/demo/cartoon'
import {
  buildClassifier,
  DEFAULT_ARCHITECTURE,
  fitClassifier,
  predictLabels,
  readClassifierFile,
  writeClassifierFile,
  type LabelledFrames
} from '../../src/main/evaluation/character-classifier'
import { constantBaseline, LabelScoreAccumulator } from '../../src/main/evaluation/label-scores'
import { initBackend } from '../../src/main/training/engine/backend'

const L = 9
const NAMES = ['Pororo', 'Loopy', 'Crong', 'Eddy', 'Poby', 'Petty', 'Tongtong', 'Rody', 'Harry']

/** Demo cartoon frames rendered in memory, split by episode as the importer splits them. */
function demoFrames(stories: number, seed: number): { train: LabelledFrames; heldOut: LabelledFrames } {
  const sides = { train: [] as { rgb: Uint8Array; labels: number[] }[], heldOut: [] as { rgb: Uint8Array; labels: number[] }[] }
  for (const episode of planEpisodes(stories, seed)) {
    for (const state of simulateEpisode(seed, episode)) {
      const frame = renderCartoonClip(seed, episode.index, state, 64)
      sides[episode.split === 'train' ? 'train' : 'heldOut'].push({ rgb: frame.raster.rgb, labels: frame.labels })
    }
  }
  const pack = (list: { rgb: Uint8Array; labels: number[] }[]): LabelledFrames => {
    const pixels = new Uint8Array(list.length * 64 * 64 * 3)
    const labels = new Float32Array(list.length * L)
    list.forEach((f, i) => {
      pixels.set(f.rgb, i * 64 * 64 * 3)
      labels.set(f.labels, i * L)
    })
    return { pixels, labels, count: list.length }
  }
  return { train: pack(sides.train), heldOut: pack(sides.heldOut) }
}

beforeAll(async () => {
  await initBackend('auto')
})

describe('multi-label scores', () => {
  it('computes frame accuracy, per-label and micro / macro F1 as sklearn does', () => {
    const acc = new LabelScoreAccumulator(['a', 'b', 'c'])
    // truth:     [1,0,0] [1,1,0] [0,0,0]
    // predicted: [1,0,0] [1,0,1] [0,0,0]  -> exact on frames 0 and 2
    acc.add([0.9, 0.1, 0.2, 0.8, 0.4, 0.7, 0.1, 0.3, 0.49], [1, 0, 0, 1, 1, 0, 0, 0, 0], 3)
    const s = acc.scores()
    expect(s.frameAcc).toBeCloseTo(2 / 3, 12)
    expect(s.perLabel.map((p) => p.f1)).toEqual([1, 0, 0]) // b: missed; c: a false positive only
    expect(s.microF1).toBeCloseTo((2 * 2) / (2 * 2 + 1 + 1), 12) // tp 2, fp 1, fn 1
    expect(s.macroF1).toBeCloseTo(1 / 3, 12)
  })

  it('measures the constant-prediction baseline', () => {
    const train = Float32Array.from([1, 0, 1, 0, 1, 1])
    const held = Float32Array.from([1, 0, 0, 1])
    const b = constantBaseline(train, 3, held, 2, 2)
    expect(b.frameAcc).toBe(0.5) // the most frequent training vector [1, 0]
    expect(b.microF1).toBeCloseTo(2 / 3, 12) // majority [1, 0]: tp 1, fn 1; all-on: tp 2, fp 2 -> both 2/3
  })
})

describe('character classifier on the demo cartoon', () => {
  it('trains in seconds to well above the constant baseline on held-out episodes, without leaking tensors', { timeout: 180_000 }, async () => {
    const data = demoFrames(400, 1)
    expect(data.train.count).toBeGreaterThan(300)
    expect(data.heldOut.count).toBeGreaterThan(60)
    const arch = { ...DEFAULT_ARCHITECTURE, labels: L }
    const before = tf.memory().numTensors
    const model = buildClassifier(arch, 0)
    const t0 = performance.now()
    const epochs = await fitClassifier(model, data.train, arch, { epochs: 10, seed: 0 })
    const seconds = (performance.now() - t0) / 1000
    expect(epochs).toBe(10)
    const acc = new LabelScoreAccumulator(NAMES)
    const probs = predictLabels(model, data.heldOut.pixels, data.heldOut.count, arch)
    acc.add(probs, data.heldOut.labels, data.heldOut.count)
    const held = acc.scores()
    const baseline = constantBaseline(data.train.labels, data.train.count, data.heldOut.labels, data.heldOut.count, L)
    console.info(`classifier: ${seconds.toFixed(1)} s; held-out micro F1 ${held.microF1.toFixed(3)} (baseline ${baseline.microF1.toFixed(3)}), frame acc ${held.frameAcc.toFixed(3)} (baseline ${baseline.frameAcc.toFixed(3)})`)
    expect(held.microF1).toBeGreaterThan(baseline.microF1 + 0.1)
    expect(held.frameAcc).toBeGreaterThan(baseline.frameAcc + 0.1)

    // saved and read back: the same predictions
    const dir = mkdtempSync(join(tmpdir(), 'cpcsv-classifier-'))
    try {
      const file = join(dir, '1.ckpt')
      writeClassifierFile(file, { datasetId: 1, labelNames: NAMES, architecture: arch, createdAt: 'now' }, model)
      const loaded = readClassifierFile(file)
      expect(loaded.header).toMatchObject({ datasetId: 1, labelNames: NAMES, architecture: arch })
      expect(Array.from(predictLabels(loaded.model, data.heldOut.pixels, data.heldOut.count, arch))).toEqual(Array.from(probs))
      loaded.model.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
