/**
 * The Workbench API contract: every request (validated by its schema at both bindings before
 * any service runs), its reply type, and the events streamed to the renderer. Electron IPC and
 * serve mode (HTTP + WebSocket) are two bindings of this one contract and add no behaviour.
 */
import { z } from 'zod'
import type {
  AppInfo,
  BackendChoice,
  CheckpointInfo,
  RunSummary,
  SampleInfo,
  TrainingProgress,
  FrameDetail,
  FrameInfo,
  LabelingProgress,
  MaskData,
  MaskVersion,
  DatasetDetail,
  DatasetSummary,
  ImportJob,
  StoryDetail,
  StorySummary
} from './domain'

const id = z.number().int().positive()
const characterIdx = z.number().int().min(0).max(255)
const datasetName = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(80, 'name must be at most 80 characters')
  .regex(/^[\w .+-]+$/, 'name may use letters, digits, space, dot, plus, dash and underscore')

/** Export formats (issue 9): the research layout (CP-CSV / Pororo-SV, or CLEVR-SV), COCO instance JSON, palette PNG masks. */
export const EXPORT_FORMATS = ['cpcsv', 'coco', 'png'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]
/** Which frames: all, those with a hand mask, or those a person marked done. */
export type ExportOnly = 'all' | 'labeled' | 'done'
/** Mask sources: hand masks only, or per frame the hand masks when it has any, else the imported ones. */
export type ExportSources = 'hand' | 'hand+imported'

/** What a finished export wrote. */
export interface ExportSummary {
  /** Absolute path of the output folder, or of the .zip file. */
  path: string
  format: ExportFormat
  layout: 'pororo' | 'clevr' | 'coco' | 'png'
  zip: boolean
  files: number
  bytes: number
  stories: number
  clips: number
  frames: number
  /** Frames written with at least one mask layer. */
  maskedFrames: number
  /** COCO annotations (0 for the other formats). */
  annotations: number
}

/** An export running in the main process; progress arrives as `export:progress` events. */
export interface ExportJob {
  jobId: string
  state: 'running' | 'finished' | 'failed' | 'cancelled'
  datasetId: number
  format: ExportFormat
  /** Destination path as resolved when the job started. */
  out: string
  phase: string
  done: number
  total: number
  error: string | null
  result: ExportSummary | null
}

export const requestSchemas = {
  'app:info': z.object({}).strict(),
  'datasets:list': z.object({}).strict(),
  'datasets:get': z.object({ id }).strict(),
  'datasets:import': z
    .object({
      path: z.string().trim().min(1, 'path must not be empty'),
      format: z.enum(['pororo', 'clevr']).optional(),
      name: datasetName.optional()
    })
    .strict(),
  'datasets:importStatus': z.object({ jobId: z.string().min(1) }).strict(),
  'datasets:cancelImport': z.object({ jobId: z.string().min(1) }).strict(),
  'datasets:createDemo': z
    .object({
      kind: z.enum(['cartoon', 'clevr']),
      stories: z.number().int().min(4).max(50_000).optional(),
      seed: z.number().int().min(0).max(2 ** 31).optional()
    })
    .strict(),
  'datasets:delete': z.object({ id }).strict(),
  'stories:list': z
    .object({
      datasetId: id,
      split: z.enum(['train', 'val', 'test']).optional(),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(50)
    })
    .strict(),
  'stories:get': z.object({ id }).strict(),
  'frames:get': z.object({ id }).strict(),
  'frames:setStatus': z.object({ id, status: z.enum(['unlabeled', 'in_progress', 'done', 'skipped']) }).strict(),
  'frames:nextUnlabeled': z
    .object({ datasetId: id, split: z.enum(['train', 'val', 'test']).optional(), afterFrameId: z.number().int().min(0).optional() })
    .strict(),
  'labels:set': z.object({ frameId: id, characterIdx, present: z.boolean() }).strict(),
  'masks:get': z.object({ frameId: id, characterIdx: characterIdx.nullable(), source: z.enum(['hand', 'imported', 'truth', 'generated']) }).strict(),
  'masks:save': z
    .object({
      frameId: id,
      characterIdx,
      // Row-major run lengths; checked against the frame's size by the service.
      rle: z.array(z.number().int().min(0)).max(4 * 1024 * 1024, 'RLE has too many runs')
    })
    .strict(),
  'masks:versions': z.object({ frameId: id, characterIdx }).strict(),
  'masks:restore': z.object({ frameId: id, characterIdx, version: z.number().int().positive() }).strict(),
  'labeling:progress': z.object({ datasetId: id }).strict(),
  'export:start': z
    .object({
      datasetId: id,
      format: z.enum(EXPORT_FORMATS),
      only: z.enum(['all', 'labeled', 'done']).default('all'),
      split: z.enum(['train', 'val', 'test']).optional(),
      sources: z.enum(['hand', 'hand+imported']).default('hand+imported'),
      zip: z.boolean().default(false),
      out: z.string().trim().min(1, 'out must not be empty').optional(),
      force: z.boolean().default(false)
    })
    .strict(),
  'export:status': z.object({ jobId: z.string().min(1) }).strict(),
  'export:cancel': z.object({ jobId: z.string().min(1) }).strict(),
  'training:options': z.object({}).strict(),
  'training:start': z
    .object({
      datasetId: id,
      name: datasetName.optional(),
      preset: z.enum(['paper', 'small', 'tiny', 'clevr']),
      split: z.enum(['train', 'val', 'test', 'all']).optional(),
      // Checked field by field against the preset by validateTrainConfig in the service.
      overrides: z.record(z.string(), z.union([z.number(), z.boolean(), z.array(z.number())])).optional(),
      steps: z.number().int().min(1, 'steps must be at least 1').max(100_000_000),
      seed: z.number().int().min(0).max(2 ** 31).optional(),
      backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).optional(),
      tickSteps: z.number().int().min(1).max(10_000).optional(),
      checkpointEvery: z.number().int().min(1).optional(),
      sampleEvery: z.number().int().min(1).optional(),
      sampleStories: z.number().int().min(1).max(16).optional(),
      maskPolicy: z.enum(['hand', 'hand+imported', 'hand+imported+truth']).optional(),
      parentRunId: id.optional()
    })
    .strict(),
  'training:stop': z.object({ runId: id }).strict(),
  'training:resume': z.object({ runId: id, steps: z.number().int().min(1).optional() }).strict(),
  'runs:list': z.object({}).strict(),
  'runs:get': z.object({ id }).strict(),
  'runs:delete': z.object({ id }).strict(),
  'runs:metrics': z.object({ runId: id, sinceStep: z.number().int().min(-1).optional() }).strict(),
  'runs:checkpoints': z.object({ runId: id }).strict(),
  'runs:samples': z.object({ runId: id, step: z.number().int().min(0).optional() }).strict()
} as const

