import { decode } from 'fast-png'
import { clevrLabels } from '../../src/main/datasets/clevr-import'
import { describe, expect, it } from 'vitest'
import type { BundleClip, ImportBundle } from '../../src/main/datasets/bundle'
import { cartoonDemo } from '../../src/main/datasets/demo/cartoon'
import {
  CARTOON_CHARACTERS,
  encodeCartoonCaption,
  formatCartoonCaption,
  parseCartoonCaption
} from '../../src/main/datasets/demo/cartoon-text'
import { clevrDemo } from '../../src/main/datasets/demo/clevr'
import { CLEVR_COLORS, CLEVR_RIGHT, CLEVR_SHAPES } from '../../src/main/datasets/demo/clevr-scene'

/** Small sets keep the suite fast; the default sizes are covered by bench/demo.ts. */
const SMALL = { stories: 12, seed: 7 }

function collect(bundle: ImportBundle): BundleClip[] {
  return [...(bundle.clips() as Iterable<BundleClip>)]
}

const cartoon = collect(cartoonDemo(SMALL))
const clevr = collect(clevrDemo(SMALL))

function sameClips(a: BundleClip[], b: BundleClip[]): boolean {
  if (a.length !== b.length) return false
  return a.every((clip, i) => {
    const other = b[i]
    const f = clip.frames[0]
    const g = other.frames[0]
    const masks = [...f.truthMasks!].every(([c, m]) => Buffer.compare(m, g.truthMasks!.get(c)!) === 0)
    return (
      clip.key === other.key &&
      Buffer.compare(f.png, g.png) === 0 &&
      masks &&
      f.truthMasks!.size === g.truthMasks!.size &&
      clip.captions[0].text === other.captions[0].text &&
      String(clip.captions[0].sentence) === String(other.captions[0].sentence) &&
      String(clip.captions[0].attributes) === String(other.captions[0].attributes) &&
      clip.labels.join() === other.labels.join()
    )
  })
}

describe.each([
  ['cartoon', cartoonDemo, cartoon],
  ['clevr', clevrDemo, clevr]
] as const)('%s demo: shared properties', (_name, make, clips) => {
  it('is deterministic per seed and changes with the seed', () => {
    expect(sameClips(collect(make(SMALL)), clips)).toBe(true)
    const other = collect(make({ ...SMALL, seed: 8 }))
    expect(other.some((clip, i) => !clips[i] || Buffer.compare(clip.frames[0].png, clips[i].frames[0].png) !== 0)).toBe(true)
  })

  it('declares counts that match what it yields', () => {
    const bundle = make(SMALL)
    expect(bundle.stories).toHaveLength(12)
    expect(clips).toHaveLength(bundle.clipCount)
    const keys = new Set(clips.map((c) => c.key))
    expect(keys.size).toBe(clips.length)
    for (const story of bundle.stories) {
      expect(story.clipKeys).toHaveLength(bundle.framesPerStory)
      for (const key of story.clipKeys) expect(keys.has(key)).toBe(true)
    }
  })

  it('decodes every PNG to the declared size', () => {
    for (const clip of clips) {
      const frame = clip.frames[0]
      const png = decode(frame.png)
      expect([png.width, png.height, png.depth]).toEqual([frame.width, frame.height, 8])
      expect(png.channels).toBe(3)
    }
  })

  it('labels a character iff its truth mask has pixels, masks fit the frame', () => {
    const characters = make(SMALL).characters.length
    for (const clip of clips) {
      const frame = clip.frames[0]
      const area = frame.width * frame.height
      expect(clip.labels).toHaveLength(characters)
      const union = new Uint8Array(area)
      for (let c = 0; c < characters; c++) {
        const mask = frame.truthMasks!.get(c)
        const pixels = mask ? mask.reduce((n, v) => n + v, 0) : 0
        expect(pixels > 0 ? 1 : 0, `${clip.key} character ${c}`).toBe(clip.labels[c])
        if (!mask) continue
        expect(mask).toHaveLength(area)
        expect(mask.every((v) => v === 0 || v === 1)).toBe(true)
        mask.forEach((v, i) => (union[i] |= v))
      }
      // Ground truth is kept apart from hand and imported masks: the Label view starts unlabeled.
      expect(frame.importedMask).toBeUndefined()
    }
  })
})

