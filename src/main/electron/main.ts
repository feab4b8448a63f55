/**
 * Electron main process: one window on the built renderer, the Workbench API bound to IPC.
 * Security: contextIsolation, sandbox, no nodeIntegration, a strict CSP, only the contract's
 * channels exposed by preload, sender frames checked, navigation and new windows blocked.
 */
import { app, BrowserWindow, ipcMain, net, protocol, session } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Workbench } from '../api/workbench'
import { ensureDemoOnFirstStart } from '../api/first-start'
import { isFrameHash } from '../frame-store'
import { defaultWorkspaceDir } from '../workspace'
import { EVENT_CHANNEL, bindIpc } from './ipc-binding'

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
  const rendererIndex = join(__dirname, '../renderer/index.html')
  const trusted = (url: string): boolean => url.startsWith(pathToFileURL(rendererIndex).href) || url.startsWith(process.env.ELECTRON_RENDERER_URL ?? '\0')
  bindIpc(ipcMain, wb, trusted)
  protocol.handle('cpcsv-asset', (req) => {
    const m = /^cpcsv-asset:\/\/frames\/([0-9a-f]{2})\/([0-9a-f]{64})\.png$/.exec(req.url)
    if (!m || !isFrameHash(m[2])) return new Response('not found', { status: 404 })
    return net.fetch(pathToFileURL(wb.frames.pathOf(m[2])).href)
  })
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'CP-CSV Workbench',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
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
