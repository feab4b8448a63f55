/**
 * The character classifier behind "character accuracy": a small TF.js CNN on 64×64 frames with
 * one sigmoid output per character (multi-label), trained in the workbench on a dataset's frames
 * and presence labels and kept with the dataset. It stands in for DuCo's fine-tuned
 * Inception-v3 (reference doc §6.3), which cannot be downloaded here; its own held-out scores
 * are stored beside it so a person can judge how far its verdicts on generated frames go.
 *
 * File format (`<workspace>/classifiers/<datasetId>.ckpt`): `CPCSVCL1`, u32 LE header length,
 * JSON header (architecture, label names, tensor list, CRC32 of the data), float32 weights.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import * as tf from '@tensorflow/tfjs'
import { UserError } from '../../shared/result'
import { Random } from '../datasets/demo/random'

const MAGIC = 'CPCSVCL1'
const FORMAT_VERSION = 1

/** The network's shape: input side, input average-pool factor, 3×3 conv widths and strides, number of labels. */
export interface ClassifierArchitecture {
  side: number
  pool: number
  filters: number[]
  strides: number[]
  labels: number
}

/** Frames with their label bits. */
export interface LabelledFrames {
  /** count×side×side×3 uint8 (NHWC). */
  pixels: Uint8Array
  /** count×L bits. */
  labels: Float32Array
  count: number
}

/**
 * 64×64 frames pooled to 32×32 (demo figures stay 8-10 px tall; a quarter of the work), then
 * three convs. Chosen on the demo cartoon: the smallest of the variants tried that learnt every
 * character it had seen well above the constant baseline on held-out episodes.
 */
export const DEFAULT_ARCHITECTURE: Omit<ClassifierArchitecture, 'labels'> = { side: 64, pool: 2, filters: [24, 48, 64], strides: [1, 2, 2] }

/**
 * Builds the CNN: an average pool, 3×3 conv + ReLU blocks, global max pooling (a character counts
 * wherever it stands in the frame), a sigmoid dense layer. Input NHWC in [-1, 1].
 */
export function buildClassifier(arch: ClassifierArchitecture, seed = 0): tf.Sequential {
  const model = tf.sequential()
  model.add(tf.layers.averagePooling2d({ inputShape: [arch.side, arch.side, 3], poolSize: arch.pool, strides: arch.pool }))
  arch.filters.forEach((filters, i) => {
    model.add(
      tf.layers.conv2d({
        filters,
        kernelSize: 3,
        strides: arch.strides[i] ?? 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed * 31 + i })
      })
    )
  })
  model.add(tf.layers.globalMaxPooling2d({}))
  model.add(
    tf.layers.dense({ units: arch.labels, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 31 + 99 }) })
  )
  return model
}

/** A random left-right mirror and shift of one training frame (augmentation). */
export interface Jitter {
  flip: boolean
  dx: number
  dy: number
}

const NO_JITTER: Jitter = { flip: false, dx: 0, dy: 0 }

/** Largest shift of the augmentation, in pixels: a character may stand anywhere in a frame. */
const MAX_SHIFT = 8

/**
 * Frames `idx` as a [-1, 1] NHWC tensor, each optionally mirrored and shifted (edge pixels
 * repeat), so the network learns what a character looks like rather than where it stood.
 */
function batchTensor(frames: LabelledFrames, idx: number[], side: number, jitter?: Jitter[]): tf.Tensor4D {
  const px = side * side * 3
  const x = new Float32Array(idx.length * px)
  const clamp = (v: number): number => (v < 0 ? 0 : v >= side ? side - 1 : v)
  idx.forEach((n, b) => {
    const src = frames.pixels.subarray(n * px, (n + 1) * px)
    const o = b * px
    const j = jitter?.[b] ?? NO_JITTER
    for (let y = 0; y < side; y++) {
      const sy = clamp(y - j.dy)
      for (let xx = 0; xx < side; xx++) {
        const sx = clamp((j.flip ? side - 1 - xx : xx) - j.dx)
        const s = (sy * side + sx) * 3
        const d = o + (y * side + xx) * 3
        for (let c = 0; c < 3; c++) x[d + c] = src[s + c] / 127.5 - 1
      }
    }
  })
  return tf.tensor4d(x, [idx.length, side, side, 3])
}

function drawJitter(rng: Random): Jitter {
  const shift = (): number => Math.floor(rng.next() * (2 * MAX_SHIFT + 1)) - MAX_SHIFT
  return { flip: rng.next() < 0.5, dx: shift(), dy: shift() }
}

/** How `fitClassifier` trains. */
export interface FitOptions {
  epochs: number
  batchSize?: number
  learningRate?: number
  seed?: number
  /** Called after every epoch with its mean loss; a true return value stops training. */
  onEpoch?: (epoch: number, loss: number) => boolean | void | Promise<boolean | void>
}

