/**
 * Reads a PyTorch CP-CSV dump in the fixture format (`fixtures/cpcsv-tiny/README.md`) and
 * loads its weights into the TF.js models.
 *
 * A dump is a folder with `manifest.json` (`config`, `weights` and `grads` tables of
 * {model, name, upstream, shape, offset, count}, `activations`, `losses`) and little-endian
 * float32 C-order blobs (`weights_before.bin`, `weights_after.bin`, `grads.bin`). Layout
 * conversions (params.ts): conv (out, in, kh, kw) -> HWIO; Linear and GRU (out, in) -> (in, out)
 * with GRU gates kept in PyTorch's (r, z, n) order and separate ih / hh biases; spectral-norm
 * `weight_orig` like a conv, `weight_u` as is, `weight_v` from (in, kh, kw) to (kh, kw, in);
 * BatchNorm weight / bias / running_mean / running_var as is.
 */
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { type TrainConfig, trainConfigFromPreset } from '../../../shared/train-config'
import { type CpcsvModels, networks } from './cpcsv'
import { type ModelName, type ParamEntry, fromTorch, toTorch, torchShape } from './params'

/** One row of a dump's `weights` or `grads` table. */
export interface DumpEntry {
  model: ModelName
  name: string
  /** The key in upstream's state_dict (informational). */
  upstream?: string
  /** PyTorch shape. */
  shape: number[]
  /** Byte offset into the blob. */
  offset: number
  /** Number of float32 values. */
  count: number
}

/** A dump's manifest.json. */
export interface DumpManifest {
  config: Record<string, unknown>
  losses: Record<string, number>
  weights: DumpEntry[]
  grads: DumpEntry[]
  activations: { name: string; shape: number[]; phase: string }[]
  notes?: string[]
}

/** Reads `<dir>/manifest.json`. */
export function readDumpManifest(dir: string): DumpManifest {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as DumpManifest
  if (!Array.isArray(manifest.weights) || !Array.isArray(manifest.grads)) {
    throw new Error(`${dir}/manifest.json: no weights / grads tables`)
  }
  return manifest
}

/** Reads a blob as bytes (copied into an aligned buffer). */
export function readBlob(dir: string, file: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(dir, file)))
}

/** The float32 values of one table entry (little-endian). */
export function entryData(blob: Uint8Array, entry: DumpEntry): Float32Array {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  if (entry.offset + 4 * entry.count > blob.byteLength) throw new Error(`${entry.model}/${entry.name}: past the end of the blob`)
  const out = new Float32Array(entry.count)
  for (let i = 0; i < entry.count; i++) out[i] = view.getFloat32(entry.offset + 4 * i, true)
  return out
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback)
const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback)

/** TrainConfig for a dump's snake_case `config` (sizes, flags, optimiser settings). */
export function trainConfigFromDump(c: Record<string, unknown>): TrainConfig {
  const base = trainConfigFromPreset('paper')
  const betas = Array.isArray(c.betas) && c.betas.length === 2 ? (c.betas as [number, number]) : base.betas
  return {
    ...base,
    preset: 'custom',
    videoLen: num(c.video_len, base.videoLen),
    imageSize: num(c.image_size, base.imageSize),
    textDim: num(c.text_dim, base.textDim),
    labelNum: num(c.label_num, base.labelNum),
    conditionDim: num(c.condition_dim, base.conditionDim),
    zDim: num(c.z_dim, base.zDim),
    gfDim: num(c.gf_dim, base.gfDim),
    gfSegDim: num(c.gf_seg_dim, base.gfSegDim),
    dfDim: num(c.df_dim, base.dfDim),
    gistLength: num(c.gist_len, base.gistLength),
    gistChannels: num(c.gist_channels, base.gistChannels),
    gistKernel: num(c.gist_kernel, base.gistKernel),
    storyBatch: num(c.st_batch, base.storyBatch),
    imageBatch: num(c.im_batch, base.imageBatch),
    segmentLearning: bool(c.segment_learning, base.segmentLearning),
    useSeqConsistency: bool(c.use_seq_consistency, base.useSeqConsistency),
    fixStoryCodeOrder: bool(c.fix_story_code_order, base.fixStoryCodeOrder),
    lrG: num(c.lr_g, base.lrG),
    lrD: num(c.lr_d, base.lrD),
    betas: [...betas] as [number, number],
    klCoeff: num(c.kl_coeff, base.klCoeff),
    segmentRatio: num(c.segment_ratio, base.segmentRatio),
    imageRatio: num(c.image_ratio, base.imageRatio),
    consistencyRatio: num(c.consistency_ratio, base.consistencyRatio),
    ratio: num(c.ratio, base.ratio),
    lrDecayEpoch: num(c.lr_decay_epoch, base.lrDecayEpoch)
  }
}

/** Every tensor of the models by `<model>/<name>`. */
export function entriesByKey(models: CpcsvModels): Map<string, ParamEntry> {
  const map = new Map<string, ParamEntry>()
  for (const { model, store } of networks(models)) {
    for (const e of store.entries.values()) map.set(`${model}/${e.name}`, e)
  }
  return map
}

/** What loadPytorchWeights loaded and what did not match. */
export interface ImportReport {
  loaded: number
  /** Model tensors the dump does not have (left as they were). */
  missing: string[]
  /** Dump entries the model does not have (ignored). */
  unexpected: string[]
}

/**
 * Loads every dump entry into the matching model tensor, converting layouts. A shape mismatch
 * throws (a wrong config); missing and unexpected names are reported, and `strict` makes them
 * throw too.
 */
export function loadPytorchWeights(models: CpcsvModels, entries: DumpEntry[], blob: Uint8Array, strict = true): ImportReport {
  const byKey = entriesByKey(models)
  const seen = new Set<string>()
  const unexpected: string[] = []
  for (const d of entries) {
    const key = `${d.model}/${d.name}`
    const e = byKey.get(key)
    if (!e) {
      unexpected.push(key)
      continue
    }
    const expected = torchShape(e)
    if (expected.join('x') !== d.shape.join('x')) {
      throw new Error(`${key}: dump shape [${d.shape}] but the model has [${expected}] (PyTorch layout)`)
    }
    const values = fromTorch(e, entryData(blob, d))
    tf.tidy(() => e.variable.assign(tf.tensor(values, e.variable.shape)))
    seen.add(key)
  }
  const missing = [...byKey.keys()].filter((k) => !seen.has(k))
  if (strict && (missing.length > 0 || unexpected.length > 0)) {
    throw new Error(`dump does not fit the model: missing [${missing.slice(0, 5)}], unexpected [${unexpected.slice(0, 5)}]`)
  }
  return { loaded: seen.size, missing, unexpected }
}

/** A model tensor's current values in PyTorch layout (C order). */
export function torchValues(entry: ParamEntry): Float32Array {
  return toTorch(entry, entry.variable.dataSync() as Float32Array)
}
