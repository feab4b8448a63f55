/**
 * Trains a dataset's character classifier, measures it on held-out frames against the best
 * constant prediction, and keeps it with the dataset: `<workspace>/classifiers/<id>.ckpt` plus a
 * `classifiers` row (one per dataset; retraining replaces both).
 */
import { join } from 'node:path'
import { classifierFile } from './classifier-paths'
import type { Db } from '../db/database'
import type { ClassifierInfo } from '../../shared/contract'
import { saveClassifier } from '../db/repos/evaluation-repo'
import { buildClassifier, DEFAULT_ARCHITECTURE, fitClassifier, predictLabels, writeClassifierFile, type ClassifierArchitecture } from './character-classifier'
import { loadClassifierData } from './classifier-data'
import { constantBaseline, LabelScoreAccumulator } from './label-scores'

/** Epochs, seed, progress and cancel of a classifier training. */
export interface ClassifierTrainingOptions {
  epochs?: number
  seed?: number
  /** Progress: epochs done of the total, with the last epoch's loss. */
  onProgress?: (done: number, total: number, loss: number | null) => void
  /** Polled between epochs; true stops without saving. */
  cancelled?: () => boolean
}

/** Default epochs: enough for the demo data to be learnt well above chance in seconds. */
export const DEFAULT_CLASSIFIER_EPOCHS = 30

/** Relative path of a dataset's classifier file inside the workspace. */
export { classifierFile }

/**
 * Trains, scores and stores the classifier of `datasetId`. Returns null when cancelled (nothing
 * is written then).
 */
export async function trainDatasetClassifier(db: Db, workspace: string, datasetId: number, o: ClassifierTrainingOptions = {}): Promise<ClassifierInfo | null> {
  const data = loadClassifierData(db, workspace, datasetId)
  const arch: ClassifierArchitecture = { ...DEFAULT_ARCHITECTURE, labels: data.labelNames.length }
  const epochs = o.epochs ?? DEFAULT_CLASSIFIER_EPOCHS
  const model = buildClassifier(arch, o.seed ?? 0)
  try {
    o.onProgress?.(0, epochs, null)
    const run = await fitClassifier(model, data.train, arch, {
      epochs,
      seed: o.seed ?? 0,
      onEpoch: (epoch, loss) => {
        o.onProgress?.(epoch + 1, epochs, loss)
        return o.cancelled?.() ?? false
      }
    })
    if (o.cancelled?.()) return null
    const scores = new LabelScoreAccumulator(data.labelNames)
    scores.add(predictLabels(model, data.heldOut.pixels, data.heldOut.count, arch), data.heldOut.labels, data.heldOut.count)
    const createdAt = new Date().toISOString()
    const info: ClassifierInfo = {
      datasetId,
      labelNames: data.labelNames,
      trainFrames: data.train.count,
      heldOutFrames: data.heldOut.count,
      heldOutFrom: data.heldOutFrom,
      epochs: run,
      heldOut: scores.scores(),
      baseline: constantBaseline(data.train.labels, data.train.count, data.heldOut.labels, data.heldOut.count, arch.labels),
      createdAt
    }
    const file = classifierFile(datasetId)
    writeClassifierFile(join(workspace, file), { datasetId, labelNames: data.labelNames, architecture: arch, createdAt }, model)
    saveClassifier(db, { ...info, file })
    return info
  } finally {
    model.dispose()
  }
}
