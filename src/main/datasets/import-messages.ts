/** Messages between the import job manager and the import worker (errors cross as data). */
export type ImportTask =
  | { kind: 'folder'; path: string; format?: 'pororo' | 'clevr'; name?: string }
  | { kind: 'demo'; demo: 'cartoon' | 'clevr'; stories?: number; seed?: number }

export type ToImportWorker =
  | { type: 'start'; seq: number; workspace: string; task: ImportTask }
  | { type: 'cancel'; seq: number }

export type FromImportWorker =
  | { type: 'progress'; seq: number; phase: string; done: number; total: number; path: string | null }
  | { type: 'finished'; seq: number; datasetId: number; unchanged: boolean }
  | { type: 'failed'; seq: number; message: string; cancelled: boolean; internal: boolean }
