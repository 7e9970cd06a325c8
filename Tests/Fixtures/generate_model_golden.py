"""Golden values for the model core: a tiny LLaMA base with a MoLA adapter, run in PyTorch.

Writes Tests/Fixtures/tiny-model/:
  base/config.json, base/model.safetensors     a Hugging Face LLaMA directory (F32)
  adapter/adapter_model.bin, adapter_config.json   the adapter in the reference layout (torch.save)
  golden.safetensors                            tokens, targets, logits, losses, every gradient and
                                                every projection's router probabilities and top-K

The model follows ../shared/docs/MOLA.md and the Hugging Face LLaMA conventions (RMSNorm,
rotate-half rotary embeddings, grouped key/value heads, SwiGLU), written here in plain torch
and run in float64, so the Swift float32 model must agree to about 1e-4. MoLA: router softmax,
top-2, weights renormalised over the chosen experts, y += sum_i w_i * s * B_i A_i x; the balance
term pooled per layer over its projections, summed over layers, loss = CE + coefficient * term.
Top-K margins (log-probability gaps between the K-th and next expert) are checked so that
float32 cannot choose differently.

Run by hand from the repository root (pip install numpy safetensors torch):
    python3 Tests/Fixtures/generate_model_golden.py
"""
import collections, json, math, shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent / "tiny-model"
V, C, L, H, HK, F = 300, 64, 3, 4, 2, 172
D = C // H
EXPERTS, RANK, ALPHA, TOPK, COEFFICIENT = [2, 4, 3], 8, 16, 2, 0.1
LEARNING_RATE = 1e-3
THETA, EPS = 10000.0, 1e-6
B, T = 2, 16
PROJECTIONS = [("self_attn", "q_proj", C, C), ("self_attn", "k_proj", C, HK * D), ("self_attn", "v_proj", C, HK * D),
               ("self_attn", "o_proj", C, C), ("mlp", "gate_proj", C, F), ("mlp", "up_proj", C, F), ("mlp", "down_proj", F, C)]


