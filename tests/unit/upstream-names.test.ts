import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { upstreamToName } from '../../src/main/training/model/upstream-names'
import { FIXTURES } from '../helpers/paths'
import type { ModelName } from '../../src/main/training/model/params'

describe('upstream state_dict names', () => {
  it('map every upstream key of the reference fixture to its name', () => {
    const manifest = JSON.parse(readFileSync(join(FIXTURES, 'cpcsv-tiny', 'manifest.json'), 'utf8')) as {
      weights: { model: ModelName; name: string; upstream: string }[]
    }
    expect(manifest.weights.length).toBeGreaterThan(150)
    for (const w of manifest.weights) expect(upstreamToName(w.model, w.upstream), w.upstream).toBe(w.name)
  })

  it('strips DataParallel prefixes and skips counters', () => {
    expect(upstreamToName('G', 'module.fc.1.weight')).toBe('img_fc.1.weight')
    expect(upstreamToName('G', 'upsample1.2.num_batches_tracked')).toBeNull()
    expect(upstreamToName('D_img', 'something_else.weight')).toBeNull()
  })
})
