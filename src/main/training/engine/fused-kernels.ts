/**
 * Fused training kernels the model uses where the backend has them: training-mode batch
 * normalisation (forward and backward), the Adam update, the leaky-ReLU gradient and spectral
 * norm's power iteration. On wasm with the native kernel
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

/** Whether the active backend runs the fused kernels now. */
export function fusedKernelsAvailable(): boolean {
  return tf.getBackend() === WASM && nativeKernels() != null && tf.getKernel(ADAM, WASM) != null
}

/**
 * Training-mode batch norm over the last axis: [y, batch mean, 1/sqrt(var + eps), running mean
 * and running variance after the momentum update (PyTorch's, with the unbiased variance)].
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  runningMean: tf.Tensor,
  runningVar: tf.Tensor,
  eps: number,
  momentum: number
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BATCH_NORM, { x, gamma, beta, runningMean, runningVar }, { eps, momentum }) as unknown as
    [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]
}

/** Batch norm's backward from its saved input: [dx, dgamma, dbeta]. */
export function batchNormTrainGrad(
  dy: tf.Tensor,
  x: tf.Tensor,
  mean: tf.Tensor,
  invstd: tf.Tensor,
  gamma: tf.Tensor
): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BATCH_NORM_GRAD, { dy, x, mean, invstd, gamma }, {}) as unknown as [tf.Tensor, tf.Tensor1D, tf.Tensor1D]
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
    [sizeOf(x.shape) / channels, channels], args.attrs.eps as number, args.attrs.momentum as number)
  return outs
}

function batchNormGradKernel(args: WasmKernelArgs): TensorInfo[] {
  const { dy, x, mean, invstd, gamma } = args.inputs
  requireFloat(BATCH_NORM_GRAD, dy, x, mean, invstd, gamma)
  const channels = x.shape[x.shape.length - 1]
  const { backend } = args
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([channels], 'float32'), backend.makeOutput([channels], 'float32')]
  const heap = float32Heap(args.backend)
  native().batchnormGrad(heap(dy), heap(x), heap(mean), heap(invstd), heap(gamma), heap(outs[0]), heap(outs[1]), heap(outs[2]),
    [sizeOf(x.shape) / channels, channels])
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

function leakyReluGradKernel(args: WasmKernelArgs): TensorInfo {
  const { dy, x } = args.inputs
  requireFloat(LEAKY_RELU_GRAD, dy, x)
  const out = args.backend.makeOutput(x.shape, 'float32')
  const heap = float32Heap(args.backend)
  native().leakyReluGrad(heap(dy), heap(x), heap(out), args.attrs.alpha as number)
  return out
}

function spectralPowerKernel(args: WasmKernelArgs): TensorInfo[] {
  const { weight, u } = args.inputs
  requireFloat(SPECTRAL_POWER, weight, u)
  const cols = u.shape[0]
  const rows = sizeOf(weight.shape) / cols
  const outs = [args.backend.makeOutput([cols], 'float32'), args.backend.makeOutput([rows], 'float32')]
  const heap = float32Heap(args.backend)
  native().spectralPower(heap(weight), heap(u), heap(outs[0]), heap(outs[1]), [rows, cols])
  return outs
}

/** Kernel configs this module registers for the wasm backend. */
export const fusedKernelConfigs: KernelConfig[] = [
  wasmKernel(BATCH_NORM, batchNormKernel),
  wasmKernel(BATCH_NORM_GRAD, batchNormGradKernel),
  wasmKernel(ADAM, adamKernel),
  wasmKernel(LEAKY_RELU_GRAD, leakyReluGradKernel),
  wasmKernel(SPECTRAL_POWER, spectralPowerKernel)
]
