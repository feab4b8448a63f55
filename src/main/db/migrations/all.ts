import type { Migration } from './migration'
import { createDatasets } from './0010-create-datasets'
import { createClipsFrames } from './0020-create-clips-frames'
import { createStories } from './0030-create-stories'
import { createLabelsMasks } from './0040-create-labels-masks'
import { createRuns } from './0050-create-runs'
import { createEvaluations } from './0060-create-evaluations'

/** Every migration in version order. Append only; never edit one that has shipped. */
export const migrations: Migration[] = [createDatasets, createClipsFrames, createStories, createLabelsMasks, createRuns, createEvaluations]
