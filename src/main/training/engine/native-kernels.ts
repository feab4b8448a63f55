/**
 * The project's native kernel library (`native/cpcsv_kernels.cc`, built by
 * scripts/build-native.mjs during `npm install`): float32 GEMM and convolutions with the CPU's
 * own vector units (AVX2 + FMA where present) on all cores. The wasm backend's heaviest kernels
 * (Conv2D, its two gradients, BatchMatMul) hand it views of the wasm heap; see
 * wasm-native-kernels.ts. Where the library did not build (no C++ compiler at install time) or
 * `CPCSV_NATIVE_KERNELS=0` is set, those kernels stay on XNNPACK inside wasm.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { packageRoot } from '../../paths'

/** The functions `cpcsv_kernels.node` exports. Every array is written in place, synchronously. */
export interface NativeKernels {
  /**
   * kind 0: y = conv(x, w); 1: dW from (x, dy); 2: dx from (dy, w). NHWC images, HWIO filter.
   * geometry: [n, h, w, ci, ho, wo, co, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft].
   */
  conv2d(kind: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, geometry: number[]): void
  /** c[i] = op(a[i])·op(b[i]); dims: [batch, m, n, k, transA, transB, aIsBatched, bIsBatched]. */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, dims: number[]): void
  /**
   * Training-mode batch norm over (rows, channels), sums in double: y (through the fused
   * activation: 0 none, 1 ReLU, 2 leaky ReLU with slope alpha > 0), the batch mean,
   * 1/sqrt(var + eps) and the running statistics after a `momentum` update out.
   */
  batchnorm(
    x: Float32Array, gamma: Float32Array, beta: Float32Array, runningMean: Float32Array, runningVar: Float32Array,
    y: Float32Array, mean: Float32Array, invstd: Float32Array, runningMeanOut: Float32Array, runningVarOut: Float32Array,
    dims: number[], eps: number, momentum: number, activation: number, alpha: number
  ): void
  /**
   * Its backward: dx, dgamma, dbeta from dy, x, mean, 1/sqrt(var + eps) and gamma; with an
   * activation, dy first goes through its gradient, read off the forward's output y.
   */
  batchnormGrad(
    dy: Float32Array, x: Float32Array, mean: Float32Array, invstd: Float32Array, gamma: Float32Array, y: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, dims: number[], activation: number, alpha: number
  ): void
  /** torch.optim.Adam's update into new arrays; hyper: [b1, 1 - b1, b2, 1 - b2, stepSize, sqrt(1 - b2^t), eps]. */
  adam(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array, hyper: number[]): void
  /**
   * Nearest-neighbour resize of NHWC images, dims [n, inH, inW, c, outH, outW]; rows / cols give
   * the input row / column of each output one. kind 0: out = resize(src); 1: out = gradient
   * (src is dy, out the image-shaped dx).
   */
  resizeNearest(kind: 0 | 1, src: Float32Array, out: Float32Array, dims: number[], rows: Int32Array, cols: Int32Array): void
  /** dx = x > 0 ? dy : alpha·dy. */
  leakyReluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, alpha: number): void
  /** One spectral-norm power iteration on W (rows, cols): v = normalize(W u), u = normalize(Wᵀ v). */
  spectralPower(w: Float32Array, u: Float32Array, uOut: Float32Array, vOut: Float32Array, dims: number[]): void
  /**
   * sigma = u·(vᵀ W) for W (rows, cols), rows = taps·cin; W / sigma into out, or with split > 0
   * its rows of input channel < split into out and the rest into outB; sigmaOut[0] = sigma.
   * dims: [rows, cols, cin, split].
   */
  spectralNormalize(w: Float32Array, u: Float32Array, v: Float32Array, out: Float32Array, outB: Float32Array, sigmaOut: Float32Array, dims: number[]): void
  /** Gradient of W / sigma (sigma as above), dy in the same parts: dW = dy / sigma - (Σ dy·W / sigma²) v uᵀ. */
  spectralNormalizeGrad(dy: Float32Array, dyB: Float32Array, w: Float32Array, u: Float32Array, v: Float32Array, sigma: Float32Array, dw: Float32Array, dims: number[]): void
  /** y = tanh(x) (rational approximation, a few ulp). */
  tanh(x: Float32Array, y: Float32Array): void
  /** dx = dy·(1 - y²) from tanh's output y. */
  tanhGrad(dy: Float32Array, y: Float32Array, dx: Float32Array): void
  /** Text2Gist's per-sample filter: out (n, l) from signal (n, c, l) and filter (n, c, k); dims [n, c, l, k]. */
  dynamicFilter(signal: Float32Array, filter: Float32Array, out: Float32Array, dims: number[]): void
  /** Its gradients: dSignal (n, c, l) and dFilter (n, c, k) from dOut (n, l). */
  dynamicFilterGrad(dOut: Float32Array, signal: Float32Array, filter: Float32Array, dSignal: Float32Array, dFilter: Float32Array, dims: number[]): void
  /** One PyTorch GRU step: out (n, H) from gate pre-activations gi, gh (n, 3H; r, z, n) and h; dims [n, H]. */
  gruCell(gi: Float32Array, gh: Float32Array, h: Float32Array, out: Float32Array, dims: number[]): void
  /** Its gradients dgi, dgh, dh from dOut (gates recomputed). */
  gruCellGrad(dOut: Float32Array, gi: Float32Array, gh: Float32Array, h: Float32Array, dgi: Float32Array, dgh: Float32Array, dh: Float32Array, dims: number[]): void
  info(): { threads: number; simd: string }
}

