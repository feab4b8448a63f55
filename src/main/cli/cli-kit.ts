import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UserError } from '../../shared/result'
import { defaultWorkspaceDir } from '../workspace'

/** One `cpcsv` sub-command. */
export interface Command {
  name: string
  summary: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  allowPositionals?: boolean
  run(ctx: CommandContext): Promise<number>
}

export interface CommandContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
  workspace: string
  out: (line: string) => void
  err: (line: string) => void
}

/** Options every command accepts. */
export const commonOptions = {
  workspace: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export function parseCommand(cmd: Command, argv: string[]): CommandContext | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...commonOptions, ...cmd.options },
      allowPositionals: cmd.allowPositionals ?? false,
      strict: true
    })
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see cpcsv ${cmd.name} --help)`)
  }
  if (parsed.values.help) return 'help'
  return {
    values: parsed.values as CommandContext['values'],
    positionals: parsed.positionals,
    workspace: (parsed.values.workspace as string | undefined) ?? defaultWorkspaceDir(),
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`)
  }
}

/** Parses an integer option, or fails with a one-line reason. */
export function intOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`--${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return n
}

/** A one-line progress bar on stderr when it is a terminal; plain lines every 10% otherwise. */
export function progressPrinter(label: string): (done: number, total: number, phase?: string) => void {
  let lastDecile = -1
  return (done, total, phase) => {
    const frac = total > 0 ? done / total : 0
    if (process.stderr.isTTY) {
      const width = 30
      const filled = Math.round(frac * width)
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${phase ?? ''}   `
      )
      if (done >= total) process.stderr.write('\n')
    } else {
      const decile = Math.floor(frac * 10)
      if (decile !== lastDecile) {
        lastDecile = decile
        process.stderr.write(`${label}: ${done}/${total} ${phase ?? ''}\n`)
      }
    }
  }
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}
