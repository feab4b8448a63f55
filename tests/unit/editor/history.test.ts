import { describe, expect, it } from 'vitest'
import { CompositeCommand, PaintCommand, type Command } from '../../../src/renderer/src/editor/commands'
import { History, HistoryBook } from '../../../src/renderer/src/editor/history'
import { MaskDocument } from '../../../src/renderer/src/editor/mask-document'
import { StrokeSession } from '../../../src/renderer/src/editor/stroke-session'

/** Command that sets one pixel of layer 0, remembering the old value: easy to observe. */
function setPixel(index: number, value: number, log: string[] = [], byteSize = 0): Command {
  let old = 0
  return {
    label: `set ${index}`,
    byteSize,
    apply(doc) {
      old = doc.layer(0)[index]
      doc.layer(0)[index] = value
      log.push(`apply ${index}`)
    },
    revert(doc) {
      doc.layer(0)[index] = old
      log.push(`revert ${index}`)
    }
  }
}

const pixels = (doc: MaskDocument): number[] => Array.from(doc.layer(0).subarray(0, 4))

describe('History', () => {
  it('undoes and redoes in order', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc)
    history.run(setPixel(0, 1))
    history.run(setPixel(1, 1))
    expect(pixels(doc)).toEqual([1, 1, 0, 0])
    expect(history.undo()?.label).toBe('set 1')
    expect(pixels(doc)).toEqual([1, 0, 0, 0])
    expect([history.canUndo, history.canRedo, history.redoLabel]).toEqual([true, true, 'set 1'])
    history.undo()
    expect(pixels(doc)).toEqual([0, 0, 0, 0])
    expect(history.undo()).toBeNull()
    history.redo()
    history.redo()
    expect(pixels(doc)).toEqual([1, 1, 0, 0])
    expect(history.redo()).toBeNull()
  })

  it('drops the redo stack when a new command runs after undo', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc)
    history.run(setPixel(0, 1))
    history.run(setPixel(1, 1))
    history.undo()
    history.run(setPixel(2, 1))
    expect(history.canRedo).toBe(false)
    expect(history.redo()).toBeNull()
    expect(pixels(doc)).toEqual([1, 0, 1, 0])
    history.undo()
    history.undo()
    expect(pixels(doc)).toEqual([0, 0, 0, 0])
  })

  it('keeps at most `limit` entries, dropping the oldest', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc, { limit: 2 })
    for (let i = 0; i < 4; i++) history.run(setPixel(i, 1))
    expect(history.size).toBe(2)
    history.undo()
    history.undo()
    expect(history.canUndo).toBe(false)
    expect(pixels(doc)).toEqual([1, 1, 0, 0])
  })

  it('keeps within the byte budget but always keeps the newest entry', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc, { maxBytes: 100 })
    history.run(setPixel(0, 1, [], 60))
    history.run(setPixel(1, 1, [], 30))
    expect(history.size).toBe(2)
    history.run(setPixel(2, 1, [], 30))
    expect([history.size, history.byteSize]).toEqual([2, 60])
    history.run(setPixel(3, 1, [], 500))
    expect([history.size, history.byteSize]).toEqual([1, 500])
    expect(() => new History(doc, { limit: 0 })).toThrow(RangeError)
  })

  it('does not record a command whose apply throws', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc)
    const broken: Command = { label: 'broken', apply: () => { throw new Error('no') }, revert: () => {} }
    expect(() => history.run(broken)).toThrow('no')
    expect(history.canUndo).toBe(false)
  })

  it('notifies listeners and clears without touching the document', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc)
    let calls = 0
    const unsubscribe = history.onChange(() => calls++)
    history.run(setPixel(0, 1))
    history.undo()
    history.redo()
    history.clear()
    expect(calls).toBe(4)
    expect([history.canUndo, history.canRedo]).toEqual([false, false])
    expect(pixels(doc)).toEqual([1, 0, 0, 0])
    unsubscribe()
    history.run(setPixel(1, 1))
    expect(calls).toBe(4)
  })

  it('tracks whether the document differs from the saved state', () => {
    const doc = new MaskDocument(2, 2, 1)
    const history = new History(doc, { limit: 2 })
    expect(history.isDirty).toBe(false)
    history.run(setPixel(0, 1))
    expect(history.isDirty).toBe(true)
    history.markSaved()
    history.run(setPixel(1, 1))
    history.undo()
    expect(history.isDirty).toBe(false)
    history.undo()
    expect(history.isDirty).toBe(true)
    history.redo()
    history.markSaved()
    history.clear()
    expect(history.isDirty).toBe(false)
    // Saved state trimmed away: undoing to the bottom must not look saved.
    history.markSaved()
    history.run(setPixel(1, 1))
    history.run(setPixel(2, 1))
    history.run(setPixel(3, 1))
    history.undo()
    history.undo()
    expect(history.canUndo).toBe(false)
    expect(history.isDirty).toBe(true)
  })
})

