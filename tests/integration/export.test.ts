import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decode } from 'fast-png'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Workbench } from '../../src/main/api/workbench'
import { dispatch } from '../../src/main/api/dispatch'
import { main } from '../../src/main/cli/main'
import { openDatabase, type Db } from '../../src/main/db/database'
import { cartoonDemo } from '../../src/main/datasets/demo/cartoon'
import { npyItem, readNpy } from '../../src/main/datasets/npy'
import { openDatasetFolder } from '../../src/main/datasets/open-source'
import { decodePngRgba, maskFromRgba } from '../../src/main/datasets/png'
import { writeBundle } from '../../src/main/datasets/write-bundle'
import { runExport, type ExportWorkspace } from '../../src/main/export/run-export'
import type { ExportOptions } from '../../src/main/export/export-options'
import { FrameStore } from '../../src/main/frame-store'
import { ensureWorkspace } from '../../src/main/workspace'
import { cocoRleArea, cocoRleBBox, cocoRleToMask } from '../../src/shared/coco-rle'
import { rleBBox, rleDecode, rleEncode, rleFromBytes, rleToBytes } from '../../src/shared/rle'
import { CLEVR_MINI, PORORO_MINI, tempDir } from '../helpers/paths'

let dir: string
let cleanup: () => void
let ws: ExportWorkspace
let db: Db
const ids = { pororo: 0, demo: 0, clevr: 0 }
/** Hand masks inserted by the test: frame id → character idx → 0/1 mask. */
const hand = new Map<number, Map<number, Uint8Array>>()
let pixelFrame = 0

/** Opens (creating) a workspace and imports a bundle or folder into it. */
async function workspace(path: string): Promise<ExportWorkspace> {
  const p = ensureWorkspace(path)
  return { db: openDatabase(p.database), frames: new FrameStore(p.frames), exportsDir: p.exports }
}
const importFolder = async (w: ExportWorkspace, folder: string, name?: string): Promise<number> =>
  (await writeBundle(openDatasetFolder(folder, undefined, name), { db: w.db, frames: w.frames, name })).datasetId

function addHandMask(frameId: number, idx: number, paint: (x: number, y: number) => boolean): void {
  const f = db.prepare('SELECT dataset_id AS d, width AS w, height AS h FROM frames WHERE id = ?').get(frameId) as { d: number; w: number; h: number }
  const charId = db.prepare('SELECT id FROM characters WHERE dataset_id = ? AND idx = ?').pluck().get(f.d, idx)
  const mask = new Uint8Array(f.w * f.h)
  for (let y = 0; y < f.h; y++) for (let x = 0; x < f.w; x++) mask[y * f.w + x] = paint(x, y) ? 1 : 0
  const rle = rleEncode(mask)
  const area = mask.reduce((a, b) => a + b, 0)
  db.prepare(
    `INSERT INTO masks (frame_id, character_id, source, width, height, rle, area, version, created_at, updated_at)
     VALUES (?, ?, 'hand', ?, ?, ?, ?, 1, 'now', 'now')`
  ).run(frameId, charId, f.w, f.h, rleToBytes(rle), area)
  hand.set(frameId, (hand.get(frameId) ?? new Map()).set(idx, mask))
}

