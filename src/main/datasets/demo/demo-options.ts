/** Options shared by the built-in demo dataset generators. */

/** Options of cartoonDemo and clevrDemo. */
export interface DemoOptions {
  /** Number of stories, integer ≥ 1 (default 2,000). */
  stories?: number
  /** PRNG seed, any 32-bit integer (default 1); equal seeds give byte-identical datasets. */
  seed?: number
  /** Frame side in pixels, integer 16..1024 (default 64: frames are square, as CP-CSV trains). */
  size?: number
}

/** DemoOptions with defaults applied and checked. */
export interface ResolvedDemoOptions {
  stories: number
  seed: number
  size: number
}

/** Default number of stories per demo dataset. */
export const DEFAULT_DEMO_STORIES = 2000

/** Applies defaults and rejects values the generators cannot honour (RangeError). */
export function resolveDemoOptions(options: DemoOptions = {}): ResolvedDemoOptions {
  const stories = options.stories ?? DEFAULT_DEMO_STORIES
  const seed = options.seed ?? 1
  const size = options.size ?? 64
  if (!Number.isInteger(stories) || stories < 1) throw new RangeError(`stories must be an integer ≥ 1, got ${stories}`)
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`)
  if (!Number.isInteger(size) || size < 16 || size > 1024) throw new RangeError(`size must be an integer in 16..1024, got ${size}`)
  return { stories, seed: seed | 0, size }
}
