"""The bundled example checkpoints (synthetic: random values, not trained).

Writes MoLA adapter directories shaped like a small LLaMA-style model (8 layers, hidden 64,
MLP 128, rank 8, alpha 16, all seven projections) in the reference layout, a random base for
them (tiny-base/: Hugging Face layout, 4 heads, vocabulary 259, the byte-level tokenizer)
and a few instruction examples (sample-data.jsonl), so routing can run on them too:

  mola-tiny-2468/  adapter_model.bin (torch.save), experts 2 2 4 4 6 6 8 8 (MoLA-▽)
  mola-tiny-8888/  adapter_model.safetensors, 8 experts in every layer (uniform 8)
  mola-tiny-5555/  adapter_model.safetensors, 5 experts in every layer (MoLA-□)

A and the routers are kaiming-uniform as at initialisation, B is normal with std 0.02 (as if
training had moved it). The values are random, so the distances they give show no learned
trend: these files demonstrate the tools, they are not a finding.

Run by hand from the repository root: pip install numpy torch safetensors &&
python3 examples/make_examples.py
"""
import collections, json, shutil
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
HIDDEN, MLP, RANK, ALPHA, LAYERS = 64, 128, 8, 16, 8
PROJECTIONS = [("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"), ("self_attn", "o_proj"),
               ("mlp", "gate_proj"), ("mlp", "up_proj"), ("mlp", "down_proj")]


def widths(projection):
    return {"gate_proj": (HIDDEN, MLP), "up_proj": (HIDDEN, MLP), "down_proj": (MLP, HIDDEN)}.get(projection, (HIDDEN, HIDDEN))


def adapter(experts, seed):
    rng = np.random.default_rng(seed)
    tensors = collections.OrderedDict()
    for layer, count in enumerate(experts):
        for block, projection in PROJECTIONS:
            d_in, d_out = widths(projection)
            bound = 1 / np.sqrt(d_in)
            prefix = f"base_model.model.model.layers.{layer}.{block}.{projection}"
            for e in range(count):
                tensors[f"{prefix}.lora_A_{e}.weight"] = torch.tensor(rng.uniform(-bound, bound, (RANK, d_in)), dtype=torch.float32)
                tensors[f"{prefix}.lora_B_{e}.weight"] = torch.tensor(rng.standard_normal((d_out, RANK)) * 0.02, dtype=torch.float32)
            tensors[f"{prefix}.router.router.weight"] = torch.tensor(rng.uniform(-bound, bound, (count, d_in)), dtype=torch.float32)
    return tensors


def write(name, experts, seed, file_name):
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    tensors = adapter(experts, seed)
    if file_name.endswith(".bin"):
        torch.save(tensors, folder / file_name)
    else:
        save_file(dict(tensors), str(folder / file_name))
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "base_model_name_or_path": "synthetic-tiny-llama", "task_type": "CAUSAL_LM",
        "r": [RANK] * LAYERS, "lora_alpha": ALPHA, "lora_dropout": 0.05,
        "target_modules": [p for _, p in PROJECTIONS], "bias": "none", "inference_mode": True}, indent=2) + "\n")


def write_base():
    """A random base for the adapters: Hugging Face LLaMA layout, the byte-level tokenizer."""
    folder = HERE / "tiny-base"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    rng = np.random.default_rng(259)
    vocab, heads, kv_heads = 259, 4, 4
    tensors = {"model.embed_tokens.weight": rng.standard_normal((vocab, HIDDEN)) * 0.5}
    for layer in range(LAYERS):
        tensors[f"model.layers.{layer}.input_layernorm.weight"] = np.ones(HIDDEN)
        tensors[f"model.layers.{layer}.post_attention_layernorm.weight"] = np.ones(HIDDEN)
        for block, projection in PROJECTIONS:
            d_in, d_out = widths(projection)
            if projection in ("k_proj", "v_proj"):
                d_out = kv_heads * HIDDEN // heads
            tensors[f"model.layers.{layer}.{block}.{projection}.weight"] = rng.standard_normal((d_out, d_in)) / np.sqrt(d_in)
    tensors["model.norm.weight"] = np.ones(HIDDEN)
    tensors["lm_head.weight"] = rng.standard_normal((vocab, HIDDEN)) / np.sqrt(HIDDEN)
    save_file({k: torch.tensor(v, dtype=torch.float32) for k, v in tensors.items()}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab, "hidden_size": HIDDEN,
        "intermediate_size": MLP, "num_hidden_layers": LAYERS, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": False,
        "max_position_embeddings": 256}, indent=2) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "MoLAByteTokenizer"}) + "\n")


def write_data():
    """A few instruction examples in the reference layout (JSONL)."""
    rng = np.random.default_rng(7)
    lines = []
    for index in range(24):
        a, b = int(rng.integers(0, 50)), int(rng.integers(0, 50))
        word = "".join(chr(ord("a") + int(c)) for c in rng.integers(0, 26, 5))
        examples = [
            {"instruction": "Add the two numbers.", "input": f"{a} + {b}", "output": f"{a + b}"},
            {"instruction": "Reverse the word.", "input": word, "output": word[::-1]},
            {"instruction": "Sort the letters.", "input": word, "output": "".join(sorted(word))},
        ]
        lines.append(json.dumps(examples[index % 3]))
    (HERE / "sample-data.jsonl").write_text("\n".join(lines) + "\n")


write_base()
write_data()
write("mola-tiny-2468", [2, 2, 4, 4, 6, 6, 8, 8], 2468, "adapter_model.bin")
write("mola-tiny-8888", [8] * LAYERS, 8888, "adapter_model.safetensors")
write("mola-tiny-5555", [5] * LAYERS, 5555, "adapter_model.safetensors")
