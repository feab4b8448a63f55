// Loads a TypeScript worker module through tsx. Used only when the workbench runs from its
// TypeScript sources (tests, `tsx`); built bundles start their .mjs workers directly.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.__tsEntry)
