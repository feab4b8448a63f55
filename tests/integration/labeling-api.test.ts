import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Workbench } from '../../src/main/api/workbench'
import { callApi, demoWorkbench } from '../helpers/api'
import { dispatch } from '../../src/main/api/dispatch'
import { rleDecode, rleEncode } from '../../src/shared/rle'
import type { Channel } from '../../src/shared/contract'
import type { FrameDetail, StoryDetail } from '../../src/shared/domain'

let wb: Workbench
let cleanup: () => Promise<void>
let datasetId: number
let story: StoryDetail

const call = <T>(channel: Channel, req: unknown): Promise<T> => callApi<T>(wb, channel, req)

beforeAll(async () => {
  ;({ wb, datasetId, cleanup } = await demoWorkbench(8, 3))
  const page = await call<{ stories: { id: number }[] }>('stories:list', { datasetId })
  story = await call<StoryDetail>('stories:get', { id: page.stories[0].id })
})
afterAll(() => cleanup())

describe('labeling API', () => {
  it('starts from unlabeled frames: ground truth is kept apart from hand labels', async () => {
    const f = story.clips[0].frames[0]
    const detail = await call<FrameDetail>('frames:get', { id: f.id })
    expect(detail.frame.status).toBe('unlabeled')
    expect(detail.masks.filter((m) => m.source === 'hand')).toEqual([])
    expect(detail.masks.some((m) => m.source === 'truth')).toBe(false)
    const present = detail.frame.labels[0]
    const truth = await call<{ rle: number[]; area: number } | null>('masks:get', { frameId: f.id, characterIdx: present, source: 'truth' })
    expect(truth?.area).toBeGreaterThan(0)
  })

  it('saves a mask as a new version, keeps labels consistent and lists and restores versions', async () => {
    const f = story.clips[1].frames[0]
    const n = f.width * f.height
    const a = new Uint8Array(n)
    a.fill(1, 0, 10)
    const first = await call<{ version: number; area: number; frame: { status: string; labels: number[]; handMasks: number[] } }>(
      'masks:save',
      { frameId: f.id, characterIdx: 8, rle: rleEncode(a) }
    )
    expect(first).toMatchObject({ version: 1, area: 10 })
    expect(first.frame.status).toBe('in_progress')
    expect(first.frame.labels).toContain(8)
    expect(first.frame.handMasks).toEqual([8])
    const b = new Uint8Array(n)
    b.fill(1, 5, 50)
    expect(await call('masks:save', { frameId: f.id, characterIdx: 8, rle: rleEncode(b) })).toMatchObject({ version: 2, area: 45 })
    const versions = await call<{ version: number; area: number }[]>('masks:versions', { frameId: f.id, characterIdx: 8 })
    expect(versions.map((v) => [v.version, v.area])).toEqual([[2, 45], [1, 10]])
    const restored = await call<{ rle: number[]; version: number }>('masks:restore', { frameId: f.id, characterIdx: 8, version: 1 })
    expect(restored.version).toBe(3)
    expect(Array.from(rleDecode(restored.rle, n))).toEqual(Array.from(a))
    const detail = await call<FrameDetail>('frames:get', { id: f.id })
    const hand = detail.masks.find((m) => m.source === 'hand' && m.characterIdx === 8)!
    expect(Array.from(rleDecode(hand.rle, n))).toEqual(Array.from(a))
    await expect(call('labels:set', { frameId: f.id, characterIdx: 8, present: false })).rejects.toThrow(/clear its mask/)
  })

  it('tracks status, the next unlabeled frame and the progress overview', async () => {
    const f = story.clips[2].frames[0]
    const before = await call<{ byStatus: Record<string, number> }>('labeling:progress', { datasetId })
    await call('frames:setStatus', { id: f.id, status: 'done' })
    const after = await call<{ byStatus: Record<string, number>; perCharacter: { idx: number; frames: number; pixels: number }[] }>('labeling:progress', { datasetId })
    expect(after.byStatus.done).toBe(before.byStatus.done + 1)
    expect(after.perCharacter.find((c) => c.idx === 8)).toMatchObject({ frames: 1, pixels: 10 })
    const next = await call<{ frameId: number } | null>('frames:nextUnlabeled', { datasetId })
    expect(next?.frameId).not.toBe(f.id)
  })

  it('rejects bad saves clearly and stores nothing', async () => {
    const f = story.clips[3].frames[0]
    const n = f.width * f.height
    const count = (): number => wb.db.prepare('SELECT count(*) FROM mask_versions').pluck().get() as number
    const before = count()
    const fails = async (req: unknown, pattern: RegExp): Promise<void> => {
      const r = await dispatch(wb, 'masks:save', req, () => {})
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.message).toMatch(pattern)
    }
    await fails({ frameId: 999999, characterIdx: 0, rle: [n] }, /frame 999999 not found/)
    await fails({ frameId: f.id, characterIdx: 42, rle: [n] }, /has no character 42/)
    await fails({ frameId: f.id, characterIdx: 0, rle: [n - 1, 'x'] }, /invalid masks:save request: rle\.1/)
    await fails({ frameId: f.id, characterIdx: 0, rle: [n, 5] }, /RLE runs sum past the mask length/)
    await fails({ frameId: f.id, characterIdx: 0, rle: [10] }, /RLE runs sum to 10, expected/)
    await fails({ frameId: f.id, characterIdx: 0, rle: [n * 4] }, /rejected/)
    expect(count()).toBe(before)
  })
})
