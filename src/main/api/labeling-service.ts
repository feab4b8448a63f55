import type { Db } from '../db/database'
import type { FrameInfo, MaskData } from '../../shared/domain'
import type { WorkbenchEvent } from '../../shared/contract'
import { UserError } from '../../shared/result'
import { rleArea, rleValidate } from '../../shared/rle'
import { frameInfo } from '../db/repos/story-repo'
import {
  characterIdOf,
  decodeRle,
  getFrameRow,
  getVersion,
  hasHandPixels,
  labelingProgress,
  listVersions,
  masksOfFrame,
  nextUnlabeled,
  saveHandMask,
  setLabel,
  setStatus,
  type FrameRow,
  type MaskRow
} from '../db/repos/mask-repo'
import type { HandlerGroup } from './handler-types'

type LabelingChannels =
  | 'frames:get'
  | 'frames:setStatus'
  | 'frames:nextUnlabeled'
  | 'labels:set'
  | 'masks:get'
  | 'masks:save'
  | 'masks:versions'
  | 'masks:restore'
  | 'labeling:progress'

function frameOrFail(db: Db, id: number): FrameRow {
  const f = getFrameRow(db, id)
  if (!f) throw new UserError(`frame ${id} not found`, 'not_found')
  return f
}

function characterOrFail(db: Db, frame: FrameRow, idx: number): number {
  const id = characterIdOf(db, frame.dataset_id, idx)
  if (id === undefined) throw new UserError(`dataset of frame ${frame.id} has no character ${idx}`, 'not_found')
  return id
}

const infoOf = (db: Db, id: number): FrameInfo => frameInfo(db, frameOrFail(db, id))

function toMaskData(m: MaskRow & { character_idx: number | null }): MaskData {
  return {
    characterIdx: m.character_idx,
    source: m.source,
    width: m.width,
    height: m.height,
    rle: decodeRle(m.rle),
    version: m.version,
    area: m.area,
    updatedAt: m.updated_at
  }
}

/** Mask labeling services: frames, hand masks with versions, presence labels, status, progress. */
export function labelingHandlers(db: Db, emit: (e: WorkbenchEvent) => void): HandlerGroup<LabelingChannels> {
  const changed = (frame: FrameRow): void => emit({ type: 'labeling:changed', datasetId: frame.dataset_id, frameId: frame.id })
  return {
    'frames:get': ({ id }) => {
      const frame = frameOrFail(db, id)
      const clip = db.prepare('SELECT key FROM clips WHERE id = ?').get(frame.clip_id) as { key: string }
      const captions = db.prepare('SELECT text FROM captions WHERE clip_id = ? ORDER BY idx').pluck().all(frame.clip_id) as string[]
      const masks: MaskData[] = masksOfFrame(db, id)
        .filter((m) => m.source === 'hand' || m.source === 'imported')
        .map(toMaskData)
      return { frame: frameInfo(db, frame), datasetId: frame.dataset_id, clipKey: clip.key, captions, masks }
    },
    'frames:setStatus': ({ id, status }) => {
      const frame = frameOrFail(db, id)
      setStatus(db, id, status)
      changed(frame)
      return infoOf(db, id)
    },
    'frames:nextUnlabeled': ({ datasetId, split, afterFrameId }) =>
      nextUnlabeled(db, datasetId, { split, afterFrameId }) ?? (afterFrameId ? nextUnlabeled(db, datasetId, { split }) ?? null : null),
    'labels:set': ({ frameId, characterIdx, present }) => {
      const frame = frameOrFail(db, frameId)
      const characterId = characterOrFail(db, frame, characterIdx)
      if (!present && hasHandPixels(db, frameId, characterId)) {
        throw new UserError(`character ${characterIdx} has labelled pixels on frame ${frameId}; clear its mask before marking it absent`)
      }
      setLabel(db, frameId, characterId, present)
      changed(frame)
      return infoOf(db, frameId)
    },
    'masks:get': ({ frameId, characterIdx, source }) => {
      const frame = frameOrFail(db, frameId)
      const m = masksOfFrame(db, frameId).find((x) => x.source === source && x.character_idx === characterIdx)
      if (characterIdx !== null) characterOrFail(db, frame, characterIdx)
      return m ? toMaskData(m) : null
    },
    'masks:save': ({ frameId, characterIdx, rle }) => {
      const frame = frameOrFail(db, frameId)
      const characterId = characterOrFail(db, frame, characterIdx)
      const problem = rleValidate(rle, frame.width * frame.height)
      if (problem) throw new UserError(`mask for frame ${frameId} (${frame.width}x${frame.height}) rejected: ${problem}`, 'invalid_request')
      const saved = saveHandMask(db, frame, characterId, rle)
      changed(frame)
      return { ...saved, frame: infoOf(db, frameId) }
    },
    'masks:versions': ({ frameId, characterIdx }) => {
      const frame = frameOrFail(db, frameId)
      return listVersions(db, frameId, characterOrFail(db, frame, characterIdx))
    },
    'masks:restore': ({ frameId, characterIdx, version }) => {
      const frame = frameOrFail(db, frameId)
      const characterId = characterOrFail(db, frame, characterIdx)
      const rle = getVersion(db, frameId, characterId, version)
      if (!rle) throw new UserError(`mask version ${version} of character ${characterIdx} on frame ${frameId} not found`, 'not_found')
      const saved = saveHandMask(db, frame, characterId, rle)
      changed(frame)
      return {
        characterIdx,
        source: 'hand',
        width: frame.width,
        height: frame.height,
        rle,
        version: saved.version,
        area: rleArea(rle),
        updatedAt: saved.updatedAt
      }
    },
    'labeling:progress': ({ datasetId }) => {
      if (!db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(datasetId)) {
        throw new UserError(`dataset ${datasetId} not found`, 'not_found')
      }
      return labelingProgress(db, datasetId)
    }
  }
}
