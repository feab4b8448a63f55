import { UserError } from '../../shared/result'
import { parseCommand, type Command } from './cli-kit'
import { datasetsCommand } from './commands/datasets'
import { demoCommand, importCommand } from './commands/import'
import { serveCommand } from './commands/serve'
import { exportCommand } from './commands/export'
import { generateCommand, runsCommand, trainCommand } from './commands/train'
import { checkReferenceCommand, frechetCommand, importWeightsCommand } from './commands/research'
import { classifierCommand, evaluateCommand } from './commands/evaluate'

const commands: Command[] = [
  serveCommand, importCommand, datasetsCommand, demoCommand, exportCommand,
  trainCommand, runsCommand, generateCommand, frechetCommand, checkReferenceCommand, importWeightsCommand,
  evaluateCommand, classifierCommand
]

function mainHelp(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`)
  return [
    'cpcsv: CP-CSV Workbench command line',
    '',
    'usage: cpcsv <command> [options]   (every command takes --workspace <dir> and --help)',
    '',
    'commands:',
    ...lines,
    '',
    'The workspace defaults to the OS app-data folder (CPCSV_WORKSPACE overrides it).'
  ].join('\n')
}

/** Runs the CLI; returns the exit code. Failures print one line `cpcsv: <reason>`. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`)
    return name ? 0 : 1
  }
  const cmd = commands.find((c) => c.name === name)
  if (!cmd) {
    process.stderr.write(`cpcsv: unknown command "${name}" (see cpcsv --help)\n`)
    return 2
  }
  try {
    const ctx = parseCommand(cmd, rest)
    if (ctx === 'help') {
      process.stdout.write(`${cmd.usage}\n\n${cmd.summary}\n`)
      return 0
    }
    return await cmd.run(ctx)
  } catch (e) {
    const msg = e instanceof UserError ? e.message : `${(e as Error)?.message ?? String(e)}`
    if (!(e instanceof UserError) && process.env.CPCSV_DEBUG) process.stderr.write(`${(e as Error).stack}\n`)
    process.stderr.write(`cpcsv: ${msg.split('\n')[0]}\n`)
    return 1
  }
}

export function registerCommand(cmd: Command): void {
  commands.push(cmd)
}
