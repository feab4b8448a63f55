/**
 * Training-step benchmark: milliseconds per full CP-CSV iteration (D phases + G) for the
 * `tiny` and `small` presets on each available backend, against the PyTorch figures measured
 * on this kind of machine (docs/targets.md), plus peak RSS.
 */
import * as tf from '@tensorflow/tfjs'
import { initBackend, probeBackends, type BackendName } from '../src/main/training/engine/backend'
import { wasmThreads } from '../src/main/training/engine/wasm-threads'
import { createCpcsv, createOptimisers, disposeCpcsv } from '../src/main/training/model/cpcsv'
import { disposeBatch, disposeStepNoise, sampleStepNoise, type CpcsvBatch } from '../src/main/training/model/batch'
import { trainStep } from '../src/main/training/model/train-step'
import { trainConfigFromPreset, type TrainConfig, type TrainPresetName } from '../src/shared/train-config'

const PYTORCH_MS: Record<string, number> = { tiny: 380, small: 1160 }

function randomBatch(c: TrainConfig): CpcsvBatch {
  const [B, T, N, S, D, L] = [c.storyBatch, c.videoLen, c.imageBatch, c.imageSize, c.textDim, c.labelNum]
  return tf.tidy(() => ({
    storyImages: tf.randomUniform([B, T, S, S, 3], -1, 1, 'float32', 1) as tf.Tensor5D,
    storyText: tf.randomNormal([B, T, D], 0, 1, 'float32', 2) as tf.Tensor3D,
    storyLabels: tf.cast(tf.greater(tf.randomUniform([B, T, L], 0, 1, 'float32', 3), 0.7), 'float32') as tf.Tensor3D,
    images: tf.randomUniform([N, S, S, 3], -1, 1, 'float32', 4) as tf.Tensor4D,
    masks: tf.sign(tf.randomUniform([N, S, S, 1], -1, 1, 'float32', 5)) as tf.Tensor4D,
    maskWeight: tf.ones([N]) as tf.Tensor1D,
    imageText: tf.randomNormal([N, D], 0, 1, 'float32', 6) as tf.Tensor2D,
    imageLabels: tf.cast(tf.greater(tf.randomUniform([N, L], 0, 1, 'float32', 7), 0.7), 'float32') as tf.Tensor2D,
    imageContent: tf.randomNormal([N, T, D], 0, 1, 'float32', 8) as tf.Tensor3D
  }))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function benchOne(backend: BackendName, preset: TrainPresetName, iterations: number): Promise<number> {
  await initBackend(backend)
  const config = trainConfigFromPreset(preset)
  const models = createCpcsv(config, { seed: 0 })
  const optimisers = createOptimisers(models, config)
  const batch = randomBatch(config)
  const times: number[] = []
  let peak = process.memoryUsage().rss
  for (let i = 0; i < iterations + 1; i++) {
    const noise = sampleStepNoise(config, i + 1)
    const t0 = performance.now()
    trainStep(models, optimisers, batch, noise)
    const ms = performance.now() - t0
    if (i > 0) times.push(ms) // the first step creates Adam slots and warms kernels
    disposeStepNoise(noise)
    peak = Math.max(peak, process.memoryUsage().rss)
  }
  disposeBatch(batch)
  disposeCpcsv(models, optimisers)
  const ms = median(times)
  const ref = PYTORCH_MS[preset]
  const threads = backend === 'wasm' ? wasmThreads() ?? 1 : null
  const label = threads == null ? backend : `${backend} (${threads} thr)`
  console.log(
    `train ${preset.padEnd(5)} on ${label.padEnd(14)} ${ms.toFixed(0).padStart(6)} ms/iteration (median of ${times.length}; ` +
      `runs ${Math.min(...times).toFixed(0)}-${Math.max(...times).toFixed(0)}), ${(ms / ref).toFixed(2)}x PyTorch's ${ref} ms, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`
  )
  return ms
}

export async function benchTrain(): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const backends = (await probeBackends()).filter((b) => b.available).map((b) => b.name)
  const wanted = (process.env.CPCSV_BENCH_BACKENDS?.split(',') as BackendName[] | undefined) ?? backends.filter((b) => b !== 'cpu')
  for (const backend of wanted) {
    for (const preset of ['tiny', 'small'] as const) {
      out[`${backend}.${preset}`] = await benchOne(backend, preset, Number(process.env.CPCSV_BENCH_ITERATIONS ?? 5))
    }
  }
  console.log('(the pure-JS cpu backend is skipped: about 1000x PyTorch; set CPCSV_BENCH_BACKENDS=cpu to measure it)')
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTrain()
