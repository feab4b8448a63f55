import { EXPORT_FORMATS, type ExportFormat, type ExportOnly, type ExportSources } from '../../../shared/contract'
import type { Split } from '../../../shared/domain'
import { UserError } from '../../../shared/result'
import { openDatabase } from '../../db/database'
import { runExport } from '../../export/run-export'
import { FrameStore } from '../../frame-store'
import { ensureWorkspace } from '../../workspace'
import { progressPrinter, type Command } from '../cli-kit'

/** A string option limited to some values (undefined when absent and not required). */
function choice<T extends string>(value: unknown, name: string, allowed: readonly T[], required = false): T | undefined {
  if (value === undefined) {
    if (required) throw new UserError(`--${name} is required (${allowed.join('|')})`)
    return undefined
  }
  if (!allowed.includes(value as T)) throw new UserError(`--${name} must be ${allowed.join(', ')}; got ${String(value)}`)
  return value as T
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a dataset: CP-CSV / CLEVR-SV layout, COCO JSON with RLE masks, or palette PNG masks',
  usage: [
    'cpcsv export --dataset <name|id> --format cpcsv|coco|png [--out <path>] [--zip] [--force]',
    '             [--only all|labeled|done] [--split train|val|test] [--sources hand|hand+imported]',
    '             [--json] [--workspace <dir>]',
    '',
    '  --out      folder (or .zip file with --zip) to create; default <workspace>/exports/<dataset>-<format>',
    '  --only     all frames (default), frames with a hand mask, or frames marked done; the CP-CSV',
    '             layout keeps a story only when all its frames qualify',
    '  --sources  hand masks only, or per frame hand masks when it has any, else imported (default)',
    '  --force    replace an existing export at --out'
  ].join('\n'),
  options: {
    dataset: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    zip: { type: 'boolean' },
    force: { type: 'boolean' },
    only: { type: 'string' },
    split: { type: 'string' },
    sources: { type: 'string' },
    json: { type: 'boolean' }
  },
  async run(ctx) {
    const v = ctx.values
    if (typeof v.dataset !== 'string' || !v.dataset.trim()) throw new UserError('--dataset <name|id> is required (see cpcsv datasets)')
    const format = choice<ExportFormat>(v.format, 'format', EXPORT_FORMATS, true) as ExportFormat
    const only = choice<ExportOnly>(v.only, 'only', ['all', 'labeled', 'done'])
    const split = choice<Split>(v.split, 'split', ['train', 'val', 'test'])
    const sources = choice<ExportSources>(v.sources, 'sources', ['hand', 'hand+imported'])
    const paths = ensureWorkspace(ctx.workspace)
    const db = openDatabase(paths.database)
    // Ctrl-C stops the export cleanly: its temporary output is removed.
    let stop = false
    const onSignal = (): void => {
      stop = true
    }
    process.once('SIGINT', onSignal)
    try {
      const bar = progressPrinter('export')
      const result = await runExport(
        { db, frames: new FrameStore(paths.frames), exportsDir: paths.exports },
        { dataset: v.dataset, format, only, split, sources, zip: v.zip === true, out: v.out as string | undefined, force: v.force === true },
        { cancelled: () => stop, onProgress: (p) => p.phase !== 'preparing' && bar(p.phase === 'finishing' ? p.total : p.done, p.total, p.phase) }
      )
      if (v.json) ctx.out(JSON.stringify(result, null, 2))
      else {
        const what = result.layout === 'coco' ? `${result.frames} images, ${result.annotations} annotations` : `${result.stories} stories, ${result.frames} frames`
        ctx.out(`exported ${what} (${result.maskedFrames} with masks) as ${result.layout} to ${result.path}`)
      }
      return 0
    } finally {
      process.off('SIGINT', onSignal)
      db.close()
    }
  }
}
