"""Golden values for `advise --method alphalora`: the AlphaLoRA authors' own code run on a small base.

Writes, into `alphalora/` beside this script:
  base/config.json, base/model.safetensors   a 4-layer LLaMA base (hidden 64, MLP 96, F16
                                             weights), each matrix's entries Student-t with its
                                             own degrees of freedom, so the layers' spectra differ
                                             in how heavy their tails are
  golden.json                                what the authors' `expert_number.py` computes on it

`expert_number.py` is NOT copied here: pass the path of a checkout of the public repository
peijunallin/alphalora and this script imports it and calls its functions (`calculate_expert`
on the model loaded as their `get_llm` loads it, in float16; `exponential_scaling` for the
rounding). The corrected x_min window (0.95 x_peak, where their code compares eigenvalues with
log10(0.95 x_peak)) has no counterpart in their code: `corrected_alpha` below is this script's own
float64 numpy implementation of their fit with that one change.

Run by hand from the repository root with a Python that has torch, transformers, accelerate,
safetensors and numpy (CPU is enough), then commit the outputs:
    /work/venv-torch/bin/python Tests/Fixtures/generate_alphalora_golden.py /path/to/alphalora
Seeded, so a rerun writes the same bytes (checked with torch 2.x, transformers 5.25, numpy 2.x).
"""
import importlib.util, json, sys
from pathlib import Path

import numpy as np
import torch
import transformers  # imported before expert_number.py, whose module body sets HF cache paths
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent / "alphalora"
LAYERS, HIDDEN, MLP, VOCAB, HEADS = 4, 64, 96, 32, 4
SHAPES = [("self_attn", "q_proj", HIDDEN, HIDDEN), ("self_attn", "k_proj", HIDDEN, HIDDEN),
          ("self_attn", "v_proj", HIDDEN, HIDDEN), ("self_attn", "o_proj", HIDDEN, HIDDEN),
          ("mlp", "gate_proj", MLP, HIDDEN), ("mlp", "up_proj", MLP, HIDDEN), ("mlp", "down_proj", HIDDEN, MLP)]


def make_base(rng):
    tensors = {"model.embed_tokens.weight": rng.standard_normal((VOCAB, HIDDEN)) * 0.02,
               "model.norm.weight": np.ones(HIDDEN), "lm_head.weight": rng.standard_normal((VOCAB, HIDDEN)) * 0.02}
    for layer in range(LAYERS):
        tensors[f"model.layers.{layer}.input_layernorm.weight"] = np.ones(HIDDEN)
        tensors[f"model.layers.{layer}.post_attention_layernorm.weight"] = np.ones(HIDDEN)
        for block, name, rows, columns in SHAPES:
            # Heavier tails (small df) in lower layers, lighter higher up, with some spread.
            df = 2.2 + 1.5 * layer + rng.uniform(0, 2)
            tensors[f"model.layers.{layer}.{block}.{name}.weight"] = rng.standard_t(df, (rows, columns)) / np.sqrt(columns)
    HERE.joinpath("base").mkdir(parents=True, exist_ok=True)
    save_file({k: torch.tensor(v, dtype=torch.float16).contiguous() for k, v in sorted(tensors.items())},
              str(HERE / "base" / "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB, "hidden_size": HIDDEN,
              "intermediate_size": MLP, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
              "num_key_value_heads": HEADS, "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu",
              "tie_word_embeddings": False, "max_position_embeddings": 64, "torch_dtype": "float16"}
    (HERE / "base" / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def corrected_alpha(w):
    """Their fit with the window's lower bound 0.95 x_peak, in float64 (this script's own code)."""
    eigs = np.sort(np.linalg.svd(w.astype(np.float64), compute_uv=False) ** 2)
    n_all = len(eigs)
    logs10 = np.log10(eigs)
    counts, edges = np.histogram(logs10, bins=100, range=(logs10.min(), logs10.max()))
    peak = 10 ** edges[int(np.argmax(counts))]
    alphas, distances = np.zeros(n_all - 1), np.ones(n_all - 1)
    for i in range(n_all - 1):
        if eigs[i] < 0.95 * peak:
            continue
        if eigs[i] > 1.5 * peak:
            break
        n = n_all - i
        alphas[i] = 1 + n / (np.log(eigs[i:]).sum() - n * np.log(eigs[i]))
        if alphas[i] > 1:
            distances[i] = np.max(np.abs(1 - (eigs[i:] / eigs[i]) ** (1 - alphas[i]) - np.arange(n) / n))
    return float(alphas[int(np.argmin(distances))])


def main():
    spec = importlib.util.spec_from_file_location("expert_number", Path(sys.argv[1]) / "expert_number.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    torch.manual_seed(25)
    make_base(np.random.default_rng(15))

    model = reference.get_llm(str(HERE / "base"))
    model.eval()
    matrix_alphas = []
    for layer in model.model.layers:
        subset = reference.find_layers(layer)
        matrix_alphas.append({name.split(".")[-1]: float(reference.fix_finger(subset[name].weight.data.float())) for name in subset})
    layer_alphas = reference.calculate_expert(model)
    corrected = [{name.split(".")[-1]: corrected_alpha(subset.weight.data.float().numpy())
                  for name, subset in reference.find_layers(layer).items()} for layer in model.model.layers]

    allocations = [{"total": total, "beta": beta,
                    "experts": [int(x) for x in reference.exponential_scaling(layer_alphas, total, beta)]}
                   for total, beta in [(20, 2.5), (8, 2.5), (13, 1.0), (31, 4.0)]]
    # Their rounding alone, on weights that make its correction loop work.
    rounding_rng = np.random.default_rng(7)
    roundings = []
    for total in (10, 17, 40):
        values = [float(v) for v in rounding_rng.uniform(0.5, 3, size=6)]
        roundings.append({"values": values, "total": total, "beta": 1.0,
                          "experts": [int(x) for x in reference.exponential_scaling(values, total, 1.0)]})
    golden = {"generator": "Tests/Fixtures/generate_alphalora_golden.py", "reference_commit": sys.argv[2] if len(sys.argv) > 2 else None,
              "matrix_alphas": matrix_alphas, "layer_alphas": layer_alphas, "allocations": allocations,
              "roundings": roundings, "corrected_matrix_alphas": corrected}
    (HERE / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    print(json.dumps({"layer_alphas": layer_alphas, "allocations": allocations}, indent=1))


if __name__ == "__main__":
    main()
