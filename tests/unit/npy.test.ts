import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { npyItem, readNpy, writeNpy, type NpyArray } from '../../src/main/datasets/npy'

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures')
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIXTURES, name)))
const b64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

/** Files written by numpy 2.4 (`np.save` / `np.lib.format.write_array`), embedded so CI needs no Python. */
const NUMPY = {
  // np.arange(6, dtype='<f4').reshape(2, 3)
  float32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=',
  // np.array([1, -2, 300000], dtype='>i4')
  bigInt32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAB/////gAEk+A=',
  // np.array([[1.5, -2.25]], dtype='>f8')
  bigFloat64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/+AAAAAAAAMACAAAAAAAA',
  // np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3))
  fortran: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGkyJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAMAAQAEAAIABQA=',
  // np.array(['héllo', 'a', '😀b'], dtype='<U5')
  unicode: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPFU1JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIApoAAAA6QAAAGwAAABsAAAAbwAAAGEAAAAAAAAAAAAAAAAAAAAAAAAAAPYBAGIAAAAAAAAAAAAAAAAAAAA=',
  // np.array(['abc', 'z'], dtype='>U3')
  bigUnicode: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPlUzJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAABhAAAAYgAAAGMAAAB6AAAAAAAAAAA=',
  // np.array([b'ab', b'\xff\x00c', b'wxyz'], dtype='S4')
  bytes: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfFM0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAphYgAA/wBjAHd4eXo=',
  // np.array([True, False, True])
  bool: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  // np.array([-1, 2**40], dtype='<i8')
  int64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//////////wAAAAAAAQAA',
  // np.array([1, 65535], dtype='<u2'), format version 2.0
  version2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8dTInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAP//',
  // np.array([7], dtype='|u1'), format version 3.0
  version3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICd8dTEnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMSwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoH',
  // np.array(3.5) (0-d float64)
  scalar: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAMQA==',
  // np.save of {'x': np.arange(4, dtype='<i4').reshape(2, 2), 'y': 'text', 'z': [1.25]} (pickle protocol 4)
  dict: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfE8nLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqABJX9AAAAAAAAAIwWbnVtcHkuX2NvcmUubXVsdGlhcnJheZSMDF9yZWNvbnN0cnVjdJSTlIwFbnVtcHmUjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBKWgDjAVkdHlwZZSTlIwCTziUiYiHlFKUKEsDjAF8lE5OTkr/////Sv////9LP3SUYoldlH2UKIwBeJRoAmgFSwCFlGgHh5RSlChLAUsCSwKGlGgLjAJpNJSJiIeUUpQoSwOMATyUTk5OSv////9K/////0sAdJRiiUMQAAAAAAEAAAACAAAAAwAAAJR0lGKMAXmUjAR0ZXh0lIwBepRdlEc/9AAAAAAAAGF1YXSUYi4='
}

/** Replaces `from` by `to` (same length) in a file's header. */
function patchHeader(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1')
  expect(text.includes(from)).toBe(true)
  return new Uint8Array(Buffer.from(text.replace(from, to), 'latin1'))
}

