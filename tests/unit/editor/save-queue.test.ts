import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SaveQueue, type SaveKey, type SaveQueueSnapshot } from '../../../src/renderer/src/editor/save-queue'

/** A send function the test resolves or rejects by hand, recording every call. */
function manualSend() {
  const calls: { key: SaveKey; payload: string; resolve: (v: string) => void; reject: (e: Error) => void }[] = []
  const send = (key: SaveKey, payload: string): Promise<string> =>
    new Promise((resolve, reject) => calls.push({ key, payload, resolve, reject }))
  return { calls, send }
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

const A: SaveKey = { frameId: 1, characterIdx: 0 }
const B: SaveKey = { frameId: 1, characterIdx: 3 }

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('SaveQueue', () => {
  it('sends promptly and reports saving, then saved', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send })
    const states: string[] = []
    queue.onChange((s) => states.push(s.state))
    const saved: string[] = []
    queue.onSaved((_key, payload, result) => saved.push(`${payload}->${result}`))
    queue.request(A, 'v1')
    expect(queue.snapshot()).toMatchObject({ state: 'saving', pending: 1 })
    await flushMicrotasks()
    expect(calls.map((c) => c.payload)).toEqual(['v1'])
    calls[0].resolve('ok1')
    await flushMicrotasks()
    expect(queue.snapshot()).toEqual({ state: 'saved', pending: 0, failures: [] })
    expect(saved).toEqual(['v1->ok1'])
    expect(states.at(-1)).toBe('saved')
    expect(queue.hasPending()).toBe(false)
  })

  it('coalesces requests of one key while a save is in flight and sends the newest next', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send })
    queue.request(A, 'v1')
    await flushMicrotasks()
    queue.request(A, 'v2')
    queue.request(A, 'v3')
    await flushMicrotasks()
    expect(calls.map((c) => c.payload)).toEqual(['v1']) // one in flight per key, in order
    calls[0].resolve('ok')
    await flushMicrotasks()
    expect(calls.map((c) => c.payload)).toEqual(['v1', 'v3'])
    calls[1].resolve('ok')
    await flushMicrotasks()
    expect(queue.snapshot().state).toBe('saved')
  })

  it('debounces per key and saves different keys independently', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send, debounceMs: 100 })
    queue.request(A, 'a1')
    queue.request(B, 'b1')
    vi.advanceTimersByTime(50)
    queue.request(A, 'a2')
    expect(calls).toHaveLength(0)
    vi.advanceTimersByTime(60)
    expect(calls.map((c) => `${c.key.characterIdx}:${c.payload}`).sort()).toEqual(['0:a2', '3:b1'])
    expect(queue.pendingKeys()).toHaveLength(2)
    expect(queue.hasPending(1)).toBe(true)
    expect(queue.hasPending(2)).toBe(false)
  })

  it('never drops a failed save: shows the failure and retries with backoff until it succeeds', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send, retryBaseMs: 100, retryMaxMs: 250 })
    let last: SaveQueueSnapshot | null = null
    queue.onChange((s) => (last = s))
    queue.request(A, 'v1')
    await flushMicrotasks()
    calls[0].reject(new Error('server down'))
    await flushMicrotasks()
    expect(last).toMatchObject({ state: 'failed', pending: 1, failures: [{ key: A, message: 'server down', attempts: 1 }] })
    vi.advanceTimersByTime(99)
    expect(calls).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(calls.map((c) => c.payload)).toEqual(['v1', 'v1'])
    calls[1].reject(new Error('still down'))
    await flushMicrotasks()
    // Backoff doubles: 200 ms now.
    vi.advanceTimersByTime(199)
    expect(calls).toHaveLength(2)
    vi.advanceTimersByTime(1)
    calls[2].reject(new Error('down again'))
    await flushMicrotasks()
    expect(queue.snapshot().failures[0].attempts).toBe(3)
    // ...and is capped at retryMaxMs.
    vi.advanceTimersByTime(250)
    expect(calls).toHaveLength(4)
    calls[3].resolve('ok')
    await flushMicrotasks()
    expect(queue.snapshot()).toEqual({ state: 'saved', pending: 0, failures: [] })
  })

  it('a newer payload supersedes the failed one at the next retry', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send, retryBaseMs: 100 })
    queue.request(A, 'v1')
    await flushMicrotasks()
    calls[0].reject(new Error('boom'))
    await flushMicrotasks()
    queue.request(A, 'v2')
    await flushMicrotasks()
    expect(calls).toHaveLength(1) // the backoff still applies
    vi.advanceTimersByTime(100)
    expect(calls.map((c) => c.payload)).toEqual(['v1', 'v2'])
  })

  it('retryNow sends failed keys at once', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send, retryBaseMs: 10_000 })
    queue.request(A, 'v1')
    await flushMicrotasks()
    calls[0].reject(new Error('boom'))
    await flushMicrotasks()
    queue.retryNow()
    await flushMicrotasks()
    expect(calls).toHaveLength(2)
  })

  it('treats a send that throws synchronously as a failure', async () => {
    let fail = true
    const sent: string[] = []
    const queue = new SaveQueue<string>({
      send: (_key, payload) => {
        if (fail) throw new Error('sync throw')
        sent.push(payload)
        return Promise.resolve('ok')
      },
      retryBaseMs: 10
    })
    queue.request(A, 'v1')
    await flushMicrotasks()
    expect(queue.snapshot().state).toBe('failed')
    fail = false
    vi.advanceTimersByTime(10)
    await flushMicrotasks()
    expect(sent).toEqual(['v1'])
    expect(queue.snapshot().state).toBe('saved')
  })

  it('idle() resolves once everything is saved', async () => {
    const { calls, send } = manualSend()
    const queue = new SaveQueue({ send })
    await queue.idle()
    queue.request(A, 'v1')
    queue.request(B, 'v1')
    let idle = false
    void queue.idle().then(() => (idle = true))
    await flushMicrotasks()
    calls[0].resolve('ok')
    await flushMicrotasks()
    expect(idle).toBe(false)
    calls[1].resolve('ok')
    await flushMicrotasks()
    expect(idle).toBe(true)
  })
})
