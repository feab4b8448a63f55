/**
 * Tiny ONNX feature networks written from scratch (no download, no PyTorch): they exercise the
 * evaluation pipeline end to end (file checks, onnxruntime, batching, statistics, storage) where
 * the real InceptionV3 / R(2+1)D files are not available, e.g. in tests. Their features are
 * fixed random projections of average-pooled pixels, so their "FID" is NOT comparable with any
 * published number.
 */
import { Random } from '../datasets/demo/random'

// ---- protobuf wire format (only what ONNX needs here) ----

function varint(value: number): number[] {
  const out: number[] = []
  let v = BigInt(value)
  if (v < 0n) v += 1n << 64n
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return out
}

type Field = number[]
const int = (field: number, value: number): Field => [...varint(field << 3), ...varint(value)]
const bytes = (field: number, data: ArrayLike<number>): Field => [...varint((field << 3) | 2), ...varint(data.length), ...Array.from(data)]
const str = (field: number, text: string): Field => bytes(field, new TextEncoder().encode(text))
const msg = (field: number, ...fields: Field[]): Field => bytes(field, fields.flat())

/** A tensor-typed graph input or output; a string dim is symbolic (e.g. the batch axis 'N'). */
function valueInfo(field: number, name: string, dims: (number | string)[]): Field {
  const dim = dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)))
  return msg(field, str(1, name), msg(2, msg(1, int(1, 1), msg(2, ...dim))))
}

/** An ONNX node; attributes are INT or INTS. */
function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[]> = {}): Field {
  const attributes = Object.entries(attrs).map(([name, v]) =>
    Array.isArray(v) ? msg(5, str(1, name), ...v.map((x) => int(8, x)), int(20, 7)) : msg(5, str(1, name), int(3, v), int(20, 2))
  )
  return msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attributes)
}

function floatInitializer(name: string, dims: number[], values: Float32Array): Field {
  return msg(5, ...dims.map((d) => int(1, d)), int(2, 1), str(8, name), bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)))
}

function model(graph: Field[]): Uint8Array {
  return Uint8Array.from([...int(1, 7), ...str(2, 'cpcsv-workbench standin'), ...msg(7, ...graph), ...msg(8, str(1, ''), int(2, 13))])
}

/**
 * input (N, …sampleShape) → AveragePool → flatten → MatMul (fixed random) → Relu → (N, dim).
 * @param pool kernel = stride of the average pool over the trailing spatial axes
 */
function poolProjection(o: { input: string; sampleShape: number[]; pool: number[]; dim: number; seed: number; batch?: number | string }): Uint8Array {
  const spatial = o.sampleShape.slice(1).map((s, i) => Math.floor((s - o.pool[i]) / o.pool[i]) + 1)
  const flat = o.sampleShape[0] * spatial.reduce((a, b) => a * b, 1)
  const rng = new Random(o.seed, 5)
  const w = Float32Array.from({ length: flat * o.dim }, () => (rng.next() * 2 - 1) / Math.sqrt(flat))
  return model([
    node('AveragePool', [o.input], ['pooled'], { kernel_shape: o.pool, strides: o.pool }),
    node('Flatten', ['pooled'], ['flat'], { axis: 1 }),
    node('MatMul', ['flat', 'w'], ['projected']),
    node('Relu', ['projected'], ['features']),
    str(2, 'standin'),
    floatInitializer('w', [flat, o.dim], w),
    valueInfo(11, o.input, [o.batch ?? 'N', ...o.sampleShape]),
    valueInfo(12, 'features', [o.batch ?? 'N', o.dim])
  ])
}

/** A stand-in for the FID network: input 'images' (N, 3, 299, 299), output 'features' (N, dim). */
export function standinFidNetwork(dim = 2048, seed = 0): Uint8Array {
  return poolProjection({ input: 'images', sampleShape: [3, 299, 299], pool: [37, 37], dim, seed })
}

/**
 * A stand-in for the FSD network: input 'clips' (N, 3, T, side, side), output 'features' (N, dim).
 * @param batch a fixed batch size, or a symbolic name for a dynamic one
 */
export function standinFsdNetwork(o: { frames: number; side: number; dim?: number; seed?: number; batch?: number | string }): Uint8Array {
  const pool = Math.max(1, Math.floor(o.side / 8))
  return poolProjection({ input: 'clips', sampleShape: [3, o.frames, o.side, o.side], pool: [1, pool, pool], dim: o.dim ?? 64, seed: o.seed ?? 0, batch: o.batch })
}
