import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root (the folder holding package.json), found from this module's location. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'out'))) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the workbench package root')
    dir = up
  }
}

/** Where the built renderer (index.html and assets) lives. */
export function rendererDir(): string {
  return join(packageRoot(), 'out', 'renderer')
}
