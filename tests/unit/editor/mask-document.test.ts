import { describe, expect, it } from 'vitest'
import { MaskDocument, type DocumentChange } from '../../../src/renderer/src/editor/mask-document'

describe('MaskDocument', () => {
  it('splits the frame into tiles, clipping the last row and column', () => {
    const doc = new MaskDocument(100, 70, 2)
    expect([doc.tilesX, doc.tilesY, doc.tileCount]).toEqual([4, 3, 12])
    expect(doc.tileRect(0)).toEqual({ x: 0, y: 0, w: 32, h: 32 })
    expect(doc.tileRect(3)).toEqual({ x: 96, y: 0, w: 4, h: 32 })
    expect(doc.tileRect(11)).toEqual({ x: 96, y: 64, w: 4, h: 6 })
    expect(() => doc.tileRect(12)).toThrow(RangeError)
    const visited: number[] = []
    doc.forEachTileIn({ x: 30, y: 30, w: 40, h: 5 }, (tile) => visited.push(tile))
    expect(visited).toEqual([0, 1, 2, 4, 5, 6])
  })

  it('reads and restores tiles as compact rows', () => {
    const doc = new MaskDocument(40, 40, 1, 32)
    doc.layer(0)[1 * 40 + 33] = 1
    const tile = doc.readTile(0, 1)
    expect(tile.length).toBe(8 * 32)
    expect(tile[1 * 8 + 1]).toBe(1)
    expect(doc.tileEquals(0, 1, tile)).toBe(true)
    const blank = new Uint8Array(8 * 32)
    expect(doc.tileEquals(0, 1, blank)).toBe(false)
    doc.restoreTiles(0, [1], [blank])
    expect(doc.layer(0)[1 * 40 + 33]).toBe(0)
    expect(() => doc.restoreTiles(0, [1], [new Uint8Array(3)])).toThrow(RangeError)
  })

  it('loads layers by copy with nonzero → 1, growing the layer list', () => {
    const doc = new MaskDocument(2, 2)
    const saved = Uint8Array.of(0, 255, 3, 0)
    doc.setLayer(2, saved)
    expect(doc.layerCount).toBe(3)
    expect(doc.layer(2)).toEqual(Uint8Array.of(0, 1, 1, 0))
    expect(doc.layer(0)).toEqual(new Uint8Array(4))
    saved[0] = 1
    expect(doc.layer(2)[0]).toBe(0)
    expect(() => doc.setLayer(0, new Uint8Array(3))).toThrow(RangeError)
    expect(() => doc.layer(3)).toThrow(RangeError)
  })

  it('keeps flags per layer, validates opacity and announces changes', () => {
    const doc = new MaskDocument(4, 4, 2)
    const changes: DocumentChange[] = []
    const unsubscribe = doc.onChange((change) => changes.push(change))
    const before = doc.version
    expect(doc.flags(1)).toEqual({ visible: true, locked: false, opacity: 0.5 })
    doc.setFlags(1, { locked: true, opacity: 0.8 })
    expect(doc.isLocked(1)).toBe(true)
    expect(doc.isLocked(0)).toBe(false)
    expect(doc.flags(1).opacity).toBe(0.8)
    expect(() => doc.setFlags(1, { opacity: 1.5 })).toThrow(RangeError)
    expect(changes).toEqual([{ kind: 'flags', layer: 1, rect: null }])
    expect(doc.version).toBe(before + 1)
    expect(doc.layerVersion(1)).toBe(1)
    expect(doc.layerVersion(0)).toBe(0)
    unsubscribe()
    doc.notifyPixels(0, { x: 0, y: 0, w: 1, h: 1 })
    expect(changes.length).toBe(1)
  })

  it('returns frozen flag copies so view state cannot change behind its back', () => {
    const doc = new MaskDocument(4, 4, 1)
    const flags = doc.flags(0) as { locked: boolean }
    expect(() => {
      flags.locked = true
    }).toThrow(TypeError)
    expect(doc.isLocked(0)).toBe(false)
  })

  it('rejects invalid sizes', () => {
    expect(() => new MaskDocument(0, 4)).toThrow(RangeError)
    expect(() => new MaskDocument(4, 2.5)).toThrow(RangeError)
    expect(new MaskDocument(4, 4).sameGeometry(new MaskDocument(4, 4, 3))).toBe(true)
    expect(new MaskDocument(4, 4).sameGeometry(new MaskDocument(4, 5))).toBe(false)
  })
})
