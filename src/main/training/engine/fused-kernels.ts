/**
 * Fused training kernels the model uses where the backend has them: training-mode batch
 * normalisation (forward and backward), the Adam update, the leaky-ReLU and tanh gradients,
 * spectral norm's power iteration and normalisation (with its gradient), Text2Gist's
 * per-sample filter and the GRU step's gates (with their gradients). On wasm with the native kernel
 * library each is one kernel call instead of 10-25 element-wise kernels, and batch norm's
 * per-channel sums are accumulated in double (see native/cpcsv_kernels.cc). Elsewhere (`cpu`,
 * `tensorflow`, wasm without the library) the model composes the same formulas from tf ops.
 *
 * They are kernels of their own (registered for wasm only, run through the engine), so their
 * results are ordinary tracked tensors.
 */
import * as tf from '@tensorflow/tfjs'
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import { nativeKernels, type NativeKernels } from './native-kernels'
import { WASM, float32Heap, sizeOf, wasmKernel } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

const BATCH_NORM = 'CpcsvBatchNormTrain'
const BATCH_NORM_GRAD = 'CpcsvBatchNormTrainGrad'
const ADAM = 'CpcsvAdam'
const LEAKY_RELU_GRAD = 'CpcsvLeakyReluGrad'
const SPECTRAL_POWER = 'CpcsvSpectralPower'
const SPECTRAL_NORMALIZE = 'CpcsvSpectralNormalize'
const SPECTRAL_NORMALIZE_GRAD = 'CpcsvSpectralNormalizeGrad'
const TANH_GRAD = 'CpcsvTanhGrad'
const DYNAMIC_FILTER = 'CpcsvDynamicFilter'
const DYNAMIC_FILTER_GRAD = 'CpcsvDynamicFilterGrad'
const GRU_CELL = 'CpcsvGruCell'
const GRU_CELL_GRAD = 'CpcsvGruCellGrad'

/** Whether the active backend runs the fused kernels now. */
export function fusedKernelsAvailable(): boolean {
  return tf.getBackend() === WASM && nativeKernels() != null && tf.getKernel(ADAM, WASM) != null
}

/** An activation fused into batch norm's output: ReLU, or leaky ReLU with a slope in (0, 1). */
export type FusedActivation = { kind: 'relu' } | { kind: 'leakyRelu'; alpha: number }

/** The native library's activation code and slope (0 = none). */
function activationCode(activation: FusedActivation | undefined): [number, number] {
  if (activation == null) return [0, 0]
  return activation.kind === 'relu' ? [1, 0] : [2, activation.alpha]
}

/**
 * Training-mode batch norm over the last axis, then the optional activation: [y, batch mean,
 * 1/sqrt(var + eps), running mean and running variance after the momentum update (PyTorch's,
 * with the unbiased variance)].
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  eps: number,
  momentum: number,
  activation?: FusedActivation
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  const [act, alpha] = activationCode(activation)
  return tf.engine().runKernel(BATCH_NORM, { x, gamma, beta, runningMean, runningVar }, { eps, momentum, act, alpha }) as unknown as
    [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]
}

/**
 * Batch norm's backward from its saved input (and, with an activation, its output y):
 * [dx, dgamma, dbeta].
 */
export function batchNormTrainGrad(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  invstd: tf.Tensor,
  gamma: tf.Tensor,
  y: tf.Tensor,
  activation?: FusedActivation
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const [act, alpha] = activationCode(activation)
  return tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x, mean, invstd, gamma, y }, { act, alpha }) as unknown as [tf.Tensor, tf.Tensor1D, tf.Tensor1D]
}

/** Adam's hyper-parameters for one step, as adam.ts computes them. */
export interface AdamStep {
  b1: number
  b2: number
  stepSize: number
  correction2: number
  eps: number
}

