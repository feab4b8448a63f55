/**
 * Feature networks read from user-provided ONNX files with onnxruntime-node (CPU). Pretrained
 * weights cannot be downloaded at run time, so everything about the file is checked up front,
 * before an evaluation computes or writes anything: that it exists, parses as ONNX, has the
 * expected input and output, accepts the input shape the evaluation will feed (a batch of one
 * is run to be sure) and returns one feature row per sample.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { UserError } from '../../shared/result'

/** What an evaluation expects of one network file. */
export interface OnnxNetworkSpec {
  /** 'FID' or 'FSD', for messages. */
  metric: string
  /** The network, for messages, e.g. 'InceptionV3 (pytorch-fid)'. */
  what: string
  /** Where the person sets the file, for messages, e.g. '--fid-model or the Evaluate view'. */
  option: string
  /** The script that exports a suitable file, for messages. */
  exportScript: string
  /** Input and output names the export scripts write; a network with one input (output) may name it otherwise. */
  inputName: string
  outputName: string
  /** Shape of one sample as fed, without the batch axis, e.g. [3, 299, 299]. */
  sampleShape: number[]
  /** Axis names of the full input, for messages, e.g. ['N', 'C', 'H', 'W']. */
  axes: string[]
  /** Advice appended to an input-shape mismatch. */
  shapeHint: string
  /** Samples per call when the batch axis is dynamic. */
  maxBatch: number
}

/** An open network: runs float32 batches and returns count×dim features. */
export class OnnxNetwork {
  private constructor(
    readonly file: string,
    readonly hash: string,
    readonly dim: number,
    /** Samples per call; a fixed batch axis is padded with zeros. */
    readonly batch: number,
    readonly fixedBatch: boolean,
    private readonly session: ort.InferenceSession,
    private readonly spec: OnnxNetworkSpec,
    private readonly inputName: string,
    private readonly outputName: string
  ) {}

  /**
   * Opens and checks a network file.
   * @throws UserError naming the file and what is wrong: missing, not ONNX, wrong input or output, wrong shape
   */
  static async open(path: string, spec: OnnxNetworkSpec): Promise<OnnxNetwork> {
    const file = resolve(path)
    const bytes = readModel(file, spec)
    const hash = createHash('sha256').update(bytes).digest('hex')
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' })
    } catch (e) {
      throw new UserError(`${spec.metric} network ${file} is not a valid ONNX model: ${firstLine(e)}`)
    }
    try {
      const inputName = pickName(session.inputNames, spec.inputName, `${spec.metric} network ${file}`, 'input')
      const outputName = pickName(session.outputNames, spec.outputName, `${spec.metric} network ${file}`, 'output')
      const meta = session.inputMetadata.find((m) => m.name === inputName)
      const { batch, fixed } = checkInputShape(file, spec, meta)
      const probe = new OnnxNetwork(file, hash, 0, batch, fixed, session, spec, inputName, outputName)
      const dim = await probe.probeDim()
      return new OnnxNetwork(file, hash, dim, batch, fixed, session, spec, inputName, outputName)
    } catch (e) {
      await session.release()
      throw e
    }
  }

  /**
   * Features of `count` samples.
   * @param input count × product(sampleShape) float32, sample-major in the network's layout
   * @returns count×dim row-major
   */
  async run(input: Float32Array, count: number): Promise<Float32Array> {
    const per = this.spec.sampleShape.reduce((a, b) => a * b, 1)
    if (input.length !== count * per) throw new RangeError(`${input.length} values are not ${count} samples of ${per}`)
    const out = new Float32Array(count * this.dim)
    for (let start = 0; start < count; start += this.batch) {
      const n = Math.min(this.batch, count - start)
      const rows = this.fixedBatch ? this.batch : n
      let chunk = input.subarray(start * per, (start + n) * per)
      if (rows !== n) {
        // A network exported with a fixed batch axis: pad with zeros, drop their features.
        const padded = new Float32Array(rows * per)
        padded.set(chunk)
        chunk = padded
      }
      const features = await this.forward(chunk, rows)
      out.set(features.subarray(0, n * this.dim), start * this.dim)
    }
    return out
  }

  async close(): Promise<void> {
    await this.session.release()
  }

  private async forward(chunk: Float32Array, rows: number): Promise<Float32Array> {
    const tensor = new ort.Tensor('float32', chunk, [rows, ...this.spec.sampleShape])
    let result: ort.InferenceSession.OnnxValueMapType
    try {
      result = await this.session.run({ [this.inputName]: tensor })
    } catch (e) {
      throw new UserError(
        `${this.spec.metric} network ${this.file} cannot run on input ${shapeText(this.spec.axes, [rows, ...this.spec.sampleShape])}: ${firstLine(e)}. ${this.spec.shapeHint}`
      )
    }
    const value = result[this.outputName] as ort.Tensor
    const dims = value.dims.map(Number)
    const dim = dims.slice(1).reduce((a, b) => a * b, 1)
    // pytorch-fid's pool output is (N, 2048, 1, 1): trailing unit axes are flattened away.
    const trailingUnits = dims.slice(2).every((d) => d === 1)
    if (value.type !== 'float32' || dims.length < 2 || dims[0] !== rows || !trailingUnits || (this.dim !== 0 && dim !== this.dim)) {
      throw new UserError(
        `${this.spec.metric} network ${this.file}: output '${this.outputName}' is ${value.type} of shape (${dims.join(', ')}); ` +
          `expected float32 features of shape (${rows}, D), one row per sample. Export it with ${this.spec.exportScript}`
      )
    }
    return value.data as Float32Array
  }

  /** Runs one batch of zeros: catches shape constraints the metadata does not state, and reads D. */
  private async probeDim(): Promise<number> {
    const per = this.spec.sampleShape.reduce((a, b) => a * b, 1)
    const rows = this.fixedBatch ? this.batch : 1
    const features = await this.forward(new Float32Array(rows * per), rows)
    return features.length / rows
  }
}

