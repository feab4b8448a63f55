/**
 * Whole-layer operations. Pure on buffers like the other tools; the lock check and undo capture
 * happen in document-actions.ts, which is what the UI calls.
 */

import { assertLayerSize, frameRect, type Rect } from '../geometry'

/**
 * Sets every pixel of a `width × height` layer to 0.
 * @returns the frame rectangle (everything is written), or null for a zero-sized frame.
 */
export function clearLayer(layer: Uint8Array, width: number, height: number): Rect | null {
  assertLayerSize(layer, width, height)
  layer.fill(0)
  return frameRect(width, height)
}

/**
 * Copies `source` into `target` (both `width × height`), normalising nonzero source bytes to 1 so
 * a 0/255 mask can be pasted too.
 * @returns the frame rectangle, or null for a zero-sized frame.
 * @throws RangeError when either buffer has the wrong size.
 */
export function copyLayer(source: Uint8Array, target: Uint8Array, width: number, height: number): Rect | null {
  assertLayerSize(source, width, height)
  assertLayerSize(target, width, height)
  for (let i = 0; i < source.length; i++) target[i] = source[i] !== 0 ? 1 : 0
  return frameRect(width, height)
}
