/**
 * The optional order-consistency VideoEncoder on D_STY (useSeqConsistency): its 3-D convs
 * against tf.conv3d, parameter count, and what it adds to a training step.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/training/engine/backend'
import { disposeBatch, disposeStepNoise, sampleGeneratorNoise, sampleStepNoise } from '../../src/main/training/model/batch'
import { type CpcsvModels, createCpcsv, createOptimisers, disposeCpcsv, parameterCounts } from '../../src/main/training/model/cpcsv'
import { StoryDiscriminator } from '../../src/main/training/model/discriminators'
import { TRAIN_CONTEXT } from '../../src/main/training/model/tracer'
import { trainDiscriminators, trainGenerator, trainStep } from '../../src/main/training/model/train-step'
import { spatialConv, temporalConv } from '../../src/main/training/model/video-encoder'
import { type TrainConfig, trainConfigFromPreset, validateTrainConfig } from '../../src/shared/train-config'
import { randomBatch, relativeError } from '../helpers/tensors'

/** VideoEncoder trainables: stem 6615+90+8640+128, 8 SN stages with BN, detector 65664+256+129. */
const VIDEO_ENCODER_PARAMETERS = 4_583_794

function ramp(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  return tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + seed)), shape)
}

function config(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return trainConfigFromPreset('tiny', { useSeqConsistency: true, ...overrides })
}

function orderVariables(models: CpcsvModels): tf.Variable[] {
  return models.dSty.store.trainableVariables().filter((v) => v.name.includes('seq_consisten_model'))
}

function snapshot(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync().slice() as Float32Array)
}

function changedCount(vars: tf.Variable[], before: Float32Array[]): number {
  return vars.filter((v, i) => relativeError(v.dataSync() as Float32Array, before[i]) > 0).length
}

beforeAll(async () => {
  await initBackend('wasm').catch(() => initBackend('cpu'))
}, 120_000)

describe('VideoEncoder 3-D convolutions', () => {
  it('(1,k,k) and (3,1,1) convs equal tf.conv3d with PyTorch padding, values and gradients', async () => {
    const previous = tf.getBackend()
    await tf.setBackend('cpu') // the reference conv3d runs on cpu
    const x = ramp([2, 5, 8, 8, 3], 1) as tf.Tensor5D
    const cases = [
      { kernel: ramp([3, 3, 3, 4], 2) as tf.Tensor4D, ours: (v: tf.Tensor5D, k: tf.Tensor4D) => spatialConv(v, k, 2, 1), k3: [1, 3, 3], pad: [0, 1, 1], strides: [1, 2, 2] },
      { kernel: ramp([7, 7, 3, 4], 3) as tf.Tensor4D, ours: (v: tf.Tensor5D, k: tf.Tensor4D) => spatialConv(v, k, 2, 3), k3: [1, 7, 7], pad: [0, 3, 3], strides: [1, 2, 2] },
      { kernel: ramp([3, 1, 3, 4], 4) as tf.Tensor4D, ours: (v: tf.Tensor5D, k: tf.Tensor4D) => temporalConv(v, k, 2), k3: [3, 1, 1], pad: [1, 0, 0], strides: [2, 1, 1] },
      { kernel: ramp([3, 1, 3, 4], 5) as tf.Tensor4D, ours: (v: tf.Tensor5D, k: tf.Tensor4D) => temporalConv(v, k, 1), k3: [3, 1, 1], pad: [1, 0, 0], strides: [1, 1, 1] }
    ]
    for (const c of cases) {
      const filter5 = tf.reshape(c.kernel, [c.k3[0], c.k3[1], c.k3[2], 3, 4]) as tf.Tensor5D
      const reference = (v: tf.Tensor5D): tf.Tensor5D => {
        const padded = tf.pad(v, [[0, 0], [c.pad[0], c.pad[0]], [c.pad[1], c.pad[1]], [c.pad[2], c.pad[2]], [0, 0]]) as tf.Tensor5D
        return tf.conv3d(padded, filter5, c.strides as [number, number, number], 'valid')
      }
      const expected = reference(x)
      await tf.setBackend(previous)
      const actual = c.ours(x, c.kernel)
      expect(actual.shape).toEqual(expected.shape)
      expect(relativeError(actual.dataSync() as Float32Array, expected.dataSync() as Float32Array)).toBeLessThan(1e-5)
      const dOurs = tf.grad((v: tf.Tensor) => tf.sum(tf.square(c.ours(v as tf.Tensor5D, c.kernel))))(x)
      await tf.setBackend('cpu')
      const dRef = tf.grad((v: tf.Tensor) => tf.sum(tf.square(reference(v as tf.Tensor5D))))(x)
      expect(relativeError(dOurs.dataSync() as Float32Array, dRef.dataSync() as Float32Array)).toBeLessThan(1e-5)
    }
    await tf.setBackend(previous)
  })
})

