import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type NpyArray } from '../../src/main/datasets/npy'
import { pickle, PickleError, unpickle } from '../../src/main/datasets/pickle'

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures')
const b64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))
const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'))

/**
 * `pickle.dumps(d, protocol=p)` by Python 3.11 + numpy 2.4 of
 * d = {'a': np.arange(3, dtype='f4'), 'b': [1, 2.5, 'x', None, True, False], 'c': (1, 2),
 *      'big': 2**70, 'neg': -5, 'negbig': -2**40, 'bytes': b'\x00\xff', 'nested': {1: 'one'},
 *      's': np.float64(2.5), 'i': np.int64(7), 'e': np.zeros(0, dtype='<f8'),
 *      'u': np.array(['ab', 'c']), 'o': np.array([{'k': 1}, [2]], dtype=object)}
 * Protocol 0 is all text opcodes; 2 uses _codecs.encode for bytes; 4 adds FRAME, MEMOIZE and
 * STACK_GLOBAL; 5 pickles arrays through _frombuffer with in-band BYTEARRAY8.
 */
const PYTHON_DICT: Record<number, string> = {
  0: 'KGRwMApWYQpwMQpjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcDIKKGNudW1weQpuZGFycmF5CnAzCihJMAp0cDQKY19jb2RlY3MKZW5jb2RlCnA1CihWYgpwNgpWbGF0aW4xCnA3CnRwOApScDkKdHAxMApScDExCihJMQooSTMKdHAxMgpjbnVtcHkKZHR5cGUKcDEzCihWZjQKcDE0CkkwMApJMDEKdHAxNQpScDE2CihJMwpWPApwMTcKTk5OSS0xCkktMQpJMAp0cDE4CmJJMDAKZzUKKFZcdTAwMDBcdTAwMDBcdTAwMDBcdTAwMDBcdTAwMDBcdTAwMDCAP1x1MDAwMFx1MDAwMFx1MDAwMEAKcDE5Cmc3CnRwMjAKUnAyMQp0cDIyCmJzVmIKcDIzCihscDI0CkkxCmFGMi41CmFWeApwMjUKYU5hSTAxCmFJMDAKYXNWYwpwMjYKKEkxCkkyCnRwMjcKc1ZiaWcKcDI4CkwxMTgwNTkxNjIwNzE3NDExMzAzNDI0TApzVm5lZwpwMjkKSS01CnNWbmVnYmlnCnAzMApMLTEwOTk1MTE2Mjc3NzZMCnNWYnl0ZXMKcDMxCmc1CihWXHUwMDAw/wpwMzIKZzcKdHAzMwpScDM0CnNWbmVzdGVkCnAzNQooZHAzNgpJMQpWb25lCnAzNwpzc1ZzCnAzOApjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpzY2FsYXIKcDM5CihnMTMKKFZmOApwNDAKSTAwCkkwMQp0cDQxClJwNDIKKEkzCmcxNwpOTk5JLTEKSS0xCkkwCnRwNDMKYmc1CihWXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwBEAKcDQ0Cmc3CnRwNDUKUnA0Ngp0cDQ3ClJwNDgKc1ZpCnA0OQpnMzkKKGcxMwooVmk4CnA1MApJMDAKSTAxCnRwNTEKUnA1MgooSTMKZzE3Ck5OTkktMQpJLTEKSTAKdHA1MwpiZzUKKFYHXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwXHUwMDAwCnA1NApnNwp0cDU1ClJwNTYKdHA1NwpScDU4CnNWZQpwNTkKZzIKKGczCihJMAp0cDYwCmc5CnRwNjEKUnA2MgooSTEKKEkwCnRwNjMKZzQyCkkwMApjX19idWlsdGluX18KYnl0ZXMKcDY0Cih0UnA2NQp0cDY2CmJzVnUKcDY3CmcyCihnMwooSTAKdHA2OApnOQp0cDY5ClJwNzAKKEkxCihJMgp0cDcxCmcxMwooVlUyCnA3MgpJMDAKSTAxCnRwNzMKUnA3NAooSTMKZzE3Ck5OTkk4Ckk0Ckk4CnRwNzUKYkkwMApnNQooVmFcdTAwMDBcdTAwMDBcdTAwMDBiXHUwMDAwXHUwMDAwXHUwMDAwY1x1MDAwMFx1MDAwMFx1MDAwMFx1MDAwMFx1MDAwMFx1MDAwMFx1MDAwMApwNzYKZzcKdHA3NwpScDc4CnRwNzkKYnNWbwpwODAKZzIKKGczCihJMAp0cDgxCmc5CnRwODIKUnA4MwooSTEKKEkyCnRwODQKZzEzCihWTzgKcDg1CkkwMApJMDEKdHA4NgpScDg3CihJMwpWfApwODgKTk5OSS0xCkktMQpJNjMKdHA4OQpiSTAwCihscDkwCihkcDkxClZrCnA5MgpJMQpzYShscDkzCkkyCmFhdHA5NApicy4=',
  2: 'gAJ9cQAoWAEAAABhcQFjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcQJjbnVtcHkKbmRhcnJheQpxA0sAhXEEY19jb2RlY3MKZW5jb2RlCnEFWAEAAABicQZYBgAAAGxhdGluMXEHhnEIUnEJh3EKUnELKEsBSwOFcQxjbnVtcHkKZHR5cGUKcQ1YAgAAAGY0cQ6JiIdxD1JxEChLA1gBAAAAPHERTk5OSv////9K/////0sAdHESYoloBVgNAAAAAAAAAAAAwoA/AAAAQHETaAeGcRRScRV0cRZiWAEAAABicRddcRgoSwFHQAQAAAAAAABYAQAAAHhxGU6IiWVYAQAAAGNxGksBSwKGcRtYAwAAAGJpZ3EcigkAAAAAAAAAAEBYAwAAAG5lZ3EdSvv///9YBgAAAG5lZ2JpZ3EeigYAAAAAAP9YBQAAAGJ5dGVzcR9oBVgDAAAAAMO/cSBoB4ZxIVJxIlgGAAAAbmVzdGVkcSN9cSRLAVgDAAAAb25lcSVzWAEAAABzcSZjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpzY2FsYXIKcSdoDVgCAAAAZjhxKImIh3EpUnEqKEsDaBFOTk5K/////0r/////SwB0cStiaAVYCAAAAAAAAAAAAARAcSxoB4ZxLVJxLoZxL1JxMFgBAAAAaXExaCdoDVgCAAAAaThxMomIh3EzUnE0KEsDaBFOTk5K/////0r/////SwB0cTViaAVYCAAAAAcAAAAAAAAAcTZoB4ZxN1JxOIZxOVJxOlgBAAAAZXE7aAJoA0sAhXE8aAmHcT1ScT4oSwFLAIVxP2gqiWNfX2J1aWx0aW5fXwpieXRlcwpxQClScUF0cUJiWAEAAAB1cUNoAmgDSwCFcURoCYdxRVJxRihLAUsChXFHaA1YAgAAAFUycUiJiIdxSVJxSihLA2gRTk5OSwhLBEsIdHFLYoloBVgQAAAAYQAAAGIAAABjAAAAAAAAAHFMaAeGcU1ScU50cU9iWAEAAABvcVBoAmgDSwCFcVFoCYdxUlJxUyhLAUsChXFUaA1YAgAAAE84cVWJiIdxVlJxVyhLA1gBAAAAfHFYTk5OSv////9K/////0s/dHFZYoldcVoofXFbWAEAAABrcVxLAXNdcV1LAmFldHFeYnUu',
  3: 'gAN9cQAoWAEAAABhcQFjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcQJjbnVtcHkKbmRhcnJheQpxA0sAhXEEQwFicQWHcQZScQcoSwFLA4VxCGNudW1weQpkdHlwZQpxCVgCAAAAZjRxComIh3ELUnEMKEsDWAEAAAA8cQ1OTk5K/////0r/////SwB0cQ5iiUMMAAAAAAAAgD8AAABAcQ90cRBiWAEAAABicRFdcRIoSwFHQAQAAAAAAABYAQAAAHhxE06IiWVYAQAAAGNxFEsBSwKGcRVYAwAAAGJpZ3EWigkAAAAAAAAAAEBYAwAAAG5lZ3EXSvv///9YBgAAAG5lZ2JpZ3EYigYAAAAAAP9YBQAAAGJ5dGVzcRlDAgD/cRpYBgAAAG5lc3RlZHEbfXEcSwFYAwAAAG9uZXEdc1gBAAAAc3EeY251bXB5Ll9jb3JlLm11bHRpYXJyYXkKc2NhbGFyCnEfaAlYAgAAAGY4cSCJiIdxIVJxIihLA2gNTk5OSv////9K/////0sAdHEjYkMIAAAAAAAABEBxJIZxJVJxJlgBAAAAaXEnaB9oCVgCAAAAaThxKImIh3EpUnEqKEsDaA1OTk5K/////0r/////SwB0cStiQwgHAAAAAAAAAHEshnEtUnEuWAEAAABlcS9oAmgDSwCFcTBoBYdxMVJxMihLAUsAhXEzaCKJQwBxNHRxNWJYAQAAAHVxNmgCaANLAIVxN2gFh3E4UnE5KEsBSwKFcTpoCVgCAAAAVTJxO4mIh3E8UnE9KEsDaA1OTk5LCEsESwh0cT5iiUMQYQAAAGIAAABjAAAAAAAAAHE/dHFAYlgBAAAAb3FBaAJoA0sAhXFCaAWHcUNScUQoSwFLAoVxRWgJWAIAAABPOHFGiYiHcUdScUgoSwNYAQAAAHxxSU5OTkr/////Sv////9LP3RxSmKJXXFLKH1xTFgBAAAAa3FNSwFzXXFOSwJhZXRxT2J1Lg==',
  4: 'gASVUQIAAAAAAAB9lCiMAWGUjBZudW1weS5fY29yZS5tdWx0aWFycmF5lIwMX3JlY29uc3RydWN0lJOUjAVudW1weZSMB25kYXJyYXmUk5RLAIWUQwFilIeUUpQoSwFLA4WUaAWMBWR0eXBllJOUjAJmNJSJiIeUUpQoSwOMATyUTk5OSv////9K/////0sAdJRiiUMMAAAAAAAAgD8AAABAlHSUYowBYpRdlChLAUdABAAAAAAAAIwBeJROiIlljAFjlEsBSwKGlIwDYmlnlIoJAAAAAAAAAABAjANuZWeUSvv///+MBm5lZ2JpZ5SKBgAAAAAA/4wFYnl0ZXOUQwIA/5SMBm5lc3RlZJR9lEsBjANvbmWUc4wBc5RoAowGc2NhbGFylJOUaA6MAmY4lImIh5RSlChLA2gSTk5OSv////9K/////0sAdJRiQwgAAAAAAAAEQJSGlFKUjAFplGglaA6MAmk4lImIh5RSlChLA2gSTk5OSv////9K/////0sAdJRiQwgHAAAAAAAAAJSGlFKUjAFllGgEaAdLAIWUaAmHlFKUKEsBSwCFlGgoiUMAlHSUYowBdZRoBGgHSwCFlGgJh5RSlChLAUsChZRoDowCVTKUiYiHlFKUKEsDaBJOTk5LCEsESwh0lGKJQxBhAAAAYgAAAGMAAAAAAAAAlHSUYowBb5RoBGgHSwCFlGgJh5RSlChLAUsChZRoDowCTziUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LP3SUYoldlCh9lIwBa5RLAXNdlEsCYWV0lGJ1Lg==',
  5: 'gAWVaAIAAAAAAAB9lCiMAWGUjBNudW1weS5fY29yZS5udW1lcmljlIwLX2Zyb21idWZmZXKUk5QolgwAAAAAAAAAAAAAAAAAgD8AAABAlIwFbnVtcHmUjAVkdHlwZZSTlIwCZjSUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYksDhZSMAUOUdJRSlIwBYpRdlChLAUdABAAAAAAAAIwBeJROiIlljAFjlEsBSwKGlIwDYmlnlIoJAAAAAAAAAABAjANuZWeUSvv///+MBm5lZ2JpZ5SKBgAAAAAA/4wFYnl0ZXOUQwIA/5SMBm5lc3RlZJR9lEsBjANvbmWUc4wBc5SMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAZzY2FsYXKUk5RoCIwCZjiUiYiHlFKUKEsDaAxOTk5K/////0r/////SwB0lGJDCAAAAAAAAARAlIaUUpSMAWmUaCJoCIwCaTiUiYiHlFKUKEsDaAxOTk5K/////0r/////SwB0lGJDCAcAAAAAAAAAlIaUUpSMAWWUaAQolgAAAAAAAAAAlGglSwCFlGgPdJRSlIwBdZRoBCiWEAAAAAAAAABhAAAAYgAAAGMAAAAAAAAAlGgIjAJVMpSJiIeUUpQoSwNoDE5OTksISwRLCHSUYksChZRoD3SUUpSMAW+UaCCMDF9yZWNvbnN0cnVjdJSTlGgGjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBSwKFlGgIjAJPOJSJiIeUUpQoSwOMAXyUTk5OSv////9K/////0s/dJRiiV2UKH2UjAFrlEsBc12USwJhZXSUYnUu'
}

