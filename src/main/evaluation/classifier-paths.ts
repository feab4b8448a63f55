import { join } from 'node:path'

/** Where a dataset's character classifier lives, relative to the workspace (no TF.js import here). */
export const classifierFile = (datasetId: number): string => join('classifiers', `${datasetId}.ckpt`)
