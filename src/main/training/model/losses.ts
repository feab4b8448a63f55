/**
 * CP-CSV losses (reference 4.1 / 4.2, upstream miscc/utils.py).
 *
 * Discriminator: real = BCE(D(x, c), 1), fake = BCE(D(G(.), c), 0), wrong = BCE(D(x[:-1], c[1:]), 0)
 * (each real sample with the next sample's condition); L_D = real + (fake + wrong) / 2, plus
 * MultiLabelSoftMargin(class head on REAL features, labels) for D_IMG and D_SEG.
 * Generator, per discriminator: BCE(D(G(.), c), 1) plus MultiLabelSoftMargin(class head on FAKE
 * features, labels) for D_IMG and D_SEG. Conditions reach D as constants (detached upstream).
 * Order consistency (D_STY with a VideoEncoder): L_D adds ratio * BCEWithLogits(VE(shuffled real
 * stories), shuffled?) and the generator adds ratio * MSE(VE(fake), VE(real)), VE(real) a constant.
 *
 * Per-frame weights (figure-ground masks): frames without a hand-labelled mask must contribute
 * no mask loss. With weights w (N,) every per-frame term t_i of a mask loss becomes the weighted
 * mean sum_i w_i t_i / sum_i w_i: the real, wrong (weight of the real mask, w[:-1]), fake and
 * class terms of D_SEG, and the adversarial and class terms of the generator's D_SEG loss. A frame
 * of weight 0 thus adds nothing to any mask loss or gradient, and a batch with no masks at all
 * gives zero. With all weights 1 this is exactly the unweighted mean (sum of ones = N).
 * Weight-0 frames still pass through D_SEG's encoder with the rest of the batch, so their
 * placeholder masks still shift that call's BatchNorm batch statistics (not its loss).
 */
import * as tf from '@tensorflow/tfjs'
import type { Discriminator } from './discriminators'
import type { RunContext } from './tracer'

/** PyTorch clamps log terms of BCELoss at -100. */
const LOG_CLAMP = -100
/** sum(w) floor: keeps sum(w * l) / sum(w) finite (and 0) when every weight is 0. */
const WEIGHT_FLOOR = 1e-6

/** Mean of per-sample losses l (N,), or their w-weighted mean when w (N,) is given. */
export function weightedMean(l: tf.Tensor1D, w?: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    if (!w) return tf.mean(l) as tf.Scalar
    return tf.div(tf.sum(tf.mul(l, w)), tf.maximum(tf.sum(w), WEIGHT_FLOOR)) as tf.Scalar
  })
}

/** nn.BCELoss on probabilities p (N,) against a constant target 0 or 1; logs clamped at -100. */
export function bceLoss(p: tf.Tensor1D, target: 0 | 1, w?: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const q = target === 1 ? p : tf.sub(1, p)
    return weightedMean(tf.neg(tf.maximum(tf.log(q), LOG_CLAMP)) as tf.Tensor1D, w)
  })
}

/** nn.BCEWithLogitsLoss (mean): max(x, 0) - x*y + log(1 + exp(-|x|)). */
export function bceWithLogits(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const x = logits
    const terms = tf.add(tf.sub(tf.relu(x), tf.mul(x, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))))
    return tf.mean(terms) as tf.Scalar
  })
}

/**
 * nn.MultiLabelSoftMarginLoss: per sample, the mean over classes of the sigmoid cross-entropy;
 * then the (weighted) mean over samples. logits, labels: (N, L), labels in {0, 1}.
 */
export function multiLabelSoftMarginLoss(logits: tf.Tensor2D, labels: tf.Tensor2D, w?: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    // log sigmoid(x) = -softplus(-x). Not tf.logSigmoid: its custom gradient closes over its
    // input instead of saving it, so it fails once an inner tidy has freed that input.
    const pos = tf.mul(labels, tf.neg(tf.softplus(tf.neg(logits))))
    const neg = tf.mul(tf.sub(1, labels), tf.neg(tf.softplus(logits)))
    const perSample = tf.div(tf.neg(tf.sum(tf.add(pos, neg), 1)), logits.shape[1])
    return weightedMean(perSample as tf.Tensor1D, w)
  })
}

/** L_D and its terms (scalars). */
export interface DiscriminatorLoss {
  total: tf.Scalar
  real: tf.Scalar
  wrong: tf.Scalar
  fake: tf.Scalar
  /** Class-head loss on real features; 0 for D_STY. */
  classification: tf.Scalar
  /** Order-consistency BCE (unweighted); 0 without a VideoEncoder. */
  consistency: tf.Scalar
}

