/**
 * CP-CSV training configuration: sizes, loss weights, optimiser settings and the switches that
 * select reference (upstream) behaviour. Pure data; shared by the UI, the CLI and the training
 * worker. Field meanings follow docs/cpcsv-reference.md sections 1, 3 and 4; preset sizes follow
 * docs/targets.md exactly (the PyTorch reference figures were measured at those sizes).
 */

/** Named presets. `paper` is CP-CSV `final.yml` on Pororo-SV; `clevr` its CLEVR-SV config. */
export type TrainPresetName = 'paper' | 'small' | 'tiny' | 'clevr'

/** Resolved training configuration (written into each run's config.json before step 0). */
export interface TrainConfig {
  /** Preset this config started from (informational). */
  preset: TrainPresetName | 'custom'
  /** T = VIDEO_LEN, frames per story. */
  videoLen: number
  /** Square image and mask side in pixels. The generator and discriminators are built for 64. */
  imageSize: number
  /** Per-frame text vector length (Pororo-SV 356 = 128 sentence + 228 attribute; CLEVR-SV 75). */
  textDim: number
  /** Character (or attribute) label bits per frame (Pororo-SV 9, CLEVR-SV 15). */
  labelNum: number
  /** GAN.CONDITION_DIM: story-encoder (CA_NET) output size. */
  conditionDim: number
  /** GAN.Z_DIM: per-step noise fed to the noise GRU. */
  zDim: number
  /** GAN.GF_DIM; the image branch starts at ngf = 8 * gfDim channels at 4x4. */
  gfDim: number
  /** GAN.GF_SEG_DIM; channels of the figure-ground (mask) branch at 4x4. */
  gfSegDim: number
  /** GAN.DF_DIM = ndf; discriminator features end at 8 * dfDim channels at 4x4. */
  dfDim: number
  /** Text2Gist signal length: a hard-coded 124 upstream, not conditionDim (reference 11.3). */
  gistLength: number
  /** Text2Gist signal channels (3). */
  gistChannels: number
  /** Text2Gist 1-D dynamic filter width (21, padding 10). */
  gistKernel: number
  /** ST_BATCH: stories per batch on the story path. */
  storyBatch: number
  /** IM_BATCH: single frames per batch on the image path (and masks for D_SEG). */
  imageBatch: number
  /** Generator learning rate (Adam). */
  lrG: number
  /** Learning rate of all three discriminators (Adam). */
  lrD: number
  /** Adam (beta1, beta2); upstream (0.5, 0.999). */
  betas: [number, number]
  /** Adam epsilon, added to sqrt(v-hat) as torch.optim.Adam does. */
  adamEps: number
  /** LR_DECAY_EPOCH: G and D_img/D_sty rates halve at the end of this epoch, then the step doubles. */
  lrDecayEpoch: number
  /** B8: upstream never decays D_SEG's rate. true decays it like the other discriminators. */
  decaySegDiscriminatorLr: boolean
  /** MAX_EPOCH. */
  maxEpoch: number
  /** Epochs between checkpoints (SNAPSHOT_INTERVAL). */
  snapshotInterval: number
  /** TRAIN.COEFF.KL: weight of both KL terms. */
  klCoeff: number
  /** IMAGE_RATIO: despite its name it weights the *story* adversarial loss (reference 4.2). */
  imageRatio: number
  /** SEGMENT_RATIO: weight of the generator's mask (D_SEG) loss. */
  segmentRatio: number
  /** CONSISTENCY_RATIO: weight of the order-consistency loss when useSeqConsistency is on. */
  consistencyRatio: number
  /** Trainer `ratio`, multiplies the story, mask and story-KL terms of the G loss (1.0 upstream). */
  ratio: number
  /** SEGMENT_LEARNING: build the figure-ground branch, its fusion and D_SEG. */
  segmentLearning: boolean
  /** USE_SEQ_CONSISTENCY: the order-consistency VideoEncoder on D_STY (reference 3.7, 4.1-4.2). */
  useSeqConsistency: boolean
  /**
   * B1: upstream tiles the story code along the batch axis, so frame b*T+t receives story
   * (b*T+t) mod B's code. true (default) gives each frame its own story's code; false
   * reproduces upstream (needed for parity with upstream weights and the reference fixture).
   */
  fixStoryCodeOrder: boolean
  /** BatchNorm momentum in PyTorch's convention (new = (1-m)*old + m*batch); TF's 0.9. */
  bnMomentum: number
  /** BatchNorm epsilon (PyTorch 1e-5; TF.js defaults to 1e-3). */
  bnEps: number
  /** Seed for weight initialisation and noise. */
  seed: number
}