def make(seed):
    g = torch.Generator().manual_seed(seed)
    base = collections.OrderedDict()
    base["model.embed_tokens.weight"] = torch.randn(V, C, generator=g) * 0.5
    for l in range(L):
        base[f"model.layers.{l}.input_layernorm.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
        for block, name, d_in, d_out in PROJECTIONS:
            base[f"model.layers.{l}.{block}.{name}.weight"] = torch.randn(d_out, d_in, generator=g) / math.sqrt(d_in)
        base[f"model.layers.{l}.post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
    base["model.norm.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
    base["lm_head.weight"] = torch.randn(V, C, generator=g) / math.sqrt(C)
    adapter = collections.OrderedDict()
    for l, e_count in enumerate(EXPERTS):
        for block, name, d_in, d_out in PROJECTIONS:
            prefix = f"base_model.model.model.layers.{l}.{block}.{name}"
            bound = 1 / math.sqrt(d_in)
            for e in range(e_count):
                adapter[f"{prefix}.lora_A_{e}.weight"] = (torch.rand(RANK, d_in, generator=g) * 2 - 1) * bound
                adapter[f"{prefix}.lora_B_{e}.weight"] = torch.randn(d_out, RANK, generator=g) * 0.05
            adapter[f"{prefix}.router.router.weight"] = (torch.rand(e_count, d_in, generator=g) * 2 - 1) * bound * 2
    tokens = torch.randint(0, V, (B, T), generator=g)
    return base, adapter, tokens


def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


def rotate_half(x):
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return torch.cat((-x2, x1), -1)


routers = {}  # "layer.projection" -> (softmax probabilities [N, E], top-K indices [N, K]) of the last forward


def forward(base, adapter, tokens, targets):
    """Returns loss, cross-entropy, balance term, logits and the smallest top-K margin."""
    inv_freq = 1.0 / (THETA ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos(), emb.sin()
    x = base["model.embed_tokens.weight"][tokens]
    balance, margin = 0.0, float("inf")
    routers.clear()

    def mola(l, block, name, h, pooled):
        nonlocal margin
        prefix = f"base_model.model.model.layers.{l}.{block}.{name}"
        y = h @ base[f"model.layers.{l}.{block}.{name}.weight"].T
        flat = h.reshape(-1, h.shape[-1])
        logits = flat @ adapter[f"{prefix}.router.router.weight"].T
        p = torch.softmax(logits, -1)
        top, index = torch.topk(p, TOPK + (1 if p.shape[-1] > TOPK else 0), -1)
        if p.shape[-1] > TOPK:
            # Relative margin: float32 compares probabilities to about 1e-7 of their size.
            margin = min(margin, float((top[:, TOPK - 1].log() - top[:, TOPK].log()).detach().min()))
        top, index = top[:, :TOPK], index[:, :TOPK]
        w = top / top.sum(-1, keepdim=True)
        s = ALPHA / RANK
        update = torch.zeros(flat.shape[0], y.shape[-1])
        for e in range(p.shape[-1]):
            gate = (w * (index == e)).sum(-1, keepdim=True)
            update = update + gate * s * ((flat @ adapter[f"{prefix}.lora_A_{e}.weight"].T) @ adapter[f"{prefix}.lora_B_{e}.weight"].T)
        pooled.append((p, index))
        routers[f"{l}.{name}"] = (p.detach().clone(), index.clone())
        return y + update.reshape(y.shape)

    for l in range(L):
        pooled = []
        h = rms_norm(x, base[f"model.layers.{l}.input_layernorm.weight"])
        q = mola(l, "self_attn", "q_proj", h, pooled).view(B, T, H, D).transpose(1, 2)
        k = mola(l, "self_attn", "k_proj", h, pooled).view(B, T, HK, D).transpose(1, 2)
        v = mola(l, "self_attn", "v_proj", h, pooled).view(B, T, HK, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // HK, 1), v.repeat_interleave(H // HK, 1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(D)
        scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        a = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + mola(l, "self_attn", "o_proj", a, pooled)
        h = rms_norm(x, base[f"model.layers.{l}.post_attention_layernorm.weight"])
        g, u = mola(l, "mlp", "gate_proj", h, pooled), mola(l, "mlp", "up_proj", h, pooled)
        x = x + mola(l, "mlp", "down_proj", torch.nn.functional.silu(g) * u, pooled)
        # Balance term: pooled over the layer's projections; f counts are constants.
        p = torch.cat([entry[0] for entry in pooled])
        index = torch.cat([entry[1] for entry in pooled])
        e_count = p.shape[-1]
        f = torch.stack([(index == e).sum() for e in range(e_count)]).to(torch.float64) / (p.shape[0] * TOPK)
        balance = balance + e_count * (f.detach() * p.mean(0)).sum()
    logits = rms_norm(x, base["model.norm.weight"]) @ base["lm_head.weight"].T
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-100)
    return ce + COEFFICIENT * balance, ce, balance, logits, margin


def main():
    for seed in range(100):
        base, adapter, tokens = make(seed)
        targets = torch.cat([tokens[:, 1:], torch.full((B, 1), -100)], 1)
        targets[0, 3] = -100  # an ignored position inside the sequence
        for tensor in list(base.values()) + list(adapter.values()):
            tensor.requires_grad_(True)
        loss, ce, balance, logits, margin = forward(base, adapter, tokens, targets)
        if margin > 1e-4:
            break
    else:
        raise SystemExit("no seed gives clear top-K margins")
    loss.backward()
    print(f"seed {seed}: loss {loss.item():.6f}, ce {ce.item():.6f}, balance {balance.item():.6f}, top-K margin {margin:.2e}")

    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "base").mkdir(parents=True)
    (OUT / "adapter").mkdir()
    save_file({k: v.detach().float().contiguous() for k, v in base.items()}, str(OUT / "base" / "model.safetensors"))
    (OUT / "base" / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": V, "hidden_size": C,
        "intermediate_size": F, "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": HK,
        "rope_theta": THETA, "rms_norm_eps": EPS, "hidden_act": "silu", "tie_word_embeddings": False,
        "max_position_embeddings": 128, "torch_dtype": "float32"}, indent=2) + "\n")
    torch.save(collections.OrderedDict((k, v.detach().float().contiguous()) for k, v in adapter.items()),
               OUT / "adapter" / "adapter_model.bin")
    (OUT / "adapter" / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "base_model_name_or_path": "tiny-model/base", "r": [RANK] * L, "lora_alpha": ALPHA,
        "lora_dropout": 0.0, "target_modules": [p[1] for p in PROJECTIONS], "task_type": "CAUSAL_LM"}, indent=2) + "\n")
    golden = {"tokens": tokens.double(), "targets": targets.double(), "logits": logits.detach(),
              "losses": torch.tensor([loss.item(), ce.item(), balance.item()])}
    for name, tensor in list(base.items()) + list(adapter.items()):
        golden["grad." + name] = tensor.grad
    # The reference router outputs, for the routing fidelity test.
    for key, (p, index) in routers.items():
        golden["router." + key] = p
        golden["chosen." + key] = index.double()
    save_file({k: v.float().contiguous() for k, v in golden.items()}, str(OUT / "golden.safetensors"))

    first = {"loss": loss.item(), "cross_entropy": ce.item(), "balance": balance.item()}

    # Ten AdamW steps on the adapter (base frozen), the whole batch each step, as the trainer
    # does: warm-up 2 steps then linear decay over 10, gradient norm clipped at 1, weight decay 0.
    for tensor in base.values():
        tensor.requires_grad_(False)
    parameters = list(adapter.values())
    for tensor in parameters:
        tensor.grad = None
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    adamw_losses = []
    for step in range(10):
        loss, _, _, _, _ = forward(base, adapter, tokens, targets)
        adamw_losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATE * ((step + 1) / 2 if step < 2 else (10 - step) / (10 - 2))
        optimizer.step()
        optimizer.zero_grad()
    # The losses in full precision too (float32 storage would round them).
    (OUT / "golden-losses.json").write_text(json.dumps(dict(first, coefficient=COEFFICIENT, top_k=TOPK, seed=seed,
                                                            adamw_learning_rate=LEARNING_RATE, adamw_losses=adamw_losses),
                                                       indent=2) + "\n")


if __name__ == "__main__":
    main()