describe('cartoon demo', () => {
  const bundle = cartoonDemo(SMALL)

  it('has Pororo-SV shape: 9 characters, 5 clips per story, 128 + 228 text dims', () => {
    expect(bundle.characters.map((c) => c.name)).toEqual([...CARTOON_CHARACTERS])
    expect(new Set(bundle.characters.map((c) => c.color)).size).toBe(9)
    expect(bundle.framesPerStory).toBe(5)
    expect(bundle.textDims).toEqual({ sentence: 128, attributes: 228 })
    expect(bundle.format).toBe('demo-cartoon')
  })

  it('builds stories as stride-1 windows of one episode', () => {
    for (const story of bundle.stories) {
      const parts = story.clipKeys.map((k) => k.split('/'))
      expect(parts.every(([episode]) => episode === parts[0][0])).toBe(true)
      parts.forEach(([, index], j) => expect(Number(index)).toBe(Number(parts[0][1]) + j))
    }
    expect(bundle.stories[0].clipKeys[0]).toBe('demo_ep001/0')
  })

  it('splits by episode about 80/10/10', () => {
    const big = cartoonDemo({ stories: 600, seed: 3 })
    const byEpisode = new Map<string, string>()
    const counts = { train: 0, val: 0, test: 0 }
    for (const story of big.stories) {
      const episode = story.clipKeys[0].split('/')[0]
      expect(byEpisode.get(episode) ?? story.split).toBe(story.split)
      byEpisode.set(episode, story.split)
      counts[story.split]++
    }
    expect(counts.val).toBeGreaterThan(0)
    expect(counts.test).toBeGreaterThan(0)
    expect(counts.train / big.stories.length).toBeGreaterThan(0.6)
  })

  it('captions name exactly the visible characters and parse back', () => {
    for (const clip of cartoon) {
      const text = clip.captions[0].text
      const parsed = parseCartoonCaption(text)
      expect(parsed, text).not.toBeNull()
      expect(parsed!.characters).toEqual(clip.labels.flatMap((on, c) => (on ? [c] : [])))
      expect(formatCartoonCaption(parsed!)).toBe(text)
      const named = CARTOON_CHARACTERS.filter((name) => new RegExp(`\\b${name}\\b`).test(text))
      expect(named.length).toBe(parsed!.characters.length)
      const encoded = encodeCartoonCaption(text)!
      expect(clip.captions[0].sentence).toEqual(encoded.sentence)
      expect(clip.captions[0].attributes).toEqual(encoded.attributes)
      expect(clip.captions[0].sentence).toHaveLength(128)
      expect(clip.captions[0].attributes).toHaveLength(228)
    }
  })

  it('rejects text outside the grammar', () => {
    expect(parseCartoonCaption('Pororo is skating on the ice')).toBeNull()
    expect(parseCartoonCaption('Pororo are skating on the ice.')).toBeNull()
    expect(parseCartoonCaption('Pororo is eating on the ice.')).toBeNull()
    expect(parseCartoonCaption('Nemo is skating on the ice.')).toBeNull()
    expect(parseCartoonCaption('Pororo, Crong, and Eddy are playing with a ball on the ice.')).toEqual({
      characters: [0, 2, 3],
      action: 3,
      object: 0,
      place: 0
    })
  })

  it('rejects bad options', () => {
    expect(() => cartoonDemo({ stories: 0 })).toThrow(RangeError)
    expect(() => cartoonDemo({ size: 8 })).toThrow(RangeError)
  })
})

describe('clevr demo', () => {
  const bundle = clevrDemo(SMALL)

  it('has CLEVR-SV shape: 4 clips per whole-scene story, 75-d vectors, one mask layer per object', () => {
    expect(bundle.framesPerStory).toBe(4)
    expect(bundle.textDims).toEqual({ sentence: 75, attributes: 0 })
    expect(bundle.characters.map((c) => c.name)).toEqual(['Object 1', 'Object 2', 'Object 3', 'Object 4'])
    expect(bundle.stories[3].clipKeys).toEqual(['scene_000003_1', 'scene_000003_2', 'scene_000003_3', 'scene_000003_4'])
    expect(bundle.stories.map((s) => s.split).join()).toBe([...Array(11).fill('train'), 'test'].join())
  })

  it('has cumulative vectors and OR-ed labels as reference section 5.3', () => {
    for (let s = 0; s < clevr.length; s += 4) {
      const scene = clevr.slice(s, s + 4)
      scene.forEach((clip, k) => {
        const v = clip.captions[0].sentence!
        expect(clip.captions[0].attributes).toBeNull()
        expect(v).toHaveLength(75)
        expect([...v.slice(72)]).toEqual([...Float32Array.from(CLEVR_RIGHT)])
        for (let j = 0; j < 4; j++) {
          const slot = [...v.slice(j * 18, j * 18 + 18)]
          if (j > k) expect(slot.every((x) => x === 0)).toBe(true)
          else expect([slot.slice(0, 3), slot.slice(3, 11), slot.slice(11, 13), slot.slice(13, 15)].map((g) => g.reduce((a, b) => a + b))).toEqual([1, 1, 1, 1])
          if (j < k) expect(slot).toEqual([...scene[k - 1].captions[0].sentence!.slice(j * 18, j * 18 + 18)])
        }
        // the 15 CLEVR-SV label bits derive from the vector (what training reads) ...
        const expected = new Array(15).fill(0)
        for (let j = 0; j <= k; j++) for (let b = 0; b < 15; b++) if (v[j * 18 + b]) expected[b] = 1
        expect(clevrLabels(v, 4)).toEqual(expected)
        // ... while presence is per object slot: objects 1..k+1 are in frame k+1
        expect(clip.labels).toEqual([0, 1, 2, 3].map((j) => (j <= k ? 1 : 0)))
      })
    }
  })

  it('captions describe the object added in that frame', () => {
    for (const clip of clevr) {
      const text = clip.captions[0].text
      expect(text).toMatch(/^A (large|small) \w+ (rubber|metal) (cube|sphere|cylinder) appears (at|on|in) the [a-z ]+\.$/)
      const k = Number(clip.key.slice(-1)) - 1
      const slot = clip.captions[0].sentence!.slice(k * 18, k * 18 + 18)
      expect(text).toContain(` ${CLEVR_SHAPES[slot.indexOf(1)]} `)
      expect(text).toContain(` ${CLEVR_COLORS[slot.slice(3, 11).indexOf(1)]} `)
    }
  })
})