describe('readNpy on numpy output', () => {
  it('reads little-endian float32 2-d', () => {
    const arr = readNpy(b64(NUMPY.float32))
    expect(arr).toMatchObject({ dtype: 'float32', shape: [2, 3], fortranOrder: false })
    expect(arr.data).toEqual(new Float32Array([0, 1, 2, 3, 4, 5]))
  })

  it('converts big-endian int32 and float64', () => {
    expect(readNpy(b64(NUMPY.bigInt32)).data).toEqual(new Int32Array([1, -2, 300000]))
    const f64 = readNpy(b64(NUMPY.bigFloat64))
    expect(f64.shape).toEqual([1, 2])
    expect(f64.data).toEqual(new Float64Array([1.5, -2.25]))
  })

  it('keeps Fortran order data as stored and reports it', () => {
    const arr = readNpy(b64(NUMPY.fortran))
    expect(arr).toMatchObject({ dtype: 'int16', shape: [2, 3], fortranOrder: true })
    expect(arr.data).toEqual(new Int16Array([0, 3, 1, 4, 2, 5]))
  })

  it('reads unicode (UTF-32, both byte orders) and byte strings with NULs stripped', () => {
    expect(readNpy(b64(NUMPY.unicode))).toMatchObject({ dtype: 'unicode5', data: ['héllo', 'a', '😀b'] })
    expect(readNpy(b64(NUMPY.bigUnicode))).toMatchObject({ dtype: 'unicode3', data: ['abc', 'z'] })
    expect(readNpy(b64(NUMPY.bytes))).toMatchObject({ dtype: 'bytes4', data: ['ab', '\xff\x00c', 'wxyz'] })
  })

  it('reads bool, int64, versions 2.0 and 3.0 and 0-d arrays', () => {
    expect(readNpy(b64(NUMPY.bool))).toMatchObject({ dtype: 'bool', data: new Uint8Array([1, 0, 1]) })
    expect(readNpy(b64(NUMPY.int64)).data).toEqual(new BigInt64Array([-1n, 2n ** 40n]))
    expect(readNpy(b64(NUMPY.version2))).toMatchObject({ dtype: 'uint16', data: new Uint16Array([1, 65535]) })
    expect(readNpy(b64(NUMPY.version3))).toMatchObject({ dtype: 'uint8', shape: [1], data: new Uint8Array([7]) })
    const scalar = readNpy(b64(NUMPY.scalar))
    expect(scalar.shape).toEqual([])
    expect(npyItem(scalar)).toBe(3.5)
  })

  it('reads a dict saved by Python 3 numpy (pickle protocol 4)', () => {
    const arr = readNpy(b64(NUMPY.dict))
    expect(arr).toMatchObject({ dtype: 'object', shape: [] })
    const dict = npyItem(arr) as Map<string, unknown>
    expect([...dict.keys()]).toEqual(['x', 'y', 'z'])
    expect(dict.get('x')).toEqual({ dtype: 'int32', shape: [2, 2], fortranOrder: false, data: new Int32Array([0, 1, 2, 3]) })
    expect(dict.get('y')).toBe('text')
    expect(dict.get('z')).toEqual([1.25])
  })
})

describe('readNpy on the dataset fixtures', () => {
  it('reads Pororo-SV dicts pickled the Python 2 way', () => {
    const labels = npyItem(readNpy(fixture('pororo-sv-mini/labels.npy'))) as Map<string, NpyArray>
    expect(labels.size).toBe(23)
    expect(labels.get('Pororo_ENGLISH1_1_ep1/0')).toEqual({
      dtype: 'float64',
      shape: [9],
      fortranOrder: false,
      data: new Float64Array([1, 1, 0, 0, 0, 0, 1, 0, 0])
    })
    const descriptions = npyItem(readNpy(fixture('pororo-sv-mini/descriptions.npy'))) as Map<string, string[]>
    expect(descriptions.get('Pororo_ENGLISH1_1_ep1/0')).toEqual(['Pororo and Loopy and Tongtong talk in scene 0 of Pororo_ENGLISH1_1_ep1.'])
    const vectors = npyItem(readNpy(fixture('pororo-sv-mini/descriptions_vec.npy'))) as Map<string, NpyArray>
    const first = vectors.get('Pororo_ENGLISH1_1_ep1/0') as NpyArray
    expect(first).toMatchObject({ dtype: 'float32', shape: [1, 128] })
    expect(first.data[0]).toBeCloseTo(1.00672436, 6)
    const attributes = npyItem(readNpy(fixture('pororo-sv-mini/descriptions_attr.npy'))) as Map<string, NpyArray>
    expect(attributes.get('Pororo_ENGLISH1_1_ep1/0')?.shape).toEqual([1, 228])
    const counter = npyItem(readNpy(fixture('pororo-sv-mini/frames_counter.npy'))) as Map<string, number>
    expect(counter.get('Pororo_ENGLISH1_1_ep1/')).toBe(6)
  })

  it('reads the clip path byte-string arrays and the split ids', () => {
    const clips = readNpy(fixture('pororo-sv-mini/img_cache4.npy'))
    expect(clips).toMatchObject({ dtype: 'bytes37', shape: [11] })
    expect(clips.data.slice(0, 2)).toEqual(['Pororo_ENGLISH1_1_ep1/0.png', 'Pororo_ENGLISH1_1_ep1/1.png'])
    const following = readNpy(fixture('pororo-sv-mini/following_cache4.npy'))
    expect(following.shape).toEqual([11, 4])
    expect(following.data.slice(0, 4)).toEqual([1, 2, 3, 4].map((k) => `Pororo_ENGLISH1_1_ep1/${k}.png`))
    const ids = readNpy(fixture('pororo-sv-mini/train_seen_unseen_ids.npy'))
    expect(ids).toMatchObject({ dtype: 'object', shape: [3] })
    expect((ids.data as NpyArray[]).map((split) => Array.from(split.data as BigInt64Array, Number))).toEqual([[0, 1, 2, 3, 4, 7], [6, 10], [5, 8, 9]])
  })

  it('reads the CLEVR-SV dict and the metric fixtures', () => {
    const clevr = npyItem(readNpy(fixture('clevr-sv-mini/CLEVR_dict.npy'))) as Map<string, NpyArray>
    expect(clevr.size).toBe(24)
    expect(clevr.get('CLEVR_new_000000_1.png')).toMatchObject({ dtype: 'float64', shape: [75] })
    const features = readNpy(fixture('frechet/gauss64_a.npy'))
    expect(features).toMatchObject({ dtype: 'float32', shape: [400, 64] })
    expect(features.data[0]).toBeCloseTo(0.12573022, 6)
    expect(features.data[400 * 64 - 1]).toBeCloseTo(0.8284707, 6)
    const clips = readNpy(fixture('fsd/fsd_real_u8.npy'))
    expect(clips).toMatchObject({ dtype: 'uint8', shape: [32, 3, 5, 64, 64] })
    expect((clips.data as Uint8Array).reduce((sum, value) => sum + value, 0)).toBe(175969182)
  })
})

