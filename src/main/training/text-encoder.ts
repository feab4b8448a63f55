/**
 * Text encoders for sentences a person types in the Stories view (generation from free text).
 * A run's model was trained on the dataset's stored text vectors; typed sentences must become
 * vectors of the same length (sentence dims ++ attribute dims) and, as far as possible, the same
 * meaning. Every encoder here is deterministic: the same text always gives the same vector.
 *
 * demo-cartoon datasets (128 sentence + 228 attribute dims) use the demo's own caption encoder:
 *   - exact:     the sentence follows the caption grammar (cartoon-text.ts) and is encoded with
 *                encodeCartoonCaption, giving bit-for-bit the vectors the dataset stores;
 *   - canonical: the sentence is free text, but names characters (or the frame's ticked
 *                characters stand in), an action and a place the demo knows; it is rewritten as
 *                the grammar caption it describes ("read as") and encoded exactly;
 *   - keywords:  only part of that was recognised; the recognised slots are set in the demo
 *                layout and the hashed bag of words (dims 64..128) is built from the typed words.
 *
 * Every other dataset (Pororo-SV, CLEVR-SV, demo CLEVR) uses the hashed encoder, a stand-in for
 * the dataset's original encoder (which the workbench does not have):
 *   - sentence dims: signed feature hashing of lower-case words ([a-z0-9]+, weight 1) and of the
 *     character trigrams of '#word#' (weight 0.5) into the sentence dims, bucket
 *     fnv1a32('w:' + word) resp. fnv1a32('t:' + trigram) mod dims, sign from bit 0 of
 *     fnv1a32('s:' + feature); then scaled to unit L2 norm (all zero for text without words);
 *   - attribute dims: multi-hot, bucket fnv1a32('a:' + word) mod dims per word.
 * The model has never seen such vectors, so its frames reflect only what it associates with them.
 */
import type { DatasetFormat } from '../../shared/domain'
import type { EncodedSentenceInfo, TextEncoderInfo } from '../../shared/contract'
import { hashString } from '../datasets/demo/random'
import {
  CARTOON_ACTIONS,
  CARTOON_ATTRIBUTE_DIM,
  CARTOON_CHARACTERS,
  CARTOON_OBJECTS,
  CARTOON_PLACES,
  CARTOON_SENTENCE_DIM,
  cartoonAttributeVector,
  cartoonSentenceVector,
  encodeCartoonCaption,
  formatCartoonCaption,
  parseCartoonCaption,
  type CartoonCaption
} from '../datasets/demo/cartoon-text'

/** What the encoder needs to know of a dataset. */
export interface EncoderDataset {
  format: DatasetFormat
  sentenceDim: number
  attributeDim: number
  /** Character names by character idx (used to report which characters a sentence names). */
  characters: readonly string[]
}

/** One encoded sentence: what the UI shows, plus its vector (sentence ++ attributes). */
export interface EncodedSentence extends EncodedSentenceInfo {
  vector: Float32Array
}

const CARTOON_ENCODER: TextEncoderInfo = {
  kind: 'demo-cartoon',
  name: 'Demo cartoon caption encoder',
  description:
    'The demo dataset’s own encoder (128-d sentence + 228-d attribute vectors). Sentences that follow the demo caption grammar get exactly the stored vectors; free text is read as the nearest grammar caption when it names characters, an action and a place.'
}

const HASHED_ENCODER: TextEncoderInfo = {
  kind: 'hashed',
  name: 'Hashed bag-of-words encoder',
  description:
    'A deterministic stand-in for the dataset’s original sentence encoder: words and character trigrams hashed into the sentence dims (unit length), words hashed into the attribute dims. The model never saw such vectors in training, so expect loose adherence to the text.'
}

/** The encoder typed sentences of this dataset go through. */
export function textEncoderFor(dataset: EncoderDataset): TextEncoderInfo {
  return usesCartoonEncoder(dataset) ? CARTOON_ENCODER : HASHED_ENCODER
}

function usesCartoonEncoder(d: EncoderDataset): boolean {
  return d.format === 'demo-cartoon' && d.sentenceDim === CARTOON_SENTENCE_DIM && d.attributeDim === CARTOON_ATTRIBUTE_DIM
}