/** Trains with Adam on binary cross-entropy, in a seeded order with seeded flips and shifts. */
export async function fitClassifier(model: tf.Sequential, data: LabelledFrames, arch: ClassifierArchitecture, o: FitOptions): Promise<number> {
  if (data.count === 0) throw new UserError('the character classifier has no training frames')
  const optimizer = tf.train.adam(o.learningRate ?? 2e-3)
  model.compile({ optimizer, loss: 'binaryCrossentropy' })
  const batch = o.batchSize ?? 16
  const L = arch.labels
  let epochsRun = 0
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const rng = new Random(o.seed ?? 0, 7, epoch)
      const order = Array.from({ length: data.count }, (_, i) => i)
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1))
        ;[order[i], order[j]] = [order[j], order[i]]
      }
      let sum = 0
      for (let start = 0; start < order.length; start += batch) {
        const idx = order.slice(start, start + batch)
        const x = batchTensor(data, idx, arch.side, idx.map(() => drawJitter(rng)))
        const yData = new Float32Array(idx.length * L)
        idx.forEach((n, b) => yData.set(data.labels.subarray(n * L, (n + 1) * L), b * L))
        const y = tf.tensor2d(yData, [idx.length, L])
        const loss = (await model.trainOnBatch(x, y)) as number
        tf.dispose([x, y])
        sum += loss * idx.length
      }
      epochsRun = epoch + 1
      if (await o.onEpoch?.(epoch, sum / data.count)) break
    }
  } finally {
    optimizer.dispose()
  }
  return epochsRun
}

/**
 * Sigmoid probabilities of frames.
 * @param pixels count×side×side×3 uint8
 * @returns count×L in [0, 1]
 */
export function predictLabels(model: tf.LayersModel, pixels: Uint8Array, count: number, arch: ClassifierArchitecture): Float32Array {
  const out = new Float32Array(count * arch.labels)
  const frames: LabelledFrames = { pixels, labels: new Float32Array(0), count }
  for (let start = 0; start < count; start += 64) {
    const idx = Array.from({ length: Math.min(64, count - start) }, (_, i) => start + i)
    const probs = tf.tidy(() => model.predict(batchTensor(frames, idx, arch.side)) as tf.Tensor)
    out.set(probs.dataSync() as Float32Array, start * arch.labels)
    probs.dispose()
  }
  return out
}

/** What a classifier file holds besides its weights. */
export interface ClassifierHeader {
  datasetId: number
  labelNames: string[]
  architecture: ClassifierArchitecture
  createdAt: string
}

interface FileHeader extends ClassifierHeader {
  format: number
  tensors: { name: string; shape: number[]; offset: number; count: number }[]
  dataBytes: number
  crc32: number
}

/** Writes weights atomically (temp file, fsync, rename). */
export function writeClassifierFile(file: string, header: ClassifierHeader, model: tf.LayersModel): void {
  const weights = model.getWeights()
  const arrays = weights.map((w) => w.dataSync() as Float32Array)
  let offset = 0
  const tensors = model.weights.map((w, i) => {
    const entry = { name: w.originalName, shape: [...w.shape] as number[], offset, count: arrays[i].length }
    offset += arrays[i].length * 4
    return entry
  })
  let crc = 0
  for (const a of arrays) crc = crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), crc)
  const full: FileHeader = { ...header, format: FORMAT_VERSION, tensors, dataBytes: offset, crc32: crc >>> 0 }
  const json = Buffer.from(JSON.stringify(full), 'utf8')
  const prefix = Buffer.alloc(12)
  prefix.write(MAGIC, 0, 'latin1')
  prefix.writeUInt32LE(json.length, 8)
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, prefix)
    writeSync(fd, json)
    for (const a of arrays) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw new UserError(`cannot write classifier ${file}: ${(e as Error).message}`)
  }
  closeSync(fd)
  renameSync(tmp, file)
}

/** Reads and verifies a classifier file and rebuilds its network. The caller disposes the model. */
export function readClassifierFile(file: string): { header: ClassifierHeader; model: tf.Sequential } {
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (e) {
    throw new UserError(`cannot read character classifier ${file}: ${(e as Error).message}; train it again`)
  }
  const fail = (why: string): never => {
    throw new UserError(`character classifier ${file} is corrupt: ${why}; train it again`)
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) fail('bad magic')
  const length = buf.readUInt32LE(8)
  if (12 + length > buf.length) fail('header truncated')
  let h: FileHeader
  try {
    h = JSON.parse(buf.toString('utf8', 12, 12 + length)) as FileHeader
  } catch {
    return fail('header is not valid JSON')
  }
  if (h.format !== FORMAT_VERSION) fail(`format ${h.format}, this build reads ${FORMAT_VERSION}`)
  const base = 12 + length
  if (buf.length !== base + h.dataBytes) fail(`expected ${base + h.dataBytes} bytes, found ${buf.length}`)
  if (crc32(buf.subarray(base)) >>> 0 !== h.crc32) fail('data checksum mismatch')
  const model = buildClassifier(h.architecture)
  const tensors = h.tensors.map((t) => {
    const start = base + t.offset
    return tf.tensor(new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + t.count * 4)), t.shape)
  })
  try {
    model.setWeights(tensors)
  } catch (e) {
    model.dispose()
    fail(`weights do not fit the network (${(e as Error).message})`)
  } finally {
    tf.dispose(tensors)
  }
  const { datasetId, labelNames, architecture, createdAt } = h
  return { header: { datasetId, labelNames, architecture, createdAt }, model }
}
