/**
 * Default keyboard shortcuts of the mask editor, as data, and a pure resolver from a key event to
 * an action id. Keeping the table as data lets the `?` sheet render from the same source the
 * resolver uses, and lets the resolver be tested without a DOM.
 */

const CHARACTER_DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const

/** Every action a shortcut can trigger. `character.N` selects character N (layer N − 1). */
export type ActionId =
  | 'tool.brush' | 'tool.eraser' | 'tool.polygon' | 'tool.lasso' | 'tool.fill' | 'tool.rectangle'
  | 'brush.smaller' | 'brush.larger'
  | `character.${(typeof CHARACTER_DIGITS)[number]}`
  | 'history.undo' | 'history.redo'
  | 'frame.previous' | 'frame.next' | 'frame.nextUnlabeled' | 'frame.markDone' | 'frame.skip'
  | 'story.previous' | 'story.next'
  | 'polygon.close' | 'polygon.cancel'
  | 'masks.copyPrevious' | 'view.toggleOnionSkin' | 'layer.toggleHidden'
  | 'help.shortcuts' | 'view.fitZoom' | 'view.panHold'

/** Editor state that changes what a key means. */
export interface ShortcutContext {
  /** A polygon is being drawn: Enter closes it and Escape abandons it instead of their usual meaning. */
  polygonOpen: boolean
}

