import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Workbench } from '../../src/main/api/workbench'
import { callApi } from '../helpers/api'
import { runImport } from '../../src/main/datasets/run-import'
import { decodePngRgba } from '../../src/main/datasets/png'
import type { Channel, GenerationResult, TextEncoding } from '../../src/shared/contract'
import type { RunSummary, StoryDetail } from '../../src/shared/domain'
import { tempDir } from '../helpers/paths'

let wb: Workbench
let cleanup: () => void
let datasetId: number
let run: RunSummary

const call = <T>(channel: Channel, req: unknown): Promise<T> => callApi<T>(wb, channel, req)

const pngOf = (dataUrl: string): Uint8Array => {
  expect(dataUrl.startsWith('data:image/png;base64,')).toBe(true)
  return Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64')
}

/** Rows [y0, y0 + h) of a decoded strip, as RGBA bytes. */
const rows = (png: Uint8Array, y0: number, h: number): number[] => {
  const img = decodePngRgba(png, 'strip')
  return Array.from(img.data.subarray(y0 * img.width * 4, (y0 + h) * img.width * 4))
}

beforeAll(async () => {
  const t = tempDir()
  cleanup = t.cleanup
  const ws = join(t.dir, 'ws')
  datasetId = (await runImport(ws, { kind: 'demo', demo: 'cartoon', stories: 8, seed: 5 })).datasetId
  wb = new Workbench(ws)
  const started = await call<RunSummary>('training:start', {
    datasetId, preset: 'tiny', overrides: { gfDim: 4, gfSegDim: 16, dfDim: 2 }, steps: 4, seed: 1, backend: 'wasm',
    tickSteps: 2, checkpointEvery: 2, sampleEvery: 4, sampleStories: 1, split: 'all', name: 'gen'
  })
  run = await wb.training.wait(started.id)
  expect(run.status).toBe('finished')
})
afterAll(async () => {
  await wb.close()
  cleanup()
})

describe('generation in its worker', () => {
  it('previews how typed sentences are encoded, naming the encoder', async () => {
    const r = await call<TextEncoding>('generation:encode', {
      datasetId,
      sentences: ['Pororo is skating on the ice.', 'crong sleds down the hill', 'nothing known here', ''],
      characters: [[], [], [], []]
    })
    expect(r.encoder.kind).toBe('demo-cartoon')
    expect(r.sentences.map((s) => s.mode)).toEqual(['exact', 'canonical', 'keywords', 'empty'])
    expect(r.sentences[1].readAs).toBe('Crong is sledding on the snowy hill.')
  })

  it('generates a dataset story with frames, masks and ground truth', async () => {
    const storyId = (await call<{ stories: { id: number }[] }>('stories:list', { datasetId, limit: 1 })).stories[0].id
    const r = await call<GenerationResult>('generation:story', { runId: run.id, storyId, seed: 7 })
    expect(r).toMatchObject({ runId: run.id, step: 4, frames: 5, imageSize: 64, hasMasks: true, hasTruth: true, width: 320, height: 192, storyId, encoding: null })
    const png = pngOf(r.dataUrl)
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10])
    // Same request, same pixels (a model this briefly trained barely reacts to its noise, so
    // other seeds are not compared here); an earlier checkpoint works too.
    expect((await call<GenerationResult>('generation:story', { runId: run.id, storyId, seed: 7 })).dataUrl).toBe(r.dataUrl)
    expect((await call<GenerationResult>('generation:story', { runId: run.id, storyId, seed: 7, step: 2 })).step).toBe(2)
  })

  it('typing a story’s own captions and characters gives exactly that story’s generated frames', async () => {
    const storyId = (await call<{ stories: { id: number }[] }>('stories:list', { datasetId, limit: 2 })).stories[1].id
    const story = await call<StoryDetail>('stories:get', { id: storyId })
    const sentences = story.clips.map((c) => c.captions[0])
    const characters = story.clips.map((c) => c.frames[0].labels)
    const typed = await call<GenerationResult>('generation:story', { runId: run.id, sentences, characters, seed: 3 })
    expect(typed).toMatchObject({ hasMasks: true, hasTruth: false, width: 320, height: 128, storyId: null })
    expect(typed.encoding?.encoder.kind).toBe('demo-cartoon')
    expect(typed.encoding?.sentences.every((s) => s.mode === 'exact')).toBe(true)
    const fromStory = await call<GenerationResult>('generation:story', { runId: run.id, storyId, seed: 3 })
    expect(rows(pngOf(typed.dataUrl), 0, 128)).toEqual(rows(pngOf(fromStory.dataUrl), 0, 128))
  })

  it('refuses bad requests with clear messages', async () => {
    const five = ['Pororo is walking on the ice.', 'a', 'b', 'c', 'd']
    await expect(call('generation:story', { runId: run.id, sentences: five.slice(0, 3), seed: 0 })).rejects.toThrow(
      /generates stories of 5 frames: type 5 sentences, one per frame \(got 3\)/
    )
    await expect(call('generation:story', { runId: run.id, sentences: [...five.slice(0, 4), ' '], seed: 0 })).rejects.toThrow(/sentence 5 is empty/)
    await expect(call('generation:story', { runId: run.id, seed: 0, step: 3, storyId: 1 })).rejects.toThrow(
      /not_found: run "gen" has no checkpoint at step 3 \(it has: 2, 4\)/
    )
    await expect(call('generation:story', { runId: run.id, seed: 0 })).rejects.toThrow(/give either storyId .* or sentences/)
    await expect(call('generation:story', { runId: 999, seed: 0, storyId: 1 })).rejects.toThrow(/not_found: run 999 not found/)
    await expect(call('generation:story', { runId: run.id, seed: 0, storyId: 99999 })).rejects.toThrow(/story 99999 not found/)
  })
})
