/** The write side of an export: injectable file I/O, the sink interface, path and error checks. */
import { appendFile, writeFile } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { UserError } from '../../shared/result'

/** The file writes an export makes; tests inject failing ones (e.g. ENOSPC part-way). */
export interface ExportIo {
  writeFile(path: string, data: Uint8Array): Promise<void>
  appendFile(path: string, data: Uint8Array): Promise<void>
}

export const nodeIo: ExportIo = {
  writeFile: (path, data) => writeFile(path, data),
  appendFile: (path, data) => appendFile(path, data)
}

/** Receives the files of an export at '/'-separated relative paths. */
export interface ExportSink {
  /** `compress`: worth deflating in a zip (PNG data is compressed already). */
  write(rel: string, data: Uint8Array, compress?: boolean): Promise<void>
  readonly files: number
  readonly bytes: number
}

export interface ExportTarget {
  sink: ExportSink
  /** Moves the finished output into place; returns its size in bytes. */
  commit(): Promise<number>
  /** Removes everything written so far. */
  abort(): void
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device (disk full)',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  ENAMETOOLONG: 'file name too long'
}

/** A UserError naming the path and what went wrong, from a Node file-system error. */
export function fileError(e: unknown, action: string, path: string): UserError {
  if (e instanceof UserError) return e
  const err = e as NodeJS.ErrnoException
  const reason = (err.code && REASONS[err.code]) ?? err.message ?? String(e)
  return new UserError(`cannot ${action} ${path}: ${reason}${err.code ? ` (${err.code})` : ''}`)
}

/** Rejects relative paths that could escape the output (absolute, '..', empty parts). */
export function checkRelPath(rel: string): void {
  const parts = rel.split('/')
  if (isAbsolute(rel) || rel.includes('\\') || rel.includes('\0') || parts.some((p) => !p || p === '.' || p === '..')) {
    throw new UserError(`refusing to write "${rel}": not a plain relative path inside the export`)
  }
}

