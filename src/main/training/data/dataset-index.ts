import type { Db } from '../../db/database'
import type { DatasetFormat, Split } from '../../../shared/domain'
import { UserError } from '../../../shared/result'

/** Which stored masks become figure-ground targets, in order of preference. */
export type MaskSourcePolicy = 'hand' | 'hand+imported' | 'hand+imported+truth'

export interface IndexedFrame {
  id: number
  hash: string
  width: number
  height: number
  /** Present character indices (from the frame's labels). */
  present: number[]
  /** Where this frame's figure-ground target comes from; null gives it mask weight 0. */
  maskSource: 'hand' | 'imported' | 'truth' | null
}

export interface IndexedClip {
  id: number
  key: string
  frames: IndexedFrame[]
  /** One entry per caption: sentence ++ attributes, length = textDim of the dataset. */
  texts: Float32Array[]
  captions: string[]
}

export interface DatasetIndex {
  datasetId: number
  name: string
  format: DatasetFormat
  textDim: number
  labelNum: number
  framesPerStory: number
  /** stories[i] = clip indices (into `clips`) in story order. */
  stories: number[][]
  storyIds: number[]
  clips: IndexedClip[]
  /** Frames with a figure-ground target / all frames (what the run reports as mask coverage). */
  maskCoverage: { withMask: number; frames: number; bySource: Record<string, number> }
}

const CLEVR_FORMATS: DatasetFormat[] = ['clevr', 'demo-clevr']

/** Label bits per frame: characters for Pororo-SV-like sets; the 15 CLEVR attribute bits otherwise. */
export function labelNumOf(format: DatasetFormat, characters: number): number {
  return CLEVR_FORMATS.includes(format) ? 15 : characters
}

function f32(blob: Buffer | null, n: number): Float32Array {
  if (!blob) return new Float32Array(n)
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength))
}

/**
 * Reads what training needs of a dataset split into memory (ids, hashes, vectors, labels, which
 * mask each frame has) — not pixels, which are decoded on demand and cached.
 */
export function loadDatasetIndex(db: Db, datasetId: number, split: Split | 'all', policy: MaskSourcePolicy): DatasetIndex {
  const ds = db.prepare('SELECT * FROM datasets WHERE id = ?').get(datasetId) as
    | { id: number; name: string; format: DatasetFormat; frames_per_story: number; sentence_dim: number; attribute_dim: number }
    | undefined
  if (!ds) throw new UserError(`dataset ${datasetId} not found`, 'not_found')
  const characters = db.prepare('SELECT count(*) FROM characters WHERE dataset_id = ?').pluck().get(datasetId) as number
  const storyRows = db
    .prepare(`SELECT id FROM stories WHERE dataset_id = ? ${split === 'all' ? '' : 'AND split = ?'} ORDER BY idx`)
    .pluck()
    .all(...(split === 'all' ? [datasetId] : [datasetId, split])) as number[]
  if (storyRows.length === 0) throw new UserError(`dataset "${ds.name}" has no ${split === 'all' ? '' : `${split} `}stories`)
  const clipIndex = new Map<number, number>()
  const clips: IndexedClip[] = []
  const storyClips = db.prepare('SELECT clip_id FROM story_clips WHERE story_id = ? ORDER BY position').pluck()
  const textDim = ds.sentence_dim + ds.attribute_dim
  const allow = new Set(policy.split('+'))
  const coverage = { withMask: 0, frames: 0, bySource: {} as Record<string, number> }
  const readClip = clipReader(db, textDim, ds.sentence_dim, ds.attribute_dim, allow, coverage)
  const stories = storyRows.map((sid) =>
    (storyClips.all(sid) as number[]).map((cid) => {
      let i = clipIndex.get(cid)
      if (i === undefined) {
        i = clips.length
        clips.push(readClip(cid))
        clipIndex.set(cid, i)
      }
      return i
    })
  )
  return {
    datasetId,
    name: ds.name,
    format: ds.format,
    textDim,
    labelNum: labelNumOf(ds.format, characters),
    framesPerStory: ds.frames_per_story,
    stories,
    storyIds: storyRows,
    clips,
    maskCoverage: coverage
  }
}

function clipReader(
  db: Db,
  textDim: number,
  sentenceDim: number,
  attributeDim: number,
  allow: Set<string>,
  coverage: DatasetIndex['maskCoverage']
): (clipId: number) => IndexedClip {
  const clipRow = db.prepare('SELECT id, key FROM clips WHERE id = ?')
  const frameRows = db.prepare('SELECT id, hash, width, height, status FROM frames WHERE clip_id = ? ORDER BY idx_in_clip')
  const captionRows = db.prepare('SELECT text, sentence, attributes FROM captions WHERE clip_id = ? ORDER BY idx')
  const labelRows = db.prepare(
    'SELECT c.idx FROM frame_labels l JOIN characters c ON c.id = l.character_id WHERE l.frame_id = ? AND l.present = 1'
  ).pluck()
  const maskKinds = db.prepare('SELECT DISTINCT source FROM masks WHERE frame_id = ?').pluck()
  return (clipId) => {
    const clip = clipRow.get(clipId) as { id: number; key: string }
    const frames = (frameRows.all(clipId) as { id: number; hash: string; width: number; height: number; status: string }[]).map(
      (f): IndexedFrame => {
        const kinds = new Set(maskKinds.all(f.id) as string[])
        // A frame a person marked done counts as hand-labelled even with no masks (all ground).
        const hand = kinds.has('hand') || f.status === 'done'
        const maskSource =
          allow.has('hand') && hand ? 'hand' : allow.has('imported') && kinds.has('imported') ? 'imported' : allow.has('truth') && kinds.has('truth') ? 'truth' : null
        coverage.frames++
        if (maskSource) {
          coverage.withMask++
          coverage.bySource[maskSource] = (coverage.bySource[maskSource] ?? 0) + 1
        }
        return { id: f.id, hash: f.hash, width: f.width, height: f.height, present: labelRows.all(f.id) as number[], maskSource }
      }
    )
    const caps = captionRows.all(clipId) as { text: string; sentence: Buffer | null; attributes: Buffer | null }[]
    const texts = caps.map((c) => {
      const v = new Float32Array(textDim)
      v.set(f32(c.sentence, sentenceDim).subarray(0, sentenceDim), 0)
      v.set(f32(c.attributes, attributeDim).subarray(0, attributeDim), sentenceDim)
      return v
    })
    return { id: clip.id, key: clip.key, frames, texts: texts.length ? texts : [new Float32Array(textDim)], captions: caps.map((c) => c.text) }
  }
}