/**
 * Encodes one sentence per frame. `fallbackCharacters[t]` (character idxs ticked for frame t)
 * stand in when a free-text demo sentence names no character.
 */
export function encodeSentences(
  dataset: EncoderDataset,
  sentences: readonly string[],
  fallbackCharacters: readonly (readonly number[])[] = []
): { encoder: TextEncoderInfo; sentences: EncodedSentence[] } {
  const cartoon = usesCartoonEncoder(dataset)
  return {
    encoder: textEncoderFor(dataset),
    sentences: sentences.map((text, t) =>
      cartoon ? encodeCartoonSentence(text, fallbackCharacters[t] ?? []) : encodeHashedSentence(text, dataset)
    )
  }
}

/** Words of a sentence, lower case, split on anything but letters and digits. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0)
}

function namedCharacters(words: readonly string[], names: readonly string[]): number[] {
  const set = new Set(words)
  return names.map((n, i) => (set.has(n.toLowerCase()) ? i : -1)).filter((i) => i >= 0)
}

/** Hashed sentence ++ attribute vector of any text (layout in the file comment). */
export function hashedTextVector(text: string, sentenceDim: number, attributeDim: number): Float32Array {
  const v = new Float32Array(sentenceDim + attributeDim)
  const add = (feature: string, bucket: string, weight: number): void => {
    const sign = hashString(`s:${feature}`) & 1 ? 1 : -1
    v[hashString(bucket) % sentenceDim] += sign * weight
  }
  const words = wordsOf(text)
  if (sentenceDim > 0) {
    for (const word of words) {
      add(word, `w:${word}`, 1)
      const padded = `#${word}#`
      for (let i = 0; i + 3 <= padded.length; i++) add(padded.slice(i, i + 3), `t:${padded.slice(i, i + 3)}`, 0.5)
    }
    let norm = 0
    for (let i = 0; i < sentenceDim; i++) norm += v[i] * v[i]
    norm = Math.sqrt(norm)
    if (norm > 0) for (let i = 0; i < sentenceDim; i++) v[i] /= norm
  }
  if (attributeDim > 0) for (const word of words) v[sentenceDim + (hashString(`a:${word}`) % attributeDim)] = 1
  return v
}

function encodeHashedSentence(text: string, dataset: EncoderDataset): EncodedSentence {
  const words = wordsOf(text)
  return {
    text,
    mode: words.length ? 'hashed' : 'empty',
    readAs: null,
    characters: namedCharacters(words, dataset.characters),
    vector: hashedTextVector(text, dataset.sentenceDim, dataset.attributeDim)
  }
}

function joinVectors(sentence: Float32Array, attributes: Float32Array): Float32Array {
  const v = new Float32Array(sentence.length + attributes.length)
  v.set(sentence, 0)
  v.set(attributes, sentence.length)
  return v
}

/** Stem of a gerund ('sledding' → 'sled', 'skating' → 'skat') so 'sleds', 'skate', 'ate'… match loosely. */
function gerundStem(gerund: string): string {
  const stem = gerund.slice(0, -3)
  return stem.length > 3 && stem[stem.length - 1] === stem[stem.length - 2] ? stem.slice(0, -1) : stem
}

const PLACE_WORDS: Record<string, readonly string[]> = {
  ice: ['ice', 'rink'],
  forest: ['forest', 'woods', 'trees', 'tree'],
  house: ['house', 'home'],
  hill: ['hill', 'slope', 'hillside'],
  lake: ['lake', 'pond'],
  night: ['night', 'sky', 'stars', 'moon']
}

const OBJECT_WORDS: Record<string, readonly string[]> = {
  cookies: ['cookies', 'cookie'],
  snowballs: ['snowballs', 'snowball']
}

/** What free text names of the demo's vocabulary; null slots were not recognised. */
export interface CartoonKeywords {
  characters: number[]
  action: number | null
  object: number | null
  place: number | null
}

