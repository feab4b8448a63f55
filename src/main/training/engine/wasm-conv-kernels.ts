/**
 * Convolution gradient kernels for the wasm backend, built from wasm's own XNNPACK `Conv2D`.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` at all, and its `Conv2DBackpropInput` is a
 * naive loop that took 44% of a training step (platform-notes.md). Both gradients are
 * convolutions in disguise, so they are rewritten as one XNNPACK convolution each plus cheap
 * layout moves. Every step calls kernels directly (never `tf.*` ops), so nothing is recorded on
 * the tape, and temporaries are freed at the backend level.
 */
import { backend_util } from '@tensorflow/tfjs'
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  TensorInfo
} from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { Temporaries, callWasmKernel } from './wasm-kernel-util'
import type { WasmKernelArgs } from './wasm-kernel-util'

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]]

function explicitPad(top: number, bottom: number, left: number, right: number): ExplicitPad {
  return [[0, 0], [top, bottom], [left, right], [0, 0]]
}

/** Stride-1 XNNPACK convolution with explicit (possibly asymmetric) padding. */
function conv(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  pad: ExplicitPad,
  dilations: [number, number] = [1, 1]
): TensorInfo {
  return callWasmKernel('Conv2D', backend, { x, filter }, {
    strides: [1, 1],
    pad,
    dilations,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined as unknown as string
  })
}

