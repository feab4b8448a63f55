import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { dispatch } from '../api/dispatch'
import type { Workbench } from '../api/workbench'
import { isFrameHash } from '../frame-store'
import { runAssetPath } from '../api/run-assets'
import { err } from '../../shared/result'

export interface ServeOptions {
  port?: number
  /** Folder of the built renderer; API-only when absent. */
  staticDir?: string
  log?: (msg: string) => void
}

export interface RunningServer {
  url: string
  /** The start URL including the token, as printed for the person. */
  startUrl: string
  token: string
  port: number
  close(): Promise<void>
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2'
}
const MAX_BODY = 32 * 1024 * 1024
const COOKIE = 'cpcsv_token'

function sameToken(a: string | undefined | null, token: string): boolean {
  if (!a) return false
  const x = Buffer.from(a)
  const y = Buffer.from(token)
  return x.length === y.length && timingSafeEqual(x, y)
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? ''
  for (const part of header.split(';')) {
    const [k, v] = part.trim().split('=')
    if (k === COOKIE) return v
  }
  return undefined
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(data)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(new Error(`request body over ${MAX_BODY} bytes`))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function csp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'"
  ].join('; ')
}

/**
 * Serve mode: the Workbench API over HTTP (POST /api/<channel>) and events over a WebSocket
 * (/events), bound to loopback only, with a fresh random token per start required on every
 * request and socket, and the built renderer served from the same origin.
 */
export async function startServer(wb: Workbench, opts: ServeOptions = {}): Promise<RunningServer> {
  const token = randomBytes(24).toString('hex')
  const log = opts.log ?? ((m: string) => console.error(m))
  let port = 0
  const allowedOrigins = (): string[] => [`http://127.0.0.1:${port}`, `http://localhost:${port}`]
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin
    return origin === undefined || allowedOrigins().includes(origin)
  }
  const authorised = (req: IncomingMessage, url: URL): boolean =>
    sameToken(req.headers['x-cpcsv-token'] as string | undefined, token) ||
    sameToken(url.searchParams.get('token'), token) ||
    sameToken(cookieToken(req), token)

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (!originOk(req)) return json(res, 403, err('unauthorized', 'requests from other origins are refused'))
    if (url.pathname.startsWith('/api/')) {
      if (!sameToken(req.headers['x-cpcsv-token'] as string | undefined, token)) {
        return json(res, 401, err('unauthorized', 'missing or wrong token'))
      }
      if (req.method !== 'POST') return json(res, 405, err('invalid_request', 'use POST'))
      let body: unknown
      try {
        const text = await readBody(req)
        body = text ? JSON.parse(text) : {}
      } catch (e) {
        return json(res, 400, err('invalid_request', `request body is not valid JSON: ${(e as Error).message}`))
      }
      const channel = decodeURIComponent(url.pathname.slice('/api/'.length))
      const result = await dispatch(wb, channel, body, log)
      return json(res, result.ok ? 200 : result.error.code === 'invalid_request' ? 400 : 200, result)
    }
    if (!authorised(req, url)) {
      res.writeHead(401, { 'content-type': 'text/plain' })
      return void res.end('CP-CSV Workbench: open the URL with its token, as printed by `cpcsv serve`.')
    }
    if (url.searchParams.has('token')) {
      res.setHeader('set-cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`)
    }
    if (url.pathname.startsWith('/assets/frames/')) return serveFrame(wb, url.pathname, res)
    if (url.pathname.startsWith('/assets/runs/')) return serveRunFile(wb, url.pathname, res)
    return serveStatic(opts.staticDir, url.pathname, res, csp(port))
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log(`serve: ${e.stack ?? e.message}`)
      if (!res.headersSent) json(res, 500, err('internal', 'internal server error'))
      else res.end()
    })
  })
  const wss = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== '/events' || !originOk(req) || !authorised(req, url)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n')
      return socket.destroy()
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
    })
  })
  const unsubscribe = wb.onEvent((e) => {
    const data = JSON.stringify(e)
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(data)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const base = `http://127.0.0.1:${port}`
  return {
    url: base,
    startUrl: `${base}/?token=${token}`,
    token,
    port,
    close: async () => {
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }
}

function serveFrame(wb: Workbench, pathname: string, res: ServerResponse): void {
  const m = /^\/assets\/frames\/([0-9a-f]{2})\/([0-9a-f]{64})\.png$/.exec(pathname)
  if (!m || !isFrameHash(m[2]) || m[2].slice(0, 2) !== m[1] || !wb.frames.has(m[2])) {
    res.writeHead(404, { 'content-type': 'text/plain' })
    return void res.end('not found')
  }
  res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=31536000, immutable' })
  createReadStream(wb.frames.pathOf(m[2])).pipe(res)
}

/** Run files (sample PNGs) by run id: /assets/runs/<id>/samples/<name>.png. */
function serveRunFile(wb: Workbench, pathname: string, res: ServerResponse): void {
  const file = runAssetPath(wb, pathname.slice('/assets/'.length))
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' })
    return void res.end('not found')
  }
  res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' })
  createReadStream(file).pipe(res)
}

function serveStatic(root: string | undefined, pathname: string, res: ServerResponse, policy: string): void {
  if (!root || !existsSync(join(root, 'index.html'))) {
    res.writeHead(503, { 'content-type': 'text/plain' })
    return void res.end('The renderer is not built. Run `npm run build` and start again.')
  }
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '')
  let file = join(root, rel)
  if (!file.startsWith(root + sep) && file !== root) {
    res.writeHead(403)
    return void res.end()
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html')
  const type = MIME[extname(file)] ?? 'application/octet-stream'
  const headers: Record<string, string> = { 'content-type': type, 'x-content-type-options': 'nosniff' }
  if (type.startsWith('text/html')) {
    headers['content-security-policy'] = policy
    headers['cache-control'] = 'no-store'
  }
  res.writeHead(200, headers)
  createReadStream(file).pipe(res)
}
