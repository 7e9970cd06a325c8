"""Checks files written by this project with the reference tools: safetensors and torch.load.

Usage (pip install torch safetensors), run by hand:
    python3 Tests/Fixtures/check_written_checkpoints.py FILE.safetensors FILE.bin [...]

Every .safetensors is loaded with safetensors.torch.load_file, every .bin with
torch.load(weights_only=True) (the ZIP's CRCs are checked with zipfile too); when both kinds
are given, tensors with the same name must be equal. Prints each tensor's name and shape.
"""
import sys, zipfile

import torch
from safetensors.torch import load_file


def main(paths):
    loaded = {}
    for path in paths:
        if path.endswith(".safetensors"):
            tensors = load_file(path)
        else:
            bad = zipfile.ZipFile(path).testzip()
            if bad is not None:
                sys.exit(f"{path}: bad CRC in record {bad}")
            tensors = torch.load(path, weights_only=True)
        for name, tensor in tensors.items():
            print(f"{path}: {name} {tuple(tensor.shape)} {tensor.dtype}")
            if name in loaded and not torch.equal(loaded[name], tensor):
                sys.exit(f"{name} differs between files")
            loaded[name] = tensor
    print(f"ok: {len(loaded)} tensors")


main(sys.argv[1:])
