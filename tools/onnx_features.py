"""Shared by the feature-network export scripts: writes a PyTorch feature extractor to ONNX with
one named input and a 'features' output, then compares onnxruntime against PyTorch."""

import torch


def export_features(model, dummy, out, input_name, dynamic_axes, opset):
    """torch.onnx.export with the workbench's naming: input `input_name`, output 'features'
    (N, D), batch axis dynamic plus the input axes named in `dynamic_axes`."""
    torch.onnx.export(
        model,
        dummy,
        out,
        input_names=[input_name],
        output_names=["features"],
        dynamic_axes={input_name: dynamic_axes, "features": {0: "N"}},
        opset_version=opset,
        do_constant_folding=True,
    )
    print(f"wrote {out}")


def self_check(path, model, input_name, inputs):
    """Runs every tensor of `inputs` through onnxruntime and PyTorch and prints the largest
    difference (skipped without onnxruntime)."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed: skipping the self-check")
        return
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for x in inputs:
        with torch.no_grad():
            expected = model(x).numpy()
        got = session.run(["features"], {input_name: x.numpy()})[0]
        print(f"input {tuple(x.shape)}: features {got.shape}, max |onnx - torch| = {abs(got - expected).max():.2e}")
