/**
 * Evaluation services: feature-network settings, starting / following / cancelling evaluations
 * and classifier trainings, stored scores, and the literature's values as reference rows.
 */
import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { Db } from '../db/database'
import type { EvaluationModelStatus, EvaluationOptions } from '../../shared/contract'
import { UserError } from '../../shared/result'
import { getDataset } from '../db/repos/dataset-repo'
import { getClassifier, getEvaluationSettings, listEvaluations, setEvaluationSettings } from '../db/repos/evaluation-repo'
import { PAPER_RESULTS } from '../evaluation/paper-results'
import type { HandlerGroup } from './handler-types'
import type { EvaluationJobs } from './evaluation-jobs'

type EvaluationChannels =
  | 'evaluation:options'
  | 'evaluation:setModels'
  | 'evaluation:start'
  | 'evaluation:status'
  | 'evaluation:cancel'
  | 'evaluation:results'
  | 'classifier:get'
  | 'classifier:train'

/** Whether a configured network file is there (its content is checked when an evaluation starts). */
export function modelStatus(metric: 'fid' | 'fsd', path: string | null): EvaluationModelStatus {
  const net = metric === 'fid' ? 'InceptionV3 for FID' : 'R(2+1)D-18 for FSD'
  const script = metric === 'fid' ? 'tools/export_fid_inception.py' : 'tools/export_r2p1d18.py'
  if (!path) return { metric, path: null, state: 'unset', message: `No ${net} ONNX file set; export one with ${script}.` }
  if (!existsSync(path) || !statSync(path).isFile()) return { metric, path, state: 'missing', message: `${net}: file not found: ${path}` }
  return { metric, path, state: 'found', message: `${net}: ${path}` }
}

/** The workspace's evaluation settings with the state of each file, the reference rows and the active job. */
export function evaluationOptions(db: Db, jobs: EvaluationJobs): EvaluationOptions {
  const s = getEvaluationSettings(db)
  return {
    ...s,
    models: [modelStatus('fid', s.fidModel), modelStatus('fsd', s.fsdModel)],
    paper: [...PAPER_RESULTS],
    activeJob: jobs.activeJob
  }
}

function absolute(path: string | null | undefined): string | null | undefined {
  if (path === null || path === undefined) return path
  if (!isAbsolute(path)) throw new UserError(`model paths must be absolute, got ${path}`)
  return resolve(path)
}

/** The `evaluation:*` and `classifier:*` channels. */
export function evaluationHandlers(db: Db, jobs: EvaluationJobs): HandlerGroup<EvaluationChannels> {
  return {
    'evaluation:options': () => evaluationOptions(db, jobs),
    'evaluation:setModels': ({ fidModel, fsdModel, fsdCompat }) => {
      setEvaluationSettings(db, { fidModel: absolute(fidModel), fsdModel: absolute(fsdModel), fsdCompat })
      return evaluationOptions(db, jobs)
    },
    'evaluation:start': (req) => {
      for (const p of [req.fidModel, req.fsdModel]) if (p !== undefined && !isAbsolute(p)) throw new UserError(`model paths must be absolute, got ${p}`)
      return jobs.start(req)
    },
    'evaluation:status': ({ jobId }) => {
      const job = jobs.get(jobId)
      if (!job) throw new UserError(`evaluation job ${jobId} not found`, 'not_found')
      return job
    },
    'evaluation:cancel': ({ jobId }) => jobs.cancel(jobId),
    'evaluation:results': ({ runIds }) => listEvaluations(db, runIds),
    'classifier:get': ({ datasetId }) => {
      if (!getDataset(db, datasetId)) throw new UserError(`dataset ${datasetId} not found`, 'not_found')
      const c = getClassifier(db, datasetId)
      if (!c) return null
      const { file: _file, ...info } = c
      return info
    },
    'classifier:train': ({ datasetId, epochs }) => jobs.trainClassifier(datasetId, epochs)
  }
}
