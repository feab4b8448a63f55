/** Domain types shared by the API, the renderer and the CLI. */

export type DatasetFormat = 'pororo' | 'clevr' | 'demo-cartoon' | 'demo-clevr'
export type Split = 'train' | 'val' | 'test'
export type FrameStatus = 'unlabeled' | 'in_progress' | 'done' | 'skipped'
export type MaskSource = 'hand' | 'imported' | 'truth' | 'generated'

export interface CharacterInfo {
  id: number
  idx: number
  name: string
  /** '#rrggbb' */
  color: string
}

export interface DatasetSummary {
  id: number
  name: string
  format: DatasetFormat
  sourcePath: string | null
  createdAt: string
  framesPerStory: number
  sentenceDim: number
  attributeDim: number
  counts: {
    stories: number
    clips: number
    frames: number
    characters: number
    /** Frames marked done by a person. */
    labeledFrames: number
    /** Frames with at least one hand-labelled mask. */
    handMaskedFrames: number
    splits: Record<Split, number>
  }
  notes: string[]
}

export interface DatasetDetail extends DatasetSummary {
  characters: CharacterInfo[]
}

export interface StorySummary {
  id: number
  idx: number
  split: Split
  /** Caption of each position, first caption only. */
  captions: string[]
  /** Asset URL path of the first frame of each position (thumbnails). */
  thumbnails: string[]
}

export interface FrameInfo {
  id: number
  clipId: number
  idxInClip: number
  width: number
  height: number
  /** Asset path, e.g. 'frames/ab/abcd….png'; the client turns it into a URL. */
  asset: string
  status: FrameStatus
  /** Present characters by character idx (from labels). */
  labels: number[]
  /** Character idxs that have a hand mask with pixels. */
  handMasks: number[]
  hasImportedMask: boolean
}

export interface ClipInfo {
  id: number
  key: string
  episode: string
  sourceFile: string
  captions: string[]
  frames: FrameInfo[]
}

export interface StoryDetail {
  id: number
  idx: number
  split: Split
  datasetId: number
  clips: ClipInfo[]
}

export interface ImportJob {
  jobId: string
  state: 'running' | 'finished' | 'failed' | 'cancelled'
  path: string | null
  phase: string
  done: number
  total: number
  datasetId: number | null
  error: string | null
  /** True when the folder had been imported already and nothing changed. */
  unchanged: boolean
}

export interface AppInfo {
  version: string
  workspace: string
  transport: 'electron' | 'serve'
  datasets: number
}