/** Recognises the demo's characters, action, object and place in free text (whole words, any case). */
export function cartoonKeywords(text: string): CartoonKeywords {
  const words = wordsOf(text)
  const has = (w: string): boolean => words.includes(w)
  const action = CARTOON_ACTIONS.findIndex((a) => words.some((w) => w === a.gerund || (w.length >= 3 && w.startsWith(gerundStem(a.gerund)))))
  const place = CARTOON_PLACES.findIndex((p) => PLACE_WORDS[p.id].some(has))
  const object = CARTOON_OBJECTS.findIndex((o) => (OBJECT_WORDS[o.id] ?? [o.id]).some(has))
  return {
    characters: namedCharacters(words, CARTOON_CHARACTERS),
    action: action < 0 ? null : action,
    object: object < 0 ? null : object,
    place: place < 0 ? null : place
  }
}

/** The grammar caption free text describes, or null when a slot is missing. */
function canonicalCaption(k: CartoonKeywords): CartoonCaption | null {
  if (k.characters.length === 0 || k.action === null || k.place === null) return null
  const spec = CARTOON_ACTIONS[k.action]
  const allowed = spec.objects.map((id) => CARTOON_OBJECTS.findIndex((o) => o.id === id))
  // An action that takes an object always names one; take the first it takes when none was typed.
  const object = allowed.length === 0 ? null : k.object !== null && allowed.includes(k.object) ? k.object : allowed[0]
  return { characters: [...k.characters].sort((a, b) => a - b), action: k.action, object, place: k.place }
}

function encodeCartoonSentence(text: string, fallback: readonly number[]): EncodedSentence {
  const trimmed = text.trim()
  const exact = encodeCartoonCaption(trimmed)
  const parsed = exact ? parseCartoonCaption(trimmed) : null
  if (exact && parsed) {
    return { text, mode: 'exact', readAs: trimmed, characters: parsed.characters, vector: joinVectors(exact.sentence, exact.attributes) }
  }
  const keywords = cartoonKeywords(trimmed)
  if (keywords.characters.length === 0) keywords.characters = fallback.filter((c) => c >= 0 && c < CARTOON_CHARACTERS.length)
  const caption = canonicalCaption(keywords)
  if (caption) {
    const vector = joinVectors(cartoonSentenceVector(caption), cartoonAttributeVector(caption))
    return { text, mode: 'canonical', readAs: formatCartoonCaption(caption), characters: caption.characters, vector }
  }
  if (wordsOf(trimmed).length === 0) {
    return { text, mode: 'empty', readAs: null, characters: [], vector: new Float32Array(CARTOON_SENTENCE_DIM + CARTOON_ATTRIBUTE_DIM) }
  }
  return { text, mode: 'keywords', readAs: describeKeywords(keywords), characters: keywords.characters, vector: partialCartoonVector(trimmed, keywords) }
}

function describeKeywords(k: CartoonKeywords): string {
  const names = k.characters.map((c) => CARTOON_CHARACTERS[c]).join(', ') || '—'
  const action = k.action === null ? '—' : CARTOON_ACTIONS[k.action].gerund
  const place = k.place === null ? '—' : CARTOON_PLACES[k.place].id
  const object = k.object === null ? '' : `; object: ${CARTOON_OBJECTS[k.object].id}`
  return `characters: ${names}; action: ${action}; place: ${place}${object}`
}

/** The demo layout with only the recognised slots set; hashed words from the typed text. */
function partialCartoonVector(text: string, k: CartoonKeywords): Float32Array {
  const s = new Float32Array(CARTOON_SENTENCE_DIM)
  const a = new Float32Array(CARTOON_ATTRIBUTE_DIM)
  for (const c of k.characters) s[c] = a[c] = 1
  if (k.action !== null) s[9 + k.action] = a[9 + k.action] = 1
  if (k.place !== null) {
    s[25 + k.place] = 1
    a[41 + k.place] = 1
  }
  if (k.object !== null) {
    s[33 + k.object] = 1
    a[73 + k.object] = 1
  }
  if (k.characters.length) s[49 + Math.min(k.characters.length, 4) - 1] = 1
  // Same word split as cartoonSentenceVector (letters only), so known words land where they would.
  for (const word of text.toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0)) s[64 + (hashString(word) % 64)] += 1
  let norm = 0
  for (let i = 64; i < 128; i++) norm += s[i] * s[i]
  norm = Math.sqrt(norm)
  if (norm > 0) for (let i = 64; i < 128; i++) s[i] /= norm
  return joinVectors(s, a)
}
