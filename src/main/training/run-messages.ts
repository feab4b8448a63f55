import type { BackendName } from './engine/backend'
import type { TrainConfig } from '../../shared/train-config'
import type { MaskSourcePolicy } from './data/dataset-index'
import type { Split, TrainingProgress } from '../../shared/domain'

/** Everything a training worker needs to run (or resume) one run. */
export interface RunSpec {
  runId: number
  workspace: string
  /** Absolute run folder. */
  folder: string
  datasetId: number
  split: Split | 'all'
  config: TrainConfig
  /** Stop after this many steps in total (resume may raise it). */
  totalSteps: number
  seed: number
  backend: BackendName | 'auto'
  /** Steps per tick (one progress event and one metrics row per tick). */
  tickSteps: number
  checkpointEvery: number
  sampleEvery: number
  /** Number of fixed evaluation stories rendered every sampleEvery steps. */
  sampleStories: number
  maskPolicy: MaskSourcePolicy
  /** Checkpoint file to resume from. */
  resumeFrom?: string
}

/** One tick's statistics: the domain's TrainingProgress, as the worker sends it. */
export type ProgressStats = TrainingProgress

export type ToTrainingWorker = { type: 'start'; seq: number; spec: RunSpec } | { type: 'stop'; seq: number }

export type FromTrainingWorker =
  | { type: 'started'; seq: number; runId: number; backend: BackendName; step: number; maskCoverage: unknown }
  | { type: 'progress'; seq: number; runId: number; stats: ProgressStats }
  | { type: 'sample'; seq: number; runId: number; step: number; files: string[]; maskIoU: number | null }
  | { type: 'checkpoint'; seq: number; runId: number; step: number; file: string }
  | { type: 'log'; seq: number; runId: number; line: string }
  | { type: 'ended'; seq: number; runId: number; status: 'stopped' | 'finished'; step: number }
  | { type: 'failed'; seq: number; runId: number; message: string; internal: boolean }