const EXPECTED_DICT = new Map<string, unknown>([
  ['a', { dtype: 'float32', shape: [3], fortranOrder: false, data: new Float32Array([0, 1, 2]) }],
  ['b', [1, 2.5, 'x', null, true, false]],
  ['c', [1, 2]],
  ['big', 2n ** 70n],
  ['neg', -5],
  ['negbig', -(2 ** 40)],
  ['bytes', new Uint8Array([0, 255])],
  ['nested', new Map([[1, 'one']])],
  ['s', 2.5],
  ['i', 7],
  ['e', { dtype: 'float64', shape: [0], fortranOrder: false, data: new Float64Array(0) }],
  ['u', { dtype: 'unicode2', shape: [2], fortranOrder: false, data: ['ab', 'c'] }],
  ['o', { dtype: 'object', shape: [2], fortranOrder: false, data: [new Map([['k', 1]]), [2]] }]
])

describe('unpickle', () => {
  it.each([0, 2, 3, 4, 5])('reads a dict of numpy arrays and Python values pickled with protocol %i', (protocol) => {
    expect(unpickle(b64(PYTHON_DICT[protocol]))).toEqual(EXPECTED_DICT)
  })

  it('keeps shared references shared (memo)', () => {
    // pickle.dumps({'p': shared, 'q': shared}, 2) with shared = [1, 2]
    const dict = unpickle(b64('gAJ9cQAoWAEAAABwcQFdcQIoSwFLAmVYAQAAAHFxA2gCdS4=')) as Map<string, unknown>
    expect(dict.get('p')).toEqual([1, 2])
    expect(dict.get('p')).toBe(dict.get('q'))
  })

  it('reads Python 2 protocol 0 STRING, INT, LONG and FLOAT as latin1 strings and numbers', () => {
    const text = "(dp0\nS'key'\np1\nS'a\\x00\\xff\\n\\'q'\np2\nsS'n'\nI42\nsS'l'\nL12345678901234567890L\nsS'f'\nF1.5\ns."
    expect(unpickle(ascii(text))).toEqual(
      new Map<string, unknown>([
        ['key', "a\x00\xff\n'q"],
        ['n', 42],
        ['l', 12345678901234567890n],
        ['f', 1.5]
      ])
    )
  })

  it('reads every Pororo-SV pickled dict fixture with numpy arrays inside', () => {
    const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, 'pororo-sv-mini/descriptions_vec.npy')))
    const outer = unpickle(bytes.subarray(128), 'descriptions_vec.npy') as NpyArray
    expect(outer).toMatchObject({ dtype: 'object', shape: [] })
    const dict = outer.data[0] as Map<string, NpyArray>
    expect(dict.size).toBe(23)
    for (const vector of dict.values()) expect(vector).toMatchObject({ dtype: 'float32', shape: [expect.any(Number), 128] })
  })
})

