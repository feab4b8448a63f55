import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { UserError } from '../../shared/result'
import type { ImportBundle } from './bundle'
import { clevrBundle, isClevrFolder } from './clevr-import'
import { isPororoFolder, pororoBundle } from './pororo-import'

export type FolderFormat = 'pororo' | 'clevr'

/** Detects a folder's layout; a UserError says what was expected when it is neither. */
export function detectFormat(dir: string): FolderFormat {
  if (isPororoFolder(dir)) return 'pororo'
  if (isClevrFolder(dir)) return 'clevr'
  throw new UserError(
    `${dir}: not a recognised dataset folder (Pororo-SV needs img_cache4.npy and following_cache4.npy; CLEVR-SV needs images/CLEVR_new_NNNNNN_k.png)`
  )
}

/** Opens a dataset folder as an ImportBundle (validating its index files eagerly). */
export function openDatasetFolder(path: string, format?: FolderFormat, name?: string): ImportBundle {
  const dir = resolve(path)
  if (!existsSync(dir)) throw new UserError(`${dir}: folder not found`)
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder`)
  const fmt = format ?? detectFormat(dir)
  return fmt === 'pororo' ? pororoBundle(dir, name) : clevrBundle(dir, name)
}
