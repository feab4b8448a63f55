#!/usr/bin/env node
// Runs the built CLI; builds it first when missing (a fresh clone before `npm install` finished).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'out', 'node', 'cli.mjs')
if (!existsSync(cli)) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--node-only'], { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
await import(pathToFileURL(cli).href)
