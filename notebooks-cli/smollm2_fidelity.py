"""Fidelity of `mola-inspect score` on SmolLM2 against an exact float64 forward.

The reference: numpy in float64 over the weights the `gguf` package dequantizes from the GGUF,
run the way llama.cpp defines the graph (q and k kept in the GGUF's row order and rotated with
the interleaved convention, so the Swift loader's un-permutation to Hugging Face's order is
checked, not shared). For every position of a text, the top 10 tokens that `score --top 10`
lists must carry the reference's log-probabilities to within 1e-3, and be the reference's top 10
(ties within 1e-3 aside); the script prints the largest difference and exits 1 beyond it.

Usage (pip install numpy gguf; build first):
    python3 notebooks-cli/smollm2_fidelity.py GGUF [--binary .build/release/mola-inspect] [--text T]
"""
import argparse, json, subprocess, sys
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

DEFAULT_TEXT = ("The mitochondria is the powerhouse of the cell. In 1969, Apollo 11 landed on the Moon; "
                "Neil Armstrong said: \"That's one small step for man.\" def f(x): return x ** 2  # café, 東京, 🙂")


def weights(reader):
    out = {}
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type).astype(np.float64)
        out[tensor.name] = values.reshape([int(d) for d in reversed(tensor.shape)]) if values.ndim == 1 and len(tensor.shape) > 1 else values
    return out


def field(reader, key):
    return reader.fields[key].contents()


def rms_norm(x, weight, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * weight


def rope_interleaved(x, positions, base):
    # x: [T, heads, D]; pairs (2i, 2i+1) rotate by position * base^(-2i/D) (llama.cpp, rope mode 0).
    d = x.shape[-1]
    angles = positions[:, None] * base ** (-np.arange(0, d, 2) / d)
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def forward(reader, w, ids):
    layers = field(reader, "llama.block_count")
    heads, kv_heads = field(reader, "llama.attention.head_count"), field(reader, "llama.attention.head_count_kv")
    eps, base = field(reader, "llama.attention.layer_norm_rms_epsilon"), field(reader, "llama.rope.freq_base")
    x = w["token_embd.weight"][ids]
    t, c = x.shape
    d = c // heads
    positions = np.arange(t, dtype=np.float64)
    mask = np.triu(np.full((t, t), -np.inf), 1)
    for l in range(layers):
        p = lambda name: w[f"blk.{l}.{name}.weight"]
        h = rms_norm(x, p("attn_norm"), eps)
        q = rope_interleaved((h @ p("attn_q").T).reshape(t, heads, d), positions, base)
        k = rope_interleaved((h @ p("attn_k").T).reshape(t, kv_heads, d), positions, base)
        v = (h @ p("attn_v").T).reshape(t, kv_heads, d)
        group = heads // kv_heads
        k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(d) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        x = x + np.einsum("hts,shd->thd", scores, v).reshape(t, c) @ p("attn_output").T
        h = rms_norm(x, p("ffn_norm"), eps)
        gate = h @ p("ffn_gate").T
        x = x + ((gate / (1 + np.exp(-gate))) * (h @ p("ffn_up").T)) @ p("ffn_down").T
    x = rms_norm(x, w["output_norm.weight"], eps)
    logits = x @ w.get("output.weight", w["token_embd.weight"]).T
    return logits - (np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True)) + logits.max(-1, keepdims=True))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gguf")
    parser.add_argument("--binary", default=".build/release/mola-inspect")
    parser.add_argument("--text", default=DEFAULT_TEXT)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args()
    scored = json.loads(subprocess.run([args.binary, "score", "--base", args.gguf, "--text", args.text, "--top", "10", "--json"],
                                       check=True, capture_output=True, text=True).stdout)[0]
    ids = [token["id"] for token in scored["tokens"]]
    reader = GGUFReader(args.gguf)
    reference = forward(reader, weights(reader), np.array(ids))
    worst, worst_at, rank_mismatches = 0.0, None, 0
    rows = [token["top"] for token in scored["tokens"][1:]] + [scored["next"]]
    for position, top in enumerate(rows):
        ours = np.array([entry["logprob"] for entry in top])
        theirs = reference[position, [entry["id"] for entry in top]]
        difference = np.abs(ours - theirs).max()
        if difference > worst:
            worst, worst_at = difference, position
        cutoff = np.sort(reference[position])[-10]
        if any(reference[position, entry["id"]] < cutoff - args.tolerance for entry in top):
            rank_mismatches += 1
    own = [token["logprob"] for token in scored["tokens"][1:]]
    own_difference = np.abs(np.array(own) - reference[np.arange(len(ids) - 1), ids[1:]]).max()
    print(json.dumps({"tokens": len(ids), "max_abs_difference_top10": worst, "at_position": worst_at,
                      "max_abs_difference_own_token": own_difference, "positions_with_other_top10": rank_mismatches,
                      "tolerance": args.tolerance}))
    sys.exit(0 if worst <= args.tolerance and own_difference <= args.tolerance and rank_mismatches == 0 else 1)


if __name__ == "__main__":
    main()