/** One Adam update: [param, m, v] after the step. */
export function adamUpdate(param: tf.Tensor, m: tf.Tensor, v: tf.Tensor, grad: tf.Tensor, step: AdamStep): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(ADAM, { param, m, v, grad }, { ...step }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor]
}

/**
 * One power iteration of spectral norm on the HWIO kernel `weight` (W^T = (kh·kw·in, out)):
 * [u, v] after it. No gradient: u and v are constants of the normalised weight.
 */
export function spectralPower(weight: tf.Tensor, u: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(SPECTRAL_POWER, { weight, u }, {}) as unknown as [tf.Tensor1D, tf.Tensor1D]
}

/**
 * W / sigma with sigma = u·(vᵀ W), W the HWIO kernel viewed as (kh·kw·in, out), u (out,) and v
 * (kh·kw·in,) constants: one op whose gradient reaches only W,
 * dW = dy / sigma - (Σ dy·W / sigma²) v uᵀ.
 */
export function spectralNormalize(weight: tf.Tensor, u: tf.Tensor, v: tf.Tensor): tf.Tensor {
  // Outputs [W / sigma, (no second part), sigma]; the caller's tidy frees the last two.
  return (tf.engine().runKernel(SPECTRAL_NORMALIZE, { weight, u, v }, { split: 0 }) as unknown as tf.Tensor[])[0]
}

/**
 * The same, split along the kernel's input channels at `split`: [W[:, :, :split] / sigma,
 * W[:, :, split:] / sigma] without a separate split and concat (a discriminator head's joint
 * kernel, features then condition).
 */
export function spectralNormalizeSplit(weight: tf.Tensor4D, u: tf.Tensor, v: tf.Tensor, split: number): [tf.Tensor4D, tf.Tensor4D] {
  const [a, b] = tf.engine().runKernel(SPECTRAL_NORMALIZE, { weight, u, v }, { split }) as unknown as tf.Tensor4D[]
  return [a, b]
}

/** Sizes of Text2Gist's per-sample filter: N samples, C channels of length L, width K (odd). */
export interface DynamicFilterDims {
  length: number
  channels: number
  kernel: number
}

/**
 * out[n, p] = Σ_c Σ_k signal[n, c, p + k - K/2]·filter[n, c, k] (zero outside the signal) for
 * signal (N, C·L) and filter (N, C·K) laid out channel-major: one op with both gradients.
 */
export function dynamicFilter(signal: tf.Tensor2D, filter: tf.Tensor2D, dims: DynamicFilterDims): tf.Tensor2D {
  const attrs = { ...dims }
  const op = tf.customGrad((...args) => {
    const [s, f, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc]
    save([s, f])
    return {
      value: tf.engine().runKernel(DYNAMIC_FILTER, { signal: s, filter: f }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(DYNAMIC_FILTER_GRAD, { dy, signal: saved[0], filter: saved[1] }, attrs) as unknown as tf.Tensor[]
    }
  })
  return op(signal, filter) as tf.Tensor2D
}

/**
 * One PyTorch GRU step after its two products: gi = W_ih x + b_ih and gh = W_hh h + b_hh
 * (N, 3H, gates r, z, n), h (N, H) -> h' = c + z (h - c) with r = s(gi_r + gh_r),
 * z = s(gi_z + gh_z), c = tanh(gi_n + r gh_n). One op with its three gradients.
 */
export function gruCell(gi: tf.Tensor2D, gh: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args) => {
    const [a, b, c, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc]
    save([a, b, c])
    return {
      value: tf.engine().runKernel(GRU_CELL, { gi: a, gh: b, h: c }, {}) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(GRU_CELL_GRAD, { dy, gi: saved[0], gh: saved[1], h: saved[2] }, {}) as unknown as tf.Tensor[]
    }
  })
  return op(gi, gh, h) as tf.Tensor2D
}

