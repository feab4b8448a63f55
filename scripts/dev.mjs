// `npm run dev`: hot reload. With Electron installed, electron-vite dev (main, preload and
// renderer reload on change). Without it, the API runs in serve mode from the TypeScript
// sources (tsx watch) and Vite serves the renderer with HMR, proxying /api, /events, /assets.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawn } from 'node:child_process'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (n) => join(root, 'node_modules', '.bin', n)
if (existsSync(join(root, 'node_modules', 'electron', 'package.json'))) {
  spawn(bin('electron-vite'), ['dev'], { stdio: 'inherit', cwd: root })
} else {
  const port = process.env.CPCSV_API_PORT ?? '4871'
  spawn(bin('tsx'), ['watch', 'src/main/cli/entry.ts', 'serve', '--port', port, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root })
  const { createServer } = await import('vite')
  const { rendererConfig } = await import(join(root, 'vite.renderer.config.ts'))
  const target = `http://127.0.0.1:${port}`
  const server = await createServer({
    ...rendererConfig(),
    configFile: false,
    server: { port: 5173, proxy: { '/api': target, '/assets': target, '/events': { target, ws: true } } }
  })
  await server.listen()
  console.error('renderer with hot reload: http://127.0.0.1:5173/?token=<token printed above>')
}
