/**
 * Backpropagation that frees memory as it goes.
 *
 * TF.js's `engine.gradients` (behind tf.grads, tf.valueAndGrads and tf.variableGrads) keeps every
 * intermediate gradient and every tensor saved for the backward pass until the whole backward
 * pass is over, so its peak holds all activations of the forward pass plus a gradient for each.
 * A CP-CSV `small` step peaked at about 400 MB of wasm heap that way. This is the same algorithm
 * (the same tape filtering, the same order of gradient calls and additions, so the same values)
 * with two frees added: once a tape node's gradient has been computed, the gradients of its
 * outputs and the tensors it saved are released, since no other node reads them. Higher-order
 * gradients (a gradient inside a gradient) keep TF.js's behaviour: frees happen only at depth 0,
 * where TF.js itself disposes the saved tensors at the end.
 *
 * Installed on the engine once by `installEagerBackprop` (backend.ts calls it for every backend),
 * with a cheaper way to save tensors for the backward pass (saveForBackward).
 */
import * as tf from '@tensorflow/tfjs'

/** The parts of TF.js's (internal) tape node this module reads. */
interface TapeNode {
  id: number
  kernelName: string
  outputs: tf.Tensor[]
  inputs: Record<string, tf.Tensor>
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>
  saved?: tf.Tensor[]
}

/** The parts of a backend `saveForBackward` uses. */
interface SharingBackend {
  incRef(dataId: object): void
}

/** The engine state and methods `gradients` uses (internal TF.js API, pinned by package.json). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number; tensorInfo: Map<object, { backend: SharingBackend }> }
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[]
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend: SharingBackend): tf.Tensor
  keep<T extends tf.Tensor>(t: T): T
  clone<T extends tf.Tensor>(t: T): T
  /** Initialised backends by name. */
  registry: Record<string, object | undefined>
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T
  startTape(): void
  endTape(): void
  tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T
  gradients: GradientsFn
}

type GradientsFn = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => { value: tf.Tensor; grads: tf.Tensor[] }

/**
 * The tape nodes on a path from some x to y, in tape order, each with only the inputs that
 * depend on an x (TF.js's getFilteredNodesXToY).
 */
export function filterTape(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id))
  const nodesFromX = new Set<number>()
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name].id)) {
        for (const output of node.outputs) fromX.add(output.id)
        nodesFromX.add(node.id)
        break
      }
    }
  }
  const leadToY = new Set<number>([y.id])
  const nodesToY = new Set<number>()
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]
    if (node.outputs.some((output) => leadToY.has(output.id))) {
      for (const name in node.inputs) {
        leadToY.add(node.inputs[name].id)
        nodesToY.add(node.id)
      }
    }
  }
  const filtered: TapeNode[] = []
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue
    const inputs: Record<string, tf.Tensor> = {}
    for (const name in node.inputs) if (fromX.has(node.inputs[name].id)) inputs[name] = node.inputs[name]
    filtered.push({ ...node, inputs, outputs: node.outputs })
  }
  return filtered
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

/**
 * Walks `tape` backwards from `grads[y.id]`, accumulating input gradients (TF.js's
 * backpropagateGradients). With `free`, each node's output gradients (except those of
 * `keep`) and its saved tensors are disposed right after its gradient has been computed.
 */
export function backpropagate(grads: Map<number, tf.Tensor>, tape: TapeNode[], keep: Set<number>, free: boolean): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null)
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`)
    const inputGradients = node.gradient(dys)
    const produced = new Set<tf.Tensor>()
    for (const name in node.inputs) {
      if (!(name in inputGradients)) {
        throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`)
      }
      const dx = tf.tidy(() => inputGradients[name]())
      if (dx.dtype !== 'float32') {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`)
      }
      const x = node.inputs[name]
      if (!sameShape(dx.shape, x.shape)) {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`)
      }
      const current = grads.get(x.id)
      if (current == null) {
        grads.set(x.id, dx)
        produced.add(dx)
      } else {
        const sum = tf.add(current, dx)
        grads.set(x.id, sum)
        produced.add(sum)
        current.dispose()
      }
    }
    if (!free) continue
    for (const output of node.outputs) {
      const dy = grads.get(output.id)
      if (dy == null || keep.has(output.id) || produced.has(dy)) continue
      grads.delete(output.id)
      dy.dispose()
    }
    for (const tensor of node.saved ?? []) tensor.dispose()
  }
}

let installed = false

/**
 * The tensors an op saves for its gradient, as new handles on the same data. TF.js clones each
 * through the Identity kernel (about 1700 kernel calls per `tiny` step, each also adding a tape
 * node); on the wasm and cpu backends, whose Identity only raises the data's reference count,
 * this does the same directly.
 */
function saveForBackward(engine: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
  const sharing = [engine.registry.wasm, engine.registry.cpu]
  // Inside a gradient of a gradient the clone's own tape node links the saved tensor to its
  // source, which the outer gradient needs: keep TF.js's clone there.
  const nested = engine.state.gradientDepth > 1
  return tensors.map((t) => {
    const backend = engine.state.tensorInfo.get(t.dataId)?.backend
    if (nested || backend == null || t.dtype === 'string' || !sharing.includes(backend)) return engine.keep(engine.clone(t))
    backend.incRef(t.dataId)
    return engine.keep(engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }, backend))
  })
}

/** Replaces the engine's `gradients` with the freeing version, and its saving of tensors for backward (idempotent). */
export function installEagerBackprop(): void {
  if (installed) return
  installed = true
  const engine = tf.engine() as unknown as EngineInternals
  engine.saveTensorsForBackwardMode = (tensors) => saveForBackward(engine, tensors)
  engine.gradients = function gradients(this: EngineInternals, f, xs, dy, allowNoGradients = false) {
    if (xs.length === 0) throw new Error('gradients() received an empty list of xs.')
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`)
    const y = this.scopedRun(() => this.startTape(), () => this.endTape(), () => this.tidy('forward', f))
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.')
    const tape = this.state.activeTape ?? []
    const filtered = filterTape(tape, xs, y)
    if (!allowNoGradients && filtered.length === 0 && xs.length > 0) {
      throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.')
    }
    return this.tidy('backward', () => {
      const grads = new Map<number, tf.Tensor>([[y.id, dy ?? tf.ones(y.shape)]])
      const depthZero = this.state.gradientDepth === 0
      // Gradients handed back to the caller, and the caller's own dy, are never freed early.
      const keep = new Set<number>([...xs.map((x) => x.id), ...(dy != null ? [y.id] : [])])
      backpropagate(grads, filtered, keep, depthZero)
      const result = xs.map((x) => grads.get(x.id) as tf.Tensor)
      if (depthZero) {
        for (const node of tape) for (const tensor of node.saved ?? []) tensor.dispose()
        this.state.activeTape = null
      }
      return { value: y, grads: result }
    })
  }
}
