/**
 * Learning-rate schedule of upstream's trainer (reference 4.3): at the end of epoch e, if
 * e % step == 0 and e > 0, the G, D_img and D_sty rates halve and step doubles. With
 * LR_DECAY_EPOCH = 20 the halvings fall at the ends of epochs 20, 40, 80, 160, ...
 * D_SEG's rate never decays upstream (B8) unless config.decaySegDiscriminatorLr is set.
 */
import type { TrainConfig } from '../../../shared/train-config'

/** Adam learning rate of each network. */
export interface LearningRates {
  g: number
  dImg: number
  dSty: number
  dSeg: number
}

/** Number of halvings applied before epoch `epoch` (0-based) starts. */
export function decaysBeforeEpoch(lrDecayEpoch: number, epoch: number): number {
  let step = lrDecayEpoch
  let halvings = 0
  // Replays upstream's end-of-epoch check for every finished epoch e < epoch.
  for (let e = 1; e < epoch; e++) {
    if (e % step === 0) {
      halvings += 1
      step *= 2
    }
  }
  return halvings
}

/** Rates in force during epoch `epoch` (0-based), e.g. after resuming from a checkpoint. */
export function learningRatesForEpoch(config: TrainConfig, epoch: number): LearningRates {
  const factor = 0.5 ** decaysBeforeEpoch(config.lrDecayEpoch, epoch)
  return {
    g: config.lrG * factor,
    dImg: config.lrD * factor,
    dSty: config.lrD * factor,
    dSeg: config.decaySegDiscriminatorLr ? config.lrD * factor : config.lrD
  }
}
