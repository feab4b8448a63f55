import { describe, expect, it } from 'vitest'
import { channels, isChannel, requestSchemas, validateRequest } from '../../src/shared/contract'

describe('Workbench API contract', () => {
  it('names every channel domain:verb', () => {
    for (const c of channels) expect(c).toMatch(/^[a-z]+:[a-zA-Z]+$/)
    expect(isChannel('datasets:list')).toBe(true)
    expect(isChannel('datasets:drop')).toBe(false)
    expect(isChannel('__proto__')).toBe(false)
    expect(isChannel(42)).toBe(false)
  })

  it('accepts valid requests and fills defaults', () => {
    const r = validateRequest('stories:list', { datasetId: 3 })
    expect(r).toEqual({ ok: true, value: { datasetId: 3, offset: 0, limit: 50 } })
    expect(validateRequest('datasets:import', { path: ' /data/x ', format: 'pororo' })).toEqual({
      ok: true,
      value: { path: '/data/x', format: 'pororo' }
    })
    expect(validateRequest('app:info', undefined)).toEqual({ ok: true, value: {} })
  })

  it('rejects bad requests with a message naming every bad field', () => {
    const bad = validateRequest('stories:list', { datasetId: -1, limit: 5000, extra: true })
    expect(bad.ok).toBe(false)
    if (!bad.ok) {
      expect(bad.message).toMatch(/^invalid stories:list request: /)
      expect(bad.message).toMatch(/datasetId/)
      expect(bad.message).toMatch(/limit/)
      expect(bad.message).toMatch(/extra/)
    }
    const name = validateRequest('datasets:import', { path: '/x', name: 'bad/name' })
    expect(name.ok).toBe(false)
    if (!name.ok) expect(name.message).toMatch(/name may use letters/)
    expect(validateRequest('masks:save', { frameId: 1, characterIdx: 0, rle: [1, -2] }).ok).toBe(false)
    expect(validateRequest('training:start', { datasetId: 1, preset: 'huge', steps: 1 }).ok).toBe(false)
  })

  it('has a schema for every channel and nothing else', () => {
    expect(Object.keys(requestSchemas).sort()).toEqual([...channels].sort())
  })
})
