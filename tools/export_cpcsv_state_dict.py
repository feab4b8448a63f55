#!/usr/bin/env python3
"""Export upstream CP-CSV PyTorch checkpoints for `cpcsv import-weights`.

Run on any machine with PyTorch (no network needed):

    python tools/export_cpcsv_state_dict.py --netG output/final/Model/netG_epoch_120.pth \
        [--netD-img netD_im_epoch_last.pth] [--netD-sty netD_st_epoch_last.pth] \
        [--netD-seg netD_se_epoch_last.pth] --preset paper --out cpcsv-export/

It writes `manifest.json` (config + a table of every tensor: model, upstream key, PyTorch shape,
byte offset, count) and `weights_before.bin` (little-endian float32, C order), the layout of the
workbench's reference dumps. The workbench maps upstream keys to its own names and layouts
(OIHW -> HWIO, Linear (out, in) -> (in, out), GRU gates r, z, n, spectral-norm
weight_orig / weight_u / weight_v, BatchNorm running statistics).
"""
import argparse
import json
import os

import numpy as np
import torch

PRESETS = {
    # Sizes of the upstream configs (reference doc section 1); the workbench checks them again.
    "paper": dict(name="paper", video_len=5, image_size=64, text_dim=356, label_num=9, condition_dim=124,
                  z_dim=100, gf_dim=256, gf_seg_dim=1024, df_dim=124, gist_len=124, gist_channels=3,
                  gist_kernel=21, segment_learning=True, fix_story_code_order=False),
    "clevr": dict(name="clevr", video_len=4, image_size=64, text_dim=75, label_num=15, condition_dim=75,
                  z_dim=100, gf_dim=192, gf_seg_dim=1024, df_dim=96, gist_len=124, gist_channels=3,
                  gist_kernel=21, segment_learning=True, fix_story_code_order=False),
}


def load_state(path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    return obj


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--netG", required=True)
    ap.add_argument("--netD-img")
    ap.add_argument("--netD-sty")
    ap.add_argument("--netD-seg")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    entries, offset = [], 0
    with open(os.path.join(args.out, "weights_before.bin"), "wb") as blob:
        for model, path in [("G", args.netG), ("D_img", args.netD_img), ("D_sty", args.netD_sty), ("D_seg", args.netD_seg)]:
            if not path:
                continue
            for key, tensor in load_state(path).items():
                if key.endswith("num_batches_tracked"):
                    continue
                data = tensor.detach().cpu().float().numpy().astype("<f4", copy=False)
                blob.write(np.ascontiguousarray(data).tobytes())
                entries.append(dict(model=model, upstream=key, shape=list(data.shape), offset=offset, count=int(data.size)))
                offset += data.size * 4
    manifest = dict(config=PRESETS[args.preset], losses={}, weights=entries, grads=[], activations=[],
                    notes=["exported by tools/export_cpcsv_state_dict.py from upstream CP-CSV checkpoints"])
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {len(entries)} tensors ({offset / 2**20:.1f} MiB) to {args.out}")


if __name__ == "__main__":
    main()