/**
 * Replaces TF.js's leaky-ReLU gradient (greater + where + mul over the whole activation) by one
 * fused kernel where the backend has it; elsewhere the same formula as TF.js. The gradient
 * registry is global, so the choice is made per call.
 */
export function registerFusedGradients(): void {
  tf.registerGradient({
    kernelName: 'LeakyRelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved
      const alpha = (attrs as { alpha: number }).alpha
      const single = dy as tf.Tensor
      return {
        x: () => fusedKernelsAvailable()
          ? tf.engine().runKernel(LEAKY_RELU_GRAD, { dy: single, x }, { alpha }) as tf.Tensor
          : tf.where(tf.greater(x, 0), single, tf.mul(single, alpha))
      }
    }
  })
  tf.registerGradient({
    kernelName: SPECTRAL_NORMALIZE,
    inputsToSave: ['weight', 'u', 'v'],
    outputsToSave: [false, false, true],
    gradFunc: (dy, saved, attrs) => {
      const [weight, u, v, sigma] = saved
      const split = (attrs as { split: number }).split
      const dys = Array.isArray(dy) ? dy : [dy]
      // An output off the loss's path (never the case in the model) contributes zero.
      const parts = split > 0 ? [0, 1].map((i) => dys[i] ?? tf.zeros(splitShapes(weight, split)[i])) : [dys[0], dys[0]]
      return {
        weight: () => tf.engine().runKernel(SPECTRAL_NORMALIZE_GRAD, { dy: parts[0], dyB: parts[1], weight, u, v, sigma }, { split }) as tf.Tensor
      }
    }
  })
  tf.registerGradient({
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved
      const single = dy as tf.Tensor
      return {
        x: () => fusedKernelsAvailable() && y.dtype === 'float32'
          ? tf.engine().runKernel(TANH_GRAD, { dy: single, y }, {}) as tf.Tensor
          : tf.mul(tf.sub(tf.scalar(1), tf.square(tf.cast(y, 'float32'))), single)
      }
    }
  })
}

function native(): NativeKernels {
  const kernels = nativeKernels()
  if (kernels == null) throw new Error('fused kernels need the native kernel library (see fusedKernelsAvailable)')
  return kernels
}

function requireFloat(kernel: string, ...infos: TensorInfo[]): void {
  for (const t of infos) if (t.dtype !== 'float32') throw new Error(`${kernel} takes float32 tensors, got ${t.dtype}`)
}

function batchNormKernel(args: WasmKernelArgs): TensorInfo[] {
  const { x, gamma, beta, runningMean, runningVar } = args.inputs
  requireFloat(BATCH_NORM, x, gamma, beta, runningMean, runningVar)
  const channels = x.shape[x.shape.length - 1]
  const { backend } = args
  const outs = [backend.makeOutput(x.shape, 'float32'), ...[0, 1, 2, 3].map(() => backend.makeOutput([channels], 'float32'))]
  const heap = float32Heap(args.backend)
  native().batchnorm(heap(x), heap(gamma), heap(beta), heap(runningMean), heap(runningVar), ...outs.map(heap) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array],
    [sizeOf(x.shape) / channels, channels], args.attrs.eps as number, args.attrs.momentum as number, args.attrs.act as number, args.attrs.alpha as number)
  return outs
}

function batchNormGradKernel(args: WasmKernelArgs): TensorInfo[] {
  const { dy, x, mean, invstd, gamma, y } = args.inputs
  requireFloat(BATCH_NORM_GRAD, dy, x, mean, invstd, gamma, y)
  const channels = x.shape[x.shape.length - 1]
  const { backend } = args
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')]
  const heap = float32Heap(args.backend)
  native().batchnormGrad(heap(dy), heap(x), heap(mean), heap(invstd), heap(gamma), heap(y), heap(outs[0]), heap(outs[1]), heap(outs[2]),
    [sizeOf(x.shape) / channels, channels], args.attrs.act as number, args.attrs.alpha as number)
  return outs
}

