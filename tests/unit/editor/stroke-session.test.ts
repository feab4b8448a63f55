import { describe, expect, it } from 'vitest'
import { applyClearLayer, applyCopyLayers } from '../../../src/renderer/src/editor/document-actions'
import { History } from '../../../src/renderer/src/editor/history'
import { MaskDocument } from '../../../src/renderer/src/editor/mask-document'
import { StrokeSession } from '../../../src/renderer/src/editor/stroke-session'
import { countOnes, sameBytes } from './pixel-helpers'

function paintedDocument(): MaskDocument {
  const doc = new MaskDocument(128, 96, 3)
  doc.layer(0).fill(1, 0, 128 * 10)
  doc.layer(1)[50 * 128 + 60] = 1
  return doc
}

describe('StrokeSession', () => {
  it('records a whole stroke as one undo entry and undo/redo restore it exactly', () => {
    const doc = paintedDocument()
    const history = new History(doc)
    const original = doc.layer(0).slice()
    const session = new StrokeSession(doc, 0, 'Brush')
    for (let k = 0; k <= 40; k++) session.brushTo(5 + k * 2.7, 20 + Math.sin(k / 4) * 30, 5, 'add')
    const painted = doc.layer(0).slice()
    expect(sameBytes(painted, original)).toBe(false)
    const command = session.commit()
    expect(command).not.toBeNull()
    history.record(command!)
    expect(history.size).toBe(1)
    expect(history.undoLabel).toBe('Brush')
    history.undo()
    expect(sameBytes(doc.layer(0), original)).toBe(true)
    expect(history.canUndo).toBe(false)
    history.redo()
    expect(sameBytes(doc.layer(0), painted)).toBe(true)
  })

  it('stores only the tiles the stroke changed', () => {
    const doc = new MaskDocument(128, 128, 1)
    const session = new StrokeSession(doc, 0, 'Brush')
    session.brushTo(10.5, 10.5, 3, 'add')
    session.brushTo(40.5, 10.5, 3, 'add')
    const command = session.commit()!
    expect([...command.tiles].sort((a, b) => a - b)).toEqual([0, 1])
    expect(command.byteSize).toBe(2 * 2 * 32 * 32)
  })

  it('drops captured tiles that ended unchanged and returns null when nothing changed', () => {
    const doc = new MaskDocument(64, 64, 1)
    const erase = new StrokeSession(doc, 0, 'Eraser')
    erase.brushTo(30, 30, 40, 'subtract')
    expect(erase.capturedTileCount).toBeGreaterThan(1)
    expect(erase.commit()).toBeNull()
    const session = new StrokeSession(doc, 0, 'Brush')
    session.brushTo(31, 31, 2, 'add')
    session.brushTo(31, 31, 2, 'subtract')
    expect(session.commit()).toBeNull()
  })

  it('cancel restores every captured tile and ends the session', () => {
    const doc = paintedDocument()
    const original = doc.layer(0).slice()
    const session = new StrokeSession(doc, 0, 'Brush')
    session.brushTo(10, 50, 30, 'add')
    session.brushTo(100, 80, 30, 'add')
    session.cancel()
    expect(sameBytes(doc.layer(0), original)).toBe(true)
    expect(session.active).toBe(false)
    expect(session.brushTo(5, 5, 3, 'add')).toBeNull()
    expect(session.commit()).toBeNull()
  })

  it('announces painted rectangles to document listeners while painting', () => {
    const doc = new MaskDocument(64, 64, 1)
    const rects: unknown[] = []
    doc.onChange((change) => rects.push(change.rect))
    const session = new StrokeSession(doc, 0, 'Brush')
    session.brushTo(10.5, 10.5, 3, 'add')
    expect(rects).toEqual([{ x: 9, y: 9, w: 3, h: 3 }])
  })

  it('paints polygons, rectangles and fills as single commands', () => {
    const doc = new MaskDocument(64, 64, 1)
    const history = new History(doc)
    const polygon = new StrokeSession(doc, 0, 'Polygon')
    polygon.fillPolygon([{ x: 0, y: 0 }, { x: 40, y: 0 }, { x: 0, y: 40 }], 'add')
    history.record(polygon.commit()!)
    const rectangle = new StrokeSession(doc, 0, 'Rectangle')
    rectangle.fillRectangle(50, 50, 60, 60, 'add')
    history.record(rectangle.commit()!)
    const rgba = new Uint8Array(64 * 64 * 4)
    const fill = new StrokeSession(doc, 0, 'Fill')
    fill.floodFill(rgba, 1, 1, 0, 'subtract')
    history.record(fill.commit()!)
    expect(countOnes(doc.layer(0))).toBe(0)
    history.undo()
    expect(countOnes(doc.layer(0))).toBe(780 + 100)
    history.undo()
    history.undo()
    expect(countOnes(doc.layer(0))).toBe(0)
  })
})

