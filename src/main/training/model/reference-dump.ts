/**
 * The inputs of a PyTorch reference dump (fixture format, see pytorch-import.ts) as TF.js
 * tensors, and the elements whose true gradient is zero (reference 11.8), which a comparison
 * must leave out.
 */
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { readNpy } from '../../datasets/npy'
import type { TrainConfig } from '../../../shared/train-config'
import type { CpcsvBatch, GeneratorNoise, StepNoise } from './batch'
import type { PathNoise } from './generator'
import type { DumpEntry, DumpManifest } from './pytorch-import'

/** A float32 .npy file of the dump: shape and C-order values. */
export interface DumpArray {
  shape: number[]
  data: Float32Array
}

/** Reads one float32 .npy file of the dump (relative path). */
export function readDumpArray(dir: string, file: string): DumpArray {
  const arr = readNpy(new Uint8Array(readFileSync(path.join(dir, file))), file)
  if (arr.dtype !== 'float32' || arr.fortranOrder) throw new Error(`${file}: expected C-order float32, got ${arr.dtype}`)
  return { shape: arr.shape, data: arr.data as Float32Array }
}

function tensorOf(a: DumpArray, perm?: number[]): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(a.data, a.shape)
    return perm ? tf.transpose(t, perm) : t
  })
}

/**
 * The dump's batch (`batch/*.npy`, PyTorch layouts) as a CpcsvBatch: images NCHW -> NHWC,
 * stories (B, C, T, H, W) -> (B, T, H, W, C), image content cut to the text columns (upstream
 * slices `content[:, :, :TEXT.DIMENSION]`). Every frame has a mask (weight 1).
 */
export function batchFromDump(dir: string, config: TrainConfig): CpcsvBatch {
  const read = (name: string): DumpArray => readDumpArray(dir, `batch/${name}.npy`)
  return tf.tidy(() => {
    const content = tensorOf(read('im_content'))
    const images = tensorOf(read('im_images'), [0, 2, 3, 1]) as tf.Tensor4D
    return {
      storyImages: tensorOf(read('st_images'), [0, 2, 3, 4, 1]) as tf.Tensor5D,
      storyText: tf.slice(tensorOf(read('st_description')), [0, 0, 0], [-1, -1, config.textDim]) as tf.Tensor3D,
      storyLabels: tensorOf(read('st_labels')) as tf.Tensor3D,
      images,
      masks: tensorOf(read('im_masks'), [0, 2, 3, 1]) as tf.Tensor4D,
      maskWeight: tf.ones([images.shape[0]]) as tf.Tensor1D,
      imageText: tf.slice(tensorOf(read('im_description')), [0, 0], [-1, config.textDim]) as tf.Tensor2D,
      imageLabels: tensorOf(read('im_labels')) as tf.Tensor2D,
      imageContent: tf.slice(content, [0, 0, 0], [-1, -1, config.textDim]) as tf.Tensor3D
    }
  })
}

function pathNoise(dir: string, prefix: string): PathNoise {
  const read = (name: string): tf.Tensor => tensorOf(readDumpArray(dir, `batch/${prefix}_${name}.npy`))
  return { eps: read('eps') as tf.Tensor2D, h0: read('h0') as tf.Tensor2D, z: read('z') as tf.Tensor3D }
}

/** The noise of the step's two generator calls (`noise_g1_*`, `noise_g2_*`). */
export function noiseFromDump(dir: string): StepNoise {
  const gen = (g: string): GeneratorNoise => ({ story: pathNoise(dir, `noise_${g}_story`), image: pathNoise(dir, `noise_${g}_image`) })
  // The fixture's dumps have order consistency off; the seed is unused there.
  return { g1: gen('g1'), g2: gen('g2'), orderSeed: 0 }
}

/** Columns (indices) that hold the same value in every row of a (rows, cols) C-order matrix. */
export function constantColumns(rows: number, cols: number, data: ArrayLike<number>): number[] {
  const out: number[] = []
  for (let j = 0; j < cols; j++) {
    let same = true
    for (let i = 1; i < rows && same; i++) same = data[i * cols + j] === data[j]
    if (same) out.push(j)
  }
  return out
}