function requireChannelsLast(dataFormat: string, kernel: string): void {
  if (dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only dataFormat 'NHWC' (channels last), got '${dataFormat}'`)
  }
}

/**
 * dW of a conv2d, "batch as channels": with x seen as Cin images of N channels and dy as an
 * (Ho, Wo) filter from N to Cout channels, dW is one convolution whose dilation is the forward
 * stride and whose padding is the forward padding.
 */
export function conv2DBackpropFilter(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs
  const x = inputs.x
  const dy = inputs.dy
  requireChannelsLast(attrs.dataFormat, 'Conv2DBackpropFilter')
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast'
  )
  const [kh, kw] = [info.filterHeight, info.filterWidth]
  const [sh, sw] = [info.strideHeight, info.strideWidth]
  const [ho, wo] = [dy.shape[1], dy.shape[2]]
  const { top, left } = info.padInfo
  // Only the rows the kernel taps matter; trimming the far padding keeps the output at exactly
  // (kh, kw) whenever it can, which saves work and a slice.
  const bottom = Math.max(0, kh + sh * (ho - 1) - info.inHeight - top)
  const right = Math.max(0, kw + sw * (wo - 1) - info.inWidth - left)
  const temps = new Temporaries(backend)
  try {
    const xT = temps.keep(callWasmKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }))
    const dyT = temps.keep(callWasmKernel('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }))
    let grad = temps.keep(conv(backend, xT, dyT, explicitPad(top, bottom, left, right), [sh, sw]))
    if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
      const size = [grad.shape[0], kh, kw, grad.shape[3]]
      grad = temps.keep(callWasmKernel('Slice', backend, { x: grad }, { begin: [0, 0, 0, 0], size }))
    }
    return callWasmKernel('Transpose', backend, { x: grad }, { perm: [1, 2, 0, 3] })
  } finally {
    temps.dispose()
  }
}

/**
 * Filter for the sub-pixel form of dx: for output phase (rh, rw) of the stride-s grid, the taps
 * f[rh + j·s, rw + j·s] flipped, with all s² phases stacked as output channels so that one
 * convolution computes them together. Shape (J, J', Cout, s²·Cin), J = ceil(k / s).
 */
function subPixelFilter(backend: BackendWasm, filter: TensorInfo, s: number): TensorInfo {
  const [kh, kw, cin, cout] = filter.shape
  const jh = Math.ceil(kh / s)
  const jw = Math.ceil(kw / s)
  const depth = s * s * cin
  const out = backend.makeOutput([jh, jw, cout, depth], 'float32')
  // Views are taken after makeOutput: an allocation may grow (and detach) the wasm heap.
  const f = backend.typedArrayFromHeap(filter) as Float32Array
  const g = backend.typedArrayFromHeap(out) as Float32Array
  g.fill(0)
  for (let a = 0; a < jh; a++) {
    for (let b = 0; b < jw; b++) {
      for (let rh = 0; rh < s; rh++) {
        const ih = rh + (jh - 1 - a) * s
        if (ih >= kh) continue
        for (let rw = 0; rw < s; rw++) {
          const iw = rw + (jw - 1 - b) * s
          if (iw >= kw) continue
          const src = (ih * kw + iw) * cin * cout
          const dst = (a * jw + b) * cout * depth + (rh * s + rw) * cin
          for (let ci = 0; ci < cin; ci++) {
            for (let co = 0; co < cout; co++) g[dst + co * depth + ci] = f[src + ci * cout + co]
          }
        }
      }
    }
  }
  return out
}

/**
 * Interleaves the s² phase channels of `z` (N, Q, Q', s²·C) into space and crops in one pass:
 * dx[n, h, w, c] = z[n, q, p, (rh·s + rw)·C + c] with h + offH = q·s + rh, w + offW = p·s + rw.
 * Replaces wasm's DepthToSpace (20 ms for 92k floats, slower than the convolution) plus a Slice.
 */
function interleavePhases(
  backend: BackendWasm,
  z: TensorInfo,
  s: number,
  offH: number,
  height: number,
  offW: number,
  width: number
): TensorInfo {
  const [n, qh, qw, depth] = z.shape
  const c = depth / (s * s)
  const out = backend.makeOutput([n, height, width, c], 'float32')
  const zs = backend.typedArrayFromHeap(z) as Float32Array
  const dx = backend.typedArrayFromHeap(out) as Float32Array
  let dst = 0
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < height; h++) {
      const q = Math.floor((h + offH) / s)
      const rowBase = (b * qh + q) * qw * depth + ((h + offH) % s) * s * c
      for (let w = 0; w < width; w++) {
        const src = rowBase + Math.floor((w + offW) / s) * depth + ((w + offW) % s) * c
        if (c >= 16) {
          dx.set(zs.subarray(src, src + c), dst)
        } else {
          for (let t = 0; t < c; t++) dx[dst + t] = zs[src + t]
        }
        dst += c
      }
    }
  }
  return out
}

/**
 * Rows [begin, begin + size) of axes 1 and 2, or `t` itself when that is all of it. A new
 * result belongs to the caller; `temps` gets it only when `keep` is set.
 */
function cropSpatial(
  backend: BackendWasm,
  temps: Temporaries | null,
  t: TensorInfo,
  beginH: number,
  sizeH: number,
  beginW: number,
  sizeW: number
): TensorInfo {
  if (beginH === 0 && beginW === 0 && sizeH === t.shape[1] && sizeW === t.shape[2]) return t
  const size = [t.shape[0], sizeH, sizeW, t.shape[3]]
  const out = callWasmKernel('Slice', backend, { x: t }, { begin: [0, beginH, beginW, 0], size })
  return temps == null ? out : temps.keep(out)
}

/** Padding for one spatial axis of a stride-1 correlation, split into crop (negative) and pad. */
function axisPad(before: number, after: number): { cropBefore: number; cropAfter: number; before: number; after: number } {
  return {
    cropBefore: Math.max(0, -before),
    cropAfter: Math.max(0, -after),
    before: Math.max(0, before),
    after: Math.max(0, after)
  }
}

function backpropInputInfo(args: WasmKernelArgs): backend_util.Conv2DInfo {
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs
  requireChannelsLast(attrs.dataFormat, 'Conv2DBackpropInput')
  return backend_util.computeConv2DInfo(
    attrs.inputShape,
    args.inputs.filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast'
  )
}

/**
 * dx of a conv2d (also the forward pass of conv2dTranspose) by sub-pixel decomposition: each of
 * the s² output phases is a stride-1 correlation of dy with a (k/s)² slice of the flipped
 * filter; one convolution computes all phases as channels, then one copy interleaves them.
 * Unlike zero-insertion it multiplies no inserted zeros, so it does about s² times less work.
 * Needs equal strides on both axes; returns null otherwise.
 */
export function conv2DBackpropInputSubPixel(args: WasmKernelArgs): TensorInfo | null {
  const { inputs, backend } = args
  const info = backpropInputInfo(args)
  const s = info.strideHeight
  if (info.strideWidth !== s) return null
  const dy = inputs.dy
  const [ho, wo] = [dy.shape[1], dy.shape[2]]
  const { top, left } = info.padInfo
  // Phase rows q0..q1 cover dx rows 0..H-1 shifted by the forward padding.
  const q0h = Math.floor(top / s)
  const qh = Math.floor((top + info.inHeight - 1) / s) - q0h + 1
  const q0w = Math.floor(left / s)
  const qw = Math.floor((left + info.inWidth - 1) / s) - q0w + 1
  const jh = Math.ceil(info.filterHeight / s)
  const jw = Math.ceil(info.filterWidth / s)
  const ph = axisPad(jh - 1 - q0h, qh + q0h - ho)
  const pw = axisPad(jw - 1 - q0w, qw + q0w - wo)
  const temps = new Temporaries(backend)
  try {
    const g = temps.keep(subPixelFilter(backend, inputs.filter, s))
    const d = cropSpatial(backend, temps, dy, ph.cropBefore, ho - ph.cropBefore - ph.cropAfter, pw.cropBefore, wo - pw.cropBefore - pw.cropAfter)
    const z = conv(backend, d, g, explicitPad(ph.before, ph.after, pw.before, pw.after))
    if (s === 1 && top === q0h && left === q0w && z.shape[1] === info.inHeight && z.shape[2] === info.inWidth) {
      return z
    }
    temps.keep(z)
    return interleavePhases(backend, z, s, top - q0h * s, info.inHeight, left - q0w * s, info.inWidth)
  } finally {
    temps.dispose()
  }
}

/**
 * dx of a conv2d by zero-insertion (platform-notes' recipe): dy with s-1 zeros between samples,
 * correlated with the flipped, in/out-swapped filter. Handles unequal strides; kept as the
 * fallback for them and as the benchmark's comparison point.
 */
export function conv2DBackpropInputZeroInsert(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend } = args
  const info = backpropInputInfo(args)
  const [sh, sw] = [info.strideHeight, info.strideWidth]
  const [kh, kw] = [info.filterHeight, info.filterWidth]
  const [n, ho, wo, cout] = inputs.dy.shape
  const temps = new Temporaries(backend)
  try {
    let d = inputs.dy
    if (sh > 1 || sw > 1) {
      const r = temps.keep(callWasmKernel('Reshape', backend, { x: d }, { shape: [n, ho, 1, wo, 1, cout] }))
      const paddings = [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]
      const p = temps.keep(callWasmKernel('PadV2', backend, { x: r }, { paddings, constantValue: 0 }))
      d = temps.keep(callWasmKernel('Reshape', backend, { x: p }, { shape: [n, ho * sh, wo * sw, cout] }))
    }
    // Output row h reads zero-inserted rows h - (k-1-top) .. h + top; the s-1 trailing zero
    // rows of the last sample and anything past the last needed row fold into the padding.
    const ph = axisPad(kh - 1 - info.padInfo.top, info.inHeight + info.padInfo.top - ho * sh)
    const pw = axisPad(kw - 1 - info.padInfo.left, info.inWidth + info.padInfo.left - wo * sw)
    d = cropSpatial(backend, temps, d, ph.cropBefore, d.shape[1] - ph.cropBefore - ph.cropAfter, pw.cropBefore, d.shape[2] - pw.cropBefore - pw.cropAfter)
    const fT = temps.keep(callWasmKernel('Transpose', backend, { x: inputs.filter }, { perm: [0, 1, 3, 2] }))
    const fFlip = temps.keep(callWasmKernel('Reverse', backend, { x: fT }, { dims: [0, 1] }))
    return conv(backend, d, fFlip, explicitPad(ph.before, ph.after, pw.before, pw.after))
  } finally {
    temps.dispose()
  }
}

/** The replacement `Conv2DBackpropInput`: sub-pixel where it applies, else zero-insertion. */
export function conv2DBackpropInput(args: WasmKernelArgs): TensorInfo {
  return conv2DBackpropInputSubPixel(args) ?? conv2DBackpropInputZeroInsert(args)
}
