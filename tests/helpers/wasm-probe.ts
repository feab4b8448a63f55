/**
 * Child-process probe for tests/integration/wasm-threads.test.ts: starts the wasm backend (the
 * thread count comes from CPCSV_WASM_THREADS), runs a conv, a matMul and a conv's filter
 * gradient on fixed inputs, and prints one JSON line. The test runs it with the native kernels off
 * (CPCSV_NATIVE_KERNELS=0), so these ops exercise XNNPACK's threads.
 */
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { initBackend } from '../../src/main/training/engine/backend'

async function main(): Promise<void> {
  const r = await initBackend('wasm')
  const ramp = (shape: number[]): tf.Tensor =>
    tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 0.37)), shape)
  const x = ramp([4, 16, 16, 8]) as tf.Tensor4D
  const w = ramp([3, 3, 8, 6]) as tf.Tensor4D
  const conv = tf.conv2d(x, w, 1, 'same')
  const mm = tf.matMul(ramp([7, 300]) as tf.Tensor2D, ramp([300, 90]) as tf.Tensor2D)
  const dw = tf.grad((k: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, k as tf.Tensor4D, 2, 'same'))))(w)
  const out = { reason: r.reason, threads: getThreadsCount(), conv: [...conv.dataSync()], mm: [...mm.dataSync()], dw: [...dw.dataSync()] }
  console.log(JSON.stringify(out))
  // No process.exit: the process must end by itself (the pool's workers may not hold it).
}

void main()
