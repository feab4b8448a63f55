/**
 * Runs one export: resolves the dataset and options, picks what goes in, lets the format writer
 * fill a temporary output and moves it into place only when complete. A plain async function that
 * yields between clips/frames, used directly by the CLI and through ExportJobs by the API.
 */
import { existsSync } from 'node:fs'
import type { Db } from '../db/database'
import { findDatasetByName, getDatasetRow, listCharacters } from '../db/repos/dataset-repo'
import type { FrameStore } from '../frame-store'
import type { ExportSummary } from '../../shared/contract'
import type { CharacterInfo } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { writeClevrLayout } from './clevr-export'
import { writeCoco } from './coco-export'
import { ExportCancelled, jsonBytes, type ExportDataset, type WriterContext, type WriterCounts } from './export-context'
import { resolveExportOptions, type ExportHooks, type ExportOptions, type ResolvedExportOptions } from './export-options'
import { MANIFEST, openTarget } from './output'
import { writePororoLayout } from './cpcsv-export'
import { OVERLAP_RULE, writePngMasks } from './png-masks-export'
import { planFrames, planStories, type ExportPlan } from './select-frames'
import type { ExportTarget } from './sink'

/** The workspace parts an export reads from. */
export interface ExportWorkspace {
  db: Db
  frames: FrameStore
  /** `<workspace>/exports`, where default outputs go. */
  exportsDir: string
}

export interface PreparedExport {
  dataset: ExportDataset
  characters: CharacterInfo[]
  options: ResolvedExportOptions
}

/** A dataset by id, or by name (a number that is no dataset id is tried as a name). */
export function resolveDataset(db: Db, ref: number | string): ExportDataset {
  const asId = typeof ref === 'number' ? ref : /^\d+$/.test(ref.trim()) ? Number(ref.trim()) : null
  const row = (asId !== null ? getDatasetRow(db, asId) : undefined) ?? (typeof ref === 'string' ? findDatasetByName(db, ref.trim()) : undefined)
  if (!row) throw new UserError(`dataset "${ref}" not found (list them with: cpcsv datasets)`, 'not_found')
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    framesPerStory: row.frames_per_story,
    sentenceDim: row.sentence_dim,
    attributeDim: row.attribute_dim
  }
}

/**
 * Checks what can be checked before any work starts (so the API answers at once): the dataset
 * exists, and the output does not exist unless `force` is given.
 */
export function prepareExport(ws: ExportWorkspace, opts: ExportOptions): PreparedExport {
  const dataset = resolveDataset(ws.db, opts.dataset)
  const options = resolveExportOptions(opts, ws.exportsDir, dataset.name)
  if (!options.force && existsSync(options.out)) {
    throw new UserError(`${options.out} already exists; choose another output path or use force to replace it`, 'conflict')
  }
  return { dataset, characters: listCharacters(ws.db, dataset.id), options }
}

const storyLayout = (format: ResolvedExportOptions['format']): boolean => format === 'cpcsv'

function writerFor(prep: PreparedExport): (ctx: WriterContext) => Promise<WriterCounts> {
  const { format } = prep.options
  if (format === 'coco') return writeCoco
  if (format === 'png') return writePngMasks
  return prep.dataset.format === 'clevr' || prep.dataset.format === 'demo-clevr' ? writeClevrLayout : writePororoLayout
}

function selectionText(o: ResolvedExportOptions): string {
  const only = { all: 'all frames', labeled: 'frames with a hand mask', done: 'frames marked done' }[o.only]
  return `${only}${o.split ? `, split ${o.split}` : ''}`
}

function planFor(ws: ExportWorkspace, prep: PreparedExport): ExportPlan {
  const { options, dataset } = prep
  const sel = { only: options.only, split: options.split }
  const plan = storyLayout(options.format) ? planStories(ws.db, dataset.id, sel) : planFrames(ws.db, dataset.id, sel)
  if (plan.frames.length === 0) {
    const unit = storyLayout(options.format) ? 'no whole story' : 'no frame'
    throw new UserError(`nothing to export: ${unit} of dataset "${dataset.name}" matches (${selectionText(options)})`)
  }
  return plan
}

function manifest(prep: PreparedExport, counts: WriterCounts): unknown {
  const { dataset, options } = prep
  return {
    tool: 'CP-CSV Workbench',
    createdAt: new Date().toISOString(),
    dataset: { id: dataset.id, name: dataset.name, format: dataset.format },
    format: options.format,
    layout: counts.layout,
    options: { only: options.only, split: options.split ?? null, sources: options.sources },
    counts,
    masks: {
      sources: options.sources === 'hand' ? 'hand masks only' : 'per frame: hand masks when it has any, else imported masks',
      figureGround: 'grey PNGs: 255 = character, 0 = background',
      paletteOverlap: OVERLAP_RULE
    }
  }
}

/** Progress, cancel and yield between units; progress events are throttled to ~10 per second. */
function stepper(hooks: ExportHooks): (done: number, total: number) => Promise<void> {
  let last = 0
  return async (done, total) => {
    if (hooks.cancelled?.()) throw new ExportCancelled()
    const now = Date.now()
    if (done === 0 || now - last >= 100) {
      last = now
      hooks.onProgress?.({ phase: 'writing', done, total })
    }
    await new Promise<void>((r) => setImmediate(r))
  }
}

async function writeAll(target: ExportTarget, ctx: WriterContext, prep: PreparedExport, hooks: ExportHooks): Promise<ExportSummary> {
  const counts = await writerFor(prep)(ctx)
  await target.sink.write(MANIFEST, jsonBytes(manifest(prep, counts)), true)
  if (hooks.cancelled?.()) throw new ExportCancelled()
  hooks.onProgress?.({ phase: 'finishing', done: counts.frames, total: counts.frames })
  const files = target.sink.files
  const bytes = await target.commit()
  return { ...counts, path: prep.options.out, format: prep.options.format, zip: prep.options.zip, files, bytes }
}

/**
 * Exports a dataset. Writes into a temporary folder (or .zip) beside the destination and renames
 * it into place when complete: a failure or cancel removes everything written.
 * @throws UserError naming the path and problem (unknown dataset, output exists, unwritable, disk full)
 */
export async function runExport(ws: ExportWorkspace, opts: ExportOptions, hooks: ExportHooks = {}): Promise<ExportSummary> {
  const prep = prepareExport(ws, opts)
  hooks.onProgress?.({ phase: 'preparing', done: 0, total: 0 })
  const plan = planFor(ws, prep)
  const target = await openTarget(prep.options.out, { zip: prep.options.zip, force: prep.options.force, io: hooks.io })
  const ctx: WriterContext = {
    db: ws.db,
    frames: ws.frames,
    dataset: prep.dataset,
    characters: prep.characters,
    plan,
    options: prep.options,
    sink: target.sink,
    step: stepper(hooks)
  }
  try {
    return await writeAll(target, ctx, prep, hooks)
  } catch (e) {
    target.abort()
    throw e
  }
}
