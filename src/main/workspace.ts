import { mkdirSync, existsSync } from 'node:fs'
import { homedir, platform } from 'node:os'
import { join, resolve } from 'node:path'
import { UserError } from '../shared/result'

/** Paths inside one workspace folder (design doc, "Data flow"). */
export interface WorkspacePaths {
  root: string
  database: string
  frames: string
  runs: string
  exports: string
  tmp: string
}

/** The OS app-data folder: where a workspace lives unless `--workspace` or CPCSV_WORKSPACE say otherwise. */
export function defaultWorkspaceDir(): string {
  if (process.env.CPCSV_WORKSPACE) return resolve(process.env.CPCSV_WORKSPACE)
  const home = homedir()
  switch (platform()) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'CP-CSV Workbench')
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'CP-CSV Workbench')
    default:
      return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'cpcsv-workbench')
  }
}

export function workspacePaths(root: string): WorkspacePaths {
  const abs = resolve(root)
  return {
    root: abs,
    database: join(abs, 'workbench.sqlite'),
    frames: join(abs, 'frames'),
    runs: join(abs, 'runs'),
    exports: join(abs, 'exports'),
    tmp: join(abs, 'tmp')
  }
}

/** Creates the workspace folders if missing; fails clearly when the location is not writable. */
export function ensureWorkspace(root: string): WorkspacePaths {
  const paths = workspacePaths(root)
  try {
    for (const dir of [paths.root, paths.frames, paths.runs, paths.exports, paths.tmp]) {
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
    }
  } catch (e) {
    throw new UserError(`Cannot create workspace at ${paths.root}: ${(e as Error).message}`)
  }
  return paths
}
