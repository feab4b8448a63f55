/**
 * The hyperparameters of the new-run form, grouped as a person thinks of them, with the text
 * state of each input and the pure parsing/validation that turns it into a TrainConfig plus the
 * overrides sent to 'training:start'. Validation is `validateTrainConfig` from src/shared (the
 * API runs it again), with its sentences attached to the field they name.
 */
import { validateTrainConfig, type TrainConfig } from '../../../../shared/train-config'

export type FieldKind = 'int' | 'float' | 'bool' | 'pair'

export interface ConfigField {
  key: Exclude<keyof TrainConfig, 'preset' | 'seed'>
  label: string
  kind: FieldKind
  help: string
}

export interface FieldGroup {
  id: string
  title: string
  note?: string
  fields: ConfigField[]
}

const f = (key: ConfigField['key'], label: string, kind: FieldKind, help: string): ConfigField => ({ key, label, kind, help })

/** Every TrainConfig field but `preset` and `seed` (the seed is a run option), in groups. */
export const CONFIG_GROUPS: FieldGroup[] = [
  {
    id: 'architecture',
    title: 'Architecture',
    fields: [
      f('videoLen', 'Frames per story (T)', 'int', 'VIDEO_LEN: frames per story (Pororo-SV 5, CLEVR-SV 4)'),
      f('imageSize', 'Image size (px)', 'int', 'side of frames and masks; the networks are built for 64'),
      f('textDim', 'Text vector dims', 'int', 'TEXT.DIMENSION: sentence + attribute dims per frame; must match the dataset'),
      f('labelNum', 'Label bits', 'int', 'LABEL_NUM: characters (Pororo-SV 9) or attribute bits (CLEVR-SV 15); must match the dataset'),
      f('conditionDim', 'Condition dims', 'int', 'GAN.CONDITION_DIM: story encoder (CA-Net) output size'),
      f('zDim', 'Noise dims (z)', 'int', 'GAN.Z_DIM: per-step noise of the noise GRU'),
      f('gfDim', 'Generator width', 'int', 'GAN.GF_DIM: the image branch starts at 8·gfDim channels at 4×4'),
      f('gfSegDim', 'Mask branch width', 'int', 'GAN.GF_SEG_DIM: channels of the figure-ground branch at 4×4 (multiple of 16)'),
      f('dfDim', 'Discriminator width', 'int', 'GAN.DF_DIM: discriminators end at 8·dfDim channels at 4×4'),
      f('gistLength', 'Text2Gist length', 'int', 'Text2Gist signal length (a hard-coded 124 upstream)'),
      f('gistChannels', 'Text2Gist channels', 'int', 'Text2Gist signal channels (3)'),
      f('gistKernel', 'Text2Gist kernel', 'int', 'width of the 1-D dynamic filter (odd; 21 upstream)'),
      f('segmentLearning', 'Figure-ground module', 'bool', 'SEGMENT_LEARNING: build the mask branch, its fusion and D_seg')
    ]
  },
  {
    id: 'batch',
    title: 'Batch',
    fields: [
      f('storyBatch', 'Stories per batch', 'int', 'ST_BATCH: stories per step on the story path (at least 2)'),
      f('imageBatch', 'Frames per batch', 'int', 'IM_BATCH: single frames per step on the image path (at least 2)')
    ]
  },
  {
    id: 'optimiser',
    title: 'Optimiser and schedule',
    fields: [
      f('lrG', 'Generator LR', 'float', 'Adam learning rate of G'),
      f('lrD', 'Discriminator LR', 'float', 'Adam learning rate of D_img, D_sty and D_seg'),
      f('betas', 'Adam betas', 'pair', 'Adam (beta1, beta2); upstream (0.5, 0.999)'),
      f('adamEps', 'Adam epsilon', 'float', 'added to sqrt(v̂) as torch.optim.Adam does'),
      f('lrDecayEpoch', 'LR decay epoch', 'int', 'LR_DECAY_EPOCH: rates halve at the end of this epoch, then the interval doubles'),
      f('maxEpoch', 'Max epoch', 'int', 'MAX_EPOCH (recorded; the run length here is Steps)'),
      f('snapshotInterval', 'Snapshot interval (epochs)', 'int', 'SNAPSHOT_INTERVAL (recorded; checkpoints here follow “Checkpoint every”)'),
      f('bnMomentum', 'BatchNorm momentum', 'float', 'PyTorch convention: new = (1 − m)·old + m·batch (0.1)'),
      f('bnEps', 'BatchNorm epsilon', 'float', 'PyTorch 1e-5 (TF.js would default to 1e-3)')
    ]
  },
  {
    id: 'loss',
    title: 'Loss weights',
    fields: [
      f('klCoeff', 'KL weight', 'float', 'TRAIN.COEFF.KL: weight of both KL terms'),
      f('imageRatio', 'Story loss weight', 'float', 'IMAGE_RATIO: despite its name it weights the story adversarial loss'),
      f('segmentRatio', 'Mask loss weight', 'float', 'SEGMENT_RATIO: weight of the generator’s D_seg loss'),
      f('consistencyRatio', 'Consistency weight', 'float', 'CONSISTENCY_RATIO: order-consistency loss (with useSeqConsistency)'),
      f('ratio', 'Trainer ratio', 'float', 'multiplies the story, mask and story-KL terms of the G loss (1.0)')
    ]
  },
  {
    id: 'reference',
    title: 'Reference behaviour',
    note: 'Switch between fixed behaviour and the upstream CP-CSV code (docs/cpcsv-reference.md §8).',
    fields: [
      f('fixStoryCodeOrder', 'Fix story code order (B1)', 'bool', 'Upstream bug B1 tiles the story code along the batch, so a frame gets another story’s code. On: each frame gets its own story’s code. Off: reproduce upstream (parity with upstream weights).'),
      f('decaySegDiscriminatorLr', 'Decay D_seg LR (B8)', 'bool', 'Upstream (B8) never decays D_seg’s rate. On: decay it like the other discriminators.'),
      f('useSeqConsistency', 'Order consistency', 'bool', 'USE_SEQ_CONSISTENCY: the order-consistency VideoEncoder on D_sty (shuffled-story BCE in D, feature matching in G)')
    ]
  }
]

