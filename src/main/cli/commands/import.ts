import { UserError } from '../../../shared/result'
import type { ImportTask } from '../../datasets/import-messages'
import { runImport } from '../../datasets/run-import'
import { intOption, progressPrinter, type Command, type CommandContext } from '../cli-kit'
import { openDatabase } from '../../db/database'
import { getDataset } from '../../db/repos/dataset-repo'
import { workspacePaths } from '../../workspace'

async function importAndReport(ctx: CommandContext, task: ImportTask, label: string): Promise<number> {
  const bar = progressPrinter(label)
  const r = await runImport(ctx.workspace, task, { onProgress: (p) => bar(p.done, p.total, p.phase) })
  const db = openDatabase(workspacePaths(ctx.workspace).database)
  try {
    const d = getDataset(db, r.datasetId)
    if (ctx.values.json) ctx.out(JSON.stringify({ ...d, unchanged: r.unchanged }, null, 2))
    else if (r.unchanged) ctx.out(`already imported as dataset ${d?.id} "${d?.name}"; nothing changed`)
    else ctx.out(`imported dataset ${d?.id} "${d?.name}": ${d?.counts.stories} stories, ${d?.counts.frames} frames`)
  } finally {
    db.close()
  }
  return 0
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import a Pororo-SV or CLEVR-SV folder',
  usage: 'cpcsv import <path> [--format pororo|clevr] [--name <name>] [--json] [--workspace <dir>]',
  options: { format: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } },
  allowPositionals: true,
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UserError('import takes exactly one folder path')
    const format = ctx.values.format as string | undefined
    if (format !== undefined && format !== 'pororo' && format !== 'clevr') {
      throw new UserError(`--format must be pororo or clevr, got ${format}`)
    }
    return importAndReport(
      ctx,
      { kind: 'folder', path: ctx.positionals[0], format, name: ctx.values.name as string | undefined },
      'import'
    )
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'create the built-in demo datasets (cartoon and CLEVR-like)',
  usage: 'cpcsv demo [--kind cartoon|clevr|both] [--stories <n>] [--seed <n>] [--json] [--workspace <dir>]',
  options: { kind: { type: 'string' }, stories: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    const kind = (ctx.values.kind as string | undefined) ?? 'both'
    if (!['cartoon', 'clevr', 'both'].includes(kind)) throw new UserError(`--kind must be cartoon, clevr or both, got ${kind}`)
    const stories = intOption(ctx.values.stories, 'stories', 4, 50_000)
    const seed = intOption(ctx.values.seed, 'seed', 0, 2 ** 31)
    const kinds = kind === 'both' ? (['cartoon', 'clevr'] as const) : [kind as 'cartoon' | 'clevr']
    for (const k of kinds) await importAndReport(ctx, { kind: 'demo', demo: k, stories, seed }, `demo ${k}`)
    return 0
  }
}
