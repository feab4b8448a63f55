/** What every format writer receives, and what it reports back. */
import type { Db } from '../db/database'
import type { FrameStore } from '../frame-store'
import type { ExportSummary } from '../../shared/contract'
import type { CharacterInfo, DatasetFormat } from '../../shared/domain'
import { UserError } from '../../shared/result'
import type { ResolvedExportOptions } from './export-options'
import type { ExportPlan } from './select-frames'
import type { ExportSink } from './sink'

export interface ExportDataset {
  id: number
  name: string
  format: DatasetFormat
  framesPerStory: number
  sentenceDim: number
  attributeDim: number
}

export interface WriterContext {
  db: Db
  frames: FrameStore
  dataset: ExportDataset
  /** In character index order. */
  characters: CharacterInfo[]
  plan: ExportPlan
  options: ResolvedExportOptions
  sink: ExportSink
  /** Reports progress, throws ExportCancelled when asked to stop, and lets other work run. */
  step(done: number, total: number): Promise<void>
}

/** The counts a writer reports; run-export adds the path, files and bytes. */
export type WriterCounts = Pick<ExportSummary, 'layout' | 'stories' | 'clips' | 'frames' | 'maskedFrames' | 'annotations'>

/** Thrown when an export is cancelled; nothing it wrote is kept. */
export class ExportCancelled extends UserError {
  constructor() {
    super('export cancelled', 'cancelled')
  }
}

const encoder = new TextEncoder()

/** UTF-8 bytes of pretty-printed JSON (sizes stay readable for people opening the files). */
export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value, null, 2)}\n`)
}
