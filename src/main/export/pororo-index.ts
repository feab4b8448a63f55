/**
 * The index files of the Pororo-SV layout (reference doc 5.1), accumulated clip by clip and
 * written at the end: np.save'd dicts keyed by clip id without extension, the story lists and the
 * split file. Written with `writeNpy`, so numpy loads them with `np.load(..., allow_pickle=True)`.
 */
import type { Split } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { writeNpy, type NpyArray } from '../datasets/npy'
import type { ExportCaption } from './export-queries'

const SPLITS: Split[] = ['train', 'val', 'test']
const encoder = new TextEncoder()

/** An (n, dim) float32 array of one clip's caption vectors, or null unless every caption has one. */
function vectorRows(vectors: (Float32Array | null)[]): NpyArray | null {
  const first = vectors[0]
  if (!first || vectors.some((v) => v === null || v.length !== first.length)) return null
  const data = new Float32Array(vectors.length * first.length)
  vectors.forEach((v, i) => data.set(v as Float32Array, i * first.length))
  return { dtype: 'float32', shape: [vectors.length, first.length], fortranOrder: false, data }
}

/** numpy 'S' arrays hold bytes: paths go in as UTF-8, one latin1 char per byte as npy.ts expects. */
function byteStrings(paths: string[], shape: number[]): Uint8Array {
  const data = paths.map((p) => Buffer.from(p, 'utf8').toString('latin1'))
  const width = data.reduce((n, s) => Math.max(n, s.length), 1)
  return writeNpy({ dtype: `bytes${width}`, shape, data })
}

const dictNpy = (map: Map<string, unknown>): Uint8Array => writeNpy({ dtype: 'object', shape: [], data: [map] })

export class PororoIndex {
  private readonly labels = new Map<string, NpyArray>()
  private readonly descriptions = new Map<string, string[]>()
  private readonly vectors = new Map<string, NpyArray>()
  private readonly attributes = new Map<string, NpyArray>()
  private readonly counter = new Map<string, number>()
  private readonly csv: string[] = []
  private readonly stories: { keys: string[]; split: Split }[] = []

  /** @param characterCount length of each presence vector (9 for Pororo-SV) */
  constructor(private readonly characterCount: number) {}

  /** Records one clip: presence (character indices), captions with their vectors. */
  addClip(key: string, present: number[], captions: ExportCaption[]): void {
    const vector = new Float64Array(this.characterCount)
    for (const idx of present) vector[idx] = 1
    this.labels.set(key, { dtype: 'float64', shape: [this.characterCount], fortranOrder: false, data: vector })
    const slash = key.lastIndexOf('/')
    const episode = key.slice(0, slash)
    const k = key.slice(slash + 1)
    if (/^\d+$/.test(k)) this.counter.set(`${episode}/`, Math.max(this.counter.get(`${episode}/`) ?? 0, Number(k)))
    if (captions.length === 0) return
    this.descriptions.set(key, captions.map((c) => c.text))
    // CSV rows are one line each: a caption's line breaks would split it.
    for (const c of captions) this.csv.push(`${episode},${k},${c.text.replace(/[\r\n]+/g, ' ')}`)
    const vec = vectorRows(captions.map((c) => c.sentence))
    if (vec) this.vectors.set(key, vec)
    const attr = vectorRows(captions.map((c) => c.attributes))
    if (attr) this.attributes.set(key, attr)
  }

  /** Records one story: its clip keys in order and its split. */
  addStory(keys: string[], split: Split): void {
    const length = this.stories[0]?.keys.length ?? keys.length
    if (keys.length !== length) {
      throw new UserError(`story of ${keys[0]} has ${keys.length} clips, others ${length}: following_cache4 needs equal lengths`)
    }
    this.stories.push({ keys, split })
  }

  /** The index files as [relative path, bytes, worth compressing]. */
  files(): [string, Uint8Array, boolean][] {
    const out: [string, Uint8Array, boolean][] = [
      ['labels.npy', dictNpy(this.labels), true],
      ['descriptions.npy', dictNpy(this.descriptions), true],
      ['descriptions.csv', encoder.encode(this.csv.map((l) => `${l}\n`).join('')), true],
      ['frames_counter.npy', dictNpy(this.counter), true]
    ]
    if (this.vectors.size > 0) out.push(['descriptions_vec.npy', dictNpy(this.vectors), true])
    if (this.attributes.size > 0) out.push(['descriptions_attr.npy', dictNpy(this.attributes), true])
    return [...out, ...this.storyFiles()]
  }

  /** img_cache4 (first clip of each story), following_cache4 (the rest), and the split triple. */
  private storyFiles(): [string, Uint8Array, boolean][] {
    const n = this.stories.length
    const following = Math.max(0, (this.stories[0]?.keys.length ?? 1) - 1)
    const firsts = this.stories.map((s) => `${s.keys[0]}.png`)
    const rest = this.stories.flatMap((s) => s.keys.slice(1).map((k) => `${k}.png`))
    const ids = SPLITS.map((split): NpyArray => {
      const list = this.stories.flatMap((s, i) => (s.split === split ? [BigInt(i)] : []))
      return { dtype: 'int64', shape: [list.length], fortranOrder: false, data: BigInt64Array.from(list) }
    })
    return [
      ['img_cache4.npy', byteStrings(firsts, [n]), true],
      ['following_cache4.npy', byteStrings(rest, [n, following]), true],
      ['train_seen_unseen_ids.npy', writeNpy({ dtype: 'object', shape: [3], data: ids }), true]
    ]
  }
}
