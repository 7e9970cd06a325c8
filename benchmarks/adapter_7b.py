"""The LLaMA-2-7B-shaped MoLA adapter the 7B benchmarks share (redundancy_7b.py, analysis_7b.py).

32 layers, d 4096, MLP 11008, r 8, alpha 16, all seven projections, allocation 2468 (experts
2, 4, 6, 8 over groups of 8 layers): F32 safetensors, about 423 MB, 2,464 tensors, seed 0,
written once under benchmarks/work/llama2-7b-2468/ with numpy alone (a safetensors file is an
8-byte header length, a JSON header and the raw bytes).
"""
import json, struct, sys
from pathlib import Path

import numpy as np

WORK = Path(__file__).resolve().parent / "work" / "llama2-7b-2468"
LAYERS, D, MLP, R, ALPHA = 32, 4096, 11008, 8, 16
EXPERTS = [2] * 8 + [4] * 8 + [6] * 8 + [8] * 8
PROJECTIONS = [("self_attn", "q_proj", D, D), ("self_attn", "k_proj", D, D), ("self_attn", "v_proj", D, D),
               ("self_attn", "o_proj", D, D), ("mlp", "gate_proj", D, MLP), ("mlp", "up_proj", D, MLP),
               ("mlp", "down_proj", MLP, D)]


def name(layer, block, projection, suffix):
    return f"base_model.model.model.layers.{layer}.{block}.{projection}.{suffix}"


def write_safetensors(tensors, path):
    header, offset = {}, 0
    for key, value in tensors.items():
        header[key] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + value.nbytes]}
        offset += value.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text)
        for value in tensors.values():
            file.write(np.ascontiguousarray(value, dtype="<f4").tobytes())


def generate():
    """The adapter's tensor file, written the first time (the draws are fixed by seed 0)."""
    path = WORK / "adapter_model.safetensors"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    print("generating the 7B-shaped adapter once (about 423 MB)...", file=sys.stderr)
    rng = np.random.default_rng(0)
    tensors = {}
    for layer, experts in enumerate(EXPERTS):
        for block, projection, d_in, d_out in PROJECTIONS:
            bound = 1 / np.sqrt(d_in)
            for e in range(experts):
                tensors[name(layer, block, projection, f"lora_A_{e}.weight")] = rng.uniform(-bound, bound, (R, d_in)).astype(np.float32)
                tensors[name(layer, block, projection, f"lora_B_{e}.weight")] = (rng.standard_normal((d_out, R)) * 0.01).astype(np.float32)
            tensors[name(layer, block, projection, "router.router.weight")] = rng.uniform(-bound, bound, (experts, d_in)).astype(np.float32)
    write_safetensors(tensors, path)
    (WORK / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": [R] * LAYERS, "lora_alpha": ALPHA, "lora_dropout": 0.05,
        "target_modules": [p for _, p, _, _ in PROJECTIONS], "base_model_name_or_path": "synthetic-llama-2-7b-shape"}))
    return path
