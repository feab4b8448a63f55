/**
 * Vocabulary, caption grammar and text vectors of the cartoon demo dataset.
 *
 * Caption grammar (every caption is exactly one sentence; parseCartoonCaption inverts it):
 *
 *   caption  := subjects " " aux " " ACTION [" " objectPhrase] " " PLACE "."
 *   subjects := NAME                                   (one character)
 *             | NAME " and " NAME                      (two)
 *             | NAME ", " NAME [", " NAME]* ", and " NAME   (three or more, serial comma)
 *   aux      := "is" when one subject, "are" otherwise
 *   objectPhrase := action.objectPrefix + OBJECT.phrase   (present iff the action takes objects)
 *
 * NAME is a character name (CARTOON_CHARACTERS), listed in character order; ACTION, OBJECT and
 * PLACE are the gerunds and phrases of CARTOON_ACTIONS, CARTOON_OBJECTS and CARTOON_PLACES.
 * Example: "Pororo, Crong, and Poby are playing with a ball on the ice."
 *
 * Sentence vector (128-d, stands in for Pororo-SV's sentence encoding), all zeros except:
 *   [0, 9)     characters named, one 1 per character, in character order
 *   [9, 25)    action one-hot (CARTOON_ACTIONS index; 16 slots, the rest unused)
 *   [25, 33)   place one-hot (CARTOON_PLACES index)
 *   [33, 49)   object one-hot (CARTOON_OBJECTS index), all zero without an object
 *   [49, 53)   number of subjects one-hot: 1, 2, 3, 4 or more
 *   [53, 64)   reserved, zero
 *   [64, 128)  hashed bag of words: each lower-case word of the caption (split on anything but
 *              letters) adds 1 to bucket 64 + fnv1a32(word) % 64; the 64 buckets are then scaled to
 *              unit L2 norm
 *
 * Attribute vector (228-d multi-hot, stands in for Pororo-SV's attribute one-hots):
 *   [0, 9)     characters named
 *   [9, 41)    action (CARTOON_ACTIONS index)
 *   [41, 73)   place (CARTOON_PLACES index)
 *   [73, 137)  object (CARTOON_OBJECTS index), none without an object
 *   [137, 228) reserved, zero
 */
import { hashString } from './random'

/** The Pororo-SV characters in label order (reference section 5.1). */
export const CARTOON_CHARACTERS = [
  'Pororo',
  'Loopy',
  'Crong',
  'Eddy',
  'Poby',
  'Petty',
  'Tongtong',
  'Rody',
  'Harry'
] as const

/** How characters move while doing an action (used by the story simulation). */
export type Motion = 'walk' | 'glide' | 'hop' | 'still' | 'turn'

/** One action: its gerund, where it happens and which objects it takes. */
export interface CartoonAction {
  gerund: string
  motion: Motion
  /** Place ids it may happen at; undefined means anywhere. */
  places?: readonly string[]
  /** Object ids it takes (one is always named when present); empty for none. */
  objects: readonly string[]
  /** Words between the gerund and the object phrase, with trailing space ('with '). */
  objectPrefix: string
  /** Needs at least two characters on screen (the simulation's choice; the grammar allows one). */
  together?: boolean
}

/** Actions, in vector order. */
export const CARTOON_ACTIONS: readonly CartoonAction[] = [
  { gerund: 'walking', motion: 'walk', objects: [], objectPrefix: '' },
  { gerund: 'skating', motion: 'glide', places: ['ice', 'lake'], objects: [], objectPrefix: '' },
  { gerund: 'sledding', motion: 'glide', places: ['hill'], objects: [], objectPrefix: '' },
  { gerund: 'playing', motion: 'hop', objects: ['ball', 'kite'], objectPrefix: 'with ' },
  { gerund: 'eating', motion: 'still', objects: ['fish', 'cake', 'cookies'], objectPrefix: '' },
  { gerund: 'reading', motion: 'still', objects: ['book', 'letter'], objectPrefix: '' },
  { gerund: 'talking', motion: 'turn', objects: [], objectPrefix: '', together: true },
  { gerund: 'jumping', motion: 'hop', objects: [], objectPrefix: '' },
  { gerund: 'dancing', motion: 'turn', objects: [], objectPrefix: '' },
  { gerund: 'sleeping', motion: 'still', places: ['house', 'forest', 'night'], objects: [], objectPrefix: '' },
  { gerund: 'laughing', motion: 'still', objects: [], objectPrefix: '' },
  { gerund: 'throwing', motion: 'still', objects: ['snowballs'], objectPrefix: '' }
]

/** Places, in vector order: id (also the scenery kind) and caption phrase. */
export const CARTOON_PLACES = [
  { id: 'ice', phrase: 'on the ice' },
  { id: 'forest', phrase: 'in the forest' },
  { id: 'house', phrase: 'in front of the house' },
  { id: 'hill', phrase: 'on the snowy hill' },
  { id: 'lake', phrase: 'by the frozen lake' },
  { id: 'night', phrase: 'under the night sky' }
] as const

/** Objects, in vector order: id and caption phrase (with its article). */
export const CARTOON_OBJECTS = [
  { id: 'ball', phrase: 'a ball' },
  { id: 'kite', phrase: 'a kite' },
  { id: 'fish', phrase: 'a fish' },
  { id: 'cake', phrase: 'a cake' },
  { id: 'cookies', phrase: 'cookies' },
  { id: 'book', phrase: 'a book' },
  { id: 'letter', phrase: 'a letter' },
  { id: 'snowballs', phrase: 'snowballs' }
] as const