/** Paper configuration (CP-CSV `cfg/final.yml` at HEAD, Pororo-SV). */
const PAPER: TrainConfig = {
  preset: 'paper',
  videoLen: 5,
  imageSize: 64,
  textDim: 356,
  labelNum: 9,
  conditionDim: 124,
  zDim: 100,
  gfDim: 256,
  gfSegDim: 1024,
  dfDim: 124,
  gistLength: 124,
  gistChannels: 3,
  gistKernel: 21,
  storyBatch: 18,
  imageBatch: 90,
  lrG: 1e-4,
  lrD: 4e-4,
  betas: [0.5, 0.999],
  adamEps: 1e-8,
  lrDecayEpoch: 20,
  decaySegDiscriminatorLr: false,
  maxEpoch: 120,
  snapshotInterval: 10,
  klCoeff: 1,
  imageRatio: 5,
  segmentRatio: 1,
  consistencyRatio: 1,
  ratio: 1,
  segmentLearning: true,
  useSeqConsistency: false,
  fixStoryCodeOrder: true,
  bnMomentum: 0.1,
  bnEps: 1e-5,
  seed: 0
}

/**
 * Presets. Only convolution widths and batch sizes differ between paper, small and tiny; data
 * and latent sizes stay as in the paper (targets.md). Parameter counts (G / D_img / D_sty /
 * D_seg): paper 86,995,977 / 23,725,169 / 23,582,321 / 23,721,201; small 6,468,369 / 904,769 /
 * 886,337 / 904,257; tiny 3,934,797 / 372,513 / 363,297 / 372,257; clevr 50,202,003 /
 * 12,847,489 / 12,663,169 / 12,844,417.
 */
export const TRAIN_PRESETS: Readonly<Record<TrainPresetName, Readonly<TrainConfig>>> = {
  paper: PAPER,
  small: { ...PAPER, preset: 'small', gfDim: 32, gfSegDim: 128, dfDim: 16, storyBatch: 4, imageBatch: 20 },
  tiny: { ...PAPER, preset: 'tiny', gfDim: 16, gfSegDim: 64, dfDim: 8, storyBatch: 2, imageBatch: 10 },
  clevr: {
    ...PAPER,
    preset: 'clevr',
    videoLen: 4,
    textDim: 75,
    labelNum: 15,
    conditionDim: 75,
    gfDim: 192,
    gfSegDim: 1024,
    dfDim: 96,
    storyBatch: 20,
    imageBatch: 100
  }
}

/** Defaults: the paper configuration. */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = PAPER

/** A fresh config from a preset, with overrides applied on top. */
export function trainConfigFromPreset(name: TrainPresetName, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const base = TRAIN_PRESETS[name]
  return { ...base, betas: [...base.betas] as [number, number], ...overrides }
}

function isPositiveInt(x: unknown): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x > 0
}

function isFiniteNumber(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x)
}

const POSITIVE_INTS: (keyof TrainConfig)[] = [
  'videoLen', 'imageSize', 'textDim', 'labelNum', 'conditionDim', 'zDim', 'gfDim', 'gfSegDim',
  'dfDim', 'gistLength', 'gistChannels', 'gistKernel', 'storyBatch', 'imageBatch', 'lrDecayEpoch',
  'maxEpoch', 'snapshotInterval'
]
const NON_NEGATIVE: (keyof TrainConfig)[] = [
  'klCoeff', 'imageRatio', 'segmentRatio', 'consistencyRatio', 'ratio'
]
const BOOLEANS: (keyof TrainConfig)[] = [
  'segmentLearning', 'useSeqConsistency', 'fixStoryCodeOrder', 'decaySegDiscriminatorLr'
]

