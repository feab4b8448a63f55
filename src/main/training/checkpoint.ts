import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import type { TrainConfig } from '../../shared/train-config'
import { UserError } from '../../shared/result'
import type { OptimiserStates, WeightMap } from './model/cpcsv'

/**
 * Checkpoint files: `CPCSVCK1`, a little-endian u32 header length, a JSON header, then every
 * float32 tensor back to back. The header lists each tensor (key, shape, offset) and a CRC32 of
 * the data, so truncation or bit rot is detected and reported instead of loading garbage.
 * Written to a temporary file, fsynced and renamed: a crash mid-save leaves the last good file.
 */
const MAGIC = 'CPCSVCK1'
const FORMAT_VERSION = 1

export interface CheckpointContent {
  step: number
  epoch: number
  seed: number
  config: TrainConfig
  weights: WeightMap
  optimisers: OptimiserStates
  /** Free-form facts (backend, wall time, dataset) for people reading the file. */
  meta?: Record<string, unknown>
}

interface TensorEntry {
  key: string
  shape: number[]
  offset: number
  count: number
}

interface Header {
  format: number
  step: number
  epoch: number
  seed: number
  config: TrainConfig
  meta: Record<string, unknown>
  optimiserSteps: Record<string, { step: number; lr: number }>
  tensors: TensorEntry[]
  dataBytes: number
  crc32: number
}

function collect(content: CheckpointContent): { entries: [string, number[], Float32Array][]; optimiserSteps: Header['optimiserSteps'] } {
  const entries: [string, number[], Float32Array][] = []
  for (const [k, w] of Object.entries(content.weights)) entries.push([`w/${k}`, w.shape, w.data])
  const optimiserSteps: Header['optimiserSteps'] = {}
  for (const [name, state] of Object.entries(content.optimisers)) {
    if (!state) continue
    optimiserSteps[name] = { step: state.step, lr: state.lr }
    for (const [v, mo] of Object.entries(state.moments)) {
      entries.push([`m/${name}/${v}`, mo.shape, mo.m], [`v/${name}/${v}`, mo.shape, mo.v])
    }
  }
  return { entries, optimiserSteps }
}

/** Writes a checkpoint atomically (temp file, fsync, rename). */
export function writeCheckpoint(file: string, content: CheckpointContent): number {
  const { entries, optimiserSteps } = collect(content)
  let offset = 0
  const tensors: TensorEntry[] = entries.map(([key, shape, data]) => {
    const e = { key, shape, offset, count: data.length }
    offset += data.length * 4
    return e
  })
  let crc = 0
  for (const [, , data] of entries) crc = crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), crc)
  const header: Header = {
    format: FORMAT_VERSION,
    step: content.step,
    epoch: content.epoch,
    seed: content.seed,
    config: content.config,
    meta: content.meta ?? {},
    optimiserSteps,
    tensors,
    dataBytes: offset,
    crc32: crc >>> 0
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const prefix = Buffer.alloc(12)
  prefix.write(MAGIC, 0, 'latin1')
  prefix.writeUInt32LE(json.length, 8)
  const tmp = `${file}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, prefix)
    writeSync(fd, json)
    for (const [, , data] of entries) writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw new UserError(`cannot write checkpoint ${file}: ${(e as Error).message}`)
  }
  closeSync(fd)
  renameSync(tmp, file)
  return 12 + json.length + offset
}

/**
 * Reads and verifies a checkpoint. With `expect`, refuses one whose model sizes differ from the
 * run's config (an incompatible checkpoint), naming the fields that differ.
 */
export function readCheckpoint(file: string, expect?: TrainConfig): CheckpointContent {
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (e) {
    throw new UserError(`cannot read checkpoint ${file}: ${(e as Error).message}`)
  }
  const fail = (why: string): never => {
    throw new UserError(`checkpoint ${file} is corrupt or not a checkpoint: ${why}`)
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) fail('bad magic')
  const headerLength = buf.readUInt32LE(8)
  if (12 + headerLength > buf.length) fail('header truncated')
  let header: Header
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as Header
  } catch {
    return fail('header is not valid JSON')
  }
  if (header.format !== FORMAT_VERSION) fail(`format ${header.format}, this build reads ${FORMAT_VERSION}`)
  const base = 12 + headerLength
  if (buf.length !== base + header.dataBytes) fail(`expected ${base + header.dataBytes} bytes, found ${buf.length} (truncated?)`)
  if (crc32(buf.subarray(base)) >>> 0 !== header.crc32) fail('data checksum mismatch')
  if (expect) checkCompatible(file, header.config, expect)
  return decode(buf, base, header)
}

const ARCHITECTURE_KEYS: (keyof TrainConfig)[] = [
  'videoLen', 'imageSize', 'textDim', 'labelNum', 'conditionDim', 'zDim', 'gfDim', 'gfSegDim', 'dfDim',
  'gistLength', 'gistChannels', 'gistKernel', 'segmentLearning'
]

function checkCompatible(file: string, found: TrainConfig, expected: TrainConfig): void {
  const diffs = ARCHITECTURE_KEYS.filter((k) => JSON.stringify(found[k]) !== JSON.stringify(expected[k])).map(
    (k) => `${k} ${JSON.stringify(found[k])} vs ${JSON.stringify(expected[k])}`
  )
  if (diffs.length) throw new UserError(`checkpoint ${file} does not fit this model: ${diffs.join(', ')}`)
}

function decode(buf: Buffer, base: number, header: Header): CheckpointContent {
  const weights: WeightMap = {}
  const optimisers: OptimiserStates = {}
  for (const [name, s] of Object.entries(header.optimiserSteps)) {
    optimisers[name as keyof OptimiserStates] = { step: s.step, lr: s.lr, moments: {} }
  }
  for (const t of header.tensors) {
    const start = base + t.offset
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + t.count * 4))
    const [kind, ...rest] = t.key.split('/')
    if (kind === 'w') weights[rest.join('/')] = { shape: t.shape, data }
    else {
      const [opt, ...v] = rest
      const moments = optimisers[opt as keyof OptimiserStates]!.moments
      const key = v.join('/')
      moments[key] ??= { shape: t.shape, m: new Float32Array(0), v: new Float32Array(0) }
      moments[key][kind as 'm' | 'v'] = data
    }
  }
  return { step: header.step, epoch: header.epoch, seed: header.seed, config: header.config, weights, optimisers, meta: header.meta }
}
