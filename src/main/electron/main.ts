/**
 * Electron main process: one window on the built renderer, the Workbench API bound to IPC.
 * Security: contextIsolation, sandbox, no nodeIntegration, a strict CSP, only the contract's
 * channels exposed by preload, sender frames checked, navigation and new windows blocked.
 */
import { app, BrowserWindow, ipcMain, net, protocol, session } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Workbench } from '../api/workbench'
import { ensureDemoOnFirstStart } from '../api/first-start'
import { isFrameHash } from '../frame-store'
import { runAssetPath } from '../api/run-assets'
import { defaultWorkspaceDir } from '../workspace'
import { EVENT_CHANNEL, bindIpc } from './ipc-binding'

/** This module's folder (the build is ESM, where __dirname does not exist). */
const here = dirname(fileURLToPath(import.meta.url))

protocol.registerSchemesAsPrivileged([{ scheme: 'cpcsv-asset', privileges: { standard: true, secure: true } }])

const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: cpcsv-asset:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

function workspaceArg(): string {
  const i = process.argv.indexOf('--workspace')
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : defaultWorkspaceDir()
}

async function start(): Promise<void> {
  await app.whenReady()
  const wb = new Workbench(workspaceArg())
  wb.transport = 'electron'
  const rendererIndex = join(here, '../renderer/index.html')
  const trusted = (url: string): boolean => url.startsWith(pathToFileURL(rendererIndex).href) || url.startsWith(process.env.ELECTRON_RENDERER_URL ?? '\0')
  bindIpc(ipcMain, wb, trusted)
  protocol.handle('cpcsv-asset', (req) => {
    const m = /^cpcsv-asset:\/\/frames\/([0-9a-f]{2})\/([0-9a-f]{64})\.png$/.exec(req.url)
    if (m && isFrameHash(m[2])) return net.fetch(pathToFileURL(wb.frames.pathOf(m[2])).href)
    // Sample stories of runs: 'cpcsv-asset://runs/<id>/samples/<file>.png', resolved like serve mode.
    const run = runAssetPath(wb, req.url.replace(/^cpcsv-asset:\/\//, ''))
    if (run) return net.fetch(pathToFileURL(run).href)
    return new Response('not found', { status: 404 })
  })
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'CP-CSV Workbench',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  win.webContents.on('will-navigate', (e, url) => {
    if (!trusted(url)) e.preventDefault()
  })
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  wb.onEvent((e) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e)
  })
  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else await win.loadFile(rendererIndex)
  ensureDemoOnFirstStart(wb)
  app.on('window-all-closed', () => {
    void wb.close().finally(() => app.quit())
  })
}

void start()