/** Hand-labels every frame of the first story: one overlapping rectangle per present character. */
function labelFirstStory(datasetId: number): void {
  const frames = db
    .prepare(
      `SELECT f.id FROM frames f JOIN story_clips sc ON sc.clip_id = f.clip_id JOIN stories s ON s.id = sc.story_id
       WHERE s.dataset_id = ? AND s.idx = 0`
    )
    .pluck()
    .all(datasetId) as number[]
  for (const id of frames) {
    const present = db
      .prepare('SELECT c.idx FROM frame_labels l JOIN characters c ON c.id = l.character_id WHERE l.frame_id = ? AND l.present = 1')
      .pluck()
      .all(id) as number[]
    for (const idx of present) addHandMask(id, idx, (x, y) => x >= 4 * idx && x < 4 * idx + 20 && y >= 10 && y < 40)
    db.prepare("UPDATE frames SET status = 'done' WHERE id = ?").run(id)
  }
}

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('cpcsv-export-'))
  ws = await workspace(join(dir, 'ws'))
  db = ws.db
  ids.pororo = await importFolder(ws, PORORO_MINI, 'pororo-mini')
  ids.clevr = await importFolder(ws, CLEVR_MINI, 'clevr-mini')
  ids.demo = (await writeBundle(cartoonDemo({ stories: 12, seed: 1 }), { db, frames: ws.frames })).datasetId
  labelFirstStory(ids.pororo)
  labelFirstStory(ids.demo)
  // A single-pixel mask at (x 2, y 3) of a 64×64 demo frame, for a known COCO string.
  pixelFrame = db.prepare("SELECT max(id) FROM frames WHERE dataset_id = ?").pluck().get(ids.demo) as number
  addHandMask(pixelFrame, 0, (x, y) => x === 2 && y === 3)
})
afterAll(() => {
  db.close()
  cleanup()
})

const handFrames = (datasetId: number): number[] =>
  [...hand.keys()].filter((id) => db.prepare('SELECT dataset_id FROM frames WHERE id = ?').pluck().get(id) === datasetId)
const out = (name: string): string => join(dir, 'out', name)
const exportTo = (name: string, opts: Omit<ExportOptions, 'out'>, w = ws) => runExport(w, { ...opts, out: out(name) })
const npy = (folder: string, file: string) => readNpy(readFileSync(join(folder, file)), file)
const union = (masks: Iterable<Uint8Array>, n: number): Uint8Array => {
  const u = new Uint8Array(n)
  for (const m of masks) m.forEach((v, i) => (u[i] |= v))
  return u
}

interface ClipSnapshot {
  hashes: string[]
  /** sha256 of each frame's decoded RGBA pixels. */
  pixels: string[]
  captions: string[]
  labels: number[][]
  /** sha256 of each frame's imported figure-ground mask (0/1 bytes), or null. */
  masks: (string | null)[]
  frameIds: number[]
  sizes: number[]
}

/** Everything a round trip must keep, per clip key. */
function snapshot(d: Db, datasetId: number): Map<string, ClipSnapshot> {
  const out = new Map<string, ClipSnapshot>()
  const clips = d.prepare('SELECT id, key FROM clips WHERE dataset_id = ?').all(datasetId) as { id: number; key: string }[]
  for (const c of clips) {
    const frames = d.prepare('SELECT id, hash, width, height FROM frames WHERE clip_id = ? ORDER BY idx_in_clip').all(c.id) as { id: number; hash: string; width: number; height: number }[]
    const caps = d.prepare('SELECT text, hex(sentence) AS s, hex(attributes) AS a FROM captions WHERE clip_id = ? ORDER BY idx').all(c.id) as { text: string; s: string; a: string }[]
    out.set(c.key, {
      hashes: frames.map((f) => f.hash),
      pixels: frames.map((f) => pixelHash(d, f.hash)),
      frameIds: frames.map((f) => f.id),
      sizes: frames.map((f) => f.width * f.height),
      captions: caps.map((x) => `${x.text}|${x.s}|${x.a}`),
      labels: frames.map((f) => d.prepare('SELECT c.idx FROM frame_labels l JOIN characters c ON c.id = l.character_id WHERE l.frame_id = ? AND l.present = 1 ORDER BY c.idx').pluck().all(f.id) as number[]),
      masks: frames.map((f) => {
        const blob = d.prepare("SELECT rle FROM masks WHERE frame_id = ? AND source = 'imported' AND character_id IS NULL").pluck().get(f.id) as Buffer | undefined
        return blob ? digest(rleDecode(rleFromBytes(blob), f.width * f.height)) : null
      })
    })
  }
  return out
}