/** Functions a library built from older sources may lack; such a library is not used. */
const REQUIRED: ReadonlyArray<keyof NativeKernels> = [
  'conv2d', 'matmul', 'batchnorm', 'batchnormGrad', 'adam', 'resizeNearest', 'leakyReluGrad', 'spectralPower',
  'spectralNormalize', 'spectralNormalizeGrad', 'tanh', 'tanhGrad', 'dynamicFilter', 'dynamicFilterGrad', 'gruCell',
  'gruCellGrad', 'info'
]

/** Where the build puts the library, relative to the package root. */
export const NATIVE_LIBRARY = path.join('native', 'build', 'Release', 'cpcsv_kernels.node')

interface LoadResult {
  kernels: NativeKernels | null
  reason: string
}

let loaded: LoadResult | null = null

function load(): LoadResult {
  const setting = process.env.CPCSV_NATIVE_KERNELS
  if (setting === '0' || setting === 'off') {
    return { kernels: null, reason: 'native kernels off (CPCSV_NATIVE_KERNELS=0)' }
  }
  const file = path.join(packageRoot(), NATIVE_LIBRARY)
  if (!existsSync(file)) {
    return { kernels: null, reason: `native kernels not built (${file} is missing; run npm run build:native)` }
  }
  try {
    const kernels = createRequire(import.meta.url)(file) as NativeKernels
    const missing = REQUIRED.filter((name) => typeof kernels[name] !== 'function')
    if (missing.length > 0) {
      return { kernels: null, reason: `native kernels at ${file} are out of date (no ${missing.join(', ')}; run npm run build:native)` }
    }
    const { threads, simd } = kernels.info()
    return { kernels, reason: `native kernels (${simd}, ${threads} threads)` }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return { kernels: null, reason: `native kernels failed to load from ${file}: ${message}` }
  }
}

/** The native library, or null where it is unavailable or switched off (loaded once). */
export function nativeKernels(): NativeKernels | null {
  loaded ??= load()
  return loaded.kernels
}

/** One line on whether the native kernels are in use, and why not. */
export function nativeKernelsStatus(): string {
  loaded ??= load()
  return loaded.reason
}

/** Tests and benchmarks switch the native path off and on again without a new process. */
export function setNativeKernelsEnabled(enabled: boolean): void {
  if (!enabled) {
    loaded = { kernels: null, reason: 'native kernels off (switched off in this process)' }
  } else {
    loaded = null
  }
}