export type Channel = keyof typeof requestSchemas
export type RequestOf<C extends Channel> = z.input<(typeof requestSchemas)[C]>
export type ParsedRequestOf<C extends Channel> = z.output<(typeof requestSchemas)[C]>

export interface ReplyMap {
  'app:info': AppInfo
  'datasets:list': DatasetSummary[]
  'datasets:get': DatasetDetail
  'datasets:import': ImportJob
  'datasets:importStatus': ImportJob
  'datasets:cancelImport': ImportJob
  'datasets:createDemo': ImportJob
  'datasets:delete': { deleted: number }
  'stories:list': { total: number; stories: StorySummary[] }
  'stories:get': StoryDetail
  'frames:get': FrameDetail
  'frames:setStatus': FrameInfo
  'frames:nextUnlabeled': { frameId: number; storyId: number } | null
  'labels:set': FrameInfo
  'masks:get': MaskData | null
  'masks:save': { version: number; area: number; updatedAt: string; frame: FrameInfo }
  'masks:versions': MaskVersion[]
  'masks:restore': MaskData
  'labeling:progress': LabelingProgress
  'export:start': ExportJob
  'export:status': ExportJob
  'export:cancel': ExportJob
  'training:options': TrainingOptions
  'training:start': RunSummary
  'training:stop': RunSummary
  'training:resume': RunSummary
  'runs:list': RunSummary[]
  'runs:get': RunSummary
  'runs:delete': { deleted: number }
  'runs:metrics': Record<string, [number, number][]>
  'runs:checkpoints': CheckpointInfo[]
  'runs:samples': SampleInfo[]
}

/** What the new-run form needs: presets with their full configs, and the backends here. */
export interface TrainingOptions {
  presets: Record<string, Record<string, unknown>>
  backends: BackendChoice[]
  activeRunId: number | null
}
export type ReplyOf<C extends Channel> = ReplyMap[C]

export const channels = Object.keys(requestSchemas) as Channel[]

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, name)
}

/** Events pushed from the main side to every connected renderer. */
export type WorkbenchEvent =
  | { type: 'import:progress'; job: ImportJob }
  | { type: 'import:finished'; job: ImportJob }
  | { type: 'datasets:changed' }
  | { type: 'labeling:changed'; datasetId: number; frameId: number }
  | { type: 'training:status'; run: RunSummary }
  | { type: 'training:progress'; runId: number; progress: TrainingProgress }
  | { type: 'training:sample'; runId: number; step: number }
  | { type: 'training:checkpoint'; runId: number; step: number }
  | { type: 'training:log'; runId: number; line: string }
  | { type: 'export:progress'; job: ExportJob }
  | { type: 'export:finished'; job: ExportJob }

export type EventType = WorkbenchEvent['type']

/** Validates a request; returns the parsed value or a message naming every bad field. */
export function validateRequest<C extends Channel>(
  channel: C,
  request: unknown
): { ok: true; value: ParsedRequestOf<C> } | { ok: false; message: string } {
  const parsed = requestSchemas[channel].safeParse(request ?? {})
  if (parsed.success) return { ok: true, value: parsed.data as ParsedRequestOf<C> }
  const message = parsed.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : 'request'}: ${i.message}`)
    .join('; ')
  return { ok: false, message: `invalid ${channel} request: ${message}` }
}
