/**
 * Context encoder (reference 3.3): two PyTorch GRU cells run over the frames of a story.
 *
 * - Text2Gist hidden state (`mocornn`, here `gist_gru`): GRU(motion -> cond), initial state
 *   `gist_init`(story code) = Linear(cond -> cond) + BatchNorm1d; input motion_t.
 * - Noise GRU (`recurrent`, here `noise_gru`): GRU(z + motion -> motion), initial state
 *   `noise_init`(N(0, 1)) = Linear(motion -> motion) + BatchNorm1d; input [z_t, motion_t].
 *
 * Outputs are stacked story-major: row b*T + t is story b, frame t (as upstream's view(-1, .)).
 * The input-to-hidden products of all steps are one product before the recurrence (the inputs
 * are known up front); only the hidden-to-hidden product runs step by step.
 */
import * as tf from '@tensorflow/tfjs'
import { BatchNorm, type BatchNormOptions } from './batch-norm'
import { GruCell, Linear } from './layers'
import type { ParamStore } from './params'
import type { RunContext } from './tracer'

/** motion = text + labels (365), condition (124), per-step noise (100). */
export interface ContextEncoderDims {
  motionDim: number
  conditionDim: number
  zDim: number
}

/** Parameters `gist_init.*`, `gist_gru.*`, `noise_init.*`, `noise_gru.*`. */
export class ContextEncoder {
  readonly gistInit: Linear
  readonly gistInitBn: BatchNorm
  readonly gistGru: GruCell
  readonly noiseInit: Linear
  readonly noiseInitBn: BatchNorm
  readonly noiseGru: GruCell

  constructor(store: ParamStore, dims: ContextEncoderDims, bn: BatchNormOptions) {
    const { motionDim, conditionDim, zDim } = dims
    this.gistInit = new Linear(store, 'gist_init.0', conditionDim, conditionDim)
    this.gistInitBn = new BatchNorm(store, 'gist_init.1', conditionDim, bn)
    this.gistGru = new GruCell(store, 'gist_gru', motionDim, conditionDim)
    this.noiseInit = new Linear(store, 'noise_init.0', motionDim, motionDim)
    this.noiseInitBn = new BatchNorm(store, 'noise_init.1', motionDim, bn)
    this.noiseGru = new GruCell(store, 'noise_gru', zDim + motionDim, motionDim)
  }

  /**
   * Text2Gist hidden states. motion: (B, T', motion); storyCode: (B, cond) -> (B*T', cond).
   * Traced: `G.gist_init`, then `G.gist_gru` once per step.
   */
  gist(motion: tf.Tensor3D, storyCode: tf.Tensor2D, ctx: RunContext): tf.Tensor2D {
    return tf.tidy(() => {
      let h = this.gistInitBn.apply(this.gistInit.apply(storyCode), ctx)
      ctx.trace?.record('G.gist_init', h)
      const states: tf.Tensor2D[] = []
      const gates = perStep(this.gistGru.inputGates(timeMajor(motion)), motion.shape[1])
      for (const gi of gates) {
        h = this.gistGru.step(gi, h)
        ctx.trace?.record('G.gist_gru', h)
        states.push(h)
      }
      return storyMajor(states)
    })
  }

  /**
   * Noise GRU states. motion: (B, T', motion); h0: (B, motion) ~ N(0, 1);
   * z: (T', B, zDim) ~ N(0, 1), one draw per step -> (B*T', motion).
   * Traced: `G.noise_init`, then `G.noise_gru` once per step.
   */
  noise(motion: tf.Tensor3D, h0: tf.Tensor2D, z: tf.Tensor3D, ctx: RunContext): tf.Tensor2D {
    return tf.tidy(() => {
      let h = this.noiseInitBn.apply(this.noiseInit.apply(h0), ctx)
      ctx.trace?.record('G.noise_init', h)
      const states: tf.Tensor2D[] = []
      const steps = motion.shape[1]
      const inputs = tf.concat([tf.reshape(z, [steps * motion.shape[0], -1]), timeMajor(motion)], 1) as tf.Tensor2D
      const gates = perStep(this.noiseGru.inputGates(inputs), steps)
      for (const gi of gates) {
        h = this.noiseGru.step(gi, h)
        ctx.trace?.record('G.noise_gru', h)
        states.push(h)
      }
      return storyMajor(states)
    })
  }
}

/** (B, T, D) -> (T*B, D) with row t*B + b: every step's inputs, step-major. */
function timeMajor(x: tf.Tensor3D): tf.Tensor2D {
  const [b, t, d] = x.shape
  return tf.reshape(t === 1 ? x : tf.transpose(x, [1, 0, 2]), [t * b, d])
}

/** Step-major rows (T*B, G) -> T tensors of (B, G). */
function perStep(gates: tf.Tensor2D, steps: number): tf.Tensor2D[] {
  return steps === 1 ? [gates] : tf.split(gates, steps, 0)
}

/** Per-step (B, H) states -> (B*T, H) with row b*T + t. */
function storyMajor(states: tf.Tensor2D[]): tf.Tensor2D {
  if (states.length === 1) return states[0]
  const stacked = tf.stack(states, 1)
  return tf.reshape(stacked, [-1, stacked.shape[2] as number])
}
