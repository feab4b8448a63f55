/** Pixel helpers shared by the format writers: frame strips, grey masks and label maps. */
import type { FrameStore } from '../frame-store'
import { figureGround } from '../../shared/figure-ground'
import type { CharacterInfo } from '../../shared/domain'
import { UserError } from '../../shared/result'
import { decodePngRgba, type RgbaImage } from '../datasets/png'
import type { ExportFrame } from './export-queries'
import type { FrameMasks } from './select-frames'

/** Pixel value of a mask layer that belongs to no character (an imported figure-ground union). */
export const FIGURE_GROUND_VALUE = 255

/** A frame's pixels, decoded from the workspace's frame store. */
export function readFrame(store: FrameStore, frame: ExportFrame): RgbaImage {
  return decodePngRgba(store.read(frame.hash), store.pathOf(frame.hash))
}

/** Stacks images of one width top to bottom (a Pororo-SV strip). */
export function stackRgba(images: RgbaImage[], clipKey: string): RgbaImage {
  const width = images[0].width
  if (images.some((i) => i.width !== width)) throw new UserError(`clip ${clipKey}: its frames differ in width and cannot form a strip`)
  const height = images.reduce((n, i) => n + i.height, 0)
  const data = new Uint8Array(width * height * 4)
  let offset = 0
  for (const img of images) {
    data.set(img.data, offset)
    offset += img.data.length
  }
  return { width, height, data }
}

/** Concatenates per-frame single-channel maps top to bottom. */
export function stackGrey(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Figure-ground union of a frame's chosen layers, 0/255 (the `img_segment` convention). */
export function figureGroundOf(masks: FrameMasks, length: number): Uint8Array {
  return figureGround(
    masks.layers.map((l) => l.mask),
    length
  )
}

/** One character's layer as 0/255, or null when that character has no pixels in the frame. */
export function characterGrey(masks: FrameMasks, characterIdx: number, length: number): Uint8Array | null {
  const layers = masks.layers.filter((l) => l.characterIdx === characterIdx && l.area > 0)
  return layers.length > 0 ? figureGround(layers.map((l) => l.mask), length) : null
}

/**
 * A label map: 0 background, character index + 1 where a character's mask covers the pixel,
 * FIGURE_GROUND_VALUE for character-less layers. Character-less layers are painted first and
 * characters in ascending index order, so where masks overlap the higher character index wins.
 */
export function labelMap(masks: FrameMasks, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const paint = (mask: Uint8Array, value: number): void => {
    for (let i = 0; i < length; i++) if (mask[i] !== 0) out[i] = value
  }
  for (const l of masks.layers) if (l.characterIdx === null) paint(l.mask, FIGURE_GROUND_VALUE)
  const ordered = masks.layers.filter((l) => l.characterIdx !== null).sort((a, b) => (a.characterIdx as number) - (b.characterIdx as number))
  for (const l of ordered) paint(l.mask, (l.characterIdx as number) + 1)
  return out
}

/** Folder names for per-character mask folders: the name with unsafe characters replaced, unique. */
export function characterDirs(characters: CharacterInfo[]): string[] {
  const used = new Set<string>()
  return characters.map((c) => {
    let name = c.name.replace(/[^\w.+-]+/g, '_').replace(/^\.+/, '_') || `character_${c.idx}`
    if (used.has(name.toLowerCase())) name = `${name}_${c.idx}`
    used.add(name.toLowerCase())
    return name
  })
}

/** '#rrggbb' as [r, g, b]; grey for anything unparsable. */
export function rgbOf(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color.trim())
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [128, 128, 128]
}