export const ALL_FIELDS: ConfigField[] = CONFIG_GROUPS.flatMap((g) => g.fields)

/** What the inputs hold: text for numbers (so a half-typed value is not lost), booleans as is. */
export type FieldValues = Record<string, string | boolean>

/** Input values of a config ('betas' becomes 'betas.0' and 'betas.1'). */
export function valuesOf(config: Readonly<TrainConfig>): FieldValues {
  const out: FieldValues = {}
  for (const field of ALL_FIELDS) {
    const v = config[field.key]
    if (field.kind === 'pair') {
      const pair = v as [number, number]
      out[`${field.key}.0`] = String(pair[0])
      out[`${field.key}.1`] = String(pair[1])
    } else out[field.key] = field.kind === 'bool' ? Boolean(v) : String(v)
  }
  return out
}

export interface ParsedForm {
  config: TrainConfig
  /** Inline message per field key. */
  errors: Record<string, string>
  /** Problems that name no single field. */
  general: string[]
  /** Fields that differ from the preset (what 'training:start' gets as overrides). */
  overrides: Partial<TrainConfig>
}

function parseNumber(text: string): number | null {
  const t = text.trim()
  if (t === '') return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b
}

/** Parses the inputs against a preset and validates the result; see ParsedForm. */
export function parseForm(values: FieldValues, preset: Readonly<TrainConfig>, seed: number): ParsedForm {
  const config = { ...preset, betas: [...preset.betas], seed } as TrainConfig
  const errors: Record<string, string> = {}
  const target = config as unknown as Record<string, unknown>
  for (const field of ALL_FIELDS) {
    if (field.kind === 'bool') {
      target[field.key] = Boolean(values[field.key])
      continue
    }
    const texts = field.kind === 'pair' ? [values[`${field.key}.0`], values[`${field.key}.1`]] : [values[field.key]]
    const numbers = texts.map((t) => parseNumber(String(t ?? '')))
    if (numbers.some((n) => n === null)) {
      errors[field.key] = `${field.key} must be a number${field.kind === 'pair' ? ' in both boxes' : ''}`
      continue
    }
    target[field.key] = field.kind === 'pair' ? numbers : numbers[0]
  }
  const general: string[] = []
  const keys = new Set<string>(ALL_FIELDS.map((x) => x.key))
  for (const problem of validateTrainConfig(config)) {
    const key = problem.split(' ')[0]
    if (keys.has(key)) errors[key] ??= problem
    else general.push(problem)
  }
  const overrides: Record<string, unknown> = {}
  for (const field of ALL_FIELDS) if (!sameValue(target[field.key], preset[field.key])) overrides[field.key] = target[field.key]
  return { config, errors, general, overrides: overrides as Partial<TrainConfig> }
}

/** How a run option input is checked (the API's schema has the same bounds). */
export const RUN_OPTION_LIMITS: Record<string, { min: number; max: number; label: string }> = {
  steps: { min: 1, max: 100_000_000, label: 'Steps' },
  seed: { min: 0, max: 2 ** 31, label: 'Seed' },
  tickSteps: { min: 1, max: 10_000, label: 'Steps per tick' },
  checkpointEvery: { min: 1, max: 100_000_000, label: 'Checkpoint every' },
  sampleEvery: { min: 1, max: 100_000_000, label: 'Samples every' },
  sampleStories: { min: 1, max: 16, label: 'Sample stories' }
}

/** Parses the integer run options; returns values and inline messages. */
export function parseRunOptions(texts: Record<string, string>): { values: Record<string, number>; errors: Record<string, string> } {
  const values: Record<string, number> = {}
  const errors: Record<string, string> = {}
  for (const [key, limit] of Object.entries(RUN_OPTION_LIMITS)) {
    const n = parseNumber(texts[key] ?? '')
    if (n === null || !Number.isInteger(n)) errors[key] = `${limit.label} must be a whole number`
    else if (n < limit.min || n > limit.max) errors[key] = `${limit.label} must be between ${limit.min} and ${limit.max.toLocaleString('en')}`
    else values[key] = n
  }
  return { values, errors }
}
