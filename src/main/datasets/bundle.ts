/**
 * The normalised form every dataset source (Pororo-SV folder, CLEVR-SV folder, built-in demo
 * generators) produces before it is written to the workspace. The writer stores frames as
 * content-addressed PNG files and the catalog in one SQLite transaction.
 *
 * Vocabulary: a *clip* is one story position (Pororo-SV: one PNG strip of 1..n square frames;
 * CLEVR-SV and the demos: one frame). A *frame* is one image a person labels. A *story* is an
 * ordered list of clips.
 */

export type DatasetFormat = 'pororo' | 'clevr' | 'demo-cartoon' | 'demo-clevr'
export type Split = 'train' | 'val' | 'test'

export interface BundleCharacter {
  /** Display name, e.g. 'Pororo' or 'red metal cube'. */
  name: string
  /** CSS colour '#rrggbb' used for this character's mask layer. */
  color: string
}

export interface BundleFrame {
  /** Encoded PNG bytes of this single frame (RGB or RGBA, 8 bit). */
  png: Uint8Array
  width: number
  height: number
  /**
   * Figure-ground mask shipped with the dataset (Pororo-SV `img_segment/`, CLEVR-SV `_mask.png`),
   * width·height bytes, 1 = figure, 0 = ground. Stored with source 'imported'.
   */
  importedMask?: Uint8Array
  /**
   * Exact per-character masks known to a generator (demo datasets only), keyed by character
   * index, width·height bytes of 0/1. Stored with source 'truth', apart from hand labels.
   */
  truthMasks?: Map<number, Uint8Array>
}

export interface BundleCaption {
  text: string
  /** Sentence vector (Pororo-SV 128-d, CLEVR-SV 75-d), or null when the source has none. */
  sentence: Float32Array | null
  /** Attribute vector (Pororo-SV 228-d), or null. */
  attributes: Float32Array | null
}

export interface BundleClip {
  /** Unique within the dataset, e.g. 'Pororo_ENGLISH1_1_ep1/0' or 'CLEVR_new_000012_3'. */
  key: string
  /** Episode (Pororo-SV folder) or scene id (CLEVR-SV) the clip belongs to. */
  episode: string
  /** Source file the clip came from, relative to the dataset folder, for error messages. */
  sourceFile: string
  /** Frames top to bottom of the strip (one for CLEVR-SV and the demos). */
  frames: BundleFrame[]
  /** One or more captions; the first is the one shown by default. */
  captions: BundleCaption[]
  /** Character presence, one 0/1 entry per dataset character, in character order. */
  labels: number[]
}

export interface BundleStory {
  /** Clip keys in story order (length = framesPerStory). */
  clipKeys: string[]
  split: Split
}

export interface ImportBundle {
  name: string
  format: DatasetFormat
  /** Absolute source folder, or null for generated datasets. */
  sourcePath: string | null
  /** Stable fingerprint of the source (file names, sizes, mtimes; or generator seed and size). */
  fingerprint: string
  characters: BundleCharacter[]
  /** Lengths of the caption vectors (sentence, attributes); 0 where the source has none. */
  textDims: { sentence: number; attributes: number }
  /** Clips per story (Pororo-SV 5, CLEVR-SV 4). */
  framesPerStory: number
  clipCount: number
  /** Clips are produced lazily so large datasets never sit in memory whole. */
  clips: () => Iterable<BundleClip> | AsyncIterable<BundleClip>
  stories: BundleStory[]
  /** Free-form facts about the source shown in the UI (e.g. which split file was used). */
  notes?: string[]
}
