import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Content-addressed frame pixels: `frames/<first two hex>/<sha256>.png`. Identical frames are
 * stored once, re-imports write nothing new, and a file is never half-written (temp + rename).
 */
export class FrameStore {
  constructor(readonly root: string) {}

  static hash(png: Uint8Array): string {
    return createHash('sha256').update(png).digest('hex')
  }

  /** Relative asset path of a hash, as the API hands it to the renderer. */
  static assetPath(hash: string): string {
    return `frames/${hash.slice(0, 2)}/${hash}.png`
  }

  pathOf(hash: string): string {
    return join(this.root, hash.slice(0, 2), `${hash}.png`)
  }

  has(hash: string): boolean {
    return existsSync(this.pathOf(hash))
  }

  /** Stores the PNG; returns its hash and whether this call created the file. */
  put(png: Uint8Array): { hash: string; created: boolean } {
    const hash = FrameStore.hash(png)
    const file = this.pathOf(hash)
    if (existsSync(file)) return { hash, created: false }
    mkdirSync(dirname(file), { recursive: true })
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`
    writeFileSync(tmp, png)
    renameSync(tmp, file)
    return { hash, created: true }
  }

  read(hash: string): Uint8Array {
    return readFileSync(this.pathOf(hash))
  }

  /** Removes files (used to undo the files of a failed import that no row refers to). */
  remove(hashes: Iterable<string>): void {
    for (const h of hashes) rmSync(this.pathOf(h), { force: true })
  }
}

/** True for a syntactically valid frame hash (guards asset requests against path tricks). */
export function isFrameHash(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value)
}