/** Compared as digests: deep equality over large typed arrays is slow. */
const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const pixelHashes = new Map<string, string>()
/** sha256 of a stored frame's decoded pixels (cached: equal files have equal pixels). */
function pixelHash(d: Db, hash: string): string {
  let h = pixelHashes.get(hash)
  if (!h) {
    const png = new FrameStore(join(d.name, '..', 'frames')).read(hash)
    h = createHash('sha256').update(decodePngRgba(png, hash).data).digest('hex')
    pixelHashes.set(hash, h)
  }
  return h
}

const stories = (d: Db, datasetId: number): string[] =>
  (d.prepare(
    `SELECT s.split || ':' || group_concat(c.key, ',') FROM stories s JOIN story_clips sc ON sc.story_id = s.id JOIN clips c ON c.id = sc.clip_id
     WHERE s.dataset_id = ? GROUP BY s.id ORDER BY s.idx`
  ).pluck().all(datasetId) as string[])

/** Exports, re-imports into a fresh workspace and checks frames, captions, vectors, labels, masks, stories. */
async function roundTrip(datasetId: number, name: string, sources: 'hand' | 'hand+imported'): Promise<{ folder: string; fresh: ExportWorkspace; newId: number }> {
  const r = await exportTo(name, { dataset: datasetId, format: 'cpcsv', sources })
  const fresh = await workspace(join(dir, `fresh-${name}`))
  const newId = await importFolder(fresh, r.path, name)
  const before = snapshot(db, datasetId)
  const after = snapshot(fresh.db, newId)
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
  for (const [key, b] of before) {
    const a = after.get(key) as ClipSnapshot
    expect(a.pixels, key).toEqual(b.pixels)
    expect(a.hashes, key).toEqual(b.hashes)
    expect(a.captions, key).toEqual(b.captions)
    expect(a.labels, key).toEqual(b.labels)
    // hand masks win per frame; a strip with some masked frames has background for the others
    const chosen = b.frameIds.map((id, i) => {
      const h = hand.get(id)
      return h ? digest(union(h.values(), b.sizes[i])) : sources === 'hand' ? null : b.masks[i]
    })
    const anyMasked = chosen.some(Boolean)
    expect(a.masks, key).toEqual(chosen.map((m, i) => (anyMasked ? (m ?? digest(new Uint8Array(b.sizes[i]))) : null)))
  }
  expect(stories(fresh.db, newId)).toEqual(stories(db, datasetId))
  return { folder: r.path, fresh, newId }
}

