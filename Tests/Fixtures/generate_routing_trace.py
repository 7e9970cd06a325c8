"""Writes Tests/Fixtures/routing-trace/: a routing trace recorded by python/mola_trace.py.

The tiny fixture model (tiny-model/base with tiny-model/adapter) is built the way the reference
code builds a MoLA model: transformers' LlamaForCausalLM with every projection replaced by a
module shaped like the reference's `Linear_MoE` (a `router` ModuleDict holding the router
nn.Linear, `lora_A_{e}`/`lora_B_{e}` experts, `top_k`, `number_experts`), the forward of MOLA.md
section 1 in float32. Four right-padded sequences run as two process ranks (two sequences each,
one forward per rank, each with its attention mask), so the trace has two shards to merge.
`tokens.json` holds the sequences without padding, for `routing --tokens` on the same data.

Run: /work/venv-torch/bin/python Tests/Fixtures/generate_routing_trace.py
(torch and transformers; the Swift tests read only what it writes.)
"""

import json
import pathlib
import sys

import torch
from transformers import LlamaForCausalLM

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "python"))
from mola_trace import RoutingTracer  # noqa: E402

OUT = HERE / "routing-trace"
TIME = 12
LENGTHS = [12, 7, 12, 9]
TOP_K = 2


class ReferenceShapedMoE(torch.nn.Module):
    """A frozen projection with MoLA experts, laid out as the reference's Linear_MoE."""

    def __init__(self, base, experts, rank, alpha, top_k):
        super().__init__()
        self.base = base
        self.number_experts = experts
        self.top_k = min(top_k, experts)
        self.scaling = alpha / rank
        self.router = torch.nn.ModuleDict({"router": torch.nn.Linear(base.in_features, experts, bias=False)})
        self.lora_A = torch.nn.ModuleList([torch.nn.Linear(base.in_features, rank, bias=False) for _ in range(experts)])
        self.lora_B = torch.nn.ModuleList([torch.nn.Linear(rank, base.out_features, bias=False) for _ in range(experts)])

    def forward(self, x):
        flat = x.reshape(-1, x.shape[-1])
        p = torch.softmax(self.router["router"](flat).float(), dim=-1)
        weights, chosen = torch.topk(p, self.top_k, dim=-1)
        weights = weights / weights.sum(-1, keepdim=True)
        out = torch.zeros(flat.shape[0], self.base.out_features)
        for slot in range(self.top_k):
            for expert in range(self.number_experts):
                rows = chosen[:, slot] == expert
                if rows.any():
                    delta = self.lora_B[expert](self.lora_A[expert](flat[rows])) * self.scaling
                    out[rows] += weights[rows, slot, None] * delta
        return self.base(x) + out.reshape(*x.shape[:-1], -1)


def build():
    model = LlamaForCausalLM.from_pretrained(HERE / "tiny-model/base", torch_dtype=torch.float32,
                                             attn_implementation="eager")
    adapter = torch.load(HERE / "tiny-model/adapter/adapter_model.bin", weights_only=True)
    config = json.loads((HERE / "tiny-model/adapter/adapter_config.json").read_text())
    for l, layer in enumerate(model.model.layers):
        for parent, names in ((layer.self_attn, ("q_proj", "k_proj", "v_proj", "o_proj")),
                              (layer.mlp, ("gate_proj", "up_proj", "down_proj"))):
            for name in names:
                group = "self_attn" if parent is layer.self_attn else "mlp"
                prefix = f"base_model.model.model.layers.{l}.{group}.{name}"
                router = adapter[f"{prefix}.router.router.weight"]
                moe = ReferenceShapedMoE(getattr(parent, name), router.shape[0], config["r"][l], config["lora_alpha"], TOP_K)
                with torch.no_grad():
                    moe.router["router"].weight.copy_(router)
                    for e in range(router.shape[0]):
                        moe.lora_A[e].weight.copy_(adapter[f"{prefix}.lora_A_{e}.weight"])
                        moe.lora_B[e].weight.copy_(adapter[f"{prefix}.lora_B_{e}.weight"])
                setattr(parent, name, moe)
    return model.eval()


def check_against_golden(model):
    """The model must route golden.safetensors' tokens as generate_model_golden.py recorded (float64)."""
    from safetensors.torch import load_file
    golden = load_file(HERE / "tiny-model/golden.safetensors")
    tokens = golden["tokens"].long().reshape(2, 16)
    seen = {}
    hooks = [moe.router["router"].register_forward_hook(
                 lambda m, i, o, key=f"{l}.{name}": seen.__setitem__(key, torch.softmax(o.float(), -1)))
             for l, layer in enumerate(model.model.layers)
             for name, moe in list(layer.self_attn.named_children()) + list(layer.mlp.named_children())
             if isinstance(moe, ReferenceShapedMoE)]
    with torch.no_grad():
        model(input_ids=tokens)
    for hook in hooks:
        hook.remove()
    assert len(seen) == 21
    for key, p in seen.items():
        error = (p.double() - golden[f"router.{key}"].double()).abs().max().item()
        assert error < 1e-5, (key, error)


def main():
    model = build()
    check_against_golden(model)
    g = torch.Generator().manual_seed(13)
    sequences = [torch.randint(3, 300, (n,), generator=g).tolist() for n in LENGTHS]
    OUT.mkdir(exist_ok=True)
    for rank in range(2):
        batch = sequences[2 * rank:2 * rank + 2]
        ids = torch.tensor([s + [0] * (TIME - len(s)) for s in batch])
        mask = torch.tensor([[1] * len(s) + [0] * (TIME - len(s)) for s in batch])
        tracer = RoutingTracer(model, str(OUT), model_name="tiny-model", rank=rank, world_size=2)
        with torch.no_grad():
            model(input_ids=ids, attention_mask=mask)
        tracer.close()
    (OUT / "tokens.json").write_text(json.dumps(sequences) + "\n")


if __name__ == "__main__":
    main()