describe('unpickle on bad input names the file', () => {
  it('unknown globals, through GLOBAL and STACK_GLOBAL', () => {
    // b'\x80\x02cos\nsystem\n...' : os.system('ls')
    expect(() => unpickle(b64('gAJjb3MKc3lzdGVtCnEAWAIAAABsc3EBhXECUnEDLg=='), 'evil.pkl')).toThrow(
      'unknown pickle content: os.system in evil.pkl'
    )
    // pickle.dumps(collections.Counter('ab'), 4)
    expect(() => unpickle(b64('gASVLwAAAAAAAACMC2NvbGxlY3Rpb25zlIwHQ291bnRlcpSTlH2UKIwBYZRLAYwBYpRLAXWFlFKULg=='), 'counter.pkl')).toThrow(
      'unknown pickle content: collections.Counter in counter.pkl'
    )
  })

  it('unsupported numpy dtypes', () => {
    // pickle.dumps(np.zeros(1, dtype='<c8'), 2)
    const complex = 'gAJjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcQBjbnVtcHkKbmRhcnJheQpxAUsAhXECY19jb2RlY3MKZW5jb2RlCnEDWAEAAABicQRYBgAAAGxhdGluMXEFhnEGUnEHh3EIUnEJKEsBSwGFcQpjbnVtcHkKZHR5cGUKcQtYAgAAAGM4cQyJiIdxDVJxDihLA1gBAAAAPHEPTk5OSv////9K/////0sAdHEQYoloA1gIAAAAAAAAAAAAAABxEWgFhnESUnETdHEUYi4='
    expect(() => unpickle(b64(complex), 'complex.pkl')).toThrow(/unsupported numpy dtype 'c8' in complex\.pkl/)
  })

  it('every truncation throws a PickleError naming the file', () => {
    for (const protocol of [0, 2, 4, 5]) {
      const bytes = b64(PYTHON_DICT[protocol])
      for (let length = 0; length < bytes.length; length++) {
        let error: unknown
        try {
          unpickle(bytes.subarray(0, length), `p${protocol}.pkl`)
        } catch (caught) {
          error = caught
        }
        expect(error, `protocol ${protocol} cut at ${length}`).toBeInstanceOf(PickleError)
        expect((error as Error).message).toMatch(new RegExp(` in p${protocol}\\.pkl$`))
      }
    }
  })

  it('malformed opcodes and memo references', () => {
    expect(() => unpickle(ascii('\x80\x02\xff.'), 'x.pkl')).toThrow(/unknown pickle opcode 0xff at byte 2 in x\.pkl/)
    expect(() => unpickle(ascii('\x80\x02h\x05.'), 'x.pkl')).toThrow(/memo key 5 missing.* in x\.pkl/)
    expect(() => unpickle(ascii('\x80\x02]K\x01b.'), 'x.pkl')).toThrow(/BUILD.* in x\.pkl/)
    expect(() => unpickle(ascii('\x80\x02K\x01K\x02.'), 'x.pkl')).toThrow(/STOP.* in x\.pkl/)
  })

  it('corrupted bytes never hang and fail only with PickleError', () => {
    const original = b64(PYTHON_DICT[2])
    let seed = 12345
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let trial = 0; trial < 300; trial++) {
      const bytes = original.slice()
      for (let flips = 0; flips < 3; flips++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      try {
        unpickle(bytes, 'fuzz.pkl')
      } catch (error) {
        expect(error).toBeInstanceOf(PickleError)
      }
    }
  })
})