/** Row-wise concatenation of (rows, c_k) matrices. */
function concatColumns(rows: number, parts: DumpArray[]): { cols: number; data: Float32Array } {
  const cols = parts.reduce((s, p) => s + p.shape[p.shape.length - 1], 0)
  const data = new Float32Array(rows * cols)
  for (let i = 0; i < rows; i++) {
    let at = i * cols
    for (const p of parts) {
      const c = p.shape[p.shape.length - 1]
      data.set(p.data.subarray(i * c, (i + 1) * c), at)
      at += c
    }
  }
  return { cols, data }
}

/** Mean over axis 1 of (B, T, C), and the "any positive" indicator, as upstream builds st_mu. */
function storyMeans(a: DumpArray, indicator: boolean): DumpArray {
  const [b, t, c] = a.shape
  const data = new Float32Array(b * c)
  for (let i = 0; i < b; i++) {
    for (let k = 0; k < c; k++) {
      let s = 0
      for (let j = 0; j < t; j++) s += a.data[(i * t + j) * c + k]
      data[i * c + k] = indicator ? (s > 0 ? 1 : 0) : s / t
    }
  }
  return { shape: [b, c], data }
}

/**
 * The discriminator conditions of the dump's D phase, from its inputs and the story-encoder
 * means it recorded (`act/G.story_encoder.{0,1}.1`): D_img / D_seg get [text, labels, c_mu],
 * D_sty gets [r_mu, mean text, characters present].
 */
export function dumpConditions(dir: string, config: TrainConfig): { image: DumpArray; story: DumpArray } {
  const read = (f: string): DumpArray => readDumpArray(dir, f)
  const cut = (a: DumpArray, cols: number): DumpArray => {
    const rows = a.data.length / a.shape[a.shape.length - 1]
    const c = a.shape[a.shape.length - 1]
    const data = new Float32Array(rows * cols)
    for (let i = 0; i < rows; i++) data.set(a.data.subarray(i * c, i * c + cols), i * cols)
    return { shape: [...a.shape.slice(0, -1), cols], data }
  }
  const imText = cut(read('batch/im_description.npy'), config.textDim)
  const n = imText.shape[0]
  const image = concatColumns(n, [imText, read('batch/im_labels.npy'), read('act/G.story_encoder.1.1.npy')])
  const stText = cut(read('batch/st_description.npy'), config.textDim)
  const b = stText.shape[0]
  const story = concatColumns(b, [read('act/G.story_encoder.0.1.npy'), storyMeans(stText, false), storyMeans(read('batch/st_labels.npy'), true)])
  return { image: { shape: [n, image.cols], data: image.data }, story: { shape: [b, story.cols], data: story.data } }
}

/**
 * Elements of a dump entry whose true gradient is zero (reference 11.8), as a 0/1 mask in
 * PyTorch layout, or null when there are none:
 * - the bias of a Linear layer that feeds a BatchNorm1d (`X.0.bias` with `X.1.running_mean`);
 * - a discriminator logits conv's centre tap on condition channels that are constant over the
 *   batch (`logits.joint.0.weight_orig`, (out, F + cond, 3, 3), element [o, F + j, 1, 1]).
 */
export function zeroGradientMask(entry: DumpEntry, manifest: DumpManifest, constantConditionColumns: Partial<Record<string, number[]>>): Uint8Array | null {
  const bias = /^(.*)\.0\.bias$/.exec(entry.name)
  if (bias && manifest.weights.some((w) => w.model === entry.model && w.name === `${bias[1]}.1.running_mean`)) {
    return new Uint8Array(entry.count).fill(1)
  }
  const columns = constantConditionColumns[entry.model]
  if (entry.name !== 'logits.joint.0.weight_orig' || !columns) return null
  const [out, inCh, kh, kw] = entry.shape
  const features = inCh - (manifest.config.condition_dim as number) - (manifest.config.text_dim as number) - (manifest.config.label_num as number)
  const mask = new Uint8Array(entry.count)
  const centre = Math.floor(kh / 2) * kw + Math.floor(kw / 2)
  for (let o = 0; o < out; o++) {
    for (const j of columns) mask[(o * inCh + features + j) * kh * kw + centre] = 1
  }
  return mask
}