function adamKernel(args: WasmKernelArgs): TensorInfo[] {
  const { param, m, v, grad } = args.inputs
  requireFloat(ADAM, param, m, v, grad)
  const step = args.attrs as unknown as AdamStep
  const { backend } = args
  const outs = [0, 1, 2].map(() => backend.makeOutput(param.shape, 'float32'))
  const heap = float32Heap(args.backend)
  native().adam(heap(param), heap(m), heap(v), heap(grad), heap(outs[0]), heap(outs[1]), heap(outs[2]),
    [step.b1, 1 - step.b1, step.b2, 1 - step.b2, step.stepSize, step.correction2, step.eps])
  return outs
}

/** A gradient kernel of two same-size float inputs (dy and a saved tensor) into one new output. */
function elementwiseGrad(kernel: string, args: WasmKernelArgs, saved: string, run: (dy: Float32Array, t: Float32Array, out: Float32Array) => void): TensorInfo {
  const { dy, [saved]: t } = args.inputs
  requireFloat(kernel, dy, t)
  const out = args.backend.makeOutput(t.shape, 'float32')
  const heap = float32Heap(args.backend)
  run(heap(dy), heap(t), heap(out))
  return out
}

function leakyReluGradKernel(args: WasmKernelArgs): TensorInfo {
  return elementwiseGrad(LEAKY_RELU_GRAD, args, 'x', (dy, x, out) => native().leakyReluGrad(dy, x, out, args.attrs.alpha as number))
}

function spectralPowerKernel(args: WasmKernelArgs): TensorInfo[] {
  const { weight, u } = args.inputs
  requireFloat(SPECTRAL_POWER, weight, u)
  const [rows, cols] = spectralDims(weight, u, 0)
  const outs = [args.backend.makeOutput([cols], 'float32'), args.backend.makeOutput([rows], 'float32')]
  const heap = float32Heap(args.backend)
  native().spectralPower(heap(weight), heap(u), heap(outs[0]), heap(outs[1]), [rows, cols])
  return outs
}

function tanhGradKernel(args: WasmKernelArgs): TensorInfo {
  return elementwiseGrad(TANH_GRAD, args, 'y', (dy, y, out) => native().tanhGrad(dy, y, out))
}

/** [rows, cols, cin, split] of a spectral-norm kernel's weight (HWIO). */
function spectralDims(weight: TensorInfo, u: TensorInfo, split: number): number[] {
  const cols = u.shape[0]
  return [sizeOf(weight.shape) / cols, cols, weight.shape.length === 4 ? weight.shape[2] : sizeOf(weight.shape) / cols, split]
}

/** The shapes of the two parts (the second empty without a split). */
function splitShapes(weight: TensorInfo, split: number): number[][] {
  if (split === 0) return [weight.shape, [0]]
  const [kh, kw, cin, cout] = weight.shape
  return [[kh, kw, split, cout], [kh, kw, cin - split, cout]]
}

function spectralNormalizeKernel(args: WasmKernelArgs): TensorInfo[] {
  const { weight, u, v } = args.inputs
  requireFloat(SPECTRAL_NORMALIZE, weight, u, v)
  const split = (args.attrs.split as number | undefined) ?? 0
  if (split > 0 && weight.shape.length !== 4) throw new Error(`${SPECTRAL_NORMALIZE}: a split needs an HWIO kernel`)
  const parts = splitShapes(weight, split).map((shape) => args.backend.makeOutput(shape, 'float32'))
  const sigma = args.backend.makeOutput([], 'float32')
  const heap = float32Heap(args.backend)
  native().spectralNormalize(heap(weight), heap(u), heap(v), heap(parts[0]), heap(parts[split > 0 ? 1 : 0]), heap(sigma), spectralDims(weight, u, split))
  return [...parts, sigma]
}

