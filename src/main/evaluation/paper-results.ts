/**
 * Values reported in the literature (reference doc §7), shown as labelled reference rows beside a
 * run's scores. They are not comparable with the workbench's numbers unless the protocol matches:
 * CP-CSV's own FID / FSD use its 64×64 pipeline (FSD without resize, bug B4) on the Pororo-SV
 * test split; the later papers re-evaluated both models with DuCo's protocol and its fine-tuned
 * Inception-v3 character classifier, a different FID (140.24 vs 67.7 for the same model).
 */
import type { PaperResult } from '../../shared/contract'

const PWC = 'paperswithcode "story-visualization-on-pororo" (the CP-CSV README badge); reference doc §7.1'
const MASKGST = 'MaskGST Table 6 (re-evaluated by DuCo / VLC); reference doc §7.2'

/** Reported CP-CSV and StoryGAN results on Pororo-SV. */
export const PAPER_RESULTS: readonly PaperResult[] = [
  {
    model: 'CP-CSV',
    label: 'CP-CSV (paper, CP-CSV protocol)',
    protocol: 'cpcsv',
    fid: 67.7,
    fsd: 71.51,
    charF1: null,
    frameAcc: null,
    source: PWC,
    note: 'Pororo-SV test split; FID listed as 67.7 (possibly 67.76 in the paper); FSD on 64×64 clips without resize.'
  },
  {
    model: 'StoryGAN',
    label: 'StoryGAN (as reported by CP-CSV)',
    protocol: 'cpcsv',
    fid: 77.67,
    fsd: 111.09,
    charF1: null,
    frameAcc: null,
    source: PWC,
    note: 'Pororo-SV, CP-CSV protocol.'
  },
  {
    model: 'CP-CSV',
    label: 'CP-CSV (DuCo re-evaluation)',
    protocol: 'duco',
    fid: 140.24,
    fsd: null,
    charF1: 21.78,
    frameAcc: 10.03,
    source: MASKGST,
    note: "DuCo 'unseen' test split (2,208 stories), DuCo's FID and Inception-v3 character classifier; not comparable with CP-CSV's own FID."
  },
  {
    model: 'StoryGAN',
    label: 'StoryGAN (DuCo re-evaluation)',
    protocol: 'duco',
    fid: 158.06,
    fsd: null,
    charF1: 18.59,
    frameAcc: 9.34,
    source: MASKGST,
    note: "DuCo 'unseen' test split, DuCo's evaluators."
  }
]
