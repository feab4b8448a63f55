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

/** Evaluation metrics (issue 7): FID, Fréchet Story Distance, character accuracy (char F1 + frame accuracy), mask IoU. */
export const EVAL_METRICS = ['fid', 'fsd', 'char', 'mask'] as const
export type EvalMetric = (typeof EVAL_METRICS)[number]

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
  'evaluation:options': z.object({}).strict(),
  'evaluation:setModels': z
    .object({
      // null forgets a stored path; absent leaves it as it is.
      fidModel: z.string().trim().min(1, 'fidModel must not be empty').nullable().optional(),
      fsdModel: z.string().trim().min(1, 'fsdModel must not be empty').nullable().optional(),
      fsdCompat: z.boolean().optional()
    })
    .strict(),
  'evaluation:start': z
    .object({
      runId: id,
      // Checkpoint steps, or every checkpoint, or the latest one (the default).
      steps: z.union([z.array(z.number().int().min(0)).min(1).max(10_000), z.enum(['all', 'latest'])]).default('latest'),
      split: z.enum(['train', 'val', 'test', 'all']).default('test'),
      // Absent: every metric whose model or classifier is available (the job's notes say which were left out).
      metrics: z.array(z.enum(EVAL_METRICS)).min(1).max(4).optional(),
      fidModel: z.string().trim().min(1).optional(),
      fsdModel: z.string().trim().min(1).optional(),
      fsdCompat: z.boolean().optional()
    })
    .strict(),
  'evaluation:status': z.object({ jobId: z.string().min(1) }).strict(),
  'evaluation:cancel': z.object({ jobId: z.string().min(1) }).strict(),
  'evaluation:results': z.object({ runIds: z.array(id).max(100).optional() }).strict(),
  'classifier:get': z.object({ datasetId: id }).strict(),
  'classifier:train': z.object({ datasetId: id, epochs: z.number().int().min(1).max(500).optional() }).strict(),
  'runs:samples': z.object({ runId: id, step: z.number().int().min(0).optional() }).strict(),
  'generation:encode': z
    .object({
      datasetId: id,
      sentences: z.array(z.string().max(500, 'a sentence may have at most 500 characters')).max(16),
      characters: z.array(z.array(characterIdx).max(256)).max(16).optional()
    })
    .strict(),
  'generation:story': z
    .object({
      runId: id,
      // A checkpoint step; the run's latest checkpoint when absent.
      step: z.number().int().min(0).optional(),
      seed: z.number().int().min(0).max(2 ** 31).default(0),
      storyId: id.optional(),
      sentences: z.array(z.string().max(500, 'a sentence may have at most 500 characters')).min(1).max(16).optional(),
      // Character idxs present in each frame (the label vector); with sentences only.
      characters: z.array(z.array(characterIdx).max(256)).max(16).optional()
    })
    .strict()
    .refine((r) => (r.storyId === undefined) !== (r.sentences === undefined), {
      message: 'give either storyId (a dataset story) or sentences (one per frame), not both'
    })
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
  'evaluation:options': EvaluationOptions
  'evaluation:setModels': EvaluationOptions
  'evaluation:start': EvaluationJob
  'evaluation:status': EvaluationJob
  'evaluation:cancel': EvaluationJob
  'evaluation:results': EvaluationRecord[]
  'classifier:get': ClassifierInfo | null
  'classifier:train': EvaluationJob
  'runs:samples': SampleInfo[]
  'generation:encode': TextEncoding
  'generation:story': GenerationResult
}

/** The encoder typed sentences go through (chosen by the dataset; see src/main/training/text-encoder.ts). */
export interface TextEncoderInfo {
  kind: 'demo-cartoon' | 'hashed'
  name: string
  description: string
}

/** How one typed sentence was read. */
export interface EncodedSentenceInfo {
  text: string
  /** exact: a demo grammar caption; canonical: free text rewritten as one; keywords: partly recognised; hashed; empty. */
  mode: 'exact' | 'canonical' | 'keywords' | 'hashed' | 'empty'
  /** The caption it was read as (exact, canonical) or what was recognised (keywords); null otherwise. */
  readAs: string | null
  /** Character idxs the sentence names (or, for the demo encoder, stands for). */
  characters: number[]
}