function spectralNormalizeGradKernel(args: WasmKernelArgs): TensorInfo {
  const { dy, dyB, weight, u, v, sigma } = args.inputs
  requireFloat(SPECTRAL_NORMALIZE_GRAD, dy, dyB, weight, u, v, sigma)
  const out = args.backend.makeOutput(weight.shape, 'float32')
  const heap = float32Heap(args.backend)
  native().spectralNormalizeGrad(heap(dy), heap(dyB), heap(weight), heap(u), heap(v), heap(sigma), heap(out),
    spectralDims(weight, u, (args.attrs.split as number | undefined) ?? 0))
  return out
}

function filterDims(args: WasmKernelArgs, signal: TensorInfo): number[] {
  const { length, channels, kernel } = args.attrs as unknown as DynamicFilterDims
  return [signal.shape[0], channels, length, kernel]
}

function dynamicFilterKernel(args: WasmKernelArgs): TensorInfo {
  const { signal, filter } = args.inputs
  requireFloat(DYNAMIC_FILTER, signal, filter)
  const dims = filterDims(args, signal)
  const out = args.backend.makeOutput([dims[0], dims[2]], 'float32')
  const heap = float32Heap(args.backend)
  native().dynamicFilter(heap(signal), heap(filter), heap(out), dims)
  return out
}

function dynamicFilterGradKernel(args: WasmKernelArgs): TensorInfo[] {
  const { dy, signal, filter } = args.inputs
  requireFloat(DYNAMIC_FILTER_GRAD, dy, signal, filter)
  const outs = [args.backend.makeOutput(signal.shape, 'float32'), args.backend.makeOutput(filter.shape, 'float32')]
  const heap = float32Heap(args.backend)
  native().dynamicFilterGrad(heap(dy), heap(signal), heap(filter), heap(outs[0]), heap(outs[1]), filterDims(args, signal))
  return outs
}

function gruCellKernel(args: WasmKernelArgs): TensorInfo {
  const { gi, gh, h } = args.inputs
  requireFloat(GRU_CELL, gi, gh, h)
  const out = args.backend.makeOutput(h.shape, 'float32')
  const heap = float32Heap(args.backend)
  native().gruCell(heap(gi), heap(gh), heap(h), heap(out), [h.shape[0], h.shape[1]])
  return out
}

function gruCellGradKernel(args: WasmKernelArgs): TensorInfo[] {
  const { dy, gi, gh, h } = args.inputs
  requireFloat(GRU_CELL_GRAD, dy, gi, gh, h)
  const outs = [gi.shape, gh.shape, h.shape].map((shape) => args.backend.makeOutput(shape, 'float32'))
  const heap = float32Heap(args.backend)
  native().gruCellGrad(heap(dy), heap(gi), heap(gh), heap(h), heap(outs[0]), heap(outs[1]), heap(outs[2]), [h.shape[0], h.shape[1]])
  return outs
}

/** Kernel configs this module registers for the wasm backend. */
export const fusedKernelConfigs: KernelConfig[] = [
  wasmKernel(BATCH_NORM, batchNormKernel),
  wasmKernel(BATCH_NORM_GRAD, batchNormGradKernel),
  wasmKernel(ADAM, adamKernel),
  wasmKernel(LEAKY_RELU_GRAD, leakyReluGradKernel),
  wasmKernel(SPECTRAL_POWER, spectralPowerKernel),
  wasmKernel(SPECTRAL_NORMALIZE, spectralNormalizeKernel),
  wasmKernel(SPECTRAL_NORMALIZE_GRAD, spectralNormalizeGradKernel),
  wasmKernel(TANH_GRAD, tanhGradKernel),
  wasmKernel(DYNAMIC_FILTER, dynamicFilterKernel),
  wasmKernel(DYNAMIC_FILTER_GRAD, dynamicFilterGradKernel),
  wasmKernel(GRU_CELL, gruCellKernel),
  wasmKernel(GRU_CELL_GRAD, gruCellGradKernel)
]
