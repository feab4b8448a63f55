import { spawn, spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PORORO_MINI, tempDir } from '../helpers/paths'

const ROOT = resolve(__dirname, '../..')
const ENTRY = join(ROOT, 'src/main/cli/entry.ts')
let ws: string
let cleanup: () => void

/** Runs `cpcsv` from the TypeScript sources, as a person would run the built one. */
function cpcsv(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CPCSV_WORKSPACE: '' } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

beforeAll(() => {
  const t = tempDir()
  cleanup = t.cleanup
  ws = join(t.dir, 'ws')
})
afterAll(() => cleanup())

describe('cpcsv CLI', () => {
  it('prints help for the program and every command', () => {
    const main = cpcsv('--help')
    expect(main.code).toBe(0)
    for (const c of ['serve', 'import', 'datasets', 'demo']) expect(main.out).toContain(c)
    for (const c of ['serve', 'import', 'datasets', 'demo']) {
      const r = cpcsv(c, '--help')
      expect(r.code).toBe(0)
      expect(r.out).toMatch(new RegExp(`^cpcsv ${c}`))
      expect(r.out).toContain('--workspace')
    }
  })

  it('fails with a non-zero exit and a one-line reason', () => {
    const unknown = cpcsv('frobnicate')
    expect(unknown.code).not.toBe(0)
    expect(unknown.err.trim().split('\n')).toHaveLength(1)
    const badFlag = cpcsv('datasets', '--bogus', '--workspace', ws)
    expect(badFlag.code).toBe(1)
    expect(badFlag.err.trim()).toMatch(/^cpcsv: .*bogus/)
    const badPath = cpcsv('import', '/no/such/dir', '--workspace', ws)
    expect(badPath.code).toBe(1)
    expect(badPath.err.trim().split('\n').pop()).toBe('cpcsv: /no/such/dir: folder not found')
    const badFormat = cpcsv('import', PORORO_MINI, '--format', 'tiff', '--workspace', ws)
    expect(badFormat.err).toMatch(/--format must be pororo or clevr/)
  })

  it('imports a folder, lists datasets as a table and as JSON, and re-import changes nothing', () => {
    const imp = cpcsv('import', PORORO_MINI, '--name', 'mini', '--workspace', ws)
    expect(imp.code).toBe(0)
    expect(imp.out).toMatch(/imported dataset \d+ "mini": 11 stories, 55 frames/)
    expect(cpcsv('import', PORORO_MINI, '--name', 'mini', '--workspace', ws).out).toMatch(/already imported/)
    const table = cpcsv('datasets', '--workspace', ws)
    expect(table.out).toMatch(/mini\s+pororo\s+11\s+55\s+9\s+0\s+6\/2\/3/)
    const json = JSON.parse(cpcsv('datasets', '--json', '--workspace', ws).out) as { name: string; counts: { frames: number } }[]
    expect(json).toHaveLength(1)
    expect(json[0]).toMatchObject({ name: 'mini', counts: { frames: 55 } })
  })

  it('creates the demo datasets', () => {
    const r = cpcsv('demo', '--stories', '12', '--seed', '5', '--workspace', ws)
    expect(r.code).toBe(0)
    const list = JSON.parse(cpcsv('datasets', '--json', '--workspace', ws).out) as { name: string; counts: { stories: number } }[]
    expect(list.map((d) => d.name)).toEqual(['mini', 'demo-cartoon', 'demo-clevr'])
    expect(list[1].counts.stories).toBe(12)
    expect(list[2].counts.stories).toBe(12)
  })

  it('serve prints one line with the URL and its token and answers on it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve', '--no-demo', '--workspace', ws], { cwd: ROOT })
    try {
      const line = await new Promise<string>((res, rej) => {
        let buf = ''
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString()
          if (buf.includes('\n')) res(buf.split('\n')[0])
        })
        child.on('exit', (c) => rej(new Error(`serve exited ${c}`)))
      })
      const m = /^CP-CSV Workbench: (http:\/\/127\.0\.0\.1:\d+)\/\?token=([0-9a-f]{48})$/.exec(line)
      expect(m).not.toBeNull()
      const r = await fetch(`${m![1]}/api/datasets:list`, { method: 'POST', headers: { 'x-cpcsv-token': m![2] }, body: '{}' })
      expect(((await r.json()) as { value: unknown[] }).value).toHaveLength(3)
    } finally {
      child.kill('SIGTERM')
    }
  })
})
