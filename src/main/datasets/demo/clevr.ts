/**
 * The built-in CLEVR-SV-like demo dataset. Each scene is one episode and one story of 4 clips
 * 'scene_000123_1'..'_4'; clip k shows the scene's first k objects, so one object appears per
 * frame, as in CLEVR-SV. Text vectors (75-d) and labels (15-d) follow reference section 5.3.
 *
 * Characters are the 15 CLEVR-SV label bits ('cube', ..., 'gray', ..., 'small'), not object
 * slots, because an ImportBundle has one label per character and CP-CSV trains CLEVR-SV on
 * those 15 bits (LABEL_NUM 15). The truth mask of a bit is the union of the visible pixels of
 * the objects having that attribute, so each object pixel belongs to four layers (its shape,
 * colour, material and size); the figure-ground union ships as the imported mask, like
 * CLEVR-SV's `_mask.png`.
 *
 * Frames are square, 64×64 by default: CP-CSV resizes CLEVR-SV's 320×240 renders to 64×64 and so
 * distorts them; rendering square with a lens fitted to the square avoids that distortion.
 */
import type { BundleClip, BundleStory, ImportBundle } from '../bundle'
import { clevrInView, renderClevrFrame } from './clevr-render'
import {
  CLEVR_OBJECTS,
  CLEVR_VECTOR_DIM,
  type ClevrObject,
  clevrCaption,
  clevrVectors,
  sampleClevrObjects
} from './clevr-scene'
import { type DemoOptions, resolveDemoOptions } from './demo-options'
import { Random } from './random'
import type { Raster } from './raster'
import { CLEVR_CHARACTERS } from '../clevr-import'

/** Mask layers: one per object slot, the same as for imported CLEVR-SV folders. */
const SLOT_CHARACTERS = CLEVR_CHARACTERS

/** One scene, rendered: its objects and frames 1..4. */
export interface ClevrScene {
  objects: ClevrObject[]
  frames: Raster[]
}

/**
 * Samples and renders scene `index`. Like CLEVR's minimum-visible-pixels rule, placements where
 * an object would show fewer than ~0.26% of the frame (CLEVR: 200 of 320×240 pixels) in the
 * final frame are redrawn; objects only lose pixels as later ones appear, so every object stays
 * visible in every frame that contains it and labels always match the masks.
 */
export function renderClevrScene(seed: number, index: number, size: number): ClevrScene {
  const rng = new Random(seed, 400, index)
  const minPixels = Math.max(6, Math.round(size * size * 0.0026))
  for (let attempt = 0; attempt < 500; attempt++) {
    const objects = sampleClevrObjects(rng, clevrInView)
    const last = renderClevrFrame(objects, size)
    const counts = new Array<number>(CLEVR_OBJECTS + 1).fill(0)
    for (const id of last.owner) counts[id]++
    if (counts.slice(1).every((n) => n >= minPixels)) {
      const frames = objects.slice(0, -1).map((_, k) => renderClevrFrame(objects.slice(0, k + 1), size))
      frames.push(last)
      return { objects, frames }
    }
  }
  throw new Error(`demo-clevr: no placement with all objects visible for scene ${index}`)
}

/** Scene id 'scene_000123'. */
export function clevrSceneId(index: number): string {
  return `scene_${String(index).padStart(6, '0')}`
}

/**
 * Clip k (0-based) of a scene. Mask layers are the four object slots (the Label view shows
 * "its objects"); the 15-d CLEVR-SV labels stay recoverable from the 75-d vector
 * (clevrLabels in clevr-import.ts), which is how training reads them.
 */
function toBundleClip(index: number, scene: ClevrScene, k: number, vectors: Float32Array[]): BundleClip {
  const raster = scene.frames[k]
  const truthMasks = new Map<number, Uint8Array>()
  for (let j = 0; j <= k; j++) truthMasks.set(j, new Uint8Array(raster.width * raster.height))
  for (let i = 0; i < raster.owner.length; i++) {
    const owner = raster.owner[i]
    if (owner > 0) truthMasks.get(owner - 1)![i] = 1
  }
  const episode = clevrSceneId(index)
  return {
    key: `${episode}_${k + 1}`,
    episode,
    sourceFile: `${episode}_${k + 1}.png`,
    frames: [{ png: raster.toPng(), width: raster.width, height: raster.height, truthMasks }],
    captions: [{ text: clevrCaption(scene.objects[k]), sentence: vectors[k], attributes: null }],
    labels: SLOT_CHARACTERS.map((_, j) => (j <= k ? 1 : 0))
  }
}

/** The four clips of scene `index`, rendered and encoded. */
export function* clevrSceneClips(seed: number, size: number, index: number): Generator<BundleClip> {
  const scene = renderClevrScene(seed, index, size)
  const vectors = clevrVectors(scene.objects)
  for (let k = 0; k < CLEVR_OBJECTS; k++) yield toBundleClip(index, scene, k, vectors)
}

/**
 * The CLEVR-SV-like demo dataset: `stories` scenes (default 2,000), each one story of 4 square
 * size×size frames (default 64). Split by scene index like CP-CSV's index split: the first 90%
 * train, the rest test. Same options give byte-identical clips.
 */
export function clevrDemo(options?: DemoOptions): ImportBundle {
  const { stories, seed, size } = resolveDemoOptions(options)
  const trainCount = Math.round(stories * 0.9)
  const storyList: BundleStory[] = []
  for (let i = 0; i < stories; i++) {
    const id = clevrSceneId(i)
    storyList.push({
      clipKeys: Array.from({ length: CLEVR_OBJECTS }, (_, k) => `${id}_${k + 1}`),
      split: i < trainCount ? 'train' : 'test'
    })
  }
  return {
    name: 'demo-clevr',
    format: 'demo-clevr',
    sourcePath: null,
    fingerprint: `demo-clevr/v1 seed=${seed} stories=${stories} size=${size}`,
    characters: SLOT_CHARACTERS,
    textDims: { sentence: CLEVR_VECTOR_DIM, attributes: 0 },
    framesPerStory: CLEVR_OBJECTS,
    clipCount: stories * CLEVR_OBJECTS,
    clips: function* () {
      for (let i = 0; i < stories; i++) yield* clevrSceneClips(seed, size, i)
    },
    stories: storyList,
    notes: [
      `Generated CLEVR-SV-like demo: ${stories} scenes, seed ${seed}, ${size}×${size} frames, split ${trainCount} train / ${stories - trainCount} test by scene index.`,
      'Mask layers are the four object slots (object k appears in frame k); the 15-d CLEVR-SV labels come from the 75-d vectors.'
    ]
  }
}
