import { rmSync } from 'node:fs'
import { Workbench } from '/work/main/src/main/api/workbench'
import { runImport } from '/work/main/src/main/datasets/run-import'
const ws = '/tmp/overfitws-' + process.argv[2]
rmSync(ws, { recursive: true, force: true })
const datasetId = (await runImport(ws, { kind: 'demo', demo: 'cartoon', stories: 8, seed: 1 })).datasetId
const wb = new Workbench(ws)
const overrides: Record<string, number> = process.argv[2] === 'small' ? { gfDim: 4, gfSegDim: 16, dfDim: 2 } : process.argv[2] === 'fast' ? { gfDim: 8, gfSegDim: 16, dfDim: 2, lrG: 0.001, lrD: 0.0002 } : process.argv[2] === 'faster' ? { gfDim: 8, gfSegDim: 16, dfDim: 4, lrG: 0.002, lrD: 0.0001 } : {}
wb.onEvent((e) => {
  if (e.type === 'training:progress') console.log('step', e.progress.step, 'gTotal', e.progress.losses.gTotal.toFixed(3), 'gImg', e.progress.losses.gImg.toFixed(3), 'gSeg', e.progress.losses.gSeg.toFixed(3), 'dImg', e.progress.losses.dImg.toFixed(3), 'it/s', e.progress.itPerSec.toFixed(2))
})
const run = wb.training.start({ datasetId, preset: 'tiny', overrides, steps: Number(process.argv[3]), seed: 1, backend: 'wasm', tickSteps: 20, checkpointEvery: 1000, sampleEvery: 25, sampleStories: 4, split: 'all' })
await wb.training.wait(run.id)
const m = wb.db.prepare("select tag, step, round(value,4) v from metrics where tag in ('eval/mask_iou','eval/frame_l1') order by tag, step").all()
console.log('mask_iou', JSON.stringify(m))
await wb.close()
