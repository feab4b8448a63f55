/**
 * The Label view's keyboard table: the editor core's default shortcuts plus the view's own
 * actions (clear layer, propagate, imported mask, zoom, queue, progress), and the shortcut sheet
 * generated from both, so the sheet can never disagree with what the keys do.
 */

import {
  ACTION_INFO,
  DEFAULT_SHORTCUTS,
  formatShortcut,
  resolveShortcut,
  type ActionId,
  type Shortcut,
  type ShortcutContext,
  type ShortcutEvent
} from '../../editor/keymap'

/** Actions only the Label view offers (beyond the editor core's ActionId). */
export type ViewActionId =
  | 'layer.clear' | 'masks.propagate' | 'masks.useImported' | 'view.toggleImported'
  | 'view.zoomIn' | 'view.zoomOut' | 'queue.toggle' | 'view.progress'

/** Any action a key or a button of the Label view can trigger. */
export type LabelActionId = ActionId | ViewActionId

/** A binding of a view action; same matching rules as the core's Shortcut. */
interface ViewShortcut extends Omit<Shortcut, 'action'> {
  action: ViewActionId
}

/** Sheet grouping and wording of the view actions. */
export const VIEW_ACTION_INFO: Readonly<Record<ViewActionId, { group: string; label: string }>> = {
  'layer.clear': { group: 'Edit', label: 'Clear layer' },
  'masks.propagate': { group: 'Edit', label: 'Propagate masks to the rest of the story' },
  'masks.useImported': { group: 'Edit', label: 'Use imported mask for the active character' },
  'view.toggleImported': { group: 'View', label: 'Show / hide imported mask' },
  'view.zoomIn': { group: 'View', label: 'Zoom in' },
  'view.zoomOut': { group: 'View', label: 'Zoom out' },
  'queue.toggle': { group: 'Review', label: 'Queue mode (walk unlabeled frames)' },
  'view.progress': { group: 'Review', label: 'Progress overview' }
}

/** Bindings of the view actions; none collides with DEFAULT_SHORTCUTS. */
export const VIEW_SHORTCUTS: readonly ViewShortcut[] = Object.freeze([
  { action: 'layer.clear', key: 'Delete' },
  { action: 'masks.propagate', key: 'c', shift: true },
  { action: 'masks.useImported', key: 'i' },
  { action: 'view.toggleImported', key: 'i', shift: true },
  { action: 'view.zoomIn', key: '+' },
  { action: 'view.zoomIn', key: '=', listed: false },
  { action: 'view.zoomOut', key: '-' },
  { action: 'queue.toggle', key: 'q' },
  { action: 'view.progress', key: 'p', shift: true }
])

/** Label and group of any action. */
export function actionInfo(action: LabelActionId): { group: string; label: string } {
  return (ACTION_INFO as Record<string, { group: string; label: string }>)[action] ?? VIEW_ACTION_INFO[action as ViewActionId]
}

/** The action a key press triggers in the Label view, or null. */
export function resolveLabelShortcut(event: ShortcutEvent, context: ShortcutContext): LabelActionId | null {
  const core = resolveShortcut(event, context)
  if (core !== null) return core
  // The resolver only reads `action` back out of the table, so the wider action type is safe here.
  return resolveShortcut(event, context, VIEW_SHORTCUTS as unknown as readonly Shortcut[]) as LabelActionId | null
}

/** First listed key combination of `action`, for tooltips ("Brush (B)"), or ''. */
export function keysOf(action: LabelActionId, platform: 'mac' | 'other' = 'other'): string {
  const all: readonly (Shortcut | ViewShortcut)[] = [...DEFAULT_SHORTCUTS, ...VIEW_SHORTCUTS]
  const found = all.find((s) => s.action === action && s.listed !== false)
  return found ? formatShortcut(found as Shortcut, platform) : ''
}

/** One row of the sheet. */
export interface SheetRow {
  label: string
  keys: string[]
}

/** The sheet: groups in a fixed order, each row an action with all its listed keys. */
export function shortcutSheet(platform: 'mac' | 'other' = 'other'): { group: string; rows: SheetRow[] }[] {
  const order = ['Tools', 'Characters', 'Edit', 'Navigate', 'Review', 'View']
  const rows = new Map<string, SheetRow & { group: string }>()
  for (const shortcut of [...DEFAULT_SHORTCUTS, ...VIEW_SHORTCUTS] as (Shortcut | ViewShortcut)[]) {
    if (shortcut.listed === false) continue
    const info = actionInfo(shortcut.action)
    const row = rows.get(shortcut.action) ?? { group: info.group, label: info.label, keys: [] }
    const keys = formatShortcut(shortcut as Shortcut, platform)
    if (!row.keys.includes(keys)) row.keys.push(keys)
    rows.set(shortcut.action, row)
  }
  const characters = [...rows.entries()].filter(([action]) => action.startsWith('character.'))
  // Nine "Character N" rows say one thing: fold them into one.
  for (const [action] of characters) rows.delete(action)
  if (characters.length > 0) rows.set('character.*', { group: 'Characters', label: 'Pick character 1–9', keys: ['1 … 9'] })
  return order
    .map((group) => ({ group, rows: [...rows.values()].filter((row) => row.group === group).map(({ label, keys }) => ({ label, keys })) }))
    .filter((section) => section.rows.length > 0)
}

/** How modifiers change the pointer tools; shown under the sheet. */
export const MODIFIER_RULES: readonly SheetRow[] = Object.freeze([
  { label: 'Add to the active layer (every tool)', keys: ['click / drag'] },
  { label: 'Subtract instead (brush erases, shapes and fills cut out)', keys: ['Alt'] },
  { label: 'Fill: every pixel of that colour in the frame (global wand), not just the connected region', keys: ['Shift'] },
  { label: 'Fill: remove every pixel of that colour', keys: ['Alt+Shift'] },
  { label: 'Polygon: close by clicking the first vertex, Enter or right-click', keys: ['click first'] },
  { label: 'Pan', keys: ['Space+drag', 'middle drag', 'wheel'] },
  { label: 'Zoom at the cursor', keys: ['Ctrl+wheel'] }
])
