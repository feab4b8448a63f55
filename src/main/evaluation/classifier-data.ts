/**
 * Frames and presence labels of a dataset for the character classifier: every frame of the
 * train split to learn from, and frames of the other splits (or, when a dataset has only a train
 * split, of a fixed fifth of its stories) to measure it on.
 */
import type { Db } from '../db/database'
import type { Split } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { clevrLabels } from '../datasets/clevr-import'
import { Random } from '../datasets/demo/random'
import { loadDatasetIndex, type DatasetIndex, type IndexedClip } from '../training/data/dataset-index'
import { FrameSource } from '../training/data/frame-source'
import { workspacePaths } from '../workspace'
import type { LabelledFrames } from './character-classifier'

/** At most this many frames per side are loaded (64×64×3 bytes each). */
const MAX_TRAIN_FRAMES = 20_000
const MAX_HELD_OUT_FRAMES = 5_000

/** A dataset's classifier frames: label names, training frames and held-out frames. */
export interface ClassifierData {
  labelNames: string[]
  train: LabelledFrames
  heldOut: LabelledFrames
  heldOutFrom: string
}

const isClevr = (index: DatasetIndex): boolean => index.format === 'clevr' || index.format === 'demo-clevr'

/**
 * The label bits of a clip's frame, as the training data loader builds them (BatchSampler):
 * presence of each character, or for CLEVR-SV the 15 attribute bits of its caption vector.
 */
export function frameLabelBits(index: DatasetIndex, clip: IndexedClip, frameIdx: number): Float32Array {
  const out = new Float32Array(index.labelNum)
  if (isClevr(index)) out.set(clevrLabels(clip.texts[0], 4))
  else for (const c of clip.frames[frameIdx].present) if (c < index.labelNum) out[c] = 1
  return out
}

/** Label names: character names, or attribute numbers for CLEVR-SV. */
export function labelNamesOf(db: Db, index: DatasetIndex): string[] {
  if (isClevr(index)) return Array.from({ length: index.labelNum }, (_, i) => `attribute ${i + 1}`)
  const names = db.prepare('SELECT name FROM characters WHERE dataset_id = ? ORDER BY idx').pluck().all(index.datasetId) as string[]
  return names.slice(0, index.labelNum)
}

function splitIndex(db: Db, datasetId: number, split: Split): DatasetIndex | null {
  try {
    return loadDatasetIndex(db, datasetId, split, 'hand')
  } catch (e) {
    if (e instanceof UserError && /has no .*stories/.test(e.message)) return null
    throw e
  }
}

interface FrameRef {
  index: DatasetIndex
  clip: IndexedClip
  frameIdx: number
}

/** Every frame of the given stories once, in story order. */
function framesOf(index: DatasetIndex, stories: number[], seen: Set<number>): FrameRef[] {
  const out: FrameRef[] = []
  for (const s of stories) {
    for (const ci of index.stories[s]) {
      const clip = index.clips[ci]
      clip.frames.forEach((f, frameIdx) => {
        if (seen.has(f.id)) return
        seen.add(f.id)
        out.push({ index, clip, frameIdx })
      })
    }
  }
  return out
}

/** A deterministic subsample (the same frames every time) when there are more than `max`. */
function cap(refs: FrameRef[], max: number): FrameRef[] {
  if (refs.length <= max) return refs
  const rng = new Random(0, 11, refs.length)
  const keep = refs.map((r, i) => ({ r, k: rng.next(), i })).sort((a, b) => a.k - b.k).slice(0, max)
  return keep.sort((a, b) => a.i - b.i).map((x) => x.r)
}

function load(refs: FrameRef[], source: FrameSource, labelNum: number): LabelledFrames {
  const side = source.side
  const px = side * side * 3
  const pixels = new Uint8Array(refs.length * px)
  const labels = new Float32Array(refs.length * labelNum)
  refs.forEach((r, n) => {
    const rgb = source.get(r.clip.frames[r.frameIdx]).rgb
    // FrameSource gives u/127.5 − 1 of 8-bit pixels: this recovers the bytes exactly.
    for (let i = 0; i < px; i++) pixels[n * px + i] = Math.round((rgb[i] + 1) * 127.5)
    labels.set(frameLabelBits(r.index, r.clip, r.frameIdx), n * labelNum)
  })
  return { pixels, labels, count: refs.length }
}

/**
 * Loads the classifier's training and held-out frames of a dataset.
 * @throws UserError when the dataset has no train stories or no labels to learn
 */
export function loadClassifierData(db: Db, workspace: string, datasetId: number, side = 64): ClassifierData {
  const train = splitIndex(db, datasetId, 'train')
  if (!train) throw new UserError(`dataset ${datasetId} has no train stories to train a character classifier on`)
  if (train.labelNum === 0) throw new UserError(`dataset "${train.name}" has no characters to classify`)
  const seen = new Set<number>()
  const others = (['val', 'test'] as const).map((s) => ({ s, index: splitIndex(db, datasetId, s) })).filter((x) => x.index !== null)
  let trainRefs: FrameRef[]
  let heldRefs: FrameRef[]
  let heldOutFrom: string
  if (others.length > 0) {
    trainRefs = framesOf(train, train.stories.map((_, i) => i), seen)
    heldRefs = others.flatMap((o) => framesOf(o.index!, o.index!.stories.map((_, i) => i), seen))
    heldOutFrom = others.map((o) => o.s).join('+')
  } else {
    // Only a train split: hold out every fifth story (frames shared with kept stories stay in training).
    const all = train.stories.map((_, i) => i)
    trainRefs = framesOf(train, all.filter((i) => i % 5 !== 4), seen)
    heldRefs = framesOf(train, all.filter((i) => i % 5 === 4), seen)
    heldOutFrom = '20% of train stories'
  }
  if (heldRefs.length === 0) throw new UserError(`dataset "${train.name}" has too few frames to hold some out for checking the classifier`)
  const source = new FrameSource(db, workspacePaths(workspace).frames, side, 256)
  return {
    labelNames: labelNamesOf(db, train),
    train: load(cap(trainRefs, MAX_TRAIN_FRAMES), source, train.labelNum),
    heldOut: load(cap(heldRefs, MAX_HELD_OUT_FRAMES), source, train.labelNum),
    heldOutFrom
  }
}
