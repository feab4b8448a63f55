#!/usr/bin/env python3
"""Export torchvision's R(2+1)D-18 (Kinetics-400) trunk to ONNX for the workbench's FSD.

Run once on a machine with internet access (the weights are downloaded by torchvision):

    pip install torch torchvision onnx onnxruntime
    python tools/export_r2p1d18.py --out r2p1d18_kinetics.onnx

then give the file to the workbench (Evaluate view, or `cpcsv evaluate --fsd-model
r2p1d18_kinetics.onnx [--save-models]`).

The network is what CP-CSV's `fid/residual2p1.py` uses: `r2plus1d_18(pretrained=True)` truncated
after the global average pool (stem, layer1-4, AdaptiveAvgPool3d(1), no fc), features flattened
to 512 per clip.

    input  'clips'    float32 (N, 3, T, H, W), N, T, H and W dynamic
    output 'features' float32 (N, 512)

Dynamic T, H and W let one file serve both FSD modes of the workbench: the default (frames
resized to 112x112, Kinetics mean/std) and the reference-compatible `--fsd-compat` (64x64 clips in
[-1, 1], no resize: what upstream effectively computed, bug B4). Preprocessing happens in the
workbench, not in the graph.
"""
import argparse

import torch
import torch.nn as nn
from onnx_features import export_features, self_check
import torchvision


class Trunk(nn.Module):
    """R(2+1)D-18 without its classifier: (N, 3, T, H, W) -> (N, 512)."""

    def __init__(self, net):
        super().__init__()
        self.body = nn.Sequential(*list(net.children())[:-1])  # stem, layer1-4, avgpool

    def forward(self, clips):
        return torch.flatten(self.body(clips), 1)


def load_pretrained():
    video = torchvision.models.video
    try:  # torchvision >= 0.13
        return video.r2plus1d_18(weights=video.R2Plus1D_18_Weights.KINETICS400_V1)
    except AttributeError:  # older torchvision
        return video.r2plus1d_18(pretrained=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="r2p1d18_kinetics.onnx", help="ONNX file to write")
    ap.add_argument("--opset", type=int, default=13)
    args = ap.parse_args()
    trunk = Trunk(load_pretrained()).eval()
    dynamic = {0: "N", 2: "T", 3: "H", 4: "W"}
    export_features(trunk, torch.zeros(2, 3, 5, 112, 112), args.out, "clips", dynamic, args.opset)
    torch.manual_seed(0)
    shapes = [(2, 3, 5, 112, 112), (2, 3, 5, 64, 64), (1, 3, 4, 64, 64)]
    self_check(args.out, trunk, "clips", [torch.rand(shape) * 2 - 1 for shape in shapes])

if __name__ == "__main__":
    main()
