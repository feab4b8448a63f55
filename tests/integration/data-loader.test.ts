import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../src/main/db/database'
import { runImport } from '../../src/main/datasets/run-import'
import { loadDatasetIndex } from '../../src/main/training/data/dataset-index'
import { FrameSource } from '../../src/main/training/data/frame-source'
import { BatchSampler } from '../../src/main/training/data/batch-sampler'
import { getFrameRow, saveHandMask, characterIdOf } from '../../src/main/db/repos/mask-repo'
import { rleEncode } from '../../src/shared/rle'
import { PORORO_MINI, tempDir } from '../helpers/paths'

let db: Db
let ws: string
let cleanup: () => void
let pororo: number
let cartoon: number
let clevr: number

beforeAll(async () => {
  const t = tempDir()
  cleanup = t.cleanup
  ws = join(t.dir, 'ws')
  pororo = (await runImport(ws, { kind: 'folder', path: PORORO_MINI })).datasetId
  cartoon = (await runImport(ws, { kind: 'demo', demo: 'cartoon', stories: 10, seed: 2 })).datasetId
  clevr = (await runImport(ws, { kind: 'demo', demo: 'clevr', stories: 6, seed: 2 })).datasetId
  db = openDatabase(join(ws, 'workbench.sqlite'))
})
afterAll(() => {
  db.close()
  cleanup()
})

const shape = { storyBatch: 2, imageBatch: 10, videoLen: 5, textDim: 356, labelNum: 9, imageSize: 64 }

describe('training data loader', () => {
  it('builds batches of the model layout with values in [-1, 1], deterministic per (seed, step)', () => {
    const index = loadDatasetIndex(db, pororo, 'all', 'hand+imported')
    const sampler = new BatchSampler(index, new FrameSource(db, join(ws, 'frames')), shape, 7)
    const a = sampler.batch(3)
    expect(a.storyImages).toHaveLength(2 * 5 * 64 * 64 * 3)
    expect(a.masks).toHaveLength(10 * 64 * 64)
    expect(a.imageContent).toHaveLength(10 * 5 * 356)
    expect(Math.max(...a.storyImages)).toBeLessThanOrEqual(1)
    expect(Math.min(...a.storyImages)).toBeGreaterThanOrEqual(-1)
    const again = new BatchSampler(index, new FrameSource(db, join(ws, 'frames')), shape, 7).batch(3)
    expect(again.storyImages).toEqual(a.storyImages)
    expect(again.imageText).toEqual(a.imageText)
    const other = new BatchSampler(index, new FrameSource(db, join(ws, 'frames')), shape, 8).batch(3)
    expect(other.storyIds.join() === a.storyIds.join() && other.imageStoryIds.join() === a.imageStoryIds.join()).toBe(false)
    // every Pororo-SV mini frame has an imported img_segment mask
    expect(Array.from(a.maskWeight)).toEqual(new Array(10).fill(1))
    expect(index.maskCoverage).toMatchObject({ withMask: index.maskCoverage.frames, bySource: { imported: index.maskCoverage.frames } })
  })

  it('gives frames without a mask weight 0 and prefers a hand mask over the imported one', () => {
    const none = loadDatasetIndex(db, cartoon, 'all', 'hand+imported')
    expect(none.maskCoverage.withMask).toBe(0)
    const b = new BatchSampler(none, new FrameSource(db, join(ws, 'frames')), shape, 1).batch(0)
    expect(Array.from(b.maskWeight)).toEqual(new Array(10).fill(0))
    // the demo's ground truth only when asked for
    expect(loadDatasetIndex(db, cartoon, 'all', 'hand+imported+truth').maskCoverage.bySource.truth).toBeGreaterThan(0)

    const index = loadDatasetIndex(db, pororo, 'all', 'hand+imported')
    const frame = index.clips[index.stories[0][0]].frames[0]
    const row = getFrameRow(db, frame.id)!
    const hand = new Uint8Array(row.width * row.height)
    hand.fill(1, 0, row.width * 8) // top 8 rows
    saveHandMask(db, row, characterIdOf(db, pororo, 0)!, rleEncode(hand))
    const after = loadDatasetIndex(db, pororo, 'all', 'hand+imported')
    const f = after.clips[after.stories[0][0]].frames[0]
    expect(f.maskSource).toBe('hand')
    const prepared = new FrameSource(db, join(ws, 'frames')).get(f)
    const scale = 64 / row.height
    expect(prepared.mask![0]).toBe(1) // top-left covered by the hand mask
    expect(prepared.mask![63 * 64]).toBe(-1) // bottom-left: not in the hand mask
    expect(Math.round(8 * scale)).toBeGreaterThan(0)
    expect(after.maskCoverage.bySource.hand).toBe(1)
  })

  it('reads CLEVR labels as the 15 attribute bits of the 75-d vector', () => {
    const index = loadDatasetIndex(db, clevr, 'all', 'hand+imported+truth')
    expect(index.textDim).toBe(75)
    expect(index.labelNum).toBe(15)
    const s = new BatchSampler(index, new FrameSource(db, join(ws, 'frames')), { ...shape, videoLen: 4, textDim: 75, labelNum: 15 }, 3).batch(0)
    for (let row = 0; row < 8; row++) {
      const labels = Array.from(s.storyLabels.subarray(row * 15, row * 15 + 15))
      const t = row % 4
      // one shape, one colour, one material and one size bit per object so far
      expect(labels.slice(0, 3).reduce((x, y) => x + y)).toBeGreaterThanOrEqual(1)
      expect(labels.reduce((x, y) => x + y)).toBeGreaterThanOrEqual(4)
      expect(labels.reduce((x, y) => x + y)).toBeLessThanOrEqual(4 * (t + 1))
    }
  })
})
