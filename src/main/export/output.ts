/**
 * Where an export writes: a temporary folder (or .zip file) next to the destination that is
 * renamed into place only when everything was written, so a failed or cancelled export leaves
 * nothing behind and an existing output is replaced only with `force`.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { basename, dirname, join, normalize } from 'node:path'
import { UserError } from '../../shared/result'
import { checkRelPath, fileError, nodeIo, type ExportIo, type ExportSink, type ExportTarget } from './sink'
import { ZipSink } from './zip'

/** Every export writes this manifest; `force` replaces only folders that have one (or are empty). */
export const MANIFEST = 'export.json'

class FolderSink implements ExportSink {
  files = 0
  bytes = 0
  private readonly dirs = new Set<string>()

  constructor(
    private readonly temp: string,
    private readonly out: string,
    private readonly io: ExportIo
  ) {}

  async write(rel: string, data: Uint8Array): Promise<void> {
    checkRelPath(rel)
    const file = join(this.temp, rel)
    try {
      const dir = dirname(file)
      if (!this.dirs.has(dir)) {
        await mkdir(dir, { recursive: true })
        this.dirs.add(dir)
      }
      await this.io.writeFile(file, data)
    } catch (e) {
      throw fileError(e, 'write', join(this.out, rel))
    }
    this.files++
    this.bytes += data.length
  }
}

/** Refuses an existing output without force, and with force anything that is not a previous export. */
function checkExisting(out: string, zip: boolean, force: boolean): void {
  if (!existsSync(out)) return
  if (!force) throw new UserError(`${out} already exists; choose another output path or use force to replace it`, 'conflict')
  const isDir = statSync(out).isDirectory()
  if (zip && isDir) throw new UserError(`${out} is a folder; a zip export replaces only a file`, 'conflict')
  if (!zip && !isDir) throw new UserError(`${out} is a file; a folder export replaces only a folder`, 'conflict')
  // Guards against `--force` wiping an unrelated folder named by mistake.
  if (isDir && !existsSync(join(out, MANIFEST)) && readdirSync(out).length > 0) {
    throw new UserError(`refusing to replace ${out}: it is not a workbench export (no ${MANIFEST})`, 'conflict')
  }
}

/** Creates the parent folder; returns the folders this call created, deepest first. */
function ensureParent(parent: string): string[] {
  const created: string[] = []
  for (let dir = parent; !existsSync(dir) && dirname(dir) !== dir; dir = dirname(dir)) created.push(dir)
  try {
    mkdirSync(parent, { recursive: true })
  } catch (e) {
    throw fileError(e, 'create output folder', parent)
  }
  if (!statSync(parent).isDirectory()) throw new UserError(`cannot write into ${parent}: not a folder`)
  return created
}

/** Removes folders an aborted export created, if they are still empty. */
function removeEmpty(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      rmdirSync(dir)
    } catch {
      return
    }
  }
}

/** Swaps the finished temp output into place, keeping the old one until the swap succeeded. */
function moveIntoPlace(temp: string, out: string): void {
  const old = existsSync(out) ? join(dirname(out), `.${basename(out)}.replaced-${randomBytes(4).toString('hex')}`) : null
  try {
    if (old) renameSync(out, old)
    try {
      renameSync(temp, out)
    } catch (e) {
      if (old) renameSync(old, out)
      throw e
    }
  } catch (e) {
    throw fileError(e, 'move the export into place at', out)
  }
  if (old) rmSync(old, { recursive: true, force: true })
}

/**
 * Prepares the destination: checks an existing output against `force`, creates the parent folder
 * and the temporary folder or zip file beside it. Errors name the path and the problem.
 */
export async function openTarget(out: string, opts: { zip: boolean; force: boolean; io?: ExportIo }): Promise<ExportTarget> {
  const io = opts.io ?? nodeIo
  const target = normalize(out)
  checkExisting(target, opts.zip, opts.force)
  const parent = dirname(target)
  const createdDirs = ensureParent(parent)
  const temp = join(parent, `.${basename(target)}.partial-${randomBytes(4).toString('hex')}`)
  const abort = (): void => {
    rmSync(temp, { recursive: true, force: true })
    removeEmpty(createdDirs)
  }
  if (opts.zip) {
    const sink = new ZipSink(temp, target, io)
    return {
      sink,
      async commit() {
        await sink.finish()
        moveIntoPlace(temp, target)
        return sink.zipBytes
      },
      abort
    }
  }
  try {
    mkdirSync(temp)
  } catch (e) {
    removeEmpty(createdDirs)
    throw fileError(e, 'write into output folder', parent)
  }
  const sink = new FolderSink(temp, target, io)
  return {
    sink,
    async commit() {
      moveIntoPlace(temp, target)
      return sink.bytes
    },
    abort
  }
}
