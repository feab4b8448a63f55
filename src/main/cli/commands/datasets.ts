import { openDatabase } from '../../db/database'
import { listDatasets } from '../../db/repos/dataset-repo'
import { ensureWorkspace } from '../../workspace'
import { formatTable, type Command } from '../cli-kit'

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'list the datasets of the workspace',
  usage: 'cpcsv datasets [--json] [--workspace <dir>]',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const db = openDatabase(ensureWorkspace(ctx.workspace).database)
    try {
      const list = listDatasets(db)
      if (ctx.values.json) {
        ctx.out(JSON.stringify(list, null, 2))
        return 0
      }
      if (list.length === 0) {
        ctx.out(`no datasets in ${ctx.workspace} (try: cpcsv demo, or cpcsv import <folder>)`)
        return 0
      }
      const rows = [['ID', 'NAME', 'FORMAT', 'STORIES', 'FRAMES', 'CHARACTERS', 'LABELED', 'TRAIN/VAL/TEST']]
      for (const d of list) {
        const c = d.counts
        rows.push([
          String(d.id),
          d.name,
          d.format,
          String(c.stories),
          String(c.frames),
          String(c.characters),
          String(c.labeledFrames),
          `${c.splits.train}/${c.splits.val}/${c.splits.test}`
        ])
      }
      ctx.out(formatTable(rows))
      return 0
    } finally {
      db.close()
    }
  }
}