export interface TextEncoding {
  encoder: TextEncoderInfo
  sentences: EncodedSentenceInfo[]
}

/** A generated story: a PNG strip (row 1 frames, row 2 masks when the model has them, row 3 ground truth for dataset stories). */
export interface GenerationResult {
  /** 'data:image/png;base64,…' */
  dataUrl: string
  width: number
  height: number
  /** Frames in the story (strip columns), each `imageSize` square. */
  frames: number
  imageSize: number
  hasMasks: boolean
  hasTruth: boolean
  runId: number
  /** Checkpoint step used. */
  step: number
  seed: number
  storyId: number | null
  /** How the typed sentences were encoded; null for a dataset story. */
  encoding: TextEncoding | null
  /** Milliseconds spent in the generation worker. */
  millis: number
}

/** Scores stored per checkpoint; TensorBoard and metrics.jsonl tag them `eval/<score>`. */
export type EvalScore = 'fid' | 'fsd' | 'char_f1' | 'frame_acc' | 'mask_iou'

/** One stored score of one checkpoint (issue 7). */
export interface EvaluationRecord {
  runId: number
  step: number
  split: string
  score: EvalScore
  value: number
  /** Samples compared: stories for FSD, frames for the others. */
  samples: number
  /** What the value depends on besides the checkpoint (model file hash, preprocessing, classifier). */
  variant: string
  details: Record<string, unknown>
  createdAt: string
}

/** Multi-label scores of the character classifier (threshold 0.5); values in [0, 1]. */
export interface ClassifierScores {
  /** Exact match of every label bit of a frame. */
  frameAcc: number
  microF1: number
  macroF1: number
  perLabel: { name: string; precision: number; recall: number; f1: number; support: number }[]
}

/** The character classifier of a dataset, trained in the workbench, with its own held-out scores. */
export interface ClassifierInfo {
  datasetId: number
  labelNames: string[]
  trainFrames: number
  heldOutFrames: number
  /** Where the held-out frames come from, e.g. 'val+test' or '20% of train stories'. */
  heldOutFrom: string
  epochs: number
  heldOut: ClassifierScores
  /** The best constant prediction on the held-out frames: what "above chance" is measured against. */
  baseline: { frameAcc: number; microF1: number }
  createdAt: string
}

/** An evaluation (or classifier training) running in the evaluation worker. */
export interface EvaluationJob {
  jobId: string
  kind: 'evaluate' | 'classifier'
  state: 'running' | 'finished' | 'failed' | 'cancelled'
  runId: number | null
  runName: string | null
  datasetId: number
  split: string
  steps: number[]
  metrics: EvalMetric[]
  /** Metrics left out because their model or classifier is missing (when none were named). */
  notes: string[]
  phase: string
  done: number
  total: number
  error: string | null
  /** Scores written so far (checkpoint by checkpoint). */
  results: EvaluationRecord[]
  classifier: ClassifierInfo | null
  startedAt: string
}

/** Whether a feature network file is configured and present. */
export interface EvaluationModelStatus {
  metric: 'fid' | 'fsd'
  path: string | null
  state: 'unset' | 'missing' | 'found'
  message: string
}

/** A value reported in the literature (reference doc section 7), shown as a labelled reference row. */
export interface PaperResult {
  model: string
  label: string
  /** 'cpcsv': CP-CSV's own protocol (FID / FSD); 'duco': DuCo's re-evaluation (FID, char F1, frame accuracy). */
  protocol: 'cpcsv' | 'duco'
  fid: number | null
  fsd: number | null
  /** Percent, as papers report it. */
  charF1: number | null
  /** Percent, as papers report it. */
  frameAcc: number | null
  source: string
  note: string
}

export interface EvaluationOptions {
  fidModel: string | null
  fsdModel: string | null
  /** Reference-compatible FSD: 64x64 clips in [-1, 1] without resize (upstream bug B4). */
  fsdCompat: boolean
  models: EvaluationModelStatus[]
  paper: PaperResult[]
  activeJob: EvaluationJob | null
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
  | { type: 'evaluation:progress'; job: EvaluationJob }
  | { type: 'evaluation:finished'; job: EvaluationJob }

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
