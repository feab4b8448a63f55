/**
 * The built-in cartoon demo dataset, laid out like Pororo-SV: nine named characters, episodes
 * of one-frame clips keyed '<episode>/<k>', stories of 5 consecutive clips with stride 1,
 * 9-d presence labels, a 128-d sentence and a 228-d attribute vector per caption, and exact
 * per-character truth masks. Clips are rendered lazily, one episode at a time.
 */
import type { BundleCharacter, BundleClip, BundleStory, ImportBundle } from '../bundle'
import { drawFigure, FIGURES, type Placement } from './cartoon-figures'
import { drawHeldObject, drawScenery } from './cartoon-scenery'
import { CARTOON_STORY_LENGTH, type ClipState, type EpisodePlan, planEpisodes, simulateEpisode } from './cartoon-story'
import {
  CARTOON_ACTIONS,
  CARTOON_ATTRIBUTE_DIM,
  CARTOON_CHARACTERS,
  CARTOON_OBJECTS,
  CARTOON_PLACES,
  CARTOON_SENTENCE_DIM,
  type CartoonCaption,
  cartoonAttributeVector,
  cartoonSentenceVector,
  formatCartoonCaption
} from './cartoon-text'
import { type DemoOptions, resolveDemoOptions } from './demo-options'
import { Random } from './random'
import { cssColor, Raster } from './raster'

/** Standard figure height as a fraction of the frame side, before per-character scale and depth. */
const FIGURE_HEIGHT = 0.34
/** The one action drawn with closed eyes. */
const SLEEPING = CARTOON_ACTIONS.findIndex((a) => a.gerund === 'sleeping')

/** A rendered cartoon clip before it is packed into a BundleClip. */
export interface CartoonFrame {
  raster: Raster
  /** 9 entries, 1 where the character has at least one visible pixel. */
  labels: number[]
  caption: CartoonCaption
}

/** Where each actor lands in pixels; depth gives both the ground row and the size. */
function placeActor(state: ClipState['actors'][number], horizon: number, size: number): Placement {
  const spec = FIGURES[state.character]
  const ground = horizon + (0.1 + 0.88 * state.depth) * (size - horizon)
  const height = size * FIGURE_HEIGHT * spec.scale * (0.7 + 0.4 * state.depth)
  const lift = state.hop * height + (spec.flies ? 0.45 * size * FIGURE_HEIGHT : 0)
  return { x: state.x * size, footY: ground - lift, height, facing: state.facing }
}

/**
 * Renders one clip. Figures are painted far to near, so a nearer figure hides a farther one, and
 * the held object last. Labels and caption are then read off the owner map, so a fully hidden
 * character is neither labelled nor named.
 */
export function renderCartoonClip(seed: number, episode: number, state: ClipState, size: number): CartoonFrame {
  let raster = paintClip(seed, episode, state, size, false)
  let labels = visibleCharacters(raster)
  // The nearest figure is always in frame, so only the held object can hide everyone (tiny
  // figures at small sizes); then the object goes behind the figures instead.
  if (!labels.includes(1)) {
    raster = paintClip(seed, episode, state, size, true)
    labels = visibleCharacters(raster)
  }
  const characters = labels.flatMap((on, c) => (on ? [c] : []))
  return { raster, labels, caption: { characters, action: state.action, object: state.object, place: state.place } }
}

function paintClip(seed: number, episode: number, state: ClipState, size: number, objectFirst: boolean): Raster {
  const raster = new Raster(size, size)
  const horizon = drawScenery(raster, CARTOON_PLACES[state.place].id, new Random(seed, 300, episode, state.scene))
  const lead = state.actors[0]
  const object = state.object !== null && lead ? CARTOON_OBJECTS[state.object].id : null
  if (object && objectFirst) drawHeldObject(raster, object, placeActor(lead, horizon, size))
  const order = state.actors.slice().sort((a, b) => a.depth - b.depth || a.character - b.character)
  const pose = { eyesClosed: state.action === SLEEPING, phase: state.phase }
  for (const actor of order) {
    drawFigure(raster, FIGURES[actor.character], placeActor(actor, horizon, size), pose, actor.character + 1)
  }
  // Normally the object is held in front of the lead actor, so it is painted over the figures.
  if (object && !objectFirst) drawHeldObject(raster, object, placeActor(lead, horizon, size))
  return raster
}