describe('CP-CSV / Pororo-SV layout', () => {
  it('round-trips the Pororo-SV fixture through the importer (hand masks win per frame)', async () => {
    const { folder, fresh } = await roundTrip(ids.pororo, 'pororo-rt', 'hand+imported')
    fresh.db.close()
    const labels = npyItem(npy(folder, 'labels.npy')) as Map<string, { dtype: string; data: Float64Array }>
    expect(labels.size).toBe(23)
    expect(labels.get('Pororo_ENGLISH1_1_ep1/0')).toMatchObject({ dtype: 'float64', shape: [9] })
    expect(Array.from(labels.get('Pororo_ENGLISH1_1_ep1/0')!.data)).toEqual([1, 1, 0, 0, 0, 0, 1, 0, 0])
    expect(npy(folder, 'img_cache4.npy')).toMatchObject({ dtype: expect.stringMatching(/^bytes/), shape: [11] })
    expect(npy(folder, 'following_cache4.npy').shape).toEqual([11, 4])
    expect((npy(folder, 'img_cache4.npy').data as string[])[0]).toBe('Pororo_ENGLISH1_1_ep1/0.png')
    const split = npy(folder, 'train_seen_unseen_ids.npy')
    expect(split.shape).toEqual([3])
    expect((split.data as { data: BigInt64Array }[]).map((a) => Array.from(a.data, Number))).toEqual([[0, 1, 2, 3, 4, 7], [6, 10], [5, 8, 9]])
    // the index files carry the same content as the published-format fixture they came from
    for (const f of ['labels.npy', 'descriptions.npy', 'descriptions_vec.npy', 'descriptions_attr.npy', 'frames_counter.npy']) {
      expect(npyItem(npy(folder, f)), f).toEqual(npyItem(npy(PORORO_MINI, f)))
    }
    for (const f of ['img_cache4.npy', 'following_cache4.npy']) expect(npy(folder, f), f).toEqual(npy(PORORO_MINI, f))
    const vec = (npyItem(npy(folder, 'descriptions_vec.npy')) as Map<string, { shape: number[] }>).get('Pororo_ENGLISH1_1_ep1/2')
    expect(vec?.shape).toEqual([2, 128])
    expect(readFileSync(join(folder, 'descriptions.csv'), 'utf8')).toMatch(/^Pororo_ENGLISH1_1_ep1,0,Pororo and Loopy/)
    // per-character mask strip of a hand-labelled clip equals the hand layers stacked
    const clip0 = snapshot(db, ids.pororo).get('Pororo_ENGLISH1_1_ep1/0')!
    const strip = decodePngRgba(readFileSync(join(folder, 'masks/Pororo/Pororo_ENGLISH1_1_ep1_0.png')), 'mask')
    const side = strip.width
    const expected = new Uint8Array(strip.width * strip.height)
    clip0.frameIds.forEach((id, i) => expected.set(hand.get(id)!.get(0)!, i * side * side))
    expect(maskFromRgba(strip)).toEqual(expected)
  })

  it('round-trips the demo cartoon dataset with hand masks only', async () => {
    const { folder, fresh } = await roundTrip(ids.demo, 'demo-rt', 'hand')
    fresh.db.close()
    const clips = new Set(handFrames(ids.demo).map((id) => db.prepare('SELECT clip_id FROM frames WHERE id = ?').pluck().get(id)))
    expect(readdirSync(join(folder, 'img_segment'))).toHaveLength(clips.size)
  })

  it('keeps only whole labeled stories with --only labeled, and one split with --split', async () => {
    const r = await exportTo('pororo-labeled', { dataset: 'pororo-mini', format: 'cpcsv', only: 'labeled' })
    expect(r).toMatchObject({ stories: 1, clips: 5, layout: 'pororo' })
    expect(npy(r.path, 'img_cache4.npy').shape).toEqual([1])
    const v = await exportTo('pororo-val', { dataset: ids.pororo, format: 'cpcsv', split: 'val' })
    expect(v.stories).toBe(2)
    expect((npy(v.path, 'train_seen_unseen_ids.npy').data as { data: BigInt64Array }[]).map((a) => a.data.length)).toEqual([0, 2, 0])
  })

  it('round-trips a CLEVR-SV dataset through the CLEVR layout', async () => {
    const r = await exportTo('clevr-rt', { dataset: ids.clevr, format: 'cpcsv' })
    expect(r.layout).toBe('clevr')
    const fresh = await workspace(join(dir, 'fresh-clevr'))
    const newId = await importFolder(fresh, r.path, 'clevr-rt')
    const strip = (m: Map<string, ClipSnapshot>) => new Map([...m].map(([k, v]) => [k, { ...v, frameIds: [] }]))
    expect(strip(snapshot(fresh.db, newId))).toEqual(strip(snapshot(db, ids.clevr)))
    fresh.db.close()
  })
})

