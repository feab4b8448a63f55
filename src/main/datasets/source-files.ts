import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { UserError } from '../../shared/result'
import { npyItem, readNpy, type NpyArray } from './npy'

/** Reads a file of a dataset folder; a missing or unreadable file is a UserError naming it. */
export function readSourceFile(root: string, rel: string): Uint8Array {
  const file = join(root, rel)
  if (!existsSync(file)) throw new UserError(`missing file: ${file}`)
  try {
    return readFileSync(file)
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`)
  }
}

/** Loads an `.npy` of the dataset folder. */
export function loadNpy(root: string, rel: string): NpyArray {
  const file = join(root, rel)
  try {
    return readNpy(readSourceFile(root, rel), file)
  } catch (e) {
    if (e instanceof UserError) throw e
    throw new UserError(`${file}: ${(e as Error).message}`)
  }
}

/** Loads an `.npy` holding a pickled Python dict (np.save of a dict) as a Map. */
export function loadNpyDict(root: string, rel: string): Map<unknown, unknown> {
  const file = join(root, rel)
  const arr = loadNpy(root, rel)
  let item: unknown
  try {
    item = npyItem(arr)
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`)
  }
  if (!(item instanceof Map)) throw new UserError(`${file}: expected a pickled dict, found ${describe(item)}`)
  return item
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v)
  if (Array.isArray(v)) return `a list of ${v.length}`
  if (v instanceof Map) return `a dict of ${v.size}`
  if (typeof v === 'object' && 'shape' in (v as object)) return `an array of shape (${(v as NpyArray).shape.join(', ')})`
  return typeof v
}

/** Numeric array data as plain numbers, whatever the numpy dtype. */
export function numbersOf(arr: NpyArray, file: string): number[] {
  const d = arr.data as ArrayLike<number | bigint>
  if (arr.dtype === 'object' || arr.dtype.startsWith('bytes') || arr.dtype.startsWith('unicode')) {
    throw new UserError(`${file}: expected numbers, found ${arr.dtype} data`)
  }
  return Array.from(d, (x) => Number(x))
}

/** A fingerprint of a folder's files (names, sizes, mtimes): equal fingerprints mean an unchanged source. */
export function folderFingerprint(root: string, maxDepth = 2): string {
  const hash = createHash('sha256')
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name)
      const st = statSync(p)
      if (st.isDirectory()) {
        if (depth < maxDepth) walk(p, depth + 1)
      } else {
        hash.update(`${relative(root, p)}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`)
      }
    }
  }
  walk(root, 0)
  return hash.digest('hex')
}
