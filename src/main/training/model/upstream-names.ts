import type { ModelName } from './params'

/**
 * Upstream CP-CSV `state_dict` keys → this implementation's parameter names (the names in the
 * reference fixture's manifest, which lists both). Prefix rules, longest first; the rest of
 * the key (layer index inside a Sequential, weight / bias / running stats / spectral-norm
 * weight_orig, weight_u, weight_v) is kept as is.
 */
const G_RULES: [string, string][] = [
  ['upsample1_seg', 'seg_up1'], ['upsample2_seg', 'seg_up2'], ['upsample3_seg', 'seg_up3'], ['upsample4_seg', 'seg_up4'],
  ['upsample1', 'img_up1'], ['upsample2', 'img_up2'], ['upsample3', 'img_up3'], ['upsample4', 'img_up4'],
  ['image_net', 'gist_signal'], ['filter_net', 'gist_filter'], ['recurrent', 'noise_gru'], ['mocornn', 'gist_gru'],
  ['img_seg', 'seg_out'], ['fc_seg', 'seg_fc'], ['seg_c1', 'fuse8'], ['seg_c', 'fuse4'], ['ca_net', 'story_encoder'],
  ['c_net', 'gist_init'], ['m_net', 'noise_init'], ['img', 'img_out'], ['fc', 'img_fc']
]
const D_RULES: [string, string][] = [
  ['get_cond_logits.outlogits.3', 'logits.out'],
  ['get_cond_logits.outlogits', 'logits.joint'],
  ['encode_img', 'encoder'],
  ['cate_classify', 'classifier']
]

/** Our name for an upstream key, or null when the key has no counterpart (e.g. num_batches_tracked). */
export function upstreamToName(model: ModelName, upstream: string): string | null {
  const key = upstream.replace(/^module\./, '')
  if (key.endsWith('num_batches_tracked')) return null
  for (const [from, to] of model === 'G' ? G_RULES : D_RULES) {
    if (key === from || key.startsWith(`${from}.`)) return to + key.slice(from.length)
  }
  return null
}
