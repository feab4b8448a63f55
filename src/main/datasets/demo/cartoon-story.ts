/**
 * Episode planning and the clip-to-clip simulation of the cartoon demo. An episode is a run of
 * clips in one continuous "show": a small cast whose members stay on screen with small moves
 * between clips, where one member sometimes enters or leaves, the action changes now and then
 * and, rarely, the scene cuts to another place. Stories are then every 5-clip window of an
 * episode (stride 1), exactly like Pororo-SV.
 */
import type { Split } from '../bundle'
import { CARTOON_ACTIONS, CARTOON_OBJECTS, CARTOON_PLACES } from './cartoon-text'
import { Random } from './random'

/** Clips per story (Pororo-SV T = 5). */
export const CARTOON_STORY_LENGTH = 5

/** One episode of the plan. */
export interface EpisodePlan {
  /** 0-based position in the dataset. */
  index: number
  /** 'demo_ep001', ... */
  id: string
  clipCount: number
  /** Stories starting in this episode: clipCount - 4. */
  storyCount: number
  split: Split
}

/** One character on screen; positions are fractions of the frame. */
export interface ActorState {
  character: number
  /** Horizontal centre, 0 (left edge) .. 1 (right edge). */
  x: number
  /** 0 = at the horizon (far, small) .. 1 = at the bottom edge (near, large). */
  depth: number
  facing: 1 | -1
  /** Horizontal speed in frame widths per clip. */
  vx: number
  /** Height above the ground as a fraction of the character height (jumps). */
  hop: number
}

/** Everything needed to render and caption one clip. */
export interface ClipState {
  /** Scene number inside the episode; the scenery is seeded by it so it stays put. */
  scene: number
  place: number
  action: number
  object: number | null
  actors: ActorState[]
  /** Clip index parity, for wing flaps. */
  phase: number
}

/** How often each character is cast, in CARTOON_CHARACTERS order (Pororo and Crong lead, as in the show). */
const CAST_WEIGHTS = [6, 3, 5, 3, 3, 3, 1.5, 2, 2]
const X_MIN = 0.14
const X_MAX = 0.86
const MIN_GAP = 0.17

/**
 * Splits `stories` stories into episodes of 8..24 stories (12..28 clips) and assigns splits by
 * episode: a seeded 10% of the episodes to val, 10% to test (at least one each once there are 3
 * episodes), the rest to train.
 */
export function planEpisodes(stories: number, seed: number): EpisodePlan[] {
  const rng = new Random(seed, 100)
  const plans: EpisodePlan[] = []
  let left = stories
  while (left > 0) {
    const storyCount = Math.min(left, rng.int(8, 24))
    left -= storyCount
    const index = plans.length
    const id = `demo_ep${String(index + 1).padStart(3, '0')}`
    plans.push({ index, id, clipCount: storyCount + CARTOON_STORY_LENGTH - 1, storyCount, split: 'train' })
  }
  const held = plans.length >= 3 ? Math.max(1, Math.round(plans.length * 0.1)) : 0
  const order = rng.shuffle(plans.map((p) => p.index))
  for (let i = 0; i < held; i++) {
    plans[order[i]].split = 'val'
    plans[order[held + i]].split = 'test'
  }
  return plans
}

/** Runs the simulation of one episode; the result depends only on (seed, episode index, length). */
export function simulateEpisode(seed: number, episode: EpisodePlan): ClipState[] {
  const rng = new Random(seed, 200, episode.index)
  const cast = pickCast(rng)
  let state = openScene(rng, cast, 0)
  const clips: ClipState[] = [snapshot(state, 0)]
  for (let k = 1; k < episode.clipCount; k++) {
    if (rng.chance(0.06)) state = openScene(rng, cast, state.scene + 1)
    else advance(rng, state, cast)
    clips.push(snapshot(state, k))
  }
  return clips
}

function pickCast(rng: Random): number[] {
  const size = rng.int(2, 4)
  const weights = CAST_WEIGHTS.slice()
  const cast: number[] = []
  while (cast.length < size) {
    const c = rng.weighted(weights)
    weights[c] = 0
    cast.push(c)
  }
  return cast
}

function snapshot(state: ClipState, k: number): ClipState {
  return { ...state, actors: state.actors.map((a) => ({ ...a })), phase: k % 2 }
}

/** A scene cut: new place and action, one to three cast members placed afresh. */
function openScene(rng: Random, cast: number[], scene: number): ClipState {
  const place = rng.int(0, CARTOON_PLACES.length - 1)
  const state: ClipState = { scene, place, action: 0, object: null, actors: [], phase: 0 }
  const count = rng.int(1, Math.min(3, cast.length))
  for (const character of rng.shuffle(cast).slice(0, count)) state.actors.push(newActor(rng, state, character, null))
  separate(state.actors)
  chooseAction(rng, state)
  return state
}