describe('writeNpy', () => {
  it('writes float32 byte-for-byte like np.save', () => {
    expect(writeNpy({ dtype: 'float32', shape: [2, 3], data: [0, 1, 2, 3, 4, 5] })).toEqual(b64(NUMPY.float32))
    expect(writeNpy({ dtype: 'bytes4', shape: [3], data: ['ab', '\xff\x00c', 'wxyz'] })).toEqual(b64(NUMPY.bytes))
    expect(writeNpy({ dtype: 'unicode5', shape: [3], data: ['héllo', 'a', '😀b'] })).toEqual(b64(NUMPY.unicode))
    expect(writeNpy({ dtype: 'int64', shape: [2], data: new BigInt64Array([-1n, 2n ** 40n]) })).toEqual(b64(NUMPY.int64))
    expect(writeNpy({ dtype: 'float64', shape: [], data: [3.5] })).toEqual(b64(NUMPY.scalar))
  })

  it('writes a dict like np.save: the same header and a pickle the reader round-trips', () => {
    const dict = new Map<string, unknown>([
      ['Pororo_ENGLISH1_1_ep1/0', { dtype: 'float32', shape: [1, 3], fortranOrder: false, data: new Float32Array([0.5, -1, 2]) }],
      ['captions', ['one', 'twø']],
      ['count', 6],
      ['flags', { dtype: 'bool', shape: [2], fortranOrder: false, data: new Uint8Array([1, 0]) }]
    ])
    const bytes = writeNpy({ dtype: 'object', shape: [], data: [dict] })
    expect(bytes.subarray(0, 128)).toEqual(fixture('pororo-sv-mini/labels.npy').subarray(0, 128))
    expect(npyItem(readNpy(bytes))).toEqual(dict)
  })

  it('rejects data that does not fit the shape or dtype', () => {
    expect(() => writeNpy({ dtype: 'float32', shape: [2, 2], data: [1, 2, 3] })).toThrow(/needs 4/)
    expect(() => writeNpy({ dtype: 'bytes2', shape: [1], data: ['abc'] })).toThrow(/longer/)
  })
})

describe('readNpy on bad input names the file', () => {
  it('bad magic', () => {
    expect(() => readNpy(new TextEncoder().encode('PK\x03\x04 not numpy at all'), 'bad.npy')).toThrow(/bad magic in bad\.npy/)
  })

  it('unsupported dtypes', () => {
    expect(() => readNpy(patchHeader(b64(NUMPY.float32), "'<f4'", "'<c8'"), 'complex.npy')).toThrow(/unsupported numpy dtype '<c8' in complex\.npy/)
    expect(() => readNpy(patchHeader(b64(NUMPY.float32), "'<f4'", "'<f2'"), 'half.npy')).toThrow(/half\.npy/)
    const structured = patchHeader(b64(NUMPY.float32), "'descr': '<f4', ", "'descr': [('a', '<f4')],")
    expect(() => readNpy(structured, 'structured.npy')).toThrow(/structured.*in structured\.npy/)
  })

  it('every truncation of a numeric and of a pickled file', () => {
    for (const [name, bytes] of [
      ['fortran.npy', b64(NUMPY.fortran)],
      ['frames_counter.npy', fixture('pororo-sv-mini/frames_counter.npy')]
    ] as const) {
      for (let length = 0; length < bytes.length; length++) {
        expect(() => readNpy(bytes.subarray(0, length), name), `${name} cut at ${length}`).toThrow(name)
      }
    }
  })
})
