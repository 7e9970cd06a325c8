"""MoE-PEFT's own routing of the MixLoRA fixture: its block routers' logits, choices and weights.

Reads Tests/Fixtures/frameworks/moe-peft-mixlora/ back with MoE-PEFT's `LLMModel.load_adapter`
(adapter_config.json and adapter_model.bin as `save_adapter_weight` wrote them), runs its forward
in eval mode (dropout 0, as generate_moe_peft_fixtures.py does) on the tokens of golden.safetensors,
checks that the logits are the committed ones, and writes beside them routing.safetensors:
  router_logits  [L, N, E] float32   `MixtralSparseMoe.gate_(hidden_states)` of every layer, as
                                     `LLMModelOutput.router_logits` returns them (N = B T, row-major)
  chosen         [L, N, K] float32   the expert indices `torch.topk` picks from their softmax
  weights        [L, N, K] float32   those probabilities renormalised over the K, as the forward does

MoE-PEFT 2.0.2 from PyPI (`pip install moe-peft==2.0.2`, which wants transformers < 4.47). Run by
hand from the repository root:
    python3 Tests/Fixtures/generate_moe_peft_mixlora_routing.py
"""
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

# Its neighbour: the base loaded and run as the fixtures were made.
from generate_moe_peft_fixtures import load_base, run

FIXTURE = Path(__file__).resolve().parent / "frameworks" / "moe-peft-mixlora"
NAME = "mixlora"


def main():
    model = load_base()
    model.load_adapter(str(FIXTURE), NAME)
    golden = load_file(str(FIXTURE / "golden.safetensors"))
    output = run(model, NAME, golden["tokens"].to(torch.int64))  # router logits are output by default
    # The adapter read back computes what was saved.
    difference = (output.logits.float() - golden["logits"]).abs().max().item()
    assert difference < 1e-6, difference
    config = model.adapter_configs_[NAME]
    layers = len(model.model_.layers_)
    router_logits = output.router_logits.float().reshape(layers, -1, config.num_experts_)
    # MixtralSparseMoe.forward's routing, line by line.
    probabilities = F.softmax(router_logits, dim=-1, dtype=torch.float32)
    weights, chosen = torch.topk(probabilities, config.top_k_, dim=-1)
    weights /= weights.sum(dim=-1, keepdim=True)
    save_file({"router_logits": router_logits.contiguous(), "chosen": chosen.to(torch.float32).contiguous(),
               "weights": weights.contiguous()}, str(FIXTURE / "routing.safetensors"))
    print(FIXTURE / "routing.safetensors", tuple(router_logits.shape), "logits difference", difference)


if __name__ == "__main__":
    main()
