import { appendFileSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../src/main/db/database'
import { getDataset, listDatasets } from '../../src/main/db/repos/dataset-repo'
import { getStory, listStories } from '../../src/main/db/repos/story-repo'
import { openDatasetFolder } from '../../src/main/datasets/open-source'
import { writeBundle } from '../../src/main/datasets/write-bundle'
import { writeNpy } from '../../src/main/datasets/npy'
import { FrameStore } from '../../src/main/frame-store'
import { ensureWorkspace } from '../../src/main/workspace'
import { CLEVR_MINI, PORORO_MINI, copyFixture, tempDir } from '../helpers/paths'

let dir: string
let cleanup: () => void
let db: Db
let frames: FrameStore

beforeEach(() => {
  ;({ dir, cleanup } = tempDir())
  const ws = ensureWorkspace(join(dir, 'ws'))
  db = openDatabase(ws.database)
  frames = new FrameStore(ws.frames)
})
afterEach(() => {
  db.close()
  cleanup()
})

const importFolder = async (path: string, name?: string) =>
  writeBundle(openDatasetFolder(path, undefined, name), { db, frames, name })

const tableCounts = (): Record<string, number> =>
  Object.fromEntries(
    ['datasets', 'characters', 'episodes', 'clips', 'frames', 'captions', 'stories', 'story_clips', 'frame_labels', 'masks'].map(
      (t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]
    )
  )
const frameFiles = (): number =>
  readdirSync(frames.root).reduce((n, d) => n + readdirSync(join(frames.root, d)).length, 0)

describe('Pororo-SV importer', () => {
  it('imports the mini fixture: stories, strips split into frames, captions, vectors, labels, masks, splits', async () => {
    const r = await importFolder(PORORO_MINI)
    expect(r.unchanged).toBe(false)
    const d = getDataset(db, r.datasetId)!
    expect(d.format).toBe('pororo')
    expect(d.counts.stories).toBe(11)
    expect(d.counts.splits).toEqual({ train: 6, val: 2, test: 3 })
    expect(d.characters.map((c) => c.name)).toEqual(['Pororo', 'Loopy', 'Crong', 'Eddy', 'Poby', 'Petty', 'Tongtong', 'Rody', 'Harry'])
    expect(d.counts.clips).toBe(23)
    expect(d.framesPerStory).toBe(5)
    // every strip is cut into square frames of its width
    const dims = db.prepare('SELECT DISTINCT width, height FROM frames').all() as { width: number; height: number }[]
    expect(dims.every((x) => x.width === x.height)).toBe(true)
    expect(d.counts.frames).toBeGreaterThan(d.counts.clips)
    // captions and vectors
    const cap = db
      .prepare("SELECT c.text, c.sentence, c.attributes FROM captions c JOIN clips k ON k.id = c.clip_id WHERE k.key = 'Pororo_ENGLISH1_1_ep1/0'")
      .get() as { text: string; sentence: Buffer; attributes: Buffer }
    expect(cap.text).toBe('Pororo and Loopy and Tongtong talk in scene 0 of Pororo_ENGLISH1_1_ep1.')
    expect(cap.sentence.byteLength).toBe(128 * 4)
    expect(cap.attributes.byteLength).toBe(228 * 4)
    // labels follow labels.npy (the caption names the same characters in this fixture)
    const page = listStories(db, r.datasetId, { offset: 0, limit: 1 })
    const story = getStory(db, page[0].id)!
    expect(story.clips).toHaveLength(5)
    expect(story.clips[0].key).toBe('Pororo_ENGLISH1_1_ep1/0')
    expect(story.clips[0].frames[0].labels).toEqual([0, 1, 6])
    expect(story.clips[0].frames.every((f) => f.hasImportedMask)).toBe(true)
    expect(tableCounts().masks).toBe(d.counts.frames)
  })

  it('re-importing the same folder changes nothing', async () => {
    const first = await importFolder(PORORO_MINI)
    const before = tableCounts()
    const files = frameFiles()
    const again = await importFolder(PORORO_MINI)
    expect(again).toEqual({ datasetId: first.datasetId, unchanged: true })
    expect(tableCounts()).toEqual(before)
    expect(frameFiles()).toBe(files)
  })

  it('refuses a second dataset with the same name', async () => {
    await importFolder(PORORO_MINI, 'mine')
    const copy = copyFixture(PORORO_MINI, dir)
    await expect(importFolder(copy, 'mine')).rejects.toThrow(/already exists/)
  })
})

describe('CLEVR-SV importer', () => {
  it('imports the mini fixture with 75-d vectors, object-slot presence, masks and captions', async () => {
    const r = await importFolder(CLEVR_MINI)
    const d = getDataset(db, r.datasetId)!
    expect(d.format).toBe('clevr')
    expect(d.counts.stories).toBe(6)
    expect(d.counts.frames).toBe(24)
    expect(d.framesPerStory).toBe(4)
    expect(d.sentenceDim).toBe(75)
    const story = getStory(db, listStories(db, r.datasetId, { offset: 0, limit: 1 })[0].id)!
    expect(story.clips.map((c) => c.frames[0].labels)).toEqual([[0], [0, 1], [0, 1, 2], [0, 1, 2, 3]])
    expect(story.clips[3].captions[0]).toMatch(/^A (large|small) \w+ (rubber|metal) (cube|sphere|cylinder) is added\.$/)
    expect(story.clips[0].frames[0]).toMatchObject({ width: 320, height: 240, hasImportedMask: true })
  })
})

describe('bad input is refused with the file and the problem, leaving the workspace as before', () => {
  let copy: string
  beforeEach(async () => {
    await importFolder(CLEVR_MINI) // something already in the workspace that must survive
    copy = copyFixture(PORORO_MINI, dir)
  })

  async function expectRefused(pattern: RegExp): Promise<void> {
    const before = tableCounts()
    const files = frameFiles()
    await expect(importFolder(copy)).rejects.toThrow(pattern)
    expect(tableCounts()).toEqual(before)
    expect(frameFiles()).toBe(files)
    expect(listDatasets(db)).toHaveLength(1)
  }

  it('a missing strip file', async () => {
    rmSync(join(copy, 'Pororo_ENGLISH2_3_ep2/3.png'))
    await expectRefused(/missing file: .*Pororo_ENGLISH2_3_ep2\/3\.png/)
  })

  it('a truncated PNG', async () => {
    const f = join(copy, 'Pororo_The_Racing_Adventure_ep3/4.png')
    truncateSync(f, Math.floor(readFileSync(f).length / 2))
    await expectRefused(/Pororo_The_Racing_Adventure_ep3\/4\.png: truncated or corrupt PNG/)
  })

  it('a file that is not a PNG', async () => {
    writeFileSync(join(copy, 'Pororo_ENGLISH1_1_ep1/2.png'), 'hello')
    await expectRefused(/Pororo_ENGLISH1_1_ep1\/2\.png: not a PNG/)
  })

  it('a strip whose height is not a multiple of its width', async () => {
    const { encode } = await import('fast-png')
    writeFileSync(join(copy, 'Pororo_ENGLISH1_1_ep1/1.png'), encode({ width: 10, height: 25, data: new Uint8Array(750), channels: 3 }))
    await expectRefused(/1\.png: strip height 25 is not a multiple of its width 10/)
  })

  it('a split id out of range', async () => {
    const ids = [
      { dtype: 'int64', shape: [2], data: [0, 99] },
      { dtype: 'int64', shape: [1], data: [1] },
      { dtype: 'int64', shape: [1], data: [2] }
    ]
    writeFileSync(join(copy, 'train_seen_unseen_ids.npy'), writeNpy({ dtype: 'object', shape: [3], data: ids.map((a) => ({ ...a, fortranOrder: false, data: BigInt64Array.from(a.data.map(BigInt)) })) }))
    await expectRefused(/train_seen_unseen_ids\.npy: story id 99 out of range/)
  })

  it('a sentence vector of the wrong length', async () => {
    const vecs = new Map<string, unknown>([['Pororo_ENGLISH1_1_ep1/0', { dtype: 'float32', shape: [1, 100], fortranOrder: false, data: new Float32Array(100) }]])
    writeFileSync(join(copy, 'descriptions_vec.npy'), writeNpy({ dtype: 'object', shape: [], data: [vecs] }))
    await expectRefused(/descriptions_vec\.npy: entry Pororo_ENGLISH1_1_ep1\/0 has vectors of length 100, expected 128/)
  })

  it('unknown pickle content', async () => {
    // a pickle that asks for os.system: must be refused, never executed
    const evil = Buffer.from("\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.", 'latin1')
    const header = "{'descr': '|O', 'fortran_order': False, 'shape': (), }"
    const pad = 64 - ((10 + header.length + 1) % 64)
    const h = header + ' '.repeat(pad) + '\n'
    const buf = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([h.length & 255, h.length >> 8]), Buffer.from(h, 'latin1'), evil])
    writeFileSync(join(copy, 'labels.npy'), buf)
    await expectRefused(/unknown pickle content: os\.system in .*labels\.npy/)
  })

  it('a corrupt npy file', async () => {
    appendFileSync(join(copy, 'img_cache4.npy'), '')
    truncateSync(join(copy, 'img_cache4.npy'), 20)
    await expectRefused(/img_cache4\.npy/)
  })

  it('a folder that is neither layout', async () => {
    rmSync(join(copy, 'img_cache4.npy'))
    await expect(async () => importFolder(copy)).rejects.toThrow(/not a recognised dataset folder/)
  })

  it('a cancelled import keeps nothing', async () => {
    const before = tableCounts()
    const files = frameFiles()
    let n = 0
    await expect(writeBundle(openDatasetFolder(copy), { db, frames, cancelled: () => ++n > 3 })).rejects.toThrow(/cancelled/)
    expect(tableCounts()).toEqual(before)
    expect(frameFiles()).toBe(files)
  })
})