/** The shuffled real stories of an order-consistency term, their labels, and its weight. */
export interface OrderInput {
  input: tf.Tensor5D
  labels: tf.Tensor1D
  ratio: number
}

/** Inputs of one discriminator loss. Images NHWC in [-1, 1] (stories (B, T, 64, 64, 3)). */
export interface DiscriminatorLossInput {
  real: tf.Tensor
  fake: tf.Tensor
  /** (N, condDim), constant (no gradient wanted through it). */
  cond: tf.Tensor2D
  /** (N, labels) for discriminators with a class head. */
  labels: tf.Tensor2D | null
  /** (N,) per-frame weights (D_SEG), or null. */
  weight: tf.Tensor1D | null
  /** Order-consistency input (D_STY with a VideoEncoder), or null / absent. */
  order?: OrderInput | null
}

function sliceRows<T extends tf.Tensor>(x: T, start: number, count: number): T {
  return tf.slice(x, [start], [count]) as T
}

/**
 * L_D of one discriminator. Call order (encoder real, fake; logits real, wrong, fake; class head
 * real) matches upstream, which matters for BatchNorm and spectral-norm state (reference 11.5).
 */
export function discriminatorLoss(d: Discriminator, input: DiscriminatorLossInput, ctx: RunContext): DiscriminatorLoss {
  return tf.tidy(() => {
    const { cond, labels, weight } = input
    const n = cond.shape[0]
    const realF = d.features(input.real, ctx)
    const fakeF = d.features(input.fake, ctx)
    const realP = d.logits(realF, cond, ctx)
    const wrongP = d.logits(sliceRows(realF, 0, n - 1), sliceRows(cond, 1, n - 1), ctx)
    const fakeP = d.logits(fakeF, cond, ctx)
    const real = bceLoss(realP, 1, weight)
    const wrong = bceLoss(wrongP, 0, weight ? sliceRows(weight, 0, n - 1) : null)
    const fake = bceLoss(fakeP, 0, weight)
    let total = tf.add(real, tf.mul(tf.add(fake, wrong), 0.5)) as tf.Scalar
    let classification = tf.scalar(0)
    const classLogits = d.classify(realF, ctx)
    if (classLogits && labels) {
      classification = multiLabelSoftMarginLoss(classLogits, labels, weight)
      total = tf.add(total, classification)
    }
    let consistency = tf.scalar(0)
    const orderLogits = input.order ? d.orderLogits(input.order.input, ctx) : null
    if (orderLogits && input.order) {
      consistency = bceWithLogits(orderLogits, input.order.labels)
      total = tf.add(total, tf.mul(consistency, input.order.ratio))
    }
    return { total, real, wrong, fake, classification, consistency }
  })
}

/** The generator's loss against one discriminator (scalars). */
export interface GeneratorLoss {
  /** adversarial + classification. */
  total: tf.Scalar
  adversarial: tf.Scalar
  classification: tf.Scalar
  /** MSE between VideoEncoder logits of fake and real stories (unweighted); 0 without one. */
  consistency: tf.Scalar
}

/** Real stories for the generator's order-consistency term, and its weight. */
export interface OrderMatch {
  real: tf.Tensor5D
  ratio: number
}

/** The generator's loss against one discriminator (fake features, condition, class head). */
export function generatorLoss(
  d: Discriminator, fake: tf.Tensor, cond: tf.Tensor2D, labels: tf.Tensor2D | null,
  weight: tf.Tensor1D | null, ctx: RunContext, order: OrderMatch | null = null
): GeneratorLoss {
  return tf.tidy(() => {
    const fakeF = d.features(fake, ctx)
    const adversarial = bceLoss(d.logits(fakeF, cond, ctx), 1, weight)
    let total = adversarial
    let classification = tf.scalar(0)
    const classLogits = d.classify(fakeF, ctx)
    if (classLogits && labels) {
      classification = multiLabelSoftMarginLoss(classLogits, labels, weight)
      total = tf.add(total, classification)
    }
    let consistency = tf.scalar(0)
    // Real first, then fake: upstream's call order (BatchNorm and spectral-norm state).
    const realOrder = order ? d.orderLogits(order.real, ctx) : null
    if (realOrder && order) {
      const fakeOrder = d.orderLogits(fake as tf.Tensor5D, ctx) as tf.Tensor1D
      consistency = tf.mean(tf.squaredDifference(fakeOrder, realOrder)) as tf.Scalar
      total = tf.add(total, tf.mul(consistency, order.ratio))
    }
    return { total, adversarial, classification, consistency }
  })
}
