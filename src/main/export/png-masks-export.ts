/**
 * Palette PNG masks: `images/<frame id>.png` (the frame) and `masks/<frame id>.png`, one 8-bit
 * indexed PNG per frame whose pixel value is character index + 1 (0 = background, 255 = a mask
 * layer with no character, i.e. an imported figure-ground union) and whose palette holds the
 * characters' colours. Where masks overlap, the higher character index wins (layers are painted
 * in ascending index order, over any figure-ground layer). `characters.json` states the values
 * and the rule; `frames.json` maps each file back to its clip.
 */
import { encode } from 'fast-png'
import { UserError } from '../../shared/result'
import { jsonBytes, type WriterContext, type WriterCounts } from './export-context'
import { FIGURE_GROUND_VALUE, labelMap, rgbOf } from './mask-images'
import { chooseMasks } from './select-frames'

/** The overlap rule, stated in characters.json. */
export const OVERLAP_RULE =
  'where masks overlap, the character with the higher index wins (layers are painted in ascending index order, over any figure-ground layer)'

/** 256 entries: black background, the characters' colours at index + 1, white at 255. */
export function maskPalette(colors: string[]): [number, number, number][] {
  if (colors.length >= FIGURE_GROUND_VALUE) {
    throw new UserError(`${colors.length} characters do not fit an 8-bit palette PNG (at most ${FIGURE_GROUND_VALUE - 1})`)
  }
  const palette: [number, number, number][] = Array.from({ length: 256 }, () => [0, 0, 0])
  colors.forEach((c, i) => (palette[i + 1] = rgbOf(c)))
  palette[FIGURE_GROUND_VALUE] = [255, 255, 255]
  return palette
}

function legend(ctx: WriterContext): unknown {
  return {
    background: { value: 0, color: '#000000' },
    characters: ctx.characters.map((c) => ({ value: c.idx + 1, index: c.idx, name: c.name, color: c.color })),
    figureGround: { value: FIGURE_GROUND_VALUE, color: '#ffffff', meaning: 'a mask layer that belongs to no character (imported figure-ground union)' },
    overlap: OVERLAP_RULE,
    sources: ctx.options.sources
  }
}

/** Writes the palette PNG export of the plan's frames. */
export async function writePngMasks(ctx: WriterContext): Promise<WriterCounts> {
  const { plan } = ctx
  const palette = maskPalette(ctx.characters.map((c) => c.color))
  const index: unknown[] = []
  let maskedFrames = 0
  for (let i = 0; i < plan.frames.length; i++) {
    await ctx.step(i, plan.frames.length)
    const frame = plan.frames[i]
    const masks = chooseMasks(ctx.db, frame, ctx.options.sources)
    if (masks.source !== null) maskedFrames++
    const data = labelMap(masks, frame.width * frame.height)
    await ctx.sink.write(`images/${frame.id}.png`, ctx.frames.read(frame.hash))
    await ctx.sink.write(`masks/${frame.id}.png`, encode({ width: frame.width, height: frame.height, data, channels: 1, depth: 8, palette }))
    index.push({
      frameId: frame.id,
      image: `images/${frame.id}.png`,
      mask: `masks/${frame.id}.png`,
      clip: frame.clip.key,
      episode: frame.clip.episode,
      indexInClip: frame.idxInClip,
      width: frame.width,
      height: frame.height,
      status: frame.status,
      maskSource: masks.source
    })
  }
  await ctx.sink.write('characters.json', jsonBytes(legend(ctx)), true)
  await ctx.sink.write('frames.json', jsonBytes(index), true)
  return { layout: 'png', stories: plan.stories.length, clips: plan.clips.length, frames: plan.frames.length, maskedFrames, annotations: 0 }
}
