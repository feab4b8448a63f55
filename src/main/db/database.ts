import Database from 'better-sqlite3'
import { migrations } from './migrations/all'
import { UserError } from '../../shared/result'

export type Db = Database.Database

/** Highest schema version this build understands (the last migration's number). */
export const SCHEMA_VERSION = migrations[migrations.length - 1].version

/**
 * Opens (creating if needed) a workspace database with WAL, foreign keys and a busy timeout,
 * then brings its schema up to date. Refuses a database written by a newer build, because
 * running old code over a newer schema could silently drop data.
 */
export function openDatabase(file: string, opts: { readonly?: boolean } = {}): Db {
  let db: Db
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false })
  } catch (e) {
    throw new UserError(`Cannot open workspace database ${file}: ${(e as Error).message}`)
  }
  try {
    if (!opts.readonly) db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    db.pragma('synchronous = NORMAL')
    if (!opts.readonly) migrate(db, file)
    return db
  } catch (e) {
    db.close()
    if (e instanceof UserError) throw e
    throw new UserError(`Workspace database ${file} is not usable: ${(e as Error).message}`)
  }
}

/** Applies every migration above the stored `user_version`, each in its own transaction. */
export function migrate(db: Db, fileForErrors = 'database', upTo = SCHEMA_VERSION): number {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > SCHEMA_VERSION) {
    throw new UserError(
      `${fileForErrors} has schema version ${current}, newer than this build (${SCHEMA_VERSION}); update the workbench`
    )
  }
  let version = current
  for (const m of migrations) {
    if (m.version <= current || m.version > upTo) continue
    db.transaction(() => {
      m.up(db)
      db.pragma(`user_version = ${m.version}`)
    })()
    version = m.version
  }
  return version
}
