/**
 * COCO instance segmentation: `annotations.json` plus the frames as `images/<frame id>.png`.
 * One image per frame; one annotation per (frame, character) with a non-empty mask, its
 * `segmentation` compressed RLE exactly as pycocotools writes it, `area` and `bbox` computed from
 * that RLE, `iscrowd` 0. Categories are the characters (id = index + 1, colour in `color`); a
 * mask layer with no character (an imported figure-ground union) goes to an extra
 * 'figure-ground' category, listed only when used.
 */
import { cocoRleArea, cocoRleBBox, cocoRleFromMask, type CocoBBox, type CocoRle } from '../../shared/coco-rle'
import { jsonBytes, type WriterContext, type WriterCounts } from './export-context'
import { chooseMasks, type MaskLayer, type PlannedFrame } from './select-frames'

export interface CocoImage {
  id: number
  file_name: string
  width: number
  height: number
  clip: string
  index_in_clip: number
  status: string
}

export interface CocoAnnotation {
  id: number
  image_id: number
  category_id: number
  segmentation: CocoRle
  area: number
  bbox: CocoBBox
  iscrowd: 0
  /** Which masks the annotation came from ('hand' or 'imported'). */
  source: string
}

export interface CocoCategory {
  id: number
  name: string
  supercategory: string
  color: string
}

/** Annotations of one frame's layers (empty layers skipped), characters in index order. */
function frameAnnotations(frame: PlannedFrame, layers: MaskLayer[], source: string, figureGroundId: number, firstId: number): CocoAnnotation[] {
  const order = (l: MaskLayer): number => l.characterIdx ?? Number.MAX_SAFE_INTEGER
  return layers
    .filter((l) => l.area > 0)
    .sort((a, b) => order(a) - order(b))
    .map((l, i) => {
      const segmentation = cocoRleFromMask(l.mask, frame.height, frame.width)
      return {
        id: firstId + i,
        image_id: frame.id,
        category_id: l.characterIdx === null ? figureGroundId : l.characterIdx + 1,
        segmentation,
        area: cocoRleArea(segmentation),
        bbox: cocoRleBBox(segmentation),
        iscrowd: 0,
        source
      }
    })
}

/** Writes the COCO export of the plan's frames. */
export async function writeCoco(ctx: WriterContext): Promise<WriterCounts> {
  const { plan, characters } = ctx
  const figureGroundId = characters.length + 1
  const images: CocoImage[] = []
  const annotations: CocoAnnotation[] = []
  let maskedFrames = 0
  for (let i = 0; i < plan.frames.length; i++) {
    await ctx.step(i, plan.frames.length)
    const frame = plan.frames[i]
    const file = `${frame.id}.png`
    await ctx.sink.write(`images/${file}`, ctx.frames.read(frame.hash))
    images.push({ id: frame.id, file_name: file, width: frame.width, height: frame.height, clip: frame.clip.key, index_in_clip: frame.idxInClip, status: frame.status })
    const masks = chooseMasks(ctx.db, frame, ctx.options.sources)
    if (masks.source === null) continue
    maskedFrames++
    annotations.push(...frameAnnotations(frame, masks.layers, masks.source, figureGroundId, annotations.length + 1))
  }
  const categories: CocoCategory[] = characters.map((c) => ({ id: c.idx + 1, name: c.name, supercategory: 'character', color: c.color }))
  if (annotations.some((a) => a.category_id === figureGroundId)) {
    categories.push({ id: figureGroundId, name: 'figure-ground', supercategory: 'figure-ground', color: '#ffffff' })
  }
  const info = {
    description: `CP-CSV Workbench export of dataset "${ctx.dataset.name}" (masks: ${ctx.options.sources})`,
    version: '1.0',
    year: new Date().getFullYear(),
    date_created: new Date().toISOString()
  }
  await ctx.sink.write('annotations.json', jsonBytes({ info, licenses: [], images, annotations, categories }), true)
  return { layout: 'coco', stories: plan.stories.length, clips: plan.clips.length, frames: images.length, maskedFrames, annotations: annotations.length }
}
