"""Golden fixtures for the Swift tests: real MoLA adapter files and their distances.

Writes, into the folder of this script, small adapter directories made with the reference
tools (numpy, safetensors and torch from PyPI), each with `adapter_config.json` as MoLA writes
it and `golden.json`: the adapter's structure and every pairwise expert distance computed
densely in float64 numpy (form dW_i = s * B_i @ A_i, take the Frobenius norm of differences)
from the exact values stored in the file (after F16/BF16 rounding). The Swift tests read
these files and need no Python.

Run by hand from the repository root with any Python that has numpy, safetensors and torch
(from PyPI; CPU is enough), then commit the outputs:
    pip install numpy safetensors torch
    /path/to/python Tests/Fixtures/generate_fixtures.py
Every value comes from seeded generators, so a rerun rewrites the same bytes (checked with
torch 2.15, numpy 2.4, safetensors 0.8).
"""
import collections, itertools, json, shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
ALPHA = 16
ATTENTION = [("self_attn", p) for p in ("q_proj", "k_proj", "v_proj", "o_proj")]
MLP = [("mlp", p) for p in ("gate_proj", "up_proj", "down_proj")]
ORDER = [p for _, p in ATTENTION + MLP]


def widths(projection, hidden, mlp):
    """(d_in, d_out) of a projection."""
    if projection in ("gate_proj", "up_proj"):
        return hidden, mlp
    if projection == "down_proj":
        return mlp, hidden
    return hidden, hidden


def make_adapter(rng, experts, ranks, hidden, mlp, projections, spelling="reference", b_std=0.05):
    """An OrderedDict of float32 tensors in the reference layout."""
    tensors = collections.OrderedDict()
    for layer, (count, rank) in enumerate(zip(experts, ranks)):
        for block, projection in projections:
            d_in, d_out = widths(projection, hidden, mlp)
            prefix = f"base_model.model.model.layers.{layer}.{block}.{projection}"
            bound = 1 / np.sqrt(d_in)
            for e in range(count):
                a = f"lora_A_{e}" if spelling == "reference" else f"lora_A.default_{e}"
                b = f"lora_B_{e}" if spelling == "reference" else f"lora_B.default_{e}"
                tensors[f"{prefix}.{a}.weight"] = torch.tensor(rng.uniform(-bound, bound, (rank, d_in)), dtype=torch.float32)
                tensors[f"{prefix}.{b}.weight"] = torch.tensor(rng.standard_normal((d_out, rank)) * b_std, dtype=torch.float32)
            tensors[f"{prefix}.router.router.weight"] = torch.tensor(rng.uniform(-bound, bound, (count, d_in)), dtype=torch.float32)
    return tensors


def config(ranks, projections):
    return {"peft_type": "LORA", "base_model_name_or_path": "synthetic-tiny", "task_type": "CAUSAL_LM",
            "r": list(ranks), "lora_alpha": ALPHA, "lora_dropout": 0.05,
            "target_modules": [p for _, p in projections], "bias": "none", "inference_mode": True}


def golden(tensors, experts, ranks, dtype_name, file_name):
    """Every pairwise distance by the dense method, from the stored values."""
    def value(name):
        return tensors[name].to(torch.float64).numpy()

    entries, parameters, count = [], 0, 0
    for layer, (e_count, rank) in enumerate(zip(experts, ranks)):
        present = sorted({name.split(".")[6] for name in tensors if f".layers.{layer}." in name and "lora_" in name},
                         key=ORDER.index)
        for projection in present:
            block = "self_attn" if projection in [p for _, p in ATTENTION] else "mlp"
            prefix = f"base_model.model.model.layers.{layer}.{block}.{projection}"
            def find(kind, e):
                for candidate in (f"{prefix}.lora_{kind}_{e}.weight", f"{prefix}.lora_{kind}.default_{e}.weight"):
                    if candidate in tensors:
                        return value(candidate)
                raise KeyError(f"{prefix} {kind} {e}")
            A = [find("A", e) for e in range(e_count)]
            B = [find("B", e) for e in range(e_count)]
            router = value(f"{prefix}.router.router.weight")
            parameters += sum(a.size + b.size for a, b in zip(A, B)) + router.size
            count += 2 * e_count + 1
            s = ALPHA / rank
            dW = [s * b @ a for a, b in zip(A, B)]
            raw = [b @ a for a, b in zip(A, B)]
            pairs = list(itertools.combinations(range(e_count), 2))

            def distances(matrices):
                return [[i, j, float(np.linalg.norm(matrices[i] - matrices[j]))] for i, j in pairs]

            entry = {"layer": layer, "projection": projection, "experts": e_count, "rank": rank,
                     "d_in": A[0].shape[1], "d_out": B[0].shape[0], "scale": s,
                     "delta": distances(dW), "delta_unscaled": distances(raw), "a": distances(A), "b": distances(B)}
            for key in ("delta", "delta_unscaled", "a", "b"):
                entry[key + "_mean"] = float(np.mean([d for _, _, d in entry[key]])) if pairs else None
            entries.append(entry)
    return {"source": "generate_fixtures.py", "file": file_name, "dtype": dtype_name, "alpha": ALPHA,
            "experts_per_layer": list(experts), "ranks_per_layer": list(ranks),
            "adapter_tensor_count": count, "adapter_parameter_count": int(parameters), "projections": entries}