function chooseAction(rng: Random, state: ClipState): void {
  const placeId = CARTOON_PLACES[state.place].id
  const allowed = CARTOON_ACTIONS.map((a, i) => i).filter((i) => {
    const { places, together } = CARTOON_ACTIONS[i]
    return (!places || places.includes(placeId)) && (!together || state.actors.length > 1)
  })
  state.action = rng.pick(allowed)
  const objects = CARTOON_ACTIONS[state.action].objects
  if (objects.length === 0) state.object = null
  else {
    const id = rng.pick(objects)
    state.object = CARTOON_OBJECTS.findIndex((o) => o.id === id)
  }
}

/**
 * A new actor, either placed away from the others (scene start) or entering from one edge,
 * facing inwards.
 */
function newActor(rng: Random, state: ClipState, character: number, edge: 'left' | 'right' | null): ActorState {
  let x: number
  if (edge) x = edge === 'left' ? rng.range(X_MIN, 0.22) : rng.range(0.78, X_MAX)
  else {
    // Best of a few candidates: spreads the cast so figures rarely hide each other.
    x = 0.5
    let best = -1
    for (let i = 0; i < 6; i++) {
      const candidate = rng.range(X_MIN, X_MAX)
      const gap = Math.min(1, ...state.actors.map((a) => Math.abs(a.x - candidate)))
      if (gap > best) [best, x] = [gap, candidate]
    }
  }
  const facing: 1 | -1 = edge ? (edge === 'left' ? 1 : -1) : rng.chance(0.5) ? 1 : -1
  return { character, x, depth: rng.range(0.15, 0.95), facing, vx: 0, hop: 0 }
}

/** One clip later: maybe change action, maybe one enters or leaves, everyone moves a little. */
function advance(rng: Random, state: ClipState, cast: number[]): void {
  const offScreen = cast.filter((c) => !state.actors.some((a) => a.character === c))
  if (offScreen.length > 0 && state.actors.length < 3 && rng.chance(0.15)) {
    state.actors.push(newActor(rng, state, rng.pick(offScreen), rng.chance(0.5) ? 'left' : 'right'))
  } else if (state.actors.length > 1 && rng.chance(0.12)) {
    state.actors.splice(rng.int(0, state.actors.length - 1), 1)
  }
  // Someone left a two-person action: pick a new action for whoever is still there.
  const alone = CARTOON_ACTIONS[state.action].together === true && state.actors.length < 2
  if (alone || rng.chance(0.25)) chooseAction(rng, state)
  const motion = CARTOON_ACTIONS[state.action].motion
  for (const actor of state.actors) move(rng, actor, motion, state.actors)
  separate(state.actors)
}

/**
 * Keeps neighbours at least MIN_GAP apart, so figures overlap a little at most and a caption
 * rarely names a character that is only a sliver behind another.
 */
function separate(actors: ActorState[]): void {
  const byX = actors.slice().sort((a, b) => a.x - b.x)
  for (let i = 1; i < byX.length; i++) byX[i].x = Math.max(byX[i].x, byX[i - 1].x + MIN_GAP)
  const overflow = byX.length > 0 ? byX[byX.length - 1].x - X_MAX : 0
  if (overflow > 0) for (const a of byX) a.x = Math.max(X_MIN, a.x - overflow)
}

function move(rng: Random, actor: ActorState, motion: string, all: ActorState[]): void {
  const speed = motion === 'glide' ? 0.12 : motion === 'walk' ? 0.07 : 0.015
  actor.vx = actor.facing * speed
  actor.x += actor.vx + rng.range(-0.015, 0.015)
  if (actor.x < X_MIN || actor.x > X_MAX) {
    // Bounce off the frame edge so characters only leave by the explicit leave step.
    actor.x = Math.min(X_MAX, Math.max(X_MIN, actor.x))
    actor.facing = actor.x < 0.5 ? 1 : -1
  }
  actor.depth = Math.min(0.95, Math.max(0.1, actor.depth + rng.range(-0.05, 0.05)))
  actor.hop = motion === 'hop' ? (actor.hop > 0 ? 0 : rng.range(0.15, 0.35)) : 0
  if (motion === 'turn') {
    const other = all.find((a) => a !== actor)
    actor.facing = other ? (other.x >= actor.x ? 1 : -1) : rng.chance(0.5) ? 1 : -1
  }
}