describe('COCO instance segmentation', () => {
  it('writes one annotation per (frame, character) whose RLE decodes back to the mask', async () => {
    const r = await exportTo('demo-coco', { dataset: ids.demo, format: 'coco', sources: 'hand' })
    const coco = JSON.parse(readFileSync(join(r.path, 'annotations.json'), 'utf8'))
    const frames = db.prepare('SELECT count(*) FROM frames WHERE dataset_id = ?').pluck().get(ids.demo) as number
    expect(coco.images).toHaveLength(frames)
    expect(coco.categories[0]).toMatchObject({ id: 1, supercategory: 'character', color: expect.stringMatching(/^#/) })
    expect(coco.annotations.length).toBe([...hand.entries()].filter(([id]) => coco.images.some((i: { id: number }) => i.id === id)).reduce((n, [, m]) => n + m.size, 0))
    for (const a of coco.annotations) {
      const img = coco.images.find((i: { id: number }) => i.id === a.image_id)
      expect(existsSync(join(r.path, 'images', img.file_name))).toBe(true)
      const mask = cocoRleToMask(a.segmentation)
      expect(mask).toEqual(hand.get(a.image_id)!.get(a.category_id - 1))
      expect(a.segmentation.size).toEqual([img.height, img.width])
      expect(a.area).toBe(cocoRleArea(a.segmentation))
      expect(a.area).toBe(mask.reduce((x: number, y: number) => x + y, 0))
      expect(a.bbox).toEqual(cocoRleBBox(a.segmentation))
      expect(a.bbox).toEqual(rleBBox(mask, img.width, img.height))
      expect(a.iscrowd).toBe(0)
    }
    const pixel = coco.annotations.find((a: { image_id: number }) => a.image_id === pixelFrame)
    // column-major runs [2·64 + 3, 1, 64·64 − 132], pycocotools' string form
    expect(pixel.segmentation.counts).toBe('S41lk3')
    expect(pixel.bbox).toEqual([2, 3, 1, 1])
  })

  it('adds a figure-ground category for imported masks without a character', async () => {
    const r = await exportTo('pororo-coco', { dataset: ids.pororo, format: 'coco', split: 'test' })
    const coco = JSON.parse(readFileSync(join(r.path, 'annotations.json'), 'utf8'))
    expect(coco.categories.at(-1)).toMatchObject({ id: 10, name: 'figure-ground' })
    expect(coco.annotations.every((a: { category_id: number; source: string }) => a.category_id === 10 && a.source === 'imported')).toBe(true)
  })
})

describe('palette PNG masks', () => {
  it('writes one indexed PNG per frame: value = character index + 1, higher index wins overlaps', async () => {
    const r = await exportTo('pororo-png', { dataset: ids.pororo, format: 'png', only: 'done', sources: 'hand' })
    const legend = JSON.parse(readFileSync(join(r.path, 'characters.json'), 'utf8'))
    expect(legend.overlap).toMatch(/higher index wins/)
    expect(legend.characters[1]).toEqual({ value: 2, index: 1, name: 'Loopy', color: '#ec4899' })
    expect(r.frames).toBe(db.prepare("SELECT count(*) FROM frames WHERE dataset_id = ? AND status = 'done'").pluck().get(ids.pororo))
    const [id, layers] = [...hand.entries()].find(([, m]) => m.has(0) && m.has(1))!
    const png = decode(readFileSync(join(r.path, 'masks', `${id}.png`)))
    expect({ width: png.width, height: png.height, channels: png.channels, depth: png.depth }).toEqual({ width: 128, height: 128, channels: 1, depth: 8 })
    expect(png.palette?.[2]).toEqual([0xec, 0x48, 0x99])
    expect(existsSync(join(r.path, 'images', `${id}.png`))).toBe(true)
    const expected = new Uint8Array(128 * 128)
    for (const idx of [...layers.keys()].sort((a, b) => a - b)) layers.get(idx)!.forEach((v, i) => v && (expected[i] = idx + 1))
    expect(Uint8Array.from(png.data)).toEqual(expected)
    expect(png.data[20 * 128 + 2]).toBe(1) // only Pororo (idx 0) covers x < 4
    expect(png.data[20 * 128 + 19]).toBe(2) // Pororo and Loopy overlap: Loopy (idx 1) wins
  })
})

describe('zip, existing outputs and failures', () => {
  it('packs everything into one .zip', async () => {
    const r = await runExport(ws, { dataset: ids.pororo, format: 'cpcsv', zip: true, out: out('pororo-zip') })
    expect(r.path).toBe(`${out('pororo-zip')}.zip`)
    const files = unzipSync(readFileSync(r.path))
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['labels.npy', 'img_segment/Pororo_ENGLISH1_1_ep1_0.png', 'Pororo_ENGLISH1_1_ep1/0.png', 'export.json']))
    expect(npyItem(readNpy(files['labels.npy']))).toBeInstanceOf(Map)
    expect(Object.keys(files)).toHaveLength(r.files)
  })

  it('refuses an existing output without force and replaces it with force', async () => {
    const opts = { dataset: ids.demo, format: 'png' as const, out: out('again') }
    await runExport(ws, opts)
    await expect(runExport(ws, opts)).rejects.toThrow(/again already exists; .*force/)
    writeFileSync(join(out('again'), 'stale.txt'), 'x')
    await runExport(ws, { ...opts, force: true })
    expect(existsSync(join(out('again'), 'stale.txt'))).toBe(false)
    expect(readdirSync(join(dir, 'out')).filter((f) => f.startsWith('.'))).toEqual([])
  })

  it('names the problem: unknown dataset, unwritable folder, nothing to export', async () => {
    await expect(runExport(ws, { dataset: 'nope', format: 'coco', out: out('x') })).rejects.toThrow(/dataset "nope" not found/)
    writeFileSync(join(dir, 'a-file'), 'x')
    await expect(runExport(ws, { dataset: ids.demo, format: 'coco', out: join(dir, 'a-file', 'sub', 'out') })).rejects.toThrow(
      /cannot create output folder .*a-file\/sub: a part of the path is a file, not a folder/
    )
    await expect(runExport(ws, { dataset: ids.clevr, format: 'png', only: 'labeled', out: out('none') })).rejects.toThrow(/nothing to export/)
  })

  it('a disk-full write or a cancel leaves nothing behind', async () => {
    /** File writes that fail with ENOSPC after `after` successful ones, as a full disk would. */
    const diskFullAfter = (after: number) => {
      let n = 0
      const write = (flag: string) => async (path: string, data: Uint8Array): Promise<void> => {
        if (++n > after) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
        writeFileSync(path, data, { flag })
      }
      return { writeFile: write('w'), appendFile: write('a') }
    }
    for (const zip of [false, true]) {
      // in a folder that does not exist yet: the export creates it, and must remove it again
      const target = join(out('new-folder'), `full-${zip}`)
      const opts = { dataset: ids.pororo, format: 'cpcsv' as const, zip, out: target }
      await expect(runExport(ws, opts, { io: diskFullAfter(5) })).rejects.toThrow(new RegExp(`cannot write ${target}.*: no space left on device \\(disk full\\)`))
      expect(existsSync(out('new-folder'))).toBe(false)
      await expect(runExport(ws, { ...opts, format: 'coco' }, { cancelled: () => true })).rejects.toThrow(/export cancelled/)
      expect(existsSync(out('new-folder'))).toBe(false)
    }
    expect(readdirSync(join(dir, 'out')).filter((f) => f.startsWith('.'))).toEqual([])
  })
})

describe('API and CLI', () => {
  it('export:start runs a job with progress events; bad requests answer at once', async () => {
    const wb = new Workbench(join(dir, 'ws'))
    const events: string[] = []
    wb.onEvent((e) => events.push(e.type))
    const started = await dispatch(wb, 'export:start', { datasetId: ids.demo, format: 'coco', out: 'api-coco' })
    if (!started.ok) throw new Error(started.error.message)
    const job = await wb.exports.wait((started.value as { jobId: string }).jobId)
    expect(job).toMatchObject({ state: 'finished', out: join(dir, 'ws', 'exports', 'api-coco'), result: { layout: 'coco' } })
    expect(events).toContain('export:progress')
    expect(events.at(-1)).toBe('export:finished')
    expect(await dispatch(wb, 'export:start', { datasetId: 999, format: 'coco' })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await dispatch(wb, 'export:start', { datasetId: ids.demo, format: 'gif' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    await wb.close()
  })

  it('cpcsv export writes the requested format and fails with a one-line reason', async () => {
    const args = ['export', '--workspace', join(dir, 'ws'), '--dataset', 'clevr-mini', '--format', 'png', '--out', out('cli')]
    expect(await main([...args, '--json'])).toBe(0)
    expect(existsSync(join(out('cli'), 'characters.json'))).toBe(true)
    expect(await main(args)).toBe(1)
    expect(await main([...args.slice(0, -2), '--format', 'gif'])).toBe(1)
  })
})