def write(name, tensors, experts, ranks, projections, file_name="adapter_model.safetensors", dtype=torch.float32,
          extra=None, golden_tensors=None):
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stored = collections.OrderedDict((k, v.to(dtype)) for k, v in tensors.items())
    if file_name.endswith(".safetensors"):
        save_file(dict(stored), str(folder / file_name))
    else:
        torch.save(extra(stored) if extra else stored, str(folder / file_name))
    (folder / "adapter_config.json").write_text(json.dumps(config(ranks, projections), indent=2) + "\n")
    dtype_name = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}[dtype]
    result = golden(golden_tensors or stored, experts, ranks, dtype_name, file_name)
    (folder / "golden.json").write_text(json.dumps(result, indent=1) + "\n")
    return folder


def with_views(stored):
    """The same values, but q_proj's A experts share one stacked storage (non-zero offsets)
    and k_proj's B experts are transposed views (strides (1, d_out))."""
    views = collections.OrderedDict()
    for layer in range(4):
        q = f"base_model.model.model.layers.{layer}.self_attn.q_proj"
        names = sorted([n for n in stored if n.startswith(q + ".lora_A_")], key=lambda n: int(n.split("_")[-1].split(".")[0]))
        stacked = torch.cat([stored[n] for n in names]).clone()
        rank = stored[names[0]].shape[0]
        for index, n in enumerate(names):
            views[n] = stacked[index * rank:(index + 1) * rank]
    for name, tensor in stored.items():
        if name in views:
            continue
        if ".k_proj.lora_B_" in name:
            views[name] = tensor.t().contiguous().t()
        else:
            views[name] = tensor
    return collections.OrderedDict((n, views[n]) for n in stored)


def main():
    rng = np.random.default_rng(20240208)
    experts, ranks = [2, 4, 6, 8], [4, 4, 8, 8]
    base = make_adapter(rng, experts, ranks, hidden=32, mlp=48, projections=ATTENTION + MLP)
    write("small-2468-f32", base, experts, ranks, ATTENTION + MLP)
    write("small-2468-f32-bin", base, experts, ranks, ATTENTION + MLP, file_name="adapter_model.bin", extra=with_views)
    for label, dtype in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        write(f"small-2468-{label}", base, experts, ranks, ATTENTION + MLP, dtype=dtype)
        write(f"small-2468-{label}-bin", base, experts, ranks, ATTENTION + MLP, file_name="adapter_model.bin", dtype=dtype)

    # Twelve experts, the trainer spelling, written in text order (0, 1, 10, 11, 2, ...).
    twelve = make_adapter(rng, [12, 3], [2, 2], hidden=16, mlp=16, projections=ATTENTION, spelling="trainer")
    def text_order(name):
        parts = name.split(".")
        return (parts[4], parts[6], parts[7:])
    reordered = collections.OrderedDict(sorted(twelve.items(), key=lambda item: text_order(item[0])))
    write("twelve-experts-bin", reordered, [12, 3], [2, 2], ATTENTION, file_name="adapter_model.bin")

    # A whole-model trainer checkpoint: base weights and the adapter, un-renamed keys.
    adapter = make_adapter(rng, [3, 5], [4, 4], hidden=16, mlp=24, projections=ATTENTION + MLP, spelling="trainer")
    # The base weights come from a generator of their own, so that the fixtures after this one
    # keep their values whatever the base holds.
    base_rng = np.random.default_rng(10)
    def randn(*shape):
        return torch.tensor(base_rng.standard_normal(shape), dtype=torch.float32)
    full = collections.OrderedDict()
    full["base_model.model.model.embed_tokens.weight"] = randn(50, 16)
    for layer in range(2):
        for block, projection in ATTENTION + MLP:
            d_in, d_out = widths(projection, 16, 24)
            full[f"base_model.model.model.layers.{layer}.{block}.{projection}.weight"] = randn(d_out, d_in)
        full[f"base_model.model.model.layers.{layer}.input_layernorm.weight"] = torch.ones(16)
        full[f"base_model.model.model.layers.{layer}.post_attention_layernorm.weight"] = torch.ones(16)
    full["base_model.model.model.norm.weight"] = torch.ones(16)
    full["base_model.model.lm_head.weight"] = randn(50, 16)
    full.update(adapter)
    folder = HERE / "trainer-checkpoint"
    shutil.rmtree(folder, ignore_errors=True)
    write("trainer-checkpoint/checkpoint-10", full, [3, 5], [4, 4], ATTENTION + MLP, file_name="pytorch_model.bin",
          golden_tensors=adapter)

    # Nearly equal experts (1e-4 relative) and an exact duplicate.
    near = make_adapter(rng, [4, 4], [8, 8], hidden=64, mlp=96, projections=ATTENTION)
    for _, projection in ATTENTION:
        prefix = f"base_model.model.model.layers.0.self_attn.{projection}"
        for e in range(1, 4):
            for kind in ("A", "B"):
                source = near[f"{prefix}.lora_{kind}_0.weight"].double().numpy()
                noisy = source * (1 + 1e-4 * rng.standard_normal(source.shape))
                near[f"{prefix}.lora_{kind}_{e}.weight"] = torch.tensor(noisy, dtype=torch.float32)
        prefix = f"base_model.model.model.layers.1.self_attn.{projection}"
        for kind in ("A", "B"):
            near[f"{prefix}.lora_{kind}_3.weight"] = near[f"{prefix}.lora_{kind}_2.weight"].clone()
    write("near-duplicate", near, [4, 4], [8, 8], ATTENTION)

    one = make_adapter(rng, [1], [4], hidden=16, mlp=16, projections=ATTENTION[:1])
    write("one-expert", one, [1], [4], ATTENTION[:1])


if __name__ == "__main__":
    main()
