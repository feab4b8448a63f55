import { existsSync, readdirSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { UserError } from '../../shared/result'
import type { BundleClip, BundleStory, ImportBundle } from './bundle'
import { decodePngRgba, encodeRgbPng, maskFromRgba } from './png'
import { folderFingerprint, loadNpyDict, numbersOf, readSourceFile } from './source-files'
import type { NpyArray } from './npy'

/** CLEVR-SV text vector layout (reference doc 5.3): 4 slots × 18 dims, then 3 camera dims. */
export const CLEVR_VECTOR_DIM = 75
export const CLEVR_SLOT_DIM = 18
export const CLEVR_LABEL_DIM = 15
const SHAPES = ['cube', 'sphere', 'cylinder']
const COLOURS = ['gray', 'red', 'blue', 'green', 'brown', 'purple', 'cyan', 'yellow']
const MATERIALS = ['rubber', 'metal']
const SIZES = ['large', 'small']

/** Mask layers for CLEVR-SV: one per object slot (objects are added one per frame). */
export const CLEVR_CHARACTERS = [
  { name: 'Object 1', color: '#ef4444' },
  { name: 'Object 2', color: '#3b82f6' },
  { name: 'Object 3', color: '#22c55e' },
  { name: 'Object 4', color: '#eab308' }
]

/** CP-CSV's index split: scenes 0..9999 train, the rest test (its 10000 overlap goes to test). */
export const CLEVR_TRAIN_SCENES = 10_000

export function isClevrFolder(dir: string): boolean {
  const images = join(dir, 'images')
  return existsSync(images) && readdirSync(images).some((f) => /^CLEVR_new_\d+_\d\.png$/.test(f))
}

const argmax = (v: ArrayLike<number>, from: number, n: number): number => {
  let best = 0
  for (let i = 1; i < n; i++) if (v[from + i] > v[from + best]) best = i
  return best
}

/** English caption for the object in `slot` of a 75-d vector ("A large red metal cube"). */
export function clevrCaption(vector: ArrayLike<number>, slot: number): string {
  const o = slot * CLEVR_SLOT_DIM
  const shape = SHAPES[argmax(vector, o, 3)]
  const colour = COLOURS[argmax(vector, o + 3, 8)]
  const material = MATERIALS[argmax(vector, o + 11, 2)]
  const size = SIZES[argmax(vector, o + 13, 2)]
  return `A ${size} ${colour} ${material} ${shape} is added.`
}

/**
 * The 15-d label of frame k (1-based) of a scene: slot k's first 15 dims ORed with the labels of
 * the frames before it (reference doc 5.3, clevr.py 39-53).
 */
export function clevrLabels(vector: ArrayLike<number>, frame: number): number[] {
  const out = new Array(CLEVR_LABEL_DIM).fill(0)
  for (let s = 0; s < frame; s++) {
    for (let i = 0; i < CLEVR_LABEL_DIM; i++) if (vector[s * CLEVR_SLOT_DIM + i] > 0.5) out[i] = 1
  }
  return out
}

function sceneIds(root: string): number[] {
  const files = readdirSync(join(root, 'images'))
  const ids = new Set<number>()
  for (const f of files) {
    const m = /^CLEVR_new_(\d+)_(\d)\.png$/.exec(f)
    if (m) ids.add(Number(m[1]))
  }
  return [...ids].sort((a, b) => a - b)
}

const sceneName = (id: number): string => `CLEVR_new_${String(id).padStart(6, '0')}`

function readClip(root: string, scene: number, k: number, dict: Map<unknown, unknown>, dictFile: string): BundleClip {
  const stem = `${sceneName(scene)}_${k}`
  const rel = join('images', `${stem}.png`)
  const vec = dict.get(`${stem}.png`)
  if (vec === undefined) throw new UserError(`${dictFile}: no vector for ${stem}.png`)
  const vector = Float32Array.from(numbersOf(vec as NpyArray, dictFile))
  if (vector.length !== CLEVR_VECTOR_DIM) {
    throw new UserError(`${dictFile}: vector of ${stem}.png has length ${vector.length}, expected ${CLEVR_VECTOR_DIM}`)
  }
  const img = decodePngRgba(readSourceFile(root, rel), join(root, rel))
  const maskRel = join('images', `${stem}_mask.png`)
  let importedMask: Uint8Array | undefined
  if (existsSync(join(root, maskRel))) {
    const m = decodePngRgba(readSourceFile(root, maskRel), join(root, maskRel))
    if (m.width !== img.width || m.height !== img.height) {
      throw new UserError(`${join(root, maskRel)}: mask is ${m.width}x${m.height}, image is ${img.width}x${img.height}`)
    }
    importedMask = maskFromRgba(m)
  }
  return {
    key: stem,
    episode: sceneName(scene),
    sourceFile: rel,
    frames: [{ png: encodeRgbPng(img), width: img.width, height: img.height, importedMask }],
    captions: [{ text: clevrCaption(vector, k - 1), sentence: vector, attributes: null }],
    labels: CLEVR_CHARACTERS.map((_, slot) => (slot < k ? 1 : 0))
  }
}

/** Reads a CLEVR-SV folder (`images/CLEVR_new_NNNNNN_k.png` + masks, `CLEVR_dict.npy`). */
export function clevrBundle(dir: string, name?: string): ImportBundle {
  const root = resolve(dir)
  const dictRel = existsSync(join(root, 'CLEVR_dict.npy')) ? 'CLEVR_dict.npy' : join('images', 'CLEVR_dict.npy')
  const dictFile = join(root, dictRel)
  if (!existsSync(dictFile)) throw new UserError(`missing file: ${join(root, 'CLEVR_dict.npy')}`)
  const dict = loadNpyDict(root, dictRel)
  const scenes = sceneIds(root)
  if (scenes.length === 0) throw new UserError(`${join(root, 'images')}: no CLEVR_new_NNNNNN_k.png images`)
  for (const s of scenes) {
    for (let k = 1; k <= 4; k++) {
      const f = join(root, 'images', `${sceneName(s)}_${k}.png`)
      if (!existsSync(f)) throw new UserError(`missing file: ${f} (scene ${s} needs frames 1-4)`)
    }
  }
  const stories: BundleStory[] = scenes.map((s) => ({
    clipKeys: [1, 2, 3, 4].map((k) => `${sceneName(s)}_${k}`),
    split: s < CLEVR_TRAIN_SCENES ? 'train' : 'test'
  }))
  return {
    name: name ?? basename(root),
    format: 'clevr',
    sourcePath: root,
    fingerprint: folderFingerprint(root),
    characters: CLEVR_CHARACTERS,
    textDims: { sentence: CLEVR_VECTOR_DIM, attributes: 0 },
    framesPerStory: 4,
    clipCount: scenes.length * 4,
    stories,
    notes: [`${scenes.length} scenes; split by scene index (train < ${CLEVR_TRAIN_SCENES} <= test)`],
    *clips() {
      for (const s of scenes) for (let k = 1; k <= 4; k++) yield readClip(root, s, k, dict, dictFile)
    }
  }
}
