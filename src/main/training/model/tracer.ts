/**
 * Records module outputs during a forward pass, for equality checks against the PyTorch dump
 * (`act/<model>.<module>.<call>.npy`). Off in normal training: modules call `trace?.record`.
 */
import * as tf from '@tensorflow/tfjs'

/** Forward-pass context handed down every module call. */
export interface RunContext {
  /** Training mode: BatchNorm uses and updates batch statistics, spectral norm iterates. */
  training: boolean
  /** When set, modules record their outputs here. */
  trace?: Tracer
}

/** Training mode, no tracing. */
export const TRAIN_CONTEXT: RunContext = { training: true }
/** Eval mode (running statistics, no power iteration), no tracing. */
export const EVAL_CONTEXT: RunContext = { training: false }

/**
 * Keeps a copy of every recorded tensor, in PyTorch layout (rank-4 NHWC becomes NCHW), under
 * `<module>.<call index>` or `<module>.<call index>.<output index>` for multi-output modules.
 * Call indices count per module name, matching the dump's numbering.
 */
export class Tracer {
  readonly records = new Map<string, tf.Tensor>()
  private readonly calls = new Map<string, number>()

  record(module: string, output: tf.Tensor | tf.Tensor[]): void {
    const call = this.calls.get(module) ?? 0
    this.calls.set(module, call + 1)
    const outputs = Array.isArray(output) ? output : [output]
    outputs.forEach((t, k) => {
      const name = Array.isArray(output) ? `${module}.${call}.${k}` : `${module}.${call}`
      const copy = tf.tidy(() => (t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t.clone()))
      this.records.get(name)?.dispose()
      this.records.set(name, tf.keep(copy))
    })
  }

  dispose(): void {
    for (const t of this.records.values()) t.dispose()
    this.records.clear()
    this.calls.clear()
  }
}

/**
 * tf.tidy for functions returning objects with tensor fields (some possibly null), which
 * tf.tidy's TensorContainer type does not admit; tidy handles them at run time.
 */
export function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T
}