/** 9 entries, 1 where the character owns at least one pixel. */
function visibleCharacters(raster: Raster): number[] {
  const labels = CARTOON_CHARACTERS.map(() => 0)
  for (let i = 0; i < raster.owner.length; i++) if (raster.owner[i] > 0) labels[raster.owner[i] - 1] = 1
  return labels
}

function toBundleClip(episode: EpisodePlan, k: number, frame: CartoonFrame): BundleClip {
  const { raster, labels, caption } = frame
  const truthMasks = new Map<number, Uint8Array>()
  for (const c of caption.characters) truthMasks.set(c, raster.maskOf(c + 1).mask)
  return {
    key: `${episode.id}/${k}`,
    episode: episode.id,
    sourceFile: `${episode.id}/${k}.png`,
    frames: [
      { png: raster.toPng(), width: raster.width, height: raster.height, truthMasks }
    ],
    captions: [
      {
        text: formatCartoonCaption(caption),
        sentence: cartoonSentenceVector(caption),
        attributes: cartoonAttributeVector(caption)
      }
    ],
    labels
  }
}

/** All clips of one episode, rendered and encoded, in clip order. */
export function* cartoonEpisodeClips(seed: number, size: number, episode: EpisodePlan): Generator<BundleClip> {
  const states = simulateEpisode(seed, episode)
  for (let k = 0; k < states.length; k++) {
    yield toBundleClip(episode, k, renderCartoonClip(seed, episode.index, states[k], size))
  }
}

/** The nine characters with their mask-layer colours. */
export function cartoonCharacters(): BundleCharacter[] {
  return FIGURES.map((f) => ({ name: f.name, color: cssColor(f.maskColor) }))
}

/**
 * The cartoon demo dataset: `stories` stories (default 2,000) of 5 clips, one size×size RGB frame
 * per clip (default 64), grouped into episodes 'demo_ep001'... with ~80/10/10 train/val/test
 * splits by episode. Same options give byte-identical clips.
 */
export function cartoonDemo(options?: DemoOptions): ImportBundle {
  const { stories, seed, size } = resolveDemoOptions(options)
  const episodes = planEpisodes(stories, seed)
  const storyList: BundleStory[] = []
  for (const episode of episodes) {
    for (let k = 0; k < episode.storyCount; k++) {
      const clipKeys = Array.from({ length: CARTOON_STORY_LENGTH }, (_, j) => `${episode.id}/${k + j}`)
      storyList.push({ clipKeys, split: episode.split })
    }
  }
  return {
    name: 'demo-cartoon',
    format: 'demo-cartoon',
    sourcePath: null,
    fingerprint: `demo-cartoon/v1 seed=${seed} stories=${stories} size=${size}`,
    characters: cartoonCharacters(),
    textDims: { sentence: CARTOON_SENTENCE_DIM, attributes: CARTOON_ATTRIBUTE_DIM },
    framesPerStory: CARTOON_STORY_LENGTH,
    clipCount: episodes.reduce((n, e) => n + e.clipCount, 0),
    clips: function* () {
      for (const episode of episodes) yield* cartoonEpisodeClips(seed, size, episode)
    },
    stories: storyList,
    notes: [
      `Generated cartoon demo: ${episodes.length} episodes, seed ${seed}, ${size}×${size} frames.`,
      'Characters, labels and truth masks are exact; captions follow a fixed grammar (demo/cartoon-text.ts).'
    ]
  }
}