function checkArchitecture(c: TrainConfig, problems: string[]): void {
  if (c.imageSize !== 64) problems.push('imageSize must be 64 (the networks are built for 64x64)')
  if (isPositiveInt(c.gfDim) && (8 * c.gfDim) % 16 !== 0) {
    problems.push('gfDim must be even: 8 * gfDim is halved four times')
  }
  if (c.segmentLearning && isPositiveInt(c.gfSegDim) && c.gfSegDim % 16 !== 0) {
    problems.push('gfSegDim must be a multiple of 16: it is halved four times')
  }
  if (isPositiveInt(c.gistKernel) && c.gistKernel % 2 !== 1) {
    problems.push('gistKernel must be odd (the 1-D filter is centred)')
  }
  if (c.useSeqConsistency && isPositiveInt(c.videoLen) && c.videoLen < 2) {
    problems.push('useSeqConsistency needs videoLen of at least 2: a one-frame story has no order to break')
  }
}

function checkBatches(c: TrainConfig, problems: string[]): void {
  // BatchNorm in training mode needs more than one value per channel (B9 breaks D_STY at 1),
  // and the wrong-pair loss pairs sample i with condition i+1.
  if (isPositiveInt(c.storyBatch) && c.storyBatch < 2) problems.push('storyBatch must be at least 2')
  if (isPositiveInt(c.imageBatch) && c.imageBatch < 2) problems.push('imageBatch must be at least 2')
}

function checkOptimiser(c: TrainConfig, problems: string[]): void {
  for (const key of ['lrG', 'lrD', 'adamEps'] as const) {
    if (!isFiniteNumber(c[key]) || c[key] <= 0) problems.push(`${key} must be a positive number`)
  }
  const betas = c.betas
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => isFiniteNumber(b) && b >= 0 && b < 1)) {
    problems.push('betas must be two numbers in [0, 1)')
  }
  if (!isFiniteNumber(c.bnMomentum) || c.bnMomentum < 0 || c.bnMomentum > 1) {
    problems.push('bnMomentum must be in [0, 1] (PyTorch convention, 0.1)')
  }
  if (!isFiniteNumber(c.bnEps) || c.bnEps <= 0) problems.push('bnEps must be a positive number')
}

/**
 * Every problem with a config, as sentences naming the field; empty when it is usable.
 * Zod-free on purpose: src/shared must stay dependency-light for the renderer build.
 */
export function validateTrainConfig(c: TrainConfig): string[] {
  const problems: string[] = []
  if (c === null || typeof c !== 'object') return ['config must be an object']
  for (const key of POSITIVE_INTS) {
    if (!isPositiveInt(c[key])) problems.push(`${key} must be a positive integer`)
  }
  for (const key of NON_NEGATIVE) {
    const v = c[key]
    if (!isFiniteNumber(v) || (v as number) < 0) problems.push(`${key} must be a non-negative number`)
  }
  for (const key of BOOLEANS) {
    if (typeof c[key] !== 'boolean') problems.push(`${key} must be true or false`)
  }
  if (!Number.isInteger(c.seed)) problems.push('seed must be an integer')
  checkArchitecture(c, problems)
  checkBatches(c, problems)
  checkOptimiser(c, problems)
  return problems
}

/** Per-frame generator input size: motion (text + labels) + condition + Text2Gist length. */
export function generatorInputDim(c: TrainConfig): number {
  return c.textDim + c.labelNum + c.conditionDim + c.gistLength
}

/** Discriminator condition size: condition + text + labels (489 on Pororo-SV). */
export function discriminatorConditionDim(c: TrainConfig): number {
  return c.conditionDim + c.textDim + c.labelNum
}
