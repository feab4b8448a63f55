/**
 * Scene content of the CLEVR-SV-like demo: object attributes, placement, the 75-d text vector,
 * the 15-d labels and captions, following reference section 5.3 (CLEVR-SV `vec_generator.py`
 * and CP-CSV `datasets/clevr.py`).
 *
 * World frame as in CLEVR: the ground is z = 0, objects stand in x, y ∈ [-3, 3], and the
 * camera's "right" direction on the ground is CLEVR_RIGHT; "front" (towards the camera) is
 * (right.y, -right.x).
 *
 * 75-d vector of frame k (1..4), cumulative: slot j (j < k) fills [18j, 18j + 18) with
 *   shape one-hot [cube, sphere, cylinder] (3), colour one-hot [gray, red, blue, green, brown,
 *   purple, cyan, yellow] (8), material [rubber, metal] (2), size [large, small] (2),
 *   3-d coordinates (x, y, z) of the object centre (3);
 * slots k..3 stay zero; [72, 75) hold the constant camera right direction.
 *
 * 15-d labels of frame k: OR of the first 15 dims of slots 1..k, i.e. one bit per attribute
 * value present so far, in the order of CLEVR_LABEL_NAMES.
 */
import type { Random } from './random'

/** Shape values in one-hot order (vec_generator's discrete_mapping). */
export const CLEVR_SHAPES = ['cube', 'sphere', 'cylinder'] as const
/** Colour values in one-hot order. */
export const CLEVR_COLORS = ['gray', 'red', 'blue', 'green', 'brown', 'purple', 'cyan', 'yellow'] as const
/** Material values in one-hot order. */
export const CLEVR_MATERIALS = ['rubber', 'metal'] as const
/** Size values in one-hot order. */
export const CLEVR_SIZES = ['large', 'small'] as const

/** The 15 label bits in vector order; also the demo's character names. */
export const CLEVR_LABEL_NAMES: readonly string[] = [...CLEVR_SHAPES, ...CLEVR_COLORS, ...CLEVR_MATERIALS, ...CLEVR_SIZES]

/** Object colours, CLEVR's `properties.json` RGB values, packed 0xRRGGBB. */
export const CLEVR_COLOR_RGB: readonly number[] = [0x575757, 0xad2323, 0x2a4bd7, 0x1d6914, 0x814a19, 0x8126c0, 0x29d0d0, 0xffee33]

/** Camera right direction on the ground, a typical CLEVR value; constant for the whole demo. */
export const CLEVR_RIGHT: readonly [number, number, number] = [0.6563112735748291, 0.7544902563095093, 0]

/** Length of the per-frame text vector: 4 slots × 18 + 3 camera dims. */
export const CLEVR_VECTOR_DIM = 75
/** Length of one object slot. */
export const CLEVR_SLOT_DIM = 18
/** Length of the labels (the first 15 dims of a slot). */
export const CLEVR_LABEL_DIM = 15
/** Objects per scene = frames per story. */
export const CLEVR_OBJECTS = 4

/** One object; attribute fields index the tables above; x, y in world units. */
export interface ClevrObject {
  shape: number
  color: number
  material: number
  size: number
  x: number
  y: number
  /** Rotation about z in radians (cubes show it). */
  rotation: number
}

/** CLEVR's object "radius": 0.7 large, 0.35 small (world units). */
export function clevrRadius(object: ClevrObject): number {
  return object.size === 0 ? 0.7 : 0.35
}

/** Height of the object centre above the ground: CLEVR shrinks cubes by √2 so they fit the radius. */
export function clevrCenterHeight(object: ClevrObject): number {
  const r = clevrRadius(object)
  return object.shape === 0 ? r / Math.SQRT2 : r
}

/**
 * Places four objects CLEVR-style: uniform in [-3, 3]², centres at least r1 + r2 + 0.25 apart,
 * and only where `inView` accepts the object (the renderer's frame test).
 */
export function sampleClevrObjects(rng: Random, inView: (object: ClevrObject) => boolean): ClevrObject[] {
  let objects: ClevrObject[] = []
  let tries = 0
  while (objects.length < CLEVR_OBJECTS) {
    // Start over when the objects placed so far leave no room for the next one.
    if (++tries > 200) [objects, tries] = [[], 0]
    const object: ClevrObject = {
      shape: rng.int(0, 2),
      color: rng.int(0, 7),
      material: rng.int(0, 1),
      size: rng.int(0, 1),
      x: rng.range(-3, 3),
      y: rng.range(-3, 3),
      rotation: rng.range(0, 2 * Math.PI)
    }
    const clear = objects.every(
      (o) => Math.hypot(o.x - object.x, o.y - object.y) >= clevrRadius(o) + clevrRadius(object) + 0.25
    )
    if (clear && inView(object)) [objects, tries] = [[...objects, object], 0]
  }
  return objects
}

/** The 18 dims of one slot. */
function slot(object: ClevrObject): number[] {
  const out = new Array<number>(CLEVR_SLOT_DIM).fill(0)
  out[object.shape] = 1
  out[3 + object.color] = 1
  out[11 + object.material] = 1
  out[13 + object.size] = 1
  out[15] = object.x
  out[16] = object.y
  out[17] = clevrCenterHeight(object)
  return out
}

/** Cumulative 75-d vectors of frames 1..4 (index 0..3). */
export function clevrVectors(objects: readonly ClevrObject[]): Float32Array[] {
  const out: Float32Array[] = []
  const v = new Float32Array(CLEVR_VECTOR_DIM)
  v.set(CLEVR_RIGHT, CLEVR_OBJECTS * CLEVR_SLOT_DIM)
  objects.forEach((object, j) => {
    v.set(slot(object), j * CLEVR_SLOT_DIM)
    out.push(v.slice())
  })
  return out
}

/** 15-d labels of frames 1..4 (index 0..3): OR of the first 15 dims of every slot so far. */
export function clevrLabels(objects: readonly ClevrObject[]): number[][] {
  const out: number[][] = []
  const bits = new Array<number>(CLEVR_LABEL_DIM).fill(0)
  for (const object of objects) {
    const s = slot(object)
    for (let b = 0; b < CLEVR_LABEL_DIM; b++) bits[b] = bits[b] || s[b] ? 1 : 0
    out.push(bits.slice())
  }
  return out
}

/** The 15 label bits of a single object (which characters its pixels belong to). */
export function clevrObjectBits(object: ClevrObject): number[] {
  return slot(object).slice(0, CLEVR_LABEL_DIM)
}

/** Where an object stands as seen from the camera, as a caption phrase (3 × 3 grid). */
export function clevrPositionPhrase(object: ClevrObject): string {
  const [rx, ry] = CLEVR_RIGHT
  const lateral = object.x * rx + object.y * ry
  const front = object.x * ry - object.y * rx
  const side = lateral < -1 ? 'left' : lateral > 1 ? 'right' : ''
  const depth = front > 1 ? 'front' : front < -1 ? 'back' : ''
  if (depth) return side ? `at the ${depth} ${side}` : `at the ${depth}`
  return side ? `on the ${side}` : 'in the center'
}

/** "A large red metal cube appears at the front left." */
export function clevrCaption(object: ClevrObject): string {
  const words = [CLEVR_SIZES[object.size], CLEVR_COLORS[object.color], CLEVR_MATERIALS[object.material], CLEVR_SHAPES[object.shape]]
  return `A ${words.join(' ')} appears ${clevrPositionPhrase(object)}.`
}