describe('locked layers', () => {
  it('are never changed by any tool', () => {
    const doc = paintedDocument()
    doc.setFlags(0, { locked: true })
    const original = doc.layer(0).slice()
    const session = new StrokeSession(doc, 0, 'Brush')
    expect(session.active).toBe(false)
    expect(session.brushTo(10, 5, 20, 'subtract')).toBeNull()
    expect(session.fillPolygon([{ x: 0, y: 0 }, { x: 90, y: 0 }, { x: 0, y: 90 }], 'add')).toBeNull()
    expect(session.fillRectangle(0, 0, 128, 96, 'subtract')).toBeNull()
    expect(session.floodFill(new Uint8Array(128 * 96 * 4), 0, 0, 0, 'subtract')).toBeNull()
    expect(session.clear()).toBeNull()
    expect(session.commit()).toBeNull()
    expect(applyClearLayer(doc, 0)).toBeNull()
    expect(sameBytes(doc.layer(0), original)).toBe(true)
  })

  it('stop a stroke when locked midway, keeping what was painted before', () => {
    const doc = new MaskDocument(64, 64, 1)
    const session = new StrokeSession(doc, 0, 'Brush')
    session.brushTo(10.5, 10.5, 1, 'add')
    doc.setFlags(0, { locked: true })
    session.brushTo(50.5, 10.5, 1, 'add')
    expect(countOnes(doc.layer(0))).toBe(1)
    expect(session.commit()!.tiles).toEqual([0])
  })

  it('are skipped when copying the previous frame', () => {
    const previous = new MaskDocument(64, 64, 3)
    previous.layer(0).fill(1)
    previous.layer(1).fill(1)
    previous.layer(2).fill(1)
    const doc = new MaskDocument(64, 64, 2)
    doc.setFlags(1, { locked: true })
    doc.layer(1)[5] = 1
    const history = new History(doc)
    const command = applyCopyLayers(doc, previous)!
    history.record(command)
    expect(command.label).toBe('Copy previous frame')
    expect(countOnes(doc.layer(0))).toBe(64 * 64)
    expect(countOnes(doc.layer(1))).toBe(1)
    expect(countOnes(doc.layer(2))).toBe(64 * 64)
    expect(history.size).toBe(1)
    history.undo()
    expect(countOnes(doc.layer(0))).toBe(0)
    expect(countOnes(doc.layer(1))).toBe(1)
    expect(countOnes(doc.layer(2))).toBe(0)
  })
})

describe('document actions', () => {
  it('clear layer is one undoable command', () => {
    const doc = paintedDocument()
    const history = new History(doc)
    history.record(applyClearLayer(doc, 0)!)
    expect(countOnes(doc.layer(0))).toBe(0)
    history.undo()
    expect(countOnes(doc.layer(0))).toBe(1280)
    expect(applyClearLayer(new MaskDocument(8, 8, 1), 0)).toBeNull()
  })

  it('copying can pick layers, and refuses frames of another size', () => {
    const previous = paintedDocument()
    const doc = new MaskDocument(128, 96, 3)
    applyCopyLayers(doc, previous, { layers: [1] })
    expect(countOnes(doc.layer(0))).toBe(0)
    expect(countOnes(doc.layer(1))).toBe(1)
    expect(applyCopyLayers(doc, previous, { layers: [1] })).toBeNull()
    expect(() => applyCopyLayers(new MaskDocument(64, 96, 3), previous)).toThrow(RangeError)
  })
})