/** Sentence vector length (Pororo-SV's 128 of TEXT.DIMENSION 356). */
export const CARTOON_SENTENCE_DIM = 128
/** Attribute vector length (Pororo-SV's 228 of TEXT.DIMENSION 356). */
export const CARTOON_ATTRIBUTE_DIM = 228

/** The structure behind one caption; indices into the tables above. */
export interface CartoonCaption {
  /** Character indices, ascending, at least one. */
  characters: number[]
  action: number
  /** CARTOON_OBJECTS index, or null when the action takes none. */
  object: number | null
  place: number
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 2) return names.join(' and ')
  return names.slice(0, -1).join(', ') + ', and ' + names[names.length - 1]
}

/** Renders a caption structure as text following the grammar above. */
export function formatCartoonCaption(caption: CartoonCaption): string {
  const names = caption.characters.map((c) => CARTOON_CHARACTERS[c])
  const action = CARTOON_ACTIONS[caption.action]
  const aux = names.length === 1 ? 'is' : 'are'
  const object = caption.object === null ? '' : ' ' + action.objectPrefix + CARTOON_OBJECTS[caption.object].phrase
  return `${joinNames(names)} ${aux} ${action.gerund}${object} ${CARTOON_PLACES[caption.place].phrase}.`
}

function parseNames(text: string): number[] | null {
  let parts: string[]
  if (text.includes(', ')) {
    parts = text.split(', ')
    const last = parts[parts.length - 1]
    if (parts.length < 3 || !last.startsWith('and ')) return null
    parts[parts.length - 1] = last.slice(4)
  } else {
    parts = text.split(' and ')
    if (parts.length > 2) return null
  }
  const out: number[] = []
  for (const part of parts) {
    const index = (CARTOON_CHARACTERS as readonly string[]).indexOf(part)
    if (index < 0 || out.includes(index)) return null
    out.push(index)
  }
  return out
}

function parseActivity(text: string): { action: number; object: number | null } | null {
  const space = text.indexOf(' ')
  const gerund = space < 0 ? text : text.slice(0, space)
  const rest = space < 0 ? '' : text.slice(space + 1)
  const action = CARTOON_ACTIONS.findIndex((a) => a.gerund === gerund)
  if (action < 0) return null
  const spec = CARTOON_ACTIONS[action]
  if (spec.objects.length === 0) return rest === '' ? { action, object: null } : null
  for (const id of spec.objects) {
    const object = CARTOON_OBJECTS.findIndex((o) => o.id === id)
    if (rest === spec.objectPrefix + CARTOON_OBJECTS[object].phrase) return { action, object }
  }
  return null
}

/** Inverts formatCartoonCaption; null when the text does not follow the grammar. */
export function parseCartoonCaption(text: string): CartoonCaption | null {
  if (!text.endsWith('.')) return null
  let body = text.slice(0, -1)
  const place = CARTOON_PLACES.findIndex((p) => body.endsWith(' ' + p.phrase))
  if (place < 0) return null
  body = body.slice(0, body.length - CARTOON_PLACES[place].phrase.length - 1)
  const match = / (is|are) /.exec(body)
  if (!match) return null
  const characters = parseNames(body.slice(0, match.index))
  const activity = parseActivity(body.slice(match.index + match[0].length))
  if (!characters || !activity) return null
  if ((match[1] === 'is') !== (characters.length === 1)) return null
  return { characters, action: activity.action, object: activity.object, place }
}

/** 128-d sentence vector of a caption (layout in the file comment). */
export function cartoonSentenceVector(caption: CartoonCaption): Float32Array {
  const v = new Float32Array(CARTOON_SENTENCE_DIM)
  for (const c of caption.characters) v[c] = 1
  v[9 + caption.action] = 1
  v[25 + caption.place] = 1
  if (caption.object !== null) v[33 + caption.object] = 1
  v[49 + Math.min(caption.characters.length, 4) - 1] = 1
  const words = formatCartoonCaption(caption).toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0)
  for (const word of words) v[64 + (hashString(word) % 64)] += 1
  let norm = 0
  for (let i = 64; i < 128; i++) norm += v[i] * v[i]
  norm = Math.sqrt(norm)
  for (let i = 64; i < 128; i++) v[i] /= norm
  return v
}

/** 228-d multi-hot attribute vector of a caption (layout in the file comment). */
export function cartoonAttributeVector(caption: CartoonCaption): Float32Array {
  const v = new Float32Array(CARTOON_ATTRIBUTE_DIM)
  for (const c of caption.characters) v[c] = 1
  v[9 + caption.action] = 1
  v[41 + caption.place] = 1
  if (caption.object !== null) v[73 + caption.object] = 1
  return v
}

/** Parses a caption and encodes it, or null when it is not a demo caption. */
export function encodeCartoonCaption(text: string): { sentence: Float32Array; attributes: Float32Array } | null {
  const caption = parseCartoonCaption(text)
  if (!caption) return null
  return { sentence: cartoonSentenceVector(caption), attributes: cartoonAttributeVector(caption) }
}
