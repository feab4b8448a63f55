/**
 * Real-data statistics of a dataset split, computed once per feature network and preprocessing
 * and cached in the workspace (`eval-cache/<key>/` plus a `reference_stats` row). The key is the
 * dataset, the split, the extractor kind, the network file's sha256, the preprocessing settings
 * and a hash of the frames used, so a changed file, mode or dataset never reuses stale numbers.
 *
 * What is kept is the cheapest exact form: the features themselves when there are no more
 * samples than dimensions (then the Fréchet code needs no D×D matrix at all), otherwise the mean
 * and covariance in float64.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Db } from '../db/database'
import { readNpy, writeNpy } from '../datasets/npy'
import { deleteReferenceStats, findReferenceStats, saveReferenceStats, type ReferenceStatsKey } from '../db/repos/evaluation-repo'
import { featureStats, frechetDistance, frechetFromFeatures, type FeatureSet, type FeatureStats } from './frechet'

/** Real statistics in whichever exact form was kept. */
export type RealStatistics = { kind: 'features'; set: FeatureSet } | { kind: 'stats'; stats: FeatureStats }

/** Folder of a cache entry, relative to the workspace. */
function entryFolder(key: ReferenceStatsKey): string {
  const id = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 24)
  return join('eval-cache', `${key.extractor}-${id}`)
}

/** The cached statistics of `key`, or null when absent or unreadable (the stale row is dropped). */
export function loadReferenceStats(db: Db, workspace: string, key: ReferenceStatsKey): RealStatistics | null {
  const row = findReferenceStats(db, key)
  if (!row) return null
  const dir = join(workspace, row.folder)
  try {
    if (existsSync(join(dir, 'features.npy'))) {
      const f = readNpy(readFileSync(join(dir, 'features.npy')), 'features.npy')
      return { kind: 'features', set: { data: f.data as Float32Array, n: f.shape[0], dim: f.shape[1] } }
    }
    const mu = readNpy(readFileSync(join(dir, 'mu.npy')), 'mu.npy').data as Float64Array
    const sigma = readNpy(readFileSync(join(dir, 'sigma.npy')), 'sigma.npy').data as Float64Array
    return { kind: 'stats', stats: { n: row.samples, dim: row.dim, mu, sigma } }
  } catch {
    deleteReferenceStats(db, row.id)
    return null
  }
}

/**
 * Reduces real features to their cached form, stores it and returns it.
 * @param features n×dim float32 row-major
 */
export function saveRealFeatures(db: Db, workspace: string, key: ReferenceStatsKey, features: Float32Array, n: number, dim: number): RealStatistics {
  const folder = entryFolder(key)
  const dir = join(workspace, folder)
  const tmp = `${dir}.${process.pid}.tmp`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  let stats: RealStatistics
  if (n <= dim) {
    stats = { kind: 'features', set: { data: features, n, dim } }
    writeFileSync(join(tmp, 'features.npy'), writeNpy({ dtype: 'float32', shape: [n, dim], data: features }))
  } else {
    const s = featureStats(features, n, dim)
    stats = { kind: 'stats', stats: s }
    writeFileSync(join(tmp, 'mu.npy'), writeNpy({ dtype: 'float64', shape: [dim], data: s.mu }))
    writeFileSync(join(tmp, 'sigma.npy'), writeNpy({ dtype: 'float64', shape: [dim, dim], data: s.sigma }))
  }
  writeFileSync(join(tmp, 'key.json'), `${JSON.stringify({ ...key, samples: n, dim }, null, 2)}\n`)
  rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
  saveReferenceStats(db, key, { samples: n, dim, folder, createdAt: new Date().toISOString() })
  return stats
}

/** Squared Fréchet distance between cached real statistics and generated features. */
export function frechetToReal(real: RealStatistics, generated: FeatureSet): number {
  if (real.kind === 'features') return frechetFromFeatures(real.set, generated)
  return frechetDistance(real.stats, featureStats(generated.data, generated.n, generated.dim))
}

/** Samples behind real statistics. */
export function realSamples(real: RealStatistics): number {
  return real.kind === 'features' ? real.set.n : real.stats.n
}
