#!/usr/bin/env python3
"""Export pytorch-fid's InceptionV3 (TF FID weights, 2048-d pool features) to ONNX for the
workbench's FID.

Run once on a machine with internet access (pytorch-fid downloads `pt_inception-2015-12-05`):

    pip install torch torchvision pytorch-fid onnx onnxruntime
    python tools/export_fid_inception.py --out fid_inception_v3.onnx

then give the file to the workbench (Evaluate view, or `cpcsv evaluate --fid-model
fid_inception_v3.onnx [--save-models]`).

This is the network CP-CSV's `fid/fid_score.py` uses (pytorch-fid, final average pool, 2048-d),
exported with `resize_input=False, normalize_input=True`:

    input  'images'   float32 (N, 3, 299, 299) in [0, 1], N dynamic
    output 'features' float32 (N, 2048)

The workbench does the rest of pytorch-fid's preprocessing itself: 8-bit frames -> [-1, 1] ->
[0, 1], bilinear resize 64 -> 299 with align_corners=False. The graph keeps the network's own
2x - 1 rescale.
"""
import argparse

import torch
import torch.nn as nn
from onnx_features import export_features, self_check
from pytorch_fid.inception import InceptionV3


class PoolFeatures(nn.Module):
    """pytorch-fid's InceptionV3 up to the final average pool: (N, 3, 299, 299) -> (N, 2048)."""

    def __init__(self):
        super().__init__()
        block = InceptionV3.BLOCK_INDEX_BY_DIM[2048]
        self.net = InceptionV3([block], resize_input=False, normalize_input=True)

    def forward(self, images):
        return torch.flatten(self.net(images)[0], 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="fid_inception_v3.onnx", help="ONNX file to write")
    ap.add_argument("--opset", type=int, default=13)
    args = ap.parse_args()
    model = PoolFeatures().eval()
    export_features(model, torch.zeros(2, 3, 299, 299), args.out, "images", {0: "N"}, args.opset)
    torch.manual_seed(0)
    self_check(args.out, model, "images", [torch.rand(3, 3, 299, 299)])


if __name__ == "__main__":
    main()
