/** Options of one dataset export, their defaults, and the progress/cancel hooks. */
import { join, resolve } from 'node:path'
import type { ExportFormat, ExportOnly, ExportSources } from '../../shared/contract'
import type { Split } from '../../shared/domain'
import type { ExportIo } from './sink'

export interface ExportOptions {
  /** Dataset id, or its name. */
  dataset: number | string
  format: ExportFormat
  /** Which frames (default 'all'). */
  only?: ExportOnly
  /** Only stories (frames of clips in stories) of this split. */
  split?: Split
  /** Mask sources (default 'hand+imported'). */
  sources?: ExportSources
  /** Pack everything into one .zip file instead of a folder. */
  zip?: boolean
  /** Output folder, or .zip file with `zip`; default `<workspace>/exports/<dataset>-<format>`. */
  out?: string
  /** Replace an existing output. */
  force?: boolean
}

/** ExportOptions with defaults applied and the output path made absolute. */
export interface ResolvedExportOptions {
  format: ExportFormat
  only: ExportOnly
  split: Split | undefined
  sources: ExportSources
  zip: boolean
  out: string
  force: boolean
}

export interface ExportProgress {
  phase: 'preparing' | 'writing' | 'finishing'
  done: number
  total: number
}

export interface ExportHooks {
  onProgress?: (p: ExportProgress) => void
  /** Checked between clips/frames; true stops the export and removes what it wrote. */
  cancelled?: () => boolean
  /** File writes (tests inject failures such as ENOSPC); defaults to node:fs/promises. */
  io?: ExportIo
}

/** Default destination: `<exportsDir>/<dataset>-<format>` (plus `.zip`). */
export function defaultExportPath(exportsDir: string, datasetName: string, format: ExportFormat, zip: boolean): string {
  const safe = datasetName.replace(/[^\w.+-]+/g, '_')
  return join(exportsDir, `${safe}-${format}${zip ? '.zip' : ''}`)
}

/** Applies defaults; a zip output always ends in `.zip` so it is never mistaken for a folder. */
export function resolveExportOptions(opts: ExportOptions, exportsDir: string, datasetName: string): ResolvedExportOptions {
  const zip = opts.zip ?? false
  let out = opts.out?.trim() ? resolve(opts.out.trim()) : defaultExportPath(exportsDir, datasetName, opts.format, zip)
  if (zip && !/\.zip$/i.test(out)) out += '.zip'
  return {
    format: opts.format,
    only: opts.only ?? 'all',
    split: opts.split,
    sources: opts.sources ?? 'hand+imported',
    zip,
    out,
    force: opts.force ?? false
  }
}
