import { EventEmitter } from 'node:events'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../paths'
import { classifierFile } from '../evaluation/classifier-paths'
import type { WorkbenchEvent } from '../../shared/contract'
import type { Handlers } from './handler-types'
import { labelingHandlers } from './labeling-service'
import { trainingHandlers } from './training-service'
import { GenerationJobs, generationHandlers } from './generation-service'
import { TrainingJobs } from './training-jobs'
import { EvaluationJobs } from './evaluation-jobs'
import { evaluationHandlers } from './evaluation-service'
import { UserError } from '../../shared/result'
import { openDatabase, type Db } from '../db/database'
import {
  datasetFrameHashes,
  deleteDataset,
  getDataset,
  listDatasets,
  unreferencedHashes
} from '../db/repos/dataset-repo'
import { countStories, getStory, listStories } from '../db/repos/story-repo'
import { FrameStore } from '../frame-store'
import { ensureWorkspace, type WorkspacePaths } from '../workspace'
import { ImportJobs } from './import-jobs'
import { ExportJobs, exportHandlers } from '../export/export-jobs'


const packageVersion = (): string => {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
    return pkg.version
  } catch {
    return '0.0.0'
  }
}

/**
 * The Workbench API services over one workspace: plain TypeScript, no transport. Both bindings
 * (Electron IPC, serve mode) validate a request against the contract and then call `handlers`.
 */
export class Workbench {
  readonly paths: WorkspacePaths
  readonly db: Db
  readonly frames: FrameStore
  readonly imports: ImportJobs
  readonly training: TrainingJobs
  readonly generation = new GenerationJobs()
  readonly evaluations: EvaluationJobs
  readonly exports: ExportJobs
  private readonly emitter = new EventEmitter()
  transport: 'electron' | 'serve' = 'serve'

  constructor(workspace: string) {
    this.paths = ensureWorkspace(workspace)
    this.db = openDatabase(this.paths.database)
    this.frames = new FrameStore(this.paths.frames)
    this.imports = new ImportJobs(this.paths.root, (e) => this.emit(e))
    this.training = new TrainingJobs(this.db, this.paths.root, (e) => this.emit(e))
    this.evaluations = new EvaluationJobs(this.db, this.paths.root, (e) => this.emit(e))
    this.exports = new ExportJobs({ db: this.db, frames: this.frames, exportsDir: this.paths.exports }, (e) => this.emit(e))
    this.handlers = this.createHandlers()
  }

  /** Asks the active run to stop (used by the CLI's Ctrl-C); errors are reported, not thrown. */
  async dispatchStop(runId: number): Promise<void> {
    try {
      this.training.stop(runId)
    } catch (e) {
      console.error(`cpcsv: ${(e as Error).message}`)
    }
  }

  emit(event: WorkbenchEvent): void {
    this.emitter.emit('event', event)
  }

  onEvent(listener: (e: WorkbenchEvent) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }

  async close(): Promise<void> {
    await this.imports.close()
    await this.evaluations.close()
    await this.training.close()
    await this.generation.close()
    await this.exports.close()
    this.db.close()
  }

  readonly handlers: Handlers

  private createHandlers(): Handlers {
    return {
    ...labelingHandlers(this.db, (e) => this.emit(e)),
    ...trainingHandlers(this.db, this.training),
    ...evaluationHandlers(this.db, this.evaluations),
    ...generationHandlers(this.db, this.paths.root, this.generation),
    ...exportHandlers(this.exports, this.paths.exports),
    'app:info': () => ({
      version: packageVersion(),
      workspace: this.paths.root,
      transport: this.transport,
      datasets: (this.db.prepare('SELECT count(*) FROM datasets').pluck().get() as number) ?? 0
    }),
    'datasets:list': () => listDatasets(this.db),
    'datasets:get': ({ id }) => {
      const d = getDataset(this.db, id)
      if (!d) throw new UserError(`dataset ${id} not found`, 'not_found')
      return d
    },
    'datasets:import': ({ path, format, name }) => this.imports.start({ kind: 'folder', path, format, name }),
    'datasets:importStatus': ({ jobId }) => this.job(jobId, this.imports.get(jobId)),
    'datasets:cancelImport': ({ jobId }) => this.job(jobId, this.imports.cancel(jobId)),
    'datasets:createDemo': ({ kind, stories, seed }) => this.imports.start({ kind: 'demo', demo: kind, stories, seed }),
    'datasets:delete': ({ id }) => {
      const hashes = datasetFrameHashes(this.db, id)
      // Files kept beside the rows: the dataset's classifier and its cached real statistics.
      const cacheFolders = this.db.prepare('SELECT folder FROM reference_stats WHERE dataset_id = ?').pluck().all(id) as string[]
      const deleted = this.db.transaction(() => deleteDataset(this.db, id))()
      if (!deleted) throw new UserError(`dataset ${id} not found`, 'not_found')
      this.frames.remove(unreferencedHashes(this.db, hashes))
      for (const f of [...cacheFolders, classifierFile(id)]) rmSync(join(this.paths.root, f), { recursive: true, force: true })
      this.emit({ type: 'datasets:changed' })
      return { deleted }
    },
    'stories:list': ({ datasetId, split, offset, limit }) => {
      if (!getDataset(this.db, datasetId)) throw new UserError(`dataset ${datasetId} not found`, 'not_found')
      return {
        total: countStories(this.db, datasetId, split),
        stories: listStories(this.db, datasetId, { split, offset, limit })
      }
    },
    'stories:get': ({ id }) => {
      const s = getStory(this.db, id)
      if (!s) throw new UserError(`story ${id} not found`, 'not_found')
      return s
    }
    }
  }

  private job<T>(jobId: string, job: T | undefined): T {
    if (!job) throw new UserError(`import job ${jobId} not found`, 'not_found')
    return job
  }
}
