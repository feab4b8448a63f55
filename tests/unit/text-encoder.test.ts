import { describe, expect, it } from 'vitest'
import { CARTOON_CHARACTERS, encodeCartoonCaption } from '../../src/main/datasets/demo/cartoon-text'
import { cartoonKeywords, encodeSentences, hashedTextVector, textEncoderFor, type EncoderDataset } from '../../src/main/training/text-encoder'

const CARTOON: EncoderDataset = { format: 'demo-cartoon', sentenceDim: 128, attributeDim: 228, characters: CARTOON_CHARACTERS }
const PORORO: EncoderDataset = { format: 'pororo', sentenceDim: 128, attributeDim: 228, characters: CARTOON_CHARACTERS }
const CLEVR: EncoderDataset = { format: 'demo-clevr', sentenceDim: 75, attributeDim: 0, characters: [] }

const joined = (text: string): Float32Array => {
  const e = encodeCartoonCaption(text)!
  return Float32Array.from([...e.sentence, ...e.attributes])
}
const norm = (v: Float32Array, from: number, to: number): number => Math.hypot(...v.subarray(from, to))

describe('text encoder for typed sentences', () => {
  it('picks the demo caption encoder for demo cartoon datasets, the hashed one otherwise', () => {
    expect(textEncoderFor(CARTOON).kind).toBe('demo-cartoon')
    expect(textEncoderFor(PORORO).kind).toBe('hashed')
    expect(textEncoderFor(CLEVR).kind).toBe('hashed')
    // A demo-cartoon format with other sizes cannot use the demo layout.
    expect(textEncoderFor({ ...CARTOON, sentenceDim: 64 }).kind).toBe('hashed')
  })

  it('encodes a grammar caption exactly as the dataset stores it', () => {
    const text = 'Pororo, Crong, and Poby are playing with a ball on the ice.'
    const [s] = encodeSentences(CARTOON, [text]).sentences
    expect(s.mode).toBe('exact')
    expect(s.readAs).toBe(text)
    expect(s.characters).toEqual([0, 2, 4])
    expect(Array.from(s.vector)).toEqual(Array.from(joined(text)))
  })

  it('reads free text as the grammar caption it describes, and encodes that exactly', () => {
    const [s] = encodeSentences(CARTOON, ['poby and pororo skate on the ICE']).sentences
    expect(s.mode).toBe('canonical')
    expect(s.readAs).toBe('Pororo and Poby are skating on the ice.')
    expect(Array.from(s.vector)).toEqual(Array.from(joined('Pororo and Poby are skating on the ice.')))
    // Objects: the typed one when the action takes it, else the action's first.
    expect(encodeSentences(CARTOON, ['Loopy eats cookies at home']).sentences[0].readAs).toBe('Loopy is eating cookies in front of the house.')
    expect(encodeSentences(CARTOON, ['Eddy plays in the woods']).sentences[0].readAs).toBe('Eddy is playing with a ball in the forest.')
  })

  it('uses the ticked characters of a frame when the sentence names none', () => {
    const [s] = encodeSentences(CARTOON, ['sledding down the hill'], [[2, 7]]).sentences
    expect(s.mode).toBe('canonical')
    expect(s.readAs).toBe('Crong and Rody are sledding on the snowy hill.')
    expect(s.characters).toEqual([2, 7])
  })

  it('sets only the recognised slots when a sentence is incomplete', () => {
    expect(cartoonKeywords('Pororo is in the forest')).toEqual({ characters: [0], action: null, object: null, place: 1 })
    const [s] = encodeSentences(CARTOON, ['Pororo is in the forest']).sentences
    expect(s.mode).toBe('keywords')
    expect(s.readAs).toBe('characters: Pororo; action: —; place: forest')
    const v = s.vector
    expect(v[0]).toBe(1) // Pororo named
    expect(Array.from(v.subarray(9, 25)).every((x) => x === 0)).toBe(true) // no action
    expect(v[25 + 1]).toBe(1) // forest
    expect(v[49]).toBe(1) // one subject
    expect(norm(v, 64, 128)).toBeCloseTo(1, 6)
    expect(v[128 + 0]).toBe(1) // attribute: Pororo
    expect(v[128 + 41 + 1]).toBe(1) // attribute: forest
  })

  it('gives an all-zero vector for a sentence without words', () => {
    const [s] = encodeSentences(CARTOON, ['  ...  ']).sentences
    expect(s.mode).toBe('empty')
    expect(s.vector.every((x) => x === 0)).toBe(true)
  })

  it('hashes any text deterministically into the sentence and attribute dims', () => {
    const a = hashedTextVector('Crong eats a fish at the lake', 128, 228)
    expect(a.length).toBe(356)
    expect(Array.from(a)).toEqual(Array.from(hashedTextVector('crong EATS a fish, at the lake!', 128, 228)))
    expect(norm(a, 0, 128)).toBeCloseTo(1, 6)
    const attributes = Array.from(a.subarray(128))
    expect(attributes.every((x) => x === 0 || x === 1)).toBe(true)
    expect(attributes.filter((x) => x === 1).length).toBeGreaterThan(0)
    expect(attributes.filter((x) => x === 1).length).toBeLessThanOrEqual(7)
    const b = hashedTextVector('Crong eats a cake at the lake', 128, 228)
    expect(Array.from(a)).not.toEqual(Array.from(b))
    // Shared words and trigrams keep related sentences close.
    const cos = (x: Float32Array, y: Float32Array): number => x.subarray(0, 128).reduce((s, v, i) => s + v * y[i], 0)
    expect(cos(a, b)).toBeGreaterThan(cos(a, hashedTextVector('a large red metal cube', 128, 228)))
  })

  it('encodes CLEVR and Pororo-SV sentences with the hashed encoder, naming characters it finds', () => {
    const [s] = encodeSentences(PORORO, ['Pororo and Harry talk']).sentences
    expect(s).toMatchObject({ mode: 'hashed', readAs: null, characters: [0, 8] })
    const [c] = encodeSentences(CLEVR, ['a small cyan sphere']).sentences
    expect(c.vector.length).toBe(75)
    expect(norm(c.vector, 0, 75)).toBeCloseTo(1, 6)
    expect(encodeSentences(CLEVR, ['']).sentences[0].vector.every((x) => x === 0)).toBe(true)
  })
})
