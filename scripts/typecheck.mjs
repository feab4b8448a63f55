// Type-checks every layer with its own tsconfig (the layering is enforced by the configs and
// by eslint). The Electron entry points are checked only where the optional `electron` package
// (and so its typings) is installed.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}
run('node_modules/.bin/tsc', ['-p', 'tsconfig.node.json', '--noEmit'])
run('node_modules/.bin/vue-tsc', ['-p', 'tsconfig.web.json', '--noEmit'])
if (existsSync('node_modules/electron/electron.d.ts')) run('node_modules/.bin/tsc', ['-p', 'tsconfig.electron.json', '--noEmit'])
else console.error('typecheck: electron not installed; skipped src/main/electron/main.ts and src/preload')