function readModel(file: string, spec: OnnxNetworkSpec): Uint8Array {
  const how = `Set it with ${spec.option}; ${spec.exportScript} exports one on a machine with internet access`
  if (!existsSync(file)) throw new UserError(`${spec.metric} network file not found: ${file}. ${how}`)
  if (!statSync(file).isFile()) throw new UserError(`${spec.metric} network ${file} is not a file. ${how}`)
  try {
    return readFileSync(file)
  } catch (e) {
    throw new UserError(`cannot read ${spec.metric} network ${file}: ${firstLine(e)}`)
  }
}

function pickName(names: readonly string[], wanted: string, what: string, kind: 'input' | 'output'): string {
  if (names.includes(wanted)) return wanted
  if (names.length === 1) return names[0]
  throw new UserError(`${what} has no ${kind} named '${wanted}' (it has ${names.map((n) => `'${n}'`).join(', ') || 'none'})`)
}

function checkInputShape(
  file: string,
  spec: OnnxNetworkSpec,
  meta: ort.InferenceSession.ValueMetadata | undefined
): { batch: number; fixed: boolean } {
  if (!meta || !meta.isTensor || meta.shape.length === 0) return { batch: spec.maxBatch, fixed: false }
  const want = [null, ...spec.sampleShape]
  const found = meta.shape
  const mismatch =
    meta.type !== 'float32' ||
    found.length !== want.length ||
    found.some((d, i) => i > 0 && typeof d === 'number' && d > 0 && d !== want[i])
  if (mismatch) {
    throw new UserError(
      `${spec.metric} network ${basename(file)} expects input '${meta.name}' of ${meta.type} ${shapeText(spec.axes, found)}, ` +
        `but this evaluation feeds float32 ${shapeText(spec.axes, ['N', ...spec.sampleShape])}. ${spec.shapeHint}`
    )
  }
  const b = found[0]
  return typeof b === 'number' && b > 0 ? { batch: b, fixed: true } : { batch: spec.maxBatch, fixed: false }
}

function shapeText(axes: string[], dims: readonly (number | string)[]): string {
  return `(${dims.map((d, i) => (typeof d === 'number' && axes[i] ? `${axes[i]}=${d}` : String(d))).join(', ')})`
}

/** onnxruntime's messages span lines (one per bad axis): keep them, on one line. */
function firstLine(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, '; ').trim()
  return text.length > 400 ? `${text.slice(0, 400)}…` : text
}
