/**
 * The one place where the project adds or replaces kernels of TF.js's `wasm` backend
 * (design.md, "Engine"). Each kernel is tested against the `cpu` backend in
 * tests/integration/wasm-kernels.test.ts.
 *
 * Gradient kernels a DCGAN/CP-CSV-style model reaches on wasm (conv2d, batch norm, leaky relu,
 * relu, tanh, sigmoid, nearest upsampling, matMul, tile, pad, slice, concat, mean, exp, log,
 * softplus, GRU gates, pooling, gather) were checked op by op against `cpu`: missing in
 * tfjs-backend-wasm 4.22 are `Conv2DBackpropFilter` and `UnsortedSegmentSum` (gather's gradient);
 * `MaxPoolGrad` is present but wrong. The others replaced here are correct but slow; see
 * WASM_KERNEL_REASONS.
 */
// Side-effect import first: the stock wasm kernels must be registered before they are replaced,
// or a later import of the package would silently register them over ours.
import '@tensorflow/tfjs-backend-wasm'
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { wasmLayoutKernelConfigs } from './wasm-layout-kernels'
import { wasmElementwiseKernelConfigs } from './wasm-elementwise-kernels'
import { wasmExtraKernelConfigs } from './wasm-extra-kernels'
import { wasmNativeKernelConfigs } from './wasm-native-kernels'
import { fusedKernelConfigs, registerFusedGradients } from './fused-kernels'
import { WASM, stockWasmKernels } from './wasm-kernel-util'

/** Why each project kernel is registered; shown by the benchmark and useful in logs. */
export const WASM_KERNEL_REASONS: Readonly<Record<string, string>> = {
  Conv2D: 'native AVX2/FMA im2col + GEMM on all cores where the native kernels are built (about 3x XNNPACK in wasm)',
  Conv2DBackpropFilter: 'missing in tfjs-backend-wasm 4.22 (conv2d filter gradient); native, else XNNPACK "batch as channels"',
  Conv2DBackpropInput: 'stock kernel is a naive loop; native col2im GEMM, else sub-pixel XNNPACK convolution',
  Tile: 'batch-norm gradient tiles statistics every step; block copies instead',
  Identity: 'stock kernel copies its input; the gradient tape clones every saved tensor through it',
  Cast: 'stock kernel copies on a same-dtype cast (about 500 per step from TF.js gradients) and maps -3 to bool 253',
  Slice: 'stock kernel copies its whole input first; reads a heap view instead',
  Unpack: 'stock kernel uses the stock slice (a whole-input copy per output); unstack of story batches',
  SplitV: 'as Unpack (split, concat gradient, GRU gates)',
  Concat: 'stock kernel makes one copy call per element when joining along the last axis',
  Pack: 'stock kernel calls the stock concat directly (stack in Text2Gist)',
  UnsortedSegmentSum: 'missing in tfjs-backend-wasm 4.22 (gather gradient)',
  MaxPoolGrad: 'stock kernel is wrong for batch > 1 or several channels',
  Greater: 'stock comparisons branch per element (5-20x slower than Add); leaky-ReLU gradient',
  GreaterEqual: 'as Greater (maximum and clip gradients)',
  Less: 'as Greater',
  LessEqual: 'as Greater (clip gradient)',
  Equal: 'as Greater',
  NotEqual: 'as Greater',
  LeakyRelu: 'stock kernel branches per element; every discriminator layer, every pass',
  CpcsvBatchNormTrain: 'fused training-mode batch norm (native, sums in double); used by the model where the library is built',
  CpcsvBatchNormTrainGrad: 'its backward in one pass pair instead of about 11 element-wise kernels',
  CpcsvAdam: 'one native Adam update per variable instead of 10 element-wise kernels',
  CpcsvLeakyReluGrad: 'leaky-ReLU gradient in one pass instead of greater + where + mul (every discriminator layer)',
  CpcsvSpectralPower: "spectral norm's power iteration in one kernel instead of about 14 (54 iterations per tiny step)",
  ResizeNearestNeighbor: 'native row copies where built (every generator up-block; the stock kernel took 0.7 ms per call)',
  ResizeNearestNeighborGrad: 'stock kernel searches a window per pixel; native scatter-add, else a JS loop',
  Tanh: 'stock kernel calls libm tanh per element (2.3 ms for a 10x64x64x3 generator output); native rational approximation',
  CpcsvTanhGrad: "tanh's gradient in one pass instead of square + sub + mul",
  CpcsvSpectralNormalize: 'W / sigma with sigma = u·(vᵀW) in one kernel (three calls per discriminator head per phase)',
  CpcsvSpectralNormalizeGrad: 'its gradient in two passes instead of about 8 kernels over the weight',
  CpcsvDynamicFilter: "Text2Gist's per-sample filter in one kernel instead of 21 slices, a stack, a product and a sum",
  CpcsvDynamicFilterGrad: 'its gradients in one kernel (the composed gradient unstacks and pads 21 windows)',
  CpcsvGruCell: "a GRU step's gates in one kernel instead of about 12 (24 steps per generator pass)",
  CpcsvGruCellGrad: 'their three gradients in one kernel',
  BatchMatMul: 'stock kernel loops naively for transposed operands (every dense backward pass); native GEMM where built'
}

const projectConfigs: readonly KernelConfig[] = [
  ...wasmNativeKernelConfigs,
  ...fusedKernelConfigs,
  ...wasmLayoutKernelConfigs,
  ...wasmExtraKernelConfigs,
  ...wasmElementwiseKernelConfigs
]

/**
 * Registers the project's wasm kernels. Idempotent: kernels already registered by an earlier
 * call are left alone, so calling it from several entry points is safe. Works before or after
 * the wasm backend is initialised (the project kernels need no setup of their own).
 */
export function registerWasmKernels(): void {
  for (const config of projectConfigs) {
    const current = getKernel(config.kernelName, WASM)
    if (current?.kernelFunc === config.kernelFunc) continue
    if (current != null) {
      stockWasmKernels.set(config.kernelName, current)
      // An explicit unregister avoids registerKernel's duplicate warning.
      unregisterKernel(config.kernelName, WASM)
    }
    // The stock kernel's setup (which binds its wasm function) runs only for kernels registered
    // when the backend initialises; carrying it over keeps the stock kernel callable for
    // fallbacks, benchmarks and unregisterWasmKernels.
    registerKernel({ ...config, setupFunc: current?.setupFunc, disposeFunc: current?.disposeFunc })
  }
  // Gradients that call the fused kernels when they are available (and TF.js's formula otherwise).
  registerFusedGradients()
}

/**
 * Puts back the stock kernels that `registerWasmKernels` replaced and removes the ones it
 * added. Meant for benchmarks and tests that compare against the stock backend.
 */
export function unregisterWasmKernels(): void {
  for (const config of projectConfigs) {
    const current = getKernel(config.kernelName, WASM)
    if (current?.kernelFunc !== config.kernelFunc) continue
    unregisterKernel(config.kernelName, WASM)
    const stock = stockWasmKernels.get(config.kernelName)
    if (stock != null) registerKernel(stock)
  }
}

/** Names of the kernels the project currently has registered on wasm. */
export function registeredWasmKernels(): string[] {
  return projectConfigs
    .filter((config) => getKernel(config.kernelName, WASM)?.kernelFunc === config.kernelFunc)
    .map((config) => config.kernelName)
}

/** The stock wasm kernel that registration replaced under `name`, if any (for benchmarks). */
export function stockWasmKernel(name: string): KernelConfig | undefined {
  return stockWasmKernels.get(name)
}
