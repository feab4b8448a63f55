/** Tensor helpers shared by the model and kernel tests. */
import * as tf from '@tensorflow/tfjs'
import type { CpcsvBatch } from '../../src/main/training/model/batch'
import type { TrainConfig } from '../../src/shared/train-config'

/** A random CP-CSV batch of `stories` stories and `frames` single frames (deterministic per seed). */
export function randomBatch(c: TrainConfig, stories = c.storyBatch, frames = c.imageBatch, seed = 1): CpcsvBatch {
  return tf.tidy(() => {
    const u = (shape: number[], k: number): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed * 31 + k)
    const bits = (shape: number[], k: number): tf.Tensor => tf.cast(tf.greater(u(shape, k), 0.3), 'float32')
    const t = c.videoLen
    return {
      storyImages: u([stories, t, 64, 64, 3], 1) as tf.Tensor5D,
      storyText: u([stories, t, c.textDim], 2) as tf.Tensor3D,
      storyLabels: bits([stories, t, c.labelNum], 3) as tf.Tensor3D,
      images: u([frames, 64, 64, 3], 4) as tf.Tensor4D,
      masks: tf.sub(tf.mul(bits([frames, 64, 64, 1], 5), 2), 1) as tf.Tensor4D,
      maskWeight: tf.ones([frames]) as tf.Tensor1D,
      imageText: u([frames, c.textDim], 6) as tf.Tensor2D,
      imageLabels: bits([frames, c.labelNum], 7) as tf.Tensor2D,
      imageContent: u([frames, t, c.textDim], 8) as tf.Tensor3D
    }
  })
}

/** max |a - b| / max |b|: relative to the reference's scale, robust to values near zero. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`)
  let diff = 0
  let scale = 1e-12
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]))
    scale = Math.max(scale, Math.abs(expected[i]))
  }
  return diff / scale
}
