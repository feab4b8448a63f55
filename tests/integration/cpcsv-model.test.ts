/**
 * The TF.js CP-CSV model: preset sizes and parameter counts (targets.md), output shapes, one
 * paper-size forward pass, tensor hygiene and phase isolation of a training step, spectral
 * norm, mask weights, checkpoints. Runs on `wasm` (project kernels) for speed, `cpu` if wasm is
 * unavailable; numerical equality with PyTorch is cpcsv-reference.test.ts's job.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src/main/training/engine/backend'
import {
  TRAIN_PRESETS, type TrainPresetName, trainConfigFromPreset, validateTrainConfig
} from '../../src/shared/train-config'
import {
  type CpcsvBatch, disposeBatch, disposeStepNoise, sampleGeneratorNoise, samplePathNoise, sampleStepNoise
} from '../../src/main/training/model/batch'
import {
  type CpcsvModels, createCpcsv, createOptimisers, disposeCpcsv, generateStories, loadWeights, parameterCounts, serialiseWeights
} from '../../src/main/training/model/cpcsv'
import { learningRatesForEpoch } from '../../src/main/training/model/lr-schedule'
import { repeatStoryCode } from '../../src/main/training/model/generator'
import { ParamStore, fromTorch, toTorch } from '../../src/main/training/model/params'
import { SpectralNormKernel } from '../../src/main/training/model/spectral-norm'
import { TRAIN_CONTEXT } from '../../src/main/training/model/tracer'
import { trainDiscriminators, trainGenerator, trainStep } from '../../src/main/training/model/train-step'
import { jointConv } from '../../src/main/training/model/discriminators'
import { values } from '../helpers/backend-compare'
import { randomBatch, relativeError } from '../helpers/tensors'

const COUNTS: Record<TrainPresetName, [number, number, number, number]> = {
  paper: [86_995_977, 23_725_169, 23_582_321, 23_721_201],
  small: [6_468_369, 904_769, 886_337, 904_257],
  tiny: [3_934_797, 372_513, 363_297, 372_257],
  clevr: [50_202_003, 12_847_489, 12_663_169, 12_844_417]
}

let backend = 'cpu'

beforeAll(async () => {
  try {
    backend = (await initBackend('wasm')).name
  } catch {
    await tf.setBackend('cpu')
  }
}, 120_000)

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function snapshot(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync() as Float32Array)
}

function changed(vars: tf.Variable[], before: Float32Array[]): number {
  return vars.filter((v, i) => !sameValues(v.dataSync() as Float32Array, before[i])).length
}

describe('train config', () => {
  it('accepts every preset and names the problems of a broken config', () => {
    for (const name of Object.keys(TRAIN_PRESETS) as TrainPresetName[]) {
      expect(validateTrainConfig(trainConfigFromPreset(name))).toEqual([])
    }
    const broken = trainConfigFromPreset('tiny', { storyBatch: 1, gfDim: 0, lrG: -1, betas: [0.5, 2] })
    const problems = validateTrainConfig(broken)
    expect(problems.join('\n')).toMatch(/storyBatch/)
    expect(problems.join('\n')).toMatch(/gfDim/)
    expect(problems.join('\n')).toMatch(/lrG/)
    expect(problems.join('\n')).toMatch(/betas/)
  })

  it('keeps upstream defaults: story-code fix on, consistency off, IMAGE_RATIO 5', () => {
    const c = trainConfigFromPreset('paper')
    expect([c.fixStoryCodeOrder, c.useSeqConsistency, c.segmentLearning]).toEqual([true, false, true])
    expect([c.imageRatio, c.segmentRatio, c.klCoeff, c.lrG, c.lrD, c.lrDecayEpoch]).toEqual([5, 1, 1, 1e-4, 4e-4, 20])
    expect([c.storyBatch, c.imageBatch, 8 * c.gfDim, c.gfSegDim, c.dfDim]).toEqual([18, 90, 2048, 1024, 124])
  })
})

describe('learning-rate schedule', () => {
  it('halves G, D_img and D_sty at the ends of epochs 20, 40, 80 and never D_seg (B8)', () => {
    const c = trainConfigFromPreset('tiny')
    const g = (e: number): number => learningRatesForEpoch(c, e).g / c.lrG
    expect([0, 20, 21, 40, 41, 60, 80, 81, 119].map(g)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125])
    expect(learningRatesForEpoch(c, 100).dSeg).toBe(c.lrD)
    expect(learningRatesForEpoch({ ...c, decaySegDiscriminatorLr: true }, 100).dSeg).toBe(c.lrD / 8)
  })
})

describe.each(['tiny', 'small', 'clevr'] as const)('%s preset', (name) => {
  let models: CpcsvModels
  const config = trainConfigFromPreset(name)

  beforeAll(() => {
    // clevr's 88 M random normals take ~15 s to draw; zeros give the same shapes.
    models = createCpcsv(config, { seed: 3, zeroInit: name === 'clevr' })
  })
  afterAll(() => disposeCpcsv(models))

  it('has the parameter counts of targets.md', () => {
    const c = parameterCounts(models)
    expect([c.G, c.D_img, c.D_sty, c.D_seg]).toEqual(COUNTS[name])
  })

  it('produces stories, frames, masks and discriminator outputs of the right shapes', () => {
    const t = config.videoLen
    const batch = randomBatch(config, 2, 3)
    const noise = sampleGeneratorNoise(config, 5, 2, 3)
    const before = tf.memory().numTensors
    tf.tidy(() => {
      const g = models.generator
      const story = g.story(batch.storyText, batch.storyLabels, noise.story, TRAIN_CONTEXT)
      expect(story.images.shape).toEqual([2 * t, 64, 64, 3])
      expect(story.masks?.shape).toEqual([2 * t, 64, 64, 1])
      expect(story.mu.shape).toEqual([2, config.conditionDim])
      const image = g.images(batch.imageText, batch.imageLabels, batch.imageContent, noise.image, TRAIN_CONTEXT)
      expect(image.images.shape).toEqual([3, 64, 64, 3])
      expect(image.masks?.shape).toEqual([3, 64, 64, 1])
      const range = tf.max(tf.abs(image.images)).dataSync()[0]
      expect(range).toBeLessThanOrEqual(1)
      const f = models.dImg.features(image.images, TRAIN_CONTEXT)
      expect(f.shape).toEqual([3, 4, 4, 8 * config.dfDim])
      const cond = tf.concat([batch.imageText, batch.imageLabels, image.mu], 1) as tf.Tensor2D
      expect(models.dImg.logits(f, cond, TRAIN_CONTEXT).shape).toEqual([3])
      expect(models.dImg.classify(f, TRAIN_CONTEXT)?.shape).toEqual([3, config.labelNum])
      const s = models.dSty.features(tf.reshape(story.images, [2, t, 64, 64, 3]), TRAIN_CONTEXT)
      expect(s.shape).toEqual([2, 4, 4, 8 * config.dfDim])
      expect(models.dSeg?.features(image.masks as tf.Tensor4D, TRAIN_CONTEXT).shape).toEqual([3, 4, 4, 8 * config.dfDim])
    })
    expect(tf.memory().numTensors).toBe(before)
    disposeBatch(batch)
    tf.dispose([noise.story.eps, noise.story.h0, noise.story.z, noise.image.eps, noise.image.h0, noise.image.z])
  })
})

describe('training step (tiny)', () => {
  const config = trainConfigFromPreset('tiny')
  let models: CpcsvModels
  let optimisers: ReturnType<typeof createOptimisers>
  let batch: CpcsvBatch

  beforeAll(() => {
    models = createCpcsv(config, { seed: 1 })
    optimisers = createOptimisers(models)
    batch = randomBatch(config)
  })
  afterAll(() => {
    disposeBatch(batch)
    disposeCpcsv(models, optimisers)
  })

  it('leaves the tensor count unchanged, from the first step on', () => {
    for (let step = 0; step < 2; step++) {
      const noise = sampleStepNoise(config, step)
      const before = tf.memory().numTensors
      const losses = trainStep(models, optimisers, batch, noise)
      expect(tf.memory().numTensors).toBe(before)
      disposeStepNoise(noise)
      for (const v of Object.values(losses)) expect(Number.isFinite(v)).toBe(true)
      expect(losses.gTotal).toBeCloseTo(losses.gImg + losses.klImg + losses.gSeg + 5 * losses.gSty + losses.klSty, 4)
    }
    expect(optimisers.g.step).toBe(2)
  }, 120_000)

  it('D phases leave G weights alone; the G phase leaves D weights alone', () => {
    const gVars = models.generator.store.trainableVariables()
    const dVars = [models.dImg, models.dSty, models.dSeg!].flatMap((d) => d.variables())
    const noise = sampleStepNoise(config, 9)
    let g = snapshot(gVars)
    let d = snapshot(dVars)
    trainDiscriminators(models, optimisers, batch, noise.g1)
    expect(changed(gVars, g)).toBe(0)
    expect(changed(dVars, d)).toBeGreaterThan(dVars.length / 2)
    g = snapshot(gVars)
    d = snapshot(dVars)
    trainGenerator(models, optimisers, batch, noise.g2)
    expect(changed(dVars, d)).toBe(0)
    expect(changed(gVars, g)).toBeGreaterThan(gVars.length / 2)
    disposeStepNoise(noise)
  }, 120_000)

  it('gives frames without masks no mask loss: a batch with none leaves D_seg untouched', () => {
    const unmasked = { ...batch, maskWeight: tf.zeros([config.imageBatch]) as tf.Tensor1D }
    const dSeg = models.dSeg!.store
    const before = snapshot([...dSeg.entries.values()].map((e) => e.variable))
    const noise = sampleStepNoise(config, 11)
    const losses = trainStep(models, optimisers, unmasked, noise)
    expect([losses.dSeg, losses.gSeg]).toEqual([0, 0])
    expect(changed([...dSeg.entries.values()].map((e) => e.variable), before)).toBe(0)
    unmasked.maskWeight.dispose()
    disposeStepNoise(noise)
  }, 120_000)
})

describe('story code order (B1)', () => {
  it('gives frame b*T+t its own story code when fixed, story (b*T+t) mod B upstream', () => {
    const mu = tf.tensor2d([[10], [20]])
    const rows = (fixed: boolean): number[] => Array.from(repeatStoryCode(mu, 3, fixed).dataSync())
    expect(rows(true)).toEqual([10, 10, 10, 20, 20, 20])
    expect(rows(false)).toEqual([10, 20, 10, 20, 10, 20])
    mu.dispose()
  })
})

describe('without segment learning', () => {
  it('builds no mask branch nor D_seg and still trains', () => {
    const config = trainConfigFromPreset('tiny', { segmentLearning: false })
    const models = createCpcsv(config, { seed: 2 })
    expect(models.dSeg).toBeNull()
    expect(parameterCounts(models).G).toBeLessThan(COUNTS.tiny[0])
    const optimisers = createOptimisers(models)
    const batch = randomBatch(config)
    const noise = sampleStepNoise(config, 1)
    const losses = trainStep(models, optimisers, batch, noise)
    expect([losses.dSeg, losses.gSeg]).toEqual([0, 0])
    expect(Number.isFinite(losses.gTotal)).toBe(true)
    disposeStepNoise(noise)
    disposeBatch(batch)
    disposeCpcsv(models, optimisers)
  }, 120_000)
})

describe('spectral norm', () => {
  it('normalises the weight to a top singular value of 1 and keeps u / v between calls', () => {
    const store = new ParamStore('D_img', { seed: 4 })
    const sn = new SpectralNormKernel(store, 'test', [4, 4, 8, 16])
    const u0 = sn.u.dataSync().slice()
    for (let i = 0; i < 30; i++) sn.kernel(TRAIN_CONTEXT).dispose()
    expect(sn.u.dataSync()).not.toEqual(u0)
    const w = sn.kernel({ training: false })
    const m = w.reshape([-1, 16]).arraySync() as number[][] // (kh*kw*in, out) = W^T
    w.dispose()
    // Top singular value of W^T by power iteration in float64.
    let v = new Array<number>(16).fill(1)
    let sigma = 0
    for (let it = 0; it < 300; it++) {
      const mv = m.map((row) => row.reduce((s, x, j) => s + x * v[j], 0))
      const back = v.map((_, j) => m.reduce((s, row, i) => s + row[j] * mv[i], 0))
      const norm = Math.sqrt(back.reduce((s, x) => s + x * x, 0))
      sigma = Math.sqrt(norm / Math.sqrt(v.reduce((s, x) => s + x * x, 0)))
      v = back.map((x) => x / norm)
    }
    expect(Math.abs(sigma - 1)).toBeLessThan(1e-3)
    store.dispose()
  })
})

describe("discriminator heads' joint convolution", () => {
  it.each([[4, 4], [3, 5], [1, 2]])('equals conv3x3 over the tiled condition on a %ix%i map, gradients included', (hh, ww) => {
    const [n, features, conditionDim, out] = [3, 5, 7, 4]
    const inputs = [[n, hh, ww, features], [n, conditionDim], [3, 3, features + conditionDim, out]].map((shape, i) =>
      tf.tensor(values(shape, i + 1), shape))
    const weights = tf.tensor(values([n, hh, ww, out], 9), [n, hh, ww, out])
    const tiled = (h: tf.Tensor, c: tf.Tensor, w: tf.Tensor): tf.Tensor => {
      const t = tf.tile(tf.reshape(c, [n, 1, 1, conditionDim]), [1, hh, ww, 1])
      return tf.conv2d(tf.concat([h, t], 3) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')
    }
    const split = (h: tf.Tensor, c: tf.Tensor, w: tf.Tensor): tf.Tensor => {
      const [wh, wc] = tf.split(w, [features, conditionDim], 2) as [tf.Tensor4D, tf.Tensor4D]
      return jointConv(h as tf.Tensor4D, c as tf.Tensor2D, wh, wc)
    }
    const outputs = [tiled, split].map((f) => tf.tidy(() => {
      const y = f(inputs[0], inputs[1], inputs[2])
      const grads = tf.grads((h, c, w) => tf.sum(tf.mul(f(h, c, w), weights)))(inputs)
      return [y, ...grads].map((t) => t.dataSync() as Float32Array)
    }))
    expect(outputs[1][0].length).toBe(n * hh * ww * out)
    // Output, dh, dcond (the model detaches it, but the op itself is exact), dw.
    outputs[0].forEach((ref, i) => expect(relativeError(outputs[1][i], ref), `array ${i}`).toBeLessThan(1e-5))
    tf.dispose([...inputs, weights])
  })
})

describe('checkpoints and PyTorch layouts', () => {
  it('round-trips weights, buffers and layouts', () => {
    const config = trainConfigFromPreset('tiny')
    const a = createCpcsv(config, { seed: 1 })
    const b = createCpcsv(config, { seed: 2, zeroInit: true })
    const saved = serialiseWeights(a)
    loadWeights(b, saved)
    const again = serialiseWeights(b)
    // Plain loops: toEqual on multi-million-element typed arrays takes minutes.
    const differing = Object.entries(saved).filter(([k, w]) => !sameValues(again[k].data, w.data)).map(([k]) => k)
    expect(differing).toEqual([])
    for (const e of a.dSty.store.entries.values()) {
      const data = e.variable.dataSync() as Float32Array
      expect(sameValues(fromTorch(e, toTorch(e, data)), data)).toBe(true)
    }
    const other = createCpcsv(trainConfigFromPreset('tiny', { dfDim: 4 }), { zeroInit: true })
    expect(() => loadWeights(other, saved)).toThrow(/shape/)
    disposeCpcsv(other)
    disposeCpcsv(a)
    disposeCpcsv(b)
  })
})

describe('paper preset', () => {
  it('has the paper parameter counts and generates one story in eval mode', () => {
    const config = trainConfigFromPreset('paper')
    const models = createCpcsv(config, { zeroInit: true })
    const c = parameterCounts(models)
    expect([c.G, c.D_img, c.D_sty, c.D_seg]).toEqual(COUNTS.paper)
    // Forward only where it is quick (wasm: a few seconds; cpu: minutes).
    if (backend === 'wasm') {
      const batch = randomBatch(config, 1, 2)
      const noise = samplePathNoise(config, 1, config.videoLen, 3)
      const out = generateStories(models, batch.storyText, batch.storyLabels, noise)
      expect(out.images.shape).toEqual([1, 5, 64, 64, 3])
      expect(out.masks?.shape).toEqual([1, 5, 64, 64, 1])
      tf.dispose([out.images, out.masks as tf.Tensor, noise.eps, noise.h0, noise.z])
      disposeBatch(batch)
    }
    disposeCpcsv(models)
  }, 300_000)
})
