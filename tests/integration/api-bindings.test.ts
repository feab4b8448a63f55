import { join } from 'node:path'
import { mkdirSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Workbench } from '../../src/main/api/workbench'
import { startServer, type RunningServer } from '../../src/main/server/serve'
import { bindIpc, type IpcEventLike } from '../../src/main/electron/ipc-binding'
import { channels, type WorkbenchEvent } from '../../src/shared/contract'
import { PORORO_MINI, tempDir } from '../helpers/paths'

let wb: Workbench
let server: RunningServer
let cleanup: () => void
let staticDir: string

beforeAll(async () => {
  const t = tempDir()
  cleanup = t.cleanup
  staticDir = join(t.dir, 'static')
  mkdirSync(staticDir)
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>test</title>')
  wb = new Workbench(join(t.dir, 'ws'))
  server = await startServer(wb, { staticDir, log: () => {} })
})
afterAll(async () => {
  await server.close()
  await wb.close()
  cleanup()
})

const api = (channel: string, body: unknown, headers: Record<string, string> = { 'x-cpcsv-token': server.token }) =>
  fetch(`${server.url}/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

describe('serve mode', () => {
  it('binds to loopback only and prints a start URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.startUrl).toBe(`${server.url}/?token=${server.token}`)
    expect(server.token).toMatch(/^[0-9a-f]{48}$/)
  })

  it('rejects API requests without the token or with a wrong one', async () => {
    expect((await api('datasets:list', {}, {})).status).toBe(401)
    expect((await api('datasets:list', {}, { 'x-cpcsv-token': 'x'.repeat(48) })).status).toBe(401)
    const ok = await api('datasets:list', {})
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ ok: true, value: [] })
  })

  it('rejects other origins', async () => {
    const r = await api('datasets:list', {}, { 'x-cpcsv-token': server.token, origin: 'http://evil.example' })
    expect(r.status).toBe(403)
  })

  it('validates every request against the contract', async () => {
    const r = await api('datasets:get', { id: 'seven' })
    expect(r.status).toBe(400)
    const body = (await r.json()) as { ok: boolean; error: { code: string; message: string } }
    expect(body.ok).toBe(false)
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/invalid datasets:get request: id:/)
    const extra = (await (await api('datasets:list', { sneaky: 1 })).json()) as { error: { message: string } }
    expect(extra.error.message).toMatch(/sneaky/)
    const unknown = (await (await api('nope:never', {})).json()) as { error: { message: string } }
    expect(unknown.error.message).toMatch(/unknown channel nope:never/)
    const notFound = (await (await api('datasets:get', { id: 999 })).json()) as { error: { code: string } }
    expect(notFound.error.code).toBe('not_found')
  })

  it('refuses malformed JSON clearly', async () => {
    const r = await fetch(`${server.url}/api/datasets:list`, { method: 'POST', headers: { 'x-cpcsv-token': server.token }, body: '{nope' })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/)
  })

  it('serves the renderer only with the token, then by cookie, with a CSP', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(401)
    const first = await fetch(server.startUrl)
    expect(first.status).toBe(200)
    expect(first.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]
    expect(cookie).toMatch(/^cpcsv_token=/)
    expect((await fetch(`${server.url}/index.html`, { headers: { cookie } })).status).toBe(200)
  })

  it('streams import progress over an authenticated WebSocket and imports through the API', async () => {
    await expect(
      new Promise((resolve, reject) => {
        const bad = new WebSocket(`ws://127.0.0.1:${server.port}/events`)
        bad.on('open', () => reject(new Error('opened without token')))
        bad.on('error', resolve)
      })
    ).resolves.toBeTruthy()
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events?token=${server.token}`)
    await new Promise((r) => ws.on('open', r))
    const events: WorkbenchEvent[] = []
    ws.on('message', (m) => events.push(JSON.parse(String(m)) as WorkbenchEvent))
    const started = (await (await api('datasets:import', { path: PORORO_MINI })).json()) as { ok: true; value: { jobId: string } }
    expect(started.ok).toBe(true)
    const job = await wb.imports.wait(started.value.jobId)
    expect(job.state).toBe('finished')
    await new Promise((r) => setTimeout(r, 100))
    ws.close()
    expect(events.some((e) => e.type === 'import:progress' && e.job.done > 0)).toBe(true)
    expect(events.some((e) => e.type === 'import:finished' && e.job.datasetId === job.datasetId)).toBe(true)
    const list = (await (await api('datasets:list', {})).json()) as { value: { name: string; counts: { stories: number } }[] }
    expect(list.value[0]).toMatchObject({ name: 'pororo-sv-mini', counts: { stories: 11 } })
    // frames are served to the token holder only
    const stories = (await (await api('stories:list', { datasetId: job.datasetId })).json()) as { value: { stories: { thumbnails: string[] }[] } }
    const asset = stories.value.stories[0].thumbnails[0]
    expect((await fetch(`${server.url}/assets/${asset}`)).status).toBe(401)
    const img = await fetch(`${server.url}/assets/${asset}?token=${server.token}`)
    expect(img.headers.get('content-type')).toBe('image/png')
    for (const sneaky of ['/assets/frames/../../workbench.sqlite', '/assets/frames/%2e%2e/%2e%2e/workbench.sqlite', '/..%2fworkbench.sqlite']) {
      const r = await fetch(`${server.url}${sneaky}?token=${server.token}`)
      expect(await r.text()).not.toMatch(/^SQLite format/)
    }
  })

  it('reports a bad folder as a failed job naming the problem', async () => {
    const started = (await (await api('datasets:import', { path: '/definitely/not/here' })).json()) as { value: { jobId: string } }
    const job = await wb.imports.wait(started.value.jobId)
    expect(job.state).toBe('failed')
    expect(job.error).toMatch(/\/definitely\/not\/here: folder not found/)
  })
})

describe('Electron IPC binding', () => {
  it('binds every contract channel, validates requests and checks the sender frame', async () => {
    const handlers = new Map<string, (e: IpcEventLike, ...a: unknown[]) => unknown>()
    const unbind = bindIpc(
      { handle: (c, l) => handlers.set(c, l), removeHandler: (c) => handlers.delete(c) },
      wb,
      (url) => url.startsWith('file:///app/')
    )
    expect([...handlers.keys()].sort()).toEqual(channels.map((c) => `cpcsv:${c}`).sort())
    const call = (channel: string, req: unknown, url = 'file:///app/index.html') =>
      handlers.get(`cpcsv:${channel}`)!({ senderFrame: { url } }, req)
    expect(await call('datasets:list', {})).toMatchObject({ ok: true })
    expect(await call('datasets:get', { id: -1 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(await call('datasets:list', {}, 'https://evil.example/')).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    unbind()
    expect(handlers.size).toBe(0)
  })
})
