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

/** One stored mask as it crosses the API: row-major RLE (see src/shared/rle.ts). */
export interface MaskData {
  /** Character index in the dataset, or null for a figure-ground union mask. */
  characterIdx: number | null
  source: MaskSource
  width: number
  height: number
  rle: number[]
  version: number
  area: number
  updatedAt: string
}

/** A frame opened for labeling: its info, its clip's captions, its hand and imported masks. */
export interface FrameDetail {
  frame: FrameInfo
  datasetId: number
  clipKey: string
  captions: string[]
  /** Hand-labelled and imported masks. Ground truth of generated datasets is never included. */
  masks: MaskData[]
}

export interface MaskVersion {
  version: number
  area: number
  createdAt: string
}

export interface LabelingProgress {
  frames: number
  byStatus: Record<FrameStatus, number>
  perCharacter: { idx: number; name: string; color: string; frames: number; pixels: number }[]
  recent: { frameId: number; status: FrameStatus; updatedAt: string }[]
}

export type RunStatus = 'queued' | 'running' | 'stopped' | 'finished' | 'failed'

export interface RunSummary {
  id: number
  name: string
  datasetId: number | null
  datasetName: string
  split: string
  preset: string
  status: RunStatus
  error: string | null
  step: number
  totalSteps: number
  backend: string | null
  createdAt: string
  updatedAt: string
  /** Relative to the workspace, e.g. 'runs/3-tiny-demo'. */
  folder: string
  maskCoverage: { withMask: number; frames: number; bySource: Record<string, number> } | null
  /** The run's resolved settings (TrainConfig plus run options). */
  config: Record<string, unknown>
  parentRunId: number | null
}

export interface CheckpointInfo {
  step: number
  epoch: number
  file: string
  bytes: number
  createdAt: string
}

export interface SampleInfo {
  step: number
  position: number
  storyId: number | null
  /** Asset path, e.g. 'runs/3/samples/step-0000100-s00.png'. */
  asset: string
}

export interface TrainingProgress {
  step: number
  totalSteps: number
  epoch: number
  losses: Record<string, number>
  lr: Record<string, number>
  itPerSec: number
  etaSec: number
  memory: { numTensors: number; numBytes: number; rssBytes: number }
}

export interface BackendChoice {
  name: 'tensorflow' | 'wasm' | 'cpu'
  available: boolean
  reason: string
}
