import type { Split } from '../../../shared/domain'
import type { BatchArrays, SamplerShape } from './batch-sampler'
import type { MaskSourcePolicy } from './dataset-index'

export interface DataInit {
  workspace: string
  datasetId: number
  split: Split | 'all'
  maskPolicy: MaskSourcePolicy
  shape: SamplerShape
  seed: number
}

export type ToDataWorker = { type: 'init'; init: DataInit } | { type: 'batch'; step: number } | { type: 'close' }

export type FromDataWorker =
  | { type: 'ready' }
  | { type: 'batch'; step: number; arrays: BatchArrays }
  | { type: 'error'; step: number; message: string }
