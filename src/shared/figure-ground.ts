/**
 * Figure-ground target derivation. CP-CSV's figure-ground module learns one foreground map per
 * frame (all characters together), while people label one layer per character; training and
 * export both need the same reduction, so it lives here once.
 */

/**
 * Union of all character layers of one frame as a 0/255 byte map (255 = any character covers the
 * pixel), the value range the CP-CSV `img_segment` PNGs use.
 * @param layers per-character masks, each `length` bytes, nonzero = covered.
 * @param length pixel count (width × height); the result has this length even with no layers.
 * @throws RangeError when a layer's length differs from `length`.
 */
export function figureGround(layers: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index]
    if (layer.length !== length) {
      throw new RangeError(`layer ${index} has ${layer.length} bytes, expected ${length}`)
    }
    for (let i = 0; i < length; i++) {
      if (layer[i] !== 0) out[i] = 255
    }
  }
  return out
}
