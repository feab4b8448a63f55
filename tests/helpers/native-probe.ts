/**
 * Child-process probe for tests/integration/native-kernels.test.ts: loads the native kernel
 * library (CPCSV_NATIVE_GENERIC / CPCSV_NATIVE_THREADS are read when it loads), runs a
 * convolution, both of its gradients and a matrix product on fixed inputs, and prints one JSON line.
 */
import { nativeKernels } from '../../src/main/training/engine/native-kernels'

const native = nativeKernels()
if (native == null) throw new Error('native kernels are not built')
const ramp = (n: number, f: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f))
// [n, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dw, pt, pl]: 4x4 stride 2 pad 1, 5 -> 7 channels.
const g = [2, 12, 10, 5, 6, 5, 7, 4, 4, 2, 2, 1, 1, 1, 1]
const x = ramp(2 * 12 * 10 * 5, 0.37)
const w = ramp(4 * 4 * 5 * 7, 0.11)
const dy = ramp(2 * 6 * 5 * 7, 0.23)
const conv = new Float32Array(dy.length)
const dw = new Float32Array(w.length)
const dx = new Float32Array(x.length)
native.conv2d(0, x, w, conv, g)
native.conv2d(1, x, dy, dw, g)
native.conv2d(2, dy, w, dx, g)
const mm = new Float32Array(70 * 90)
native.matmul(ramp(70 * 300, 0.05), ramp(300 * 90, 0.07), mm, [1, 70, 90, 300, 0, 0, 1, 1])
console.log(JSON.stringify({ info: native.info(), conv: [...conv], dw: [...dw], dx: [...dx], mm: [...mm] }))
