import type { Db } from '../db/database'
import { UserError } from '../../shared/result'
import { TRAIN_PRESETS, type TrainConfig } from '../../shared/train-config'
import { getRun, listCheckpoints, listRuns, listSamples, runMetrics } from '../db/repos/run-repo'
import { probeBackends } from '../training/engine/backend'
import type { HandlerGroup } from './handler-types'
import type { TrainingJobs } from './training-jobs'

type TrainingChannels =
  | 'training:options'
  | 'training:start'
  | 'training:stop'
  | 'training:resume'
  | 'runs:list'
  | 'runs:get'
  | 'runs:delete'
  | 'runs:metrics'
  | 'runs:checkpoints'
  | 'runs:samples'

/** Training services: start / stop / resume runs and read their records. */
export function trainingHandlers(db: Db, jobs: TrainingJobs): HandlerGroup<TrainingChannels> {
  const runOrFail = (id: number) => {
    const r = getRun(db, id)
    if (!r) throw new UserError(`run ${id} not found`, 'not_found')
    return r
  }
  return {
    'training:options': async () => ({
      presets: TRAIN_PRESETS as unknown as Record<string, Record<string, unknown>>,
      backends: (await probeBackends()).map((b) => ({ name: b.name, available: b.available, reason: b.reason })),
      activeRunId: jobs.activeRunId
    }),
    'training:start': (req) => jobs.start({ ...req, overrides: req.overrides as Partial<TrainConfig> | undefined }),
    'training:stop': ({ runId }) => jobs.stop(runId),
    'training:resume': ({ runId, steps }) => jobs.resume(runId, steps),
    'runs:list': () => listRuns(db),
    'runs:get': ({ id }) => runOrFail(id),
    'runs:delete': ({ id }) => ({ deleted: jobs.delete(id) }),
    'runs:metrics': ({ runId, sinceStep }) => {
      runOrFail(runId)
      return runMetrics(db, runId, sinceStep)
    },
    'runs:checkpoints': ({ runId }) => {
      runOrFail(runId)
      return listCheckpoints(db, runId)
    },
    'runs:samples': ({ runId, step }) => {
      runOrFail(runId)
      return listSamples(db, runId, step)
    }
  }
}
