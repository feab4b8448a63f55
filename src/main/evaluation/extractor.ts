/**
 * The one interface every feature network of the evaluation sits behind (FID's InceptionV3,
 * FSD's R(2+1)D-18). Samples go in as 8-bit pixels, because the reference scores saved PNGs and
 * reloaded them (reference doc §6.1), and come out as float32 feature rows.
 */

/** Which metric a feature network serves. */
export type ExtractorKind = 'fid' | 'fsd'

/** Preprocessing settings: they change the features, so they key caches and name score variants. */
export type ExtractorSettings = Record<string, string | number | boolean>

/** A feature network with its preprocessing: 8-bit samples in, float32 feature rows out. */
export interface FeatureExtractor {
  readonly kind: ExtractorKind
  /** Feature length D (2048 for InceptionV3 pool features, 512 for R(2+1)D-18). */
  readonly dim: number
  /** Absolute path of the network file. */
  readonly modelFile: string
  /** sha256 (hex) of the network file. */
  readonly modelHash: string
  readonly settings: ExtractorSettings
  /**
   * Features of `count` samples, count×dim row-major.
   * @param pixels FID: frames, count×side×side×3 (NHWC) uint8. FSD: stories,
   *   count×T×side×side×3 (NTHWC) uint8, T frames per story.
   */
  extract(pixels: Uint8Array, count: number): Promise<Float32Array>
  close(): Promise<void>
}

/** A short, stable name of an extractor's setup: kind, first 12 hex digits of the file hash, settings. */
export function extractorVariant(e: Pick<FeatureExtractor, 'kind' | 'modelHash' | 'settings'>): string {
  const settings = Object.keys(e.settings)
    .sort()
    .map((k) => `${k}=${String(e.settings[k])}`)
    .join(',')
  return `${e.kind}:${e.modelHash.slice(0, 12)}:${settings}`
}

/** Canonical JSON of settings (sorted keys), as stored in the reference-statistics cache key. */
export function canonicalSettings(settings: ExtractorSettings): string {
  return JSON.stringify(Object.fromEntries(Object.keys(settings).sort().map((k) => [k, settings[k]])))
}
