import { existsSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { UserError } from '../../shared/result'
import type { BundleCaption, BundleClip, BundleStory, ImportBundle, Split } from './bundle'
import { cropRows, decodePngRgba, encodeRgbPng, maskFromRgba } from './png'
import { describe, folderFingerprint, loadNpy, loadNpyDict, numbersOf, readSourceFile } from './source-files'
import type { NpyArray } from './npy'

/** Pororo-SV characters in labels.npy order (reference doc 5.1) and their layer colours. */
export const PORORO_CHARACTERS = [
  { name: 'Pororo', color: '#3b82f6' },
  { name: 'Loopy', color: '#ec4899' },
  { name: 'Crong', color: '#22c55e' },
  { name: 'Eddy', color: '#f97316' },
  { name: 'Poby', color: '#a16207' },
  { name: 'Petty', color: '#a855f7' },
  { name: 'Tongtong', color: '#eab308' },
  { name: 'Rody', color: '#64748b' },
  { name: 'Harry', color: '#06b6d4' }
]
const SENTENCE_DIM = 128
const ATTRIBUTE_DIM = 228

/** True when `dir` looks like a Pororo-SV folder. */
export function isPororoFolder(dir: string): boolean {
  return existsSync(join(dir, 'img_cache4.npy')) && existsSync(join(dir, 'following_cache4.npy'))
}

const clipKeyOf = (path: string): string => path.replace(/\.png$/, '')

function strings(arr: NpyArray, file: string): string[] {
  if (!Array.isArray(arr.data) || arr.data.some((s) => typeof s !== 'string')) {
    throw new UserError(`${file}: expected an array of byte strings, found ${arr.dtype}`)
  }
  return arr.data as string[]
}

/** Stories from img_cache4 + following_cache4 (story i = first clip then four more). */
function readStories(root: string): { keys: string[][] } {
  const first = loadNpy(root, 'img_cache4.npy')
  const following = loadNpy(root, 'following_cache4.npy')
  const firstPaths = strings(first, join(root, 'img_cache4.npy'))
  const follow = strings(following, join(root, 'following_cache4.npy'))
  const width = following.shape[1] ?? 0
  if (following.shape.length !== 2 || following.shape[0] !== firstPaths.length) {
    throw new UserError(
      `${join(root, 'following_cache4.npy')}: shape (${following.shape.join(', ')}) does not match ${firstPaths.length} stories in img_cache4.npy`
    )
  }
  const keys = firstPaths.map((p, i) => [p, ...follow.slice(i * width, (i + 1) * width)].map(clipKeyOf))
  return { keys }
}

/** Split of each story from train_seen_unseen_ids.npy (train, val, test) or train_test_ids.npy. */
function readSplits(root: string, storyCount: number, notes: string[]): Split[] {
  const splits: Split[] = new Array(storyCount).fill('train')
  const triple = existsSync(join(root, 'train_seen_unseen_ids.npy'))
  const rel = triple ? 'train_seen_unseen_ids.npy' : 'train_test_ids.npy'
  if (!existsSync(join(root, rel))) {
    notes.push('no split file found: every story is in train')
    return splits
  }
  const file = join(root, rel)
  const arr = loadNpy(root, rel)
  const parts = arr.data as unknown[]
  const names: Split[] = triple ? ['train', 'val', 'test'] : ['train', 'test']
  if (!Array.isArray(parts) || parts.length !== names.length) {
    throw new UserError(`${file}: expected ${names.length} index arrays, found ${describe(parts)}`)
  }
  const assigned = new Set<number>()
  names.forEach((name, i) => {
    const ids = numbersOf(parts[i] as NpyArray, file)
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= storyCount) {
        throw new UserError(`${file}: story id ${id} out of range (0..${storyCount - 1})`)
      }
      // Upstream splits can list a story twice (train/test overlap); the first split wins.
      if (!assigned.has(id)) splits[id] = name
      assigned.add(id)
    }
  })
  notes.push(`splits from ${rel}`)
  return splits
}

function vectorRows(value: unknown, dim: number, file: string, key: string): Float32Array[] {
  const arr = value as NpyArray
  if (!arr || !Array.isArray(arr.shape)) throw new UserError(`${file}: entry ${key} is ${describe(value)}, not an array`)
  const data = Float32Array.from(numbersOf(arr, file))
  const cols = arr.shape[arr.shape.length - 1] ?? 0
  if (cols !== dim) {
    throw new UserError(`${file}: entry ${key} has vectors of length ${cols}, expected ${dim}`)
  }
  const rows: Float32Array[] = []
  for (let i = 0; i < data.length / dim; i++) rows.push(data.subarray(i * dim, (i + 1) * dim))
  return rows
}

interface TextSources {
  captions: Map<string, string[]>
  vectors: Map<unknown, unknown> | null
  attributes: Map<unknown, unknown> | null
}