describe('pickle (protocol 2)', () => {
  it('writes plain values byte-for-byte like Python 3', () => {
    // pickle.dumps({'a': [1, 2.5, 'a', None, True, False], 'b': -70000, 'c': 2**70, 'd': {'x': 'a'},
    //   'e': -2**63, 'f': 255, 'g': 65535, 'h': 65536, 'i': -1.0e-300, 'j': -129, 'k': 2**31, 'l': -2**31}, 2)
    const python =
      'gAJ9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABoAU6IiWVYAQAAAGJxA0qQ7v7/WAEAAABjcQSKCQAAAAAAAAAAQFgBAAAAZHEFfXEGWAEAAAB4cQdoAXNYAQAAAGVxCIoIAAAAAAAAAIBYAQAAAGZxCUv/WAEAAABncQpN//9YAQAAAGhxC0oAAAEAWAEAAABpcQxHgaVuH8L481lYAQAAAGpxDUp/////WAEAAABrcQ6KBQAAAIAAWAEAAABscQ9KAAAAgHUu'
    const value = {
      a: [1, 2.5, 'a', null, true, false],
      b: -70000,
      c: 2n ** 70n,
      d: new Map([['x', 'a']]),
      e: -(2n ** 63n),
      f: 255,
      g: 65535,
      h: 65536,
      i: -1.0e-300,
      j: -129,
      k: 2 ** 31,
      l: -(2 ** 31)
    }
    expect(pickle(value)).toEqual(b64(python))
    // pickle.dumps({'p': b'\x00\xff', 'q': {1}}, 2): bytes via _codecs.encode, sets via __builtin__.set
    const bytesAndSet = 'gAJ9cQAoWAEAAABwcQFjX2NvZGVjcwplbmNvZGUKcQJYAwAAAADDv3EDWAYAAABsYXRpbjFxBIZxBVJxBlgBAAAAcXEHY19fYnVpbHRpbl9fCnNldApxCF1xCUsBYYVxClJxC3Uu'
    expect(unpickle(b64(bytesAndSet))).toEqual(new Map<string, unknown>([['p', new Uint8Array([0, 255])], ['q', new Set([1])]]))
  })

  it('batches long lists like Python (APPENDS of 1000, then APPEND)', () => {
    const list = Array.from({ length: 1001 }, (_, i) => i)
    const bytes = pickle(list)
    expect([...bytes.subarray(0, 6)]).toEqual([0x80, 2, 0x5d, 0x71, 0, 0x28])
    expect([...bytes.subarray(bytes.length - 6)]).toEqual([0x65, 0x4d, 0xe8, 0x03, 0x61, 0x2e])
    expect(unpickle(bytes)).toEqual(list)
  })

  it('round-trips numpy arrays of every dtype, typed arrays and nested containers', () => {
    const arrays: NpyArray[] = [
      { dtype: 'float32', shape: [2, 2], fortranOrder: false, data: new Float32Array([1, -2, 3.5, 4]) },
      { dtype: 'float64', shape: [], fortranOrder: false, data: new Float64Array([Math.PI]) },
      { dtype: 'int16', shape: [3, 2], fortranOrder: true, data: new Int16Array([0, 3, 1, 4, 2, 5]) },
      { dtype: 'uint64', shape: [1], fortranOrder: false, data: new BigUint64Array([2n ** 64n - 1n]) },
      { dtype: 'bool', shape: [2], fortranOrder: false, data: new Uint8Array([0, 1]) },
      { dtype: 'bytes3', shape: [2], fortranOrder: false, data: ['ab', '\xff'] },
      { dtype: 'unicode2', shape: [1], fortranOrder: false, data: ['😀é'] },
      { dtype: 'uint8', shape: [0], fortranOrder: false, data: new Uint8Array(0) },
      { dtype: 'object', shape: [2], fortranOrder: false, data: [new Map([['k', [1, 'v']]]), null] }
    ]
    const shared = [7]
    const value = new Map<unknown, unknown>([
      ['arrays', arrays],
      [3, new Int32Array([1, 2])],
      [[1, 'tuple key'], 'tuples'],
      ['shared', [shared, shared]]
    ])
    const back = unpickle(pickle(value)) as Map<unknown, unknown>
    expect(back.get('arrays')).toEqual(arrays)
    expect(back.get(3)).toEqual({ dtype: 'int32', shape: [2], fortranOrder: false, data: new Int32Array([1, 2]) })
    const [sharedA, sharedB] = back.get('shared') as unknown[]
    expect(sharedA).toBe(sharedB)
  })

  it('refuses values Python cannot represent', () => {
    expect(() => pickle(() => 1)).toThrow(TypeError)
    expect(() => pickle(new Date())).toThrow(/Date/)
  })
})
