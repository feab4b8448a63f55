import type { Db } from '../db/database'
import { FrameStore } from '../frame-store'
import type { BundleClip, ImportBundle } from './bundle'
import { rleArea, rleEncode, rleToBytes } from '../../shared/rle'
import { UserError } from '../../shared/result'
import {
  findDatasetByFingerprint,
  findDatasetByName,
  findDatasetBySource,
  unreferencedHashes
} from '../db/repos/dataset-repo'

export interface WriteProgress {
  phase: 'reading' | 'writing catalog'
  done: number
  total: number
}

export interface WriteOptions {
  db: Db
  frames: FrameStore
  onProgress?: (p: WriteProgress) => void
  /** Checked between clips; when it returns true the import stops and nothing is kept. */
  cancelled?: () => boolean
  /** Name to store the dataset under (defaults to the bundle's name). */
  name?: string
}

export interface WriteResult {
  datasetId: number
  /** True when the same source had been imported before and nothing was written. */
  unchanged: boolean
}

export class ImportCancelled extends Error {
  constructor() {
    super('import cancelled')
  }
}

interface PendingFrame {
  hash: string
  width: number
  height: number
  imported: Uint8Array | null
  truth: [number, Uint8Array][]
}
interface PendingClip {
  clip: Omit<BundleClip, 'frames'>
  frames: PendingFrame[]
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * Writes a bundle into the workspace: frame files first (content-addressed, so re-runs are
 * free), then the whole catalog in ONE transaction. A failure or cancel at any point leaves the
 * database exactly as before and removes the frame files this call created.
 */
export async function writeBundle(bundle: ImportBundle, opts: WriteOptions): Promise<WriteResult> {
  const { db } = opts
  const name = opts.name ?? bundle.name
  const existing = bundle.sourcePath
    ? findDatasetBySource(db, bundle.sourcePath)
    : findDatasetByFingerprint(db, bundle.fingerprint)
  if (existing && existing.fingerprint === bundle.fingerprint) {
    return { datasetId: existing.id, unchanged: true }
  }
  if (existing) {
    throw new UserError(
      `${bundle.sourcePath} was imported before as dataset "${existing.name}" and has changed since; delete that dataset first to import it again`,
      'conflict'
    )
  }
  if (findDatasetByName(db, name)) {
    throw new UserError(`a dataset named "${name}" already exists; choose another name`, 'conflict')
  }
  const created = new Set<string>()
  try {
    const pending = await readClips(bundle, opts, created)
    const n = pending.length
    opts.onProgress?.({ phase: 'writing catalog', done: n, total: n })
    const datasetId = db.transaction(() => insertCatalog(db, bundle, name, pending))()
    return { datasetId, unchanged: false }
  } catch (e) {
    opts.frames.remove(unreferencedHashes(db, created))
    throw e
  }
}

async function readClips(
  bundle: ImportBundle,
  opts: WriteOptions,
  created: Set<string>
): Promise<PendingClip[]> {
  const out: PendingClip[] = []
  const total = bundle.clipCount
  let lastReport = 0
  for await (const clip of bundle.clips()) {
    if (opts.cancelled?.()) throw new ImportCancelled()
    const frames = clip.frames.map((f): PendingFrame => {
      const { hash, created: isNew } = opts.frames.put(f.png)
      if (isNew) created.add(hash)
      return {
        hash,
        width: f.width,
        height: f.height,
        imported: f.importedMask ?? null,
        truth: f.truthMasks ? [...f.truthMasks.entries()] : []
      }
    })
    const { frames: _ignored, ...rest } = clip
    out.push({ clip: rest, frames })
    if (out.length - lastReport >= 100 || out.length === total) {
      lastReport = out.length
      opts.onProgress?.({ phase: 'reading', done: out.length, total })
      await yieldToEventLoop()
    }
  }
  if (opts.cancelled?.()) throw new ImportCancelled()
  return out
}

function f32Blob(v: Float32Array | null): Buffer | null {
  return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : null
}

function insertCatalog(db: Db, bundle: ImportBundle, name: string, clips: PendingClip[]): number {
  const now = new Date().toISOString()
  const datasetId = Number(
    db
      .prepare(
        `INSERT INTO datasets (name, format, source_path, fingerprint, frames_per_story, sentence_dim, attribute_dim, notes, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
      )
      .run(
        name,
        bundle.format,
        bundle.sourcePath,
        bundle.fingerprint,
        bundle.framesPerStory,
        bundle.textDims.sentence,
        bundle.textDims.attributes,
        JSON.stringify(bundle.notes ?? []),
        now
      ).lastInsertRowid
  )
  const insChar = db.prepare('INSERT INTO characters (dataset_id, idx, name, color) VALUES (?, ?, ?, ?)')
  const characterIds = bundle.characters.map((c, i) => Number(insChar.run(datasetId, i, c.name, c.color).lastInsertRowid))
  const episodeIds = new Map<string, number>()
  const insEpisode = db.prepare('INSERT INTO episodes (dataset_id, name) VALUES (?, ?)')
  const insClip = db.prepare('INSERT INTO clips (dataset_id, episode_id, key, idx, source_file) VALUES (?, ?, ?, ?, ?)')
  const insFrame = db.prepare(
    'INSERT INTO frames (dataset_id, clip_id, idx_in_clip, hash, width, height) VALUES (?, ?, ?, ?, ?, ?)'
  )
  const insCaption = db.prepare('INSERT INTO captions (clip_id, idx, text, sentence, attributes) VALUES (?, ?, ?, ?, ?)')
  const insLabel = db.prepare(
    "INSERT INTO frame_labels (frame_id, character_id, present, source) VALUES (?, ?, ?, 'imported')"
  )
  const insMask = db.prepare(
    `INSERT INTO masks (frame_id, character_id, source, width, height, rle, area, version, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`
  )
  const clipIds = new Map<string, number>()
  clips.forEach(({ clip, frames }, clipIdx) => {
    if (clipIds.has(clip.key)) throw new UserError(`clip ${clip.key} (${clip.sourceFile}) appears twice`)
    let episodeId = episodeIds.get(clip.episode)
    if (episodeId === undefined) {
      episodeId = Number(insEpisode.run(datasetId, clip.episode).lastInsertRowid)
      episodeIds.set(clip.episode, episodeId)
    }
    const clipId = Number(insClip.run(datasetId, episodeId, clip.key, clipIdx, clip.sourceFile).lastInsertRowid)
    clipIds.set(clip.key, clipId)
    clip.captions.forEach((c, i) => insCaption.run(clipId, i, c.text, f32Blob(c.sentence), f32Blob(c.attributes)))
    frames.forEach((f, i) => {
      const frameId = Number(insFrame.run(datasetId, clipId, i, f.hash, f.width, f.height).lastInsertRowid)
      clip.labels.forEach((present, ci) => insLabel.run(frameId, characterIds[ci], present ? 1 : 0))
      const putMask = (characterId: number | null, source: string, mask: Uint8Array): void => {
        const rle = rleEncode(mask)
        insMask.run(frameId, characterId, source, f.width, f.height, rleToBytes(rle), rleArea(rle), now, now)
      }
      if (f.imported) putMask(null, 'imported', f.imported)
      for (const [ci, m] of f.truth) putMask(characterIds[ci], 'truth', m)
    })
  })
  const insStory = db.prepare('INSERT INTO stories (dataset_id, idx, split) VALUES (?, ?, ?)')
  const insStoryClip = db.prepare('INSERT INTO story_clips (story_id, position, clip_id) VALUES (?, ?, ?)')
  bundle.stories.forEach((s, idx) => {
    const storyId = Number(insStory.run(datasetId, idx, s.split).lastInsertRowid)
    s.clipKeys.forEach((key, pos) => {
      const clipId = clipIds.get(key)
      if (clipId === undefined) throw new UserError(`story ${idx} refers to clip ${key}, which was not found`)
      insStoryClip.run(storyId, pos, clipId)
    })
  })
  return datasetId
}