function readTexts(root: string, notes: string[]): TextSources {
  const captions = new Map<string, string[]>()
  if (existsSync(join(root, 'descriptions.npy'))) {
    const dict = loadNpyDict(root, 'descriptions.npy')
    for (const [k, v] of dict) captions.set(String(k), Array.isArray(v) ? v.map(String) : [String(v)])
  } else if (existsSync(join(root, 'descriptions.csv'))) {
    const text = new TextDecoder().decode(readSourceFile(root, 'descriptions.csv'))
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return
      const m = /^([^,]+),(\d+),(.*)$/.exec(line)
      if (!m) throw new UserError(`${join(root, 'descriptions.csv')}: line ${i + 1} is not "episode,k,caption"`)
      const key = `${m[1]}/${m[2]}`
      captions.set(key, [...(captions.get(key) ?? []), m[3].replace(/^"|"$/g, '')])
    })
  } else {
    notes.push('no descriptions.npy or descriptions.csv: clips have no captions')
  }
  const vectors = existsSync(join(root, 'descriptions_vec.npy')) ? loadNpyDict(root, 'descriptions_vec.npy') : null
  const attributes = existsSync(join(root, 'descriptions_attr.npy'))
    ? loadNpyDict(root, 'descriptions_attr.npy')
    : null
  if (!vectors) notes.push('no descriptions_vec.npy: captions have no sentence vectors')
  if (!attributes) notes.push('no descriptions_attr.npy: captions have no attribute vectors')
  return { captions, vectors, attributes }
}

function captionsOf(root: string, key: string, t: TextSources): BundleCaption[] {
  const texts = t.captions.get(key) ?? []
  const vecFile = join(root, 'descriptions_vec.npy')
  const attrFile = join(root, 'descriptions_attr.npy')
  const vecs = t.vectors?.has(key) ? vectorRows(t.vectors.get(key), SENTENCE_DIM, vecFile, key) : []
  const attrs = t.attributes?.has(key) ? vectorRows(t.attributes.get(key), ATTRIBUTE_DIM, attrFile, key) : []
  const n = Math.max(texts.length, vecs.length, attrs.length)
  const out: BundleCaption[] = []
  for (let i = 0; i < n; i++) {
    out.push({ text: texts[i] ?? texts[0] ?? '', sentence: vecs[i] ?? null, attributes: attrs[i] ?? null })
  }
  return out
}

function labelsOf(dict: Map<unknown, unknown> | null, key: string, file: string): number[] {
  const v = dict?.get(key)
  if (v === undefined) return new Array(PORORO_CHARACTERS.length).fill(0)
  const values = numbersOf(v as NpyArray, file)
  if (values.length !== PORORO_CHARACTERS.length) {
    throw new UserError(`${file}: entry ${key} has ${values.length} labels, expected ${PORORO_CHARACTERS.length}`)
  }
  return values.map((x) => (x > 0.5 ? 1 : 0))
}

/** Splits a strip PNG (and its img_segment strip) into square frames. */
function readClip(root: string, key: string, caps: BundleCaption[], labels: number[]): BundleClip {
  const rel = `${key}.png`
  const file = join(root, rel)
  const strip = decodePngRgba(readSourceFile(root, rel), file)
  const side = strip.width
  if (strip.height % side !== 0) {
    throw new UserError(`${file}: strip height ${strip.height} is not a multiple of its width ${side}`)
  }
  const n = strip.height / side
  const segRel = join('img_segment', `${key.split('/').slice(-2).join('_')}.png`)
  let seg = null
  if (existsSync(join(root, segRel))) {
    seg = decodePngRgba(readSourceFile(root, segRel), join(root, segRel))
    if (seg.width !== strip.width || seg.height !== strip.height) {
      throw new UserError(
        `${join(root, segRel)}: mask is ${seg.width}x${seg.height} but its strip ${file} is ${strip.width}x${strip.height}`
      )
    }
  }
  const frames = []
  for (let i = 0; i < n; i++) {
    const img = cropRows(strip, i * side, side)
    frames.push({
      png: encodeRgbPng(img),
      width: side,
      height: side,
      importedMask: seg ? maskFromRgba(cropRows(seg, i * side, side)) : undefined
    })
  }
  return { key, episode: key.split('/')[0], sourceFile: rel, frames, captions: caps, labels }
}

/**
 * Reads a Pororo-SV folder (reference doc 5.1) into an ImportBundle. Validation of the index
 * files happens here, eagerly; the PNG strips are decoded lazily as the writer walks the clips.
 */
export function pororoBundle(dir: string, name?: string): ImportBundle {
  const root = resolve(dir)
  const notes: string[] = []
  const { keys } = readStories(root)
  const splits = readSplits(root, keys.length, notes)
  const texts = readTexts(root, notes)
  const labelFile = join(root, 'labels.npy')
  const labels = existsSync(labelFile) ? loadNpyDict(root, 'labels.npy') : null
  if (!labels) notes.push('no labels.npy: character presence starts empty')
  const clipKeys: string[] = []
  const seen = new Set<string>()
  for (const k of keys.flat()) {
    if (seen.has(k)) continue
    seen.add(k)
    clipKeys.push(k)
  }
  for (const k of clipKeys) {
    if (!existsSync(join(root, `${k}.png`))) throw new UserError(`missing file: ${join(root, `${k}.png`)} (listed in img_cache4.npy / following_cache4.npy)`)
  }
  const stories: BundleStory[] = keys.map((k, i) => ({ clipKeys: k, split: splits[i] }))
  return {
    name: name ?? basename(root),
    format: 'pororo',
    sourcePath: root,
    fingerprint: folderFingerprint(root),
    characters: PORORO_CHARACTERS,
    textDims: { sentence: texts.vectors ? SENTENCE_DIM : 0, attributes: texts.attributes ? ATTRIBUTE_DIM : 0 },
    framesPerStory: keys[0]?.length ?? 5,
    clipCount: clipKeys.length,
    stories,
    notes,
    *clips() {
      for (const key of clipKeys) {
        yield readClip(root, key, captionsOf(root, key, texts), labelsOf(labels, key, labelFile))
      }
    }
  }
}
