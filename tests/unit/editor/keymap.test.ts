import { describe, expect, it } from 'vitest'
import {
  ACTION_INFO, DEFAULT_SHORTCUTS, characterIndexOf, formatShortcut, resolveShortcut, type ActionId, type ShortcutEvent
} from '../../../src/renderer/src/editor/keymap'

function press(key: string, modifiers: Partial<ShortcutEvent> = {}, polygonOpen = false): ActionId | null {
  const code = modifiers.code ?? (/^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : /^[0-9]$/.test(key) ? `Digit${key}` : key)
  const event = { key, code, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...modifiers }
  return resolveShortcut(event, { polygonOpen })
}

describe('resolveShortcut', () => {
  it.each([
    ['b', 'tool.brush'], ['e', 'tool.eraser'], ['p', 'tool.polygon'], ['l', 'tool.lasso'], ['f', 'tool.fill'],
    ['r', 'tool.rectangle'], ['[', 'brush.smaller'], [']', 'brush.larger'], ['1', 'character.1'], ['9', 'character.9'],
    ['a', 'frame.previous'], ['ArrowLeft', 'frame.previous'], ['d', 'frame.next'], ['ArrowRight', 'frame.next'],
    ['PageUp', 'story.previous'], ['w', 'story.previous'], ['PageDown', 'story.next'], ['s', 'story.next'],
    ['n', 'frame.nextUnlabeled'], ['Enter', 'frame.markDone'], ['k', 'frame.skip'], ['c', 'masks.copyPrevious'],
    ['o', 'view.toggleOnionSkin'], ['h', 'layer.toggleHidden'], ['0', 'view.fitZoom'], [' ', 'view.panHold']
  ] as const)('maps %j to %s', (key, action) => {
    expect(press(key)).toBe(action)
  })

  it('undo and redo with Ctrl or Cmd', () => {
    expect(press('z', { ctrlKey: true })).toBe('history.undo')
    expect(press('z', { metaKey: true })).toBe('history.undo')
    expect(press('Z', { ctrlKey: true, shiftKey: true })).toBe('history.redo')
    expect(press('z', { metaKey: true, shiftKey: true })).toBe('history.redo')
    expect(press('y', { ctrlKey: true })).toBe('history.redo')
    expect(press('y')).toBeNull()
  })

  it('Enter closes an open polygon instead of marking the frame done; Escape abandons it', () => {
    expect(press('Enter', {}, true)).toBe('polygon.close')
    expect(press('Enter', {}, false)).toBe('frame.markDone')
    expect(press('Escape', {}, true)).toBe('polygon.cancel')
    expect(press('Escape', {}, false)).toBeNull()
  })

  it('ignores Caps Lock but not Shift on letters', () => {
    expect(press('B')).toBe('tool.brush')
    expect(press('B', { shiftKey: true })).toBeNull()
  })

  it('ignores Shift on symbols and digits that need it to be typed', () => {
    expect(press('?', { shiftKey: true, code: 'Slash' })).toBe('help.shortcuts')
    expect(press('1', { shiftKey: true, code: 'Digit1' })).toBe('character.1')
  })

  it('leaves unbound and Alt or Ctrl combinations to the browser', () => {
    expect(press('b', { ctrlKey: true })).toBeNull()
    expect(press('b', { altKey: true })).toBeNull()
    expect(press('1', { ctrlKey: true })).toBeNull()
    expect(press('q')).toBeNull()
    expect(press('F5')).toBeNull()
  })

  it('accepts AltGr symbols (Ctrl+Alt on Windows layouts)', () => {
    expect(press('[', { ctrlKey: true, altKey: true, code: 'Digit8' })).toBe('brush.smaller')
  })

  it('falls back to the physical key on AZERTY digits and non-Latin layouts', () => {
    expect(press('&', { code: 'Digit1' })).toBe('character.1')
    expect(press('и', { code: 'KeyB' })).toBe('tool.brush')
    expect(press('я', { code: 'KeyZ', ctrlKey: true })).toBe('history.undo')
    // On a Latin layout the printed letter wins: AZERTY's A key sends code KeyQ.
    expect(press('a', { code: 'KeyQ' })).toBe('frame.previous')
    expect(press('q', { code: 'KeyA' })).toBeNull()
  })
})

describe('shortcut table', () => {
  it('binds every action and describes every action', () => {
    const bound = new Set(DEFAULT_SHORTCUTS.map((shortcut) => shortcut.action))
    expect([...bound].sort()).toEqual(Object.keys(ACTION_INFO).sort())
  })

  it('has no two bindings for the same key, modifiers and context', () => {
    const seen = new Set<string>()
    for (const shortcut of DEFAULT_SHORTCUTS) {
      const contexts = shortcut.when === undefined ? ['polygonOpen', 'polygonClosed'] : [shortcut.when]
      for (const context of contexts) {
        const id = `${shortcut.key}|${shortcut.ctrl ?? false}|${shortcut.shift ?? false}|${context}`
        expect(seen.has(id), id).toBe(false)
        seen.add(id)
      }
    }
  })

  it('maps character actions to layer indices', () => {
    expect(characterIndexOf('character.1')).toBe(0)
    expect(characterIndexOf('character.9')).toBe(8)
    expect(characterIndexOf('tool.brush')).toBeNull()
  })

  it('formats combinations for the shortcut sheet', () => {
    const redo = DEFAULT_SHORTCUTS.find((shortcut) => shortcut.action === 'history.redo' && shortcut.shift === true)!
    expect(formatShortcut(redo)).toBe('Ctrl+Shift+Z')
    expect(formatShortcut(redo, 'mac')).toBe('⌘⇧Z')
    expect(formatShortcut({ action: 'view.panHold', key: ' ' })).toBe('Space')
    expect(formatShortcut({ action: 'brush.smaller', key: '[' })).toBe('[')
  })
})
