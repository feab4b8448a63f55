import { openDatabase } from '../db/database'
import { FrameStore } from '../frame-store'
import { ensureWorkspace } from '../workspace'
import type { ImportBundle } from './bundle'
import type { ImportTask } from './import-messages'
import { openDatasetFolder } from './open-source'
import { writeBundle, type WriteProgress, type WriteResult } from './write-bundle'

/** Builds the bundle a task describes (folder import or a built-in demo generator). */
export async function bundleForTask(task: ImportTask): Promise<ImportBundle> {
  if (task.kind === 'folder') return openDatasetFolder(task.path, task.format, task.name)
  const opts = { stories: task.stories, seed: task.seed }
  // Loaded on demand: the generators are only needed when a demo is asked for.
  if (task.demo === 'cartoon') return (await import('./demo/cartoon')).cartoonDemo(opts)
  return (await import('./demo/clevr')).clevrDemo(opts)
}

/**
 * Runs one import against a workspace with its own database connection. Used inside the import
 * worker thread, and directly by the CLI (which has no UI thread to keep free).
 */
export async function runImport(
  workspace: string,
  task: ImportTask,
  hooks: { onProgress?: (p: WriteProgress & { path: string | null }) => void; cancelled?: () => boolean } = {}
): Promise<WriteResult> {
  const paths = ensureWorkspace(workspace)
  const db = openDatabase(paths.database)
  try {
    const bundle = await bundleForTask(task)
    return await writeBundle(bundle, {
      db,
      frames: new FrameStore(paths.frames),
      name: task.kind === 'folder' ? task.name : undefined,
      cancelled: hooks.cancelled,
      onProgress: (p) => hooks.onProgress?.({ ...p, path: bundle.sourcePath })
    })
  } finally {
    db.close()
  }
}
