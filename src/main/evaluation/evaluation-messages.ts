/**
 * Messages between the main thread and the evaluation worker: a discriminated union
 * `{type, seq, ...}`; errors cross as data.
 */
import type { ClassifierInfo, EvalMetric, EvaluationRecord } from '../../shared/contract'
import type { Split } from '../../shared/domain'

/** One evaluation of a run's checkpoints, resolved and checked by the job manager. */
export interface EvaluateSpec {
  jobId: string
  workspace: string
  runId: number
  /** Checkpoint steps, in order. */
  steps: number[]
  split: Split | 'all'
  metrics: EvalMetric[]
  /** Absolute paths of the ONNX files (null when the metric is not asked for). */
  fidModel: string | null
  fsdModel: string | null
  fsdCompat: boolean
}

/** Training of a dataset's character classifier. */
export interface ClassifierSpec {
  jobId: string
  workspace: string
  datasetId: number
  epochs?: number
  seed?: number
}

/** Main thread → worker: start a job, or cancel the running one. */
export type ToEvaluationWorker =
  | { type: 'evaluate'; seq: number; spec: EvaluateSpec }
  | { type: 'classifier'; seq: number; spec: ClassifierSpec }
  | { type: 'cancel'; seq: number; jobId: string }

/** Worker → main thread: progress, scores of a checkpoint, a trained classifier, the end. */
export type FromEvaluationWorker =
  | { type: 'progress'; seq: number; jobId: string; phase: string; done: number; total: number }
  | { type: 'results'; seq: number; jobId: string; records: EvaluationRecord[] }
  | { type: 'classifier'; seq: number; jobId: string; info: ClassifierInfo }
  | { type: 'ended'; seq: number; jobId: string; status: 'finished' | 'cancelled' }
  | { type: 'failed'; seq: number; jobId: string; message: string; internal: boolean }