describe('order consistency on D_STY', () => {
  let models: CpcsvModels
  afterAll(() => {
    if (models) disposeCpcsv(models)
  })

  it('is a valid config, adds the VideoEncoder to D_STY only, and rejects one-frame stories', () => {
    expect(validateTrainConfig(config())).toEqual([])
    expect(validateTrainConfig(config({ videoLen: 1 })).join()).toMatch(/useSeqConsistency needs videoLen of at least 2/)
    const off = createCpcsv(trainConfigFromPreset('tiny'), { seed: 0 })
    models = createCpcsv(config(), { seed: 0 })
    const [a, b] = [parameterCounts(off), parameterCounts(models)]
    expect(b.D_sty - a.D_sty).toBe(VIDEO_ENCODER_PARAMETERS)
    expect([b.G, b.D_img, b.D_seg]).toEqual([a.G, a.D_img, a.D_seg])
    expect(models.dSty).toBeInstanceOf(StoryDiscriminator)
    expect(models.dSty.spectralKernels().length).toBe(off.dSty.spectralKernels().length + 10)
    disposeCpcsv(off)
  })

  it('gives one logit per story, for T = 5 and T = 4', () => {
    for (const videoLen of [5, 4]) {
      const m = createCpcsv(config({ videoLen }), { seed: 1 })
      const logits = m.dSty.orderLogits(ramp([3, videoLen, 64, 64, 3], 1) as tf.Tensor5D, TRAIN_CONTEXT)
      expect(logits?.shape).toEqual([3])
      expect(Array.from(logits?.dataSync() ?? []).every(Number.isFinite)).toBe(true)
      disposeCpcsv(m)
    }
  })

  it('adds ratio x BCE to L_D and trains the VideoEncoder in the D phase only', () => {
    const losses = [0, 1, 3].map((ratio) => {
      const m = createCpcsv(config({ consistencyRatio: ratio }), { seed: 2 })
      const opt = createOptimisers(m, m.config)
      const batch = randomBatch(m.config)
      const noise = sampleGeneratorNoise(m.config, 5)
      const before = snapshot(orderVariables(m))
      const d = trainDiscriminators(m, opt, batch, noise, {}, 11)
      const changedByD = changedCount(orderVariables(m), before)
      const afterD = snapshot(orderVariables(m))
      trainGenerator(m, opt, batch, sampleGeneratorNoise(m.config, 6))
      const changedByG = changedCount(orderVariables(m), afterD)
      disposeBatch(batch)
      disposeCpcsv(m, opt)
      return { d, changedByD, changedByG, count: before.length }
    })
    const [r0, r1, r3] = losses
    expect(r1.d.dStyOrder).toBeGreaterThan(0.1)
    expect(r1.d.dStyOrder).toBeLessThan(5)
    // Same weights, batch, noise and shuffle: only the weight of the order term differs.
    expect(r1.d.dSty! - r0.d.dSty!).toBeCloseTo(r1.d.dStyOrder!, 4)
    expect(r3.d.dSty! - r0.d.dSty!).toBeCloseTo(3 * r1.d.dStyOrder!, 4)
    expect(r1.changedByD).toBe(r1.count)
    expect(r1.changedByG).toBe(0)
  })

  it('reaches G through the feature-match term and leaks no tensors across steps', () => {
    const grads = [0, 1].map((ratio) => {
      const m = createCpcsv(config({ consistencyRatio: ratio }), { seed: 3 })
      const opt = createOptimisers(m, m.config)
      const batch = randomBatch(m.config)
      let first: Float32Array | null = null
      const g = trainGenerator(m, opt, batch, sampleGeneratorNoise(m.config, 8), (model, gs) => {
        if (model === 'G') first = Object.values(gs)[0].dataSync().slice() as Float32Array
      })
      disposeBatch(batch)
      disposeCpcsv(m, opt)
      return { g, first: first as unknown as Float32Array }
    })
    expect(grads[1].g.gStyOrder).toBeGreaterThanOrEqual(0)
    expect(grads[0].g.gStyOrder).toBeGreaterThanOrEqual(0)
    expect(relativeError(grads[1].first, grads[0].first)).toBeGreaterThan(1e-6)

    const m = createCpcsv(config(), { seed: 4 })
    const opt = createOptimisers(m, m.config)
    const batch = randomBatch(m.config)
    const step = (seed: number): Record<string, number | undefined> => {
      const noise = sampleStepNoise(m.config, seed)
      const out = trainStep(m, opt, batch, noise)
      disposeStepNoise(noise)
      return out as unknown as Record<string, number | undefined>
    }
    const first = step(1)
    const tensors = tf.memory().numTensors
    const second = step(2)
    expect(tf.memory().numTensors).toBe(tensors)
    for (const s of [first, second]) {
      expect(Number.isFinite(s.dStyOrder)).toBe(true)
      expect(Number.isFinite(s.gStyOrder)).toBe(true)
    }
    disposeBatch(batch)
    disposeCpcsv(m, opt)
  })
})