describe('CompositeCommand', () => {
  it('applies in order and reverts in reverse order', () => {
    const doc = new MaskDocument(2, 2, 1)
    const log: string[] = []
    const history = new History(doc)
    history.run(new CompositeCommand('both', [setPixel(0, 1, log), setPixel(1, 1, log)]))
    history.undo()
    expect(log).toEqual(['apply 0', 'apply 1', 'revert 1', 'revert 0'])
  })
})

describe('PaintCommand', () => {
  it('refuses a document of another geometry', () => {
    const command = new PaintCommand('Brush', 0, [], { width: 4, height: 4, tileSize: 32 })
    expect(() => command.apply(new MaskDocument(8, 4, 1))).toThrow(/4×4/)
  })
})

describe('HistoryBook', () => {
  function stroke(doc: MaskDocument, x: number): Command {
    const session = new StrokeSession(doc, 0, 'Brush')
    session.brushTo(x, 5.5, 3, 'add')
    return session.commit()!
  }

  it('keeps each frame history across frame switches and re-attaches reloaded documents', () => {
    const book = new HistoryBook()
    const frameA = new MaskDocument(16, 16, 1)
    const frameB = new MaskDocument(16, 16, 1)
    book.get('a', frameA).record(stroke(frameA, 4.5))
    book.get('b', frameB).record(stroke(frameB, 10.5))
    // Coming back to frame A with a document reloaded from storage.
    const reloadedA = new MaskDocument(16, 16, 1)
    reloadedA.setLayer(0, frameA.layer(0))
    const historyA = book.get('a', reloadedA)
    expect(historyA.document).toBe(reloadedA)
    expect(historyA.undo()?.label).toBe('Brush')
    expect(reloadedA.layer(0).every((value) => value === 0)).toBe(true)
    expect(book.peek('b')?.canUndo).toBe(true)
    expect(book.dirtyFrames()).toEqual(['b'])
  })

  it('clears a history whose frame comes back with another size', () => {
    const book = new HistoryBook()
    const doc = new MaskDocument(16, 16, 1)
    book.get(7, doc).record(stroke(doc, 4.5))
    expect(book.get(7, new MaskDocument(32, 16, 1)).canUndo).toBe(false)
  })

  it('evicts least recently used clean frames first', () => {
    const book = new HistoryBook({ maxFrames: 2 })
    const dirty = new MaskDocument(16, 16, 1)
    book.get('dirty', dirty).record(stroke(dirty, 4.5))
    book.get('clean', new MaskDocument(16, 16, 1))
    book.get('new', new MaskDocument(16, 16, 1))
    expect([book.has('dirty'), book.has('clean'), book.has('new')]).toEqual([true, false, true])
    book.get('newer', new MaskDocument(16, 16, 1))
    expect([book.has('dirty'), book.has('new'), book.has('newer')]).toEqual([true, false, true])
    expect(book.size).toBe(2)
    expect(book.delete('dirty')).toBe(true)
    book.clear()
    expect(book.size).toBe(0)
  })
})