/** The fields of a KeyboardEvent the resolver reads (so tests need no DOM). */
export interface ShortcutEvent {
  key: string
  code: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

/** One binding. */
export interface Shortcut {
  action: ActionId
  /** `KeyboardEvent.key`: lowercase for letters ('b'), the character for symbols ('[', '?', ' '), else its name ('ArrowLeft'). */
  key: string
  /** Ctrl on Windows/Linux, Cmd on macOS. */
  ctrl?: boolean
  /** Required Shift, for letters and named keys; ignored for digits and symbols (layouts need Shift to type them). */
  shift?: boolean
  /** Only while a polygon is open / only while none is. */
  when?: 'polygonOpen' | 'polygonClosed'
  /** Listed in the shortcut sheet; false for alternates that would clutter it. Default true. */
  listed?: boolean
}

/** Sheet grouping and wording of each action. */
export const ACTION_INFO: Readonly<Record<ActionId, { group: string; label: string }>> = {
  'tool.brush': { group: 'Tools', label: 'Brush' },
  'tool.eraser': { group: 'Tools', label: 'Eraser' },
  'tool.polygon': { group: 'Tools', label: 'Polygon' },
  'tool.lasso': { group: 'Tools', label: 'Lasso' },
  'tool.fill': { group: 'Tools', label: 'Fill / magic wand' },
  'tool.rectangle': { group: 'Tools', label: 'Rectangle' },
  'brush.smaller': { group: 'Tools', label: 'Smaller brush' },
  'brush.larger': { group: 'Tools', label: 'Larger brush' },
  ...(Object.fromEntries(
    CHARACTER_DIGITS.map((digit) => [`character.${digit}`, { group: 'Characters', label: `Character ${digit}` }])
  ) as Record<`character.${(typeof CHARACTER_DIGITS)[number]}`, { group: string; label: string }>),
  'history.undo': { group: 'Edit', label: 'Undo' },
  'history.redo': { group: 'Edit', label: 'Redo' },
  'masks.copyPrevious': { group: 'Edit', label: "Copy previous frame's masks" },
  'polygon.close': { group: 'Edit', label: 'Close polygon' },
  'polygon.cancel': { group: 'Edit', label: 'Abandon polygon' },
  'frame.previous': { group: 'Navigate', label: 'Previous frame' },
  'frame.next': { group: 'Navigate', label: 'Next frame' },
  'story.previous': { group: 'Navigate', label: 'Previous story' },
  'story.next': { group: 'Navigate', label: 'Next story' },
  'frame.nextUnlabeled': { group: 'Navigate', label: 'Next unlabeled frame' },
  'frame.markDone': { group: 'Review', label: 'Mark frame done' },
  'frame.skip': { group: 'Review', label: 'Skip frame' },
  'view.toggleOnionSkin': { group: 'View', label: 'Toggle onion skin' },
  'layer.toggleHidden': { group: 'View', label: 'Hide / show layer' },
  'view.fitZoom': { group: 'View', label: 'Fit zoom' },
  'view.panHold': { group: 'View', label: 'Pan (hold)' },
  'help.shortcuts': { group: 'View', label: 'Shortcut sheet' }
}

/** The default table. Order matters only between bindings of the same key, where `when` decides. */
export const DEFAULT_SHORTCUTS: readonly Shortcut[] = Object.freeze([
  { action: 'tool.brush', key: 'b' },
  { action: 'tool.eraser', key: 'e' },
  { action: 'tool.polygon', key: 'p' },
  { action: 'tool.lasso', key: 'l' },
  { action: 'tool.fill', key: 'f' },
  { action: 'tool.rectangle', key: 'r' },
  { action: 'brush.smaller', key: '[' },
  { action: 'brush.larger', key: ']' },
  ...CHARACTER_DIGITS.map((digit): Shortcut => ({ action: `character.${digit}`, key: digit })),
  { action: 'history.undo', key: 'z', ctrl: true },
  { action: 'history.redo', key: 'z', ctrl: true, shift: true },
  { action: 'history.redo', key: 'y', ctrl: true },
  { action: 'frame.previous', key: 'a' },
  { action: 'frame.previous', key: 'ArrowLeft' },
  { action: 'frame.next', key: 'd' },
  { action: 'frame.next', key: 'ArrowRight' },
  { action: 'story.previous', key: 'PageUp' },
  { action: 'story.previous', key: 'w' },
  { action: 'story.next', key: 'PageDown' },
  { action: 'story.next', key: 's' },
  { action: 'frame.nextUnlabeled', key: 'n' },
  { action: 'polygon.close', key: 'Enter', when: 'polygonOpen' },
  { action: 'polygon.cancel', key: 'Escape', when: 'polygonOpen' },
  { action: 'frame.markDone', key: 'Enter', when: 'polygonClosed' },
  { action: 'frame.skip', key: 'k' },
  { action: 'masks.copyPrevious', key: 'c' },
  { action: 'view.toggleOnionSkin', key: 'o' },
  { action: 'layer.toggleHidden', key: 'h' },
  { action: 'help.shortcuts', key: '?' },
  { action: 'view.fitZoom', key: '0' },
  { action: 'view.panHold', key: ' ' }
])

/**
 * The action a key press triggers, or null (let the event through).
 *
 * Matching: letters compare case-insensitively (Caps Lock does not matter) with exact Ctrl and
 * Shift; Ctrl is Ctrl or Cmd (macOS). Digits and symbols ignore Shift, because many layouts need
 * it to type them (`?`, digits on AZERTY). Alt never matches, except Ctrl+Alt on a symbol, which
 * is AltGr on Windows (German `[` is AltGr+8). When `key` matches nothing, the physical key is
 * tried: `DigitN` always (AZERTY digit row), `KeyX` only when `key` is not ASCII (Cyrillic and
 * other non-Latin layouts), so letters follow the printed label on Latin layouts.
 */
export function resolveShortcut(
  event: ShortcutEvent, context: ShortcutContext, table: readonly Shortcut[] = DEFAULT_SHORTCUTS
): ActionId | null {
  const direct = matchKey(normaliseKey(event.key), event, context, table)
  if (direct !== null) return direct
  const physical = keyFromCode(event)
  return physical === null ? null : matchKey(physical, event, context, table)
}

/** The 0-based character layer index a `character.N` action selects, else null. */
export function characterIndexOf(action: ActionId): number | null {
  const match = /^character\.([1-9])$/.exec(action)
  return match === null ? null : Number(match[1]) - 1
}

/** Human-readable key combination for the sheet: "Ctrl+Shift+Z", or "⌘⇧Z" on macOS. */
export function formatShortcut(shortcut: Shortcut, platform: 'mac' | 'other' = 'other'): string {
  const names: Record<string, string> = {
    ' ': 'Space', ArrowLeft: '←', ArrowRight: '→', PageUp: 'Page Up', PageDown: 'Page Down', Escape: 'Esc'
  }
  const key = names[shortcut.key] ?? (shortcut.key.length === 1 ? shortcut.key.toUpperCase() : shortcut.key)
  if (platform === 'mac') return `${shortcut.ctrl === true ? '⌘' : ''}${shortcut.shift === true ? '⇧' : ''}${key}`
  return [shortcut.ctrl === true ? 'Ctrl' : '', shortcut.shift === true ? 'Shift' : '', key].filter(Boolean).join('+')
}

function matchKey(key: string, event: ShortcutEvent, context: ShortcutContext, table: readonly Shortcut[]): ActionId | null {
  const symbol = key.length === 1 && !/^[a-z]$/.test(key)
  const altGr = event.ctrlKey && event.altKey && !event.metaKey
  if (event.altKey && !(symbol && altGr)) return null
  const ctrl = altGr ? false : event.ctrlKey || event.metaKey
  for (const shortcut of table) {
    if (shortcut.key !== key) continue
    if ((shortcut.ctrl ?? false) !== ctrl) continue
    if (!symbol && (shortcut.shift ?? false) !== event.shiftKey) continue
    if (shortcut.when === 'polygonOpen' && !context.polygonOpen) continue
    if (shortcut.when === 'polygonClosed' && context.polygonOpen) continue
    return shortcut.action
  }
  return null
}

/** Single letters lowercased so Shift and Caps Lock do not change the key; names unchanged. */
function normaliseKey(key: string): string {
  return key.length === 1 ? key.toLowerCase() : key
}

function keyFromCode(event: ShortcutEvent): string | null {
  const digit = /^Digit([0-9])$/.exec(event.code)
  if (digit !== null) return digit[1]
  const letter = /^Key([A-Z])$/.exec(event.code)
  const asciiKey = event.key.length === 1 && event.key.charCodeAt(0) < 0x80
  if (letter !== null && !asciiKey) return letter[1].toLowerCase()
  return null
}
