/**
 * Whole-document editor actions that are not pointer gestures. Each applies its change at once and
 * returns the Command to pass to History.record (null when nothing changed), like a committed
 * StrokeSession, so every edit reaches the history the same way.
 */

import { CompositeCommand, type Command } from './commands'
import type { MaskDocument } from './mask-document'
import { StrokeSession } from './stroke-session'

/**
 * Clears layer `layer`. A locked layer is left alone (null).
 * @throws RangeError when the layer does not exist.
 */
export function applyClearLayer(doc: MaskDocument, layer: number): Command | null {
  const session = new StrokeSession(doc, layer, 'Clear layer')
  session.clear()
  return session.commit()
}

/** Options of {@link applyCopyLayers}. */
export interface CopyLayersOptions {
  /** Layer indices to copy; default every layer of the source. */
  layers?: readonly number[]
  /** History label; default "Copy previous frame". */
  label?: string
}

/**
 * Replaces layers of `doc` with the same layers of `source` (typically the previous frame, where
 * characters barely move), as one history entry. Locked layers of `doc` keep their pixels; layers
 * `doc` lacks are created empty first.
 * @returns the command, or null when no unlocked layer changed.
 * @throws RangeError when the frames differ in size.
 */
export function applyCopyLayers(doc: MaskDocument, source: MaskDocument, options: CopyLayersOptions = {}): Command | null {
  if (source.width !== doc.width || source.height !== doc.height) {
    throw new RangeError(`cannot copy ${source.width}×${source.height} masks onto a ${doc.width}×${doc.height} frame`)
  }
  const indices = options.layers ?? Array.from({ length: source.layerCount }, (_, index) => index)
  const label = options.label ?? 'Copy previous frame'
  const parts: Command[] = []
  for (const index of indices) {
    const pixels = source.layer(index)
    doc.ensureLayers(index + 1)
    const session = new StrokeSession(doc, index, label)
    session.copyFrom(pixels)
    const command = session.commit()
    if (command !== null) parts.push(command)
  }
  if (parts.length === 0) return null
  return parts.length === 1 ? parts[0] : new CompositeCommand(label, parts)
}
