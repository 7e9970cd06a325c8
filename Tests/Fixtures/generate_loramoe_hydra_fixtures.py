"""LoRAMoE and HydraLoRA adapters, written as their own save code writes them, with the logits of
their own forward rule.

Neither installs from PyPI (each ships a patched copy of PEFT 0.3 in its repository), so this
script follows their code line by line instead of running it:

- Ablustrund/LoRAMoE `peft/tuners/lora.py` `Linear`: `lora_route = nn.Linear(in, lora_nums)`,
  `lora_A{i} = nn.Linear(in, r)`, `lora_B{i} = nn.Linear(r, out)`, `scaling = lora_alpha / r`;
  forward `result = x W^T; route_weight = softmax(lora_route(x), dim=-1, float32);
  result += route_weight[:, :, i, None] * lora_B{i}(lora_A{i}(dropout(x))) * scaling` for every i.
- Clin0212/HydraLoRA `HydraLoRA/peft/tuners/lora.py` `Linear`: the same with one `lora_A` shared
  by every head `lora_B{i}`.
- Saving (both `peft_model.py` `save_pretrained`): `get_peft_model_state_dict` keeps the model's
  state-dict entries whose key holds `lora_` (bias "none"), keys `base_model.model.<module path>`,
  and `torch.save`s them to `adapter_model.bin`; the config is the dataclass's `__dict__` written
  with `json.dumps(indent=2, sort_keys=True)` to `adapter_config.json`, inference_mode set true.

Both adapt gate_proj, up_proj and down_proj (the repositories' run scripts) of the tiny LLaMA base
of Tests/Fixtures/tiny-model/base with lora_nums 3, r 4, lora_alpha 32. The base runs in
transformers' LlamaForCausalLM (float32) with those projections replaced by modules written as
above; dropout is 0 (eval). Writes Tests/Fixtures/frameworks/{loramoe,hydralora}/ with
adapter_model.bin, adapter_config.json and golden.safetensors (tokens as float32, logits).

Run by hand from the repository root with torch and transformers:
    python3 Tests/Fixtures/generate_loramoe_hydra_fixtures.py
"""
import json, math, shutil
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parent
BASE = ROOT / "tiny-model" / "base"
OUT = ROOT / "frameworks"
B, T, V = 2, 12, 300
TARGETS = ["gate_proj", "up_proj", "down_proj"]
R, ALPHA, NUMS = 4, 32, 3


class MixtureLinear(nn.Linear):
    """LoRAMoE's (shared_a False) or HydraLoRA's (shared_a True) patched `Linear`, in eval mode."""

    def __init__(self, base: nn.Linear, shared_a: bool, generator: torch.Generator):
        super().__init__(base.in_features, base.out_features, bias=False)
        self.weight.data.copy_(base.weight.data)
        self.shared_a = shared_a
        self.lora_num = NUMS
        self.scaling = ALPHA / R
        self.lora_route = nn.Linear(self.in_features, NUMS, bias=False)
        bound = 1 / math.sqrt(self.in_features)
        if shared_a:
            self.lora_A = nn.Linear(self.in_features, R, bias=False)
            self.lora_A.weight.data.uniform_(-bound, bound, generator=generator)
        for i in range(NUMS):
            if not shared_a:
                setattr(self, f"lora_A{i}", nn.Linear(self.in_features, R, bias=False))
                getattr(self, f"lora_A{i}").weight.data.uniform_(-bound, bound, generator=generator)
            setattr(self, f"lora_B{i}", nn.Linear(R, self.out_features, bias=False))
            # Zero at initialisation in both; random here so that the experts differ.
            getattr(self, f"lora_B{i}").weight.data.normal_(0, 0.05, generator=generator)
        self.lora_route.weight.data.uniform_(-2 * bound, 2 * bound, generator=generator)
        self.lora_dropout = nn.Identity()

    def forward(self, x):
        result = F.linear(x, self.weight)
        route_weight = F.softmax(self.lora_route(x), dim=-1, dtype=torch.float32).to(result.dtype)
        for i in range(self.lora_num):
            a = self.lora_A if self.shared_a else getattr(self, f"lora_A{i}")
            result = result + torch.unsqueeze(route_weight[:, :, i], -1) * getattr(self, f"lora_B{i}")(a(self.lora_dropout(x))) * self.scaling
        return result


def config_dict():
    """The patched LoraConfig's __dict__ as save_pretrained writes it (inference_mode true)."""
    return {"base_model_name_or_path": "Tests/Fixtures/tiny-model/base", "bias": "none", "blc_alpha": 0.0,
            "blc_weight": 0.0, "enable_lora": None, "fan_in_fan_out": False, "inference_mode": True,
            "lora_alpha": ALPHA, "lora_dropout": 0.05, "lora_nums": NUMS, "merge_weights": False,
            "modules_to_save": None, "peft_type": "LORA", "r": R, "target_modules": TARGETS,
            "task_type": "CAUSAL_LM"}


def write(name: str, shared_a: bool, seed: int):
    generator = torch.Generator().manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig.from_pretrained(str(BASE)))
    model.load_state_dict(load_file(str(BASE / "model.safetensors")), strict=False)
    for layer in model.model.layers:
        for target in TARGETS:
            setattr(layer.mlp, target, MixtureLinear(getattr(layer.mlp, target), shared_a, generator))
    model.eval()
    state = {f"base_model.model.{key}": value for key, value in model.state_dict().items() if "lora_" in key}
    config = config_dict()
    if shared_a:
        # HydraLoRA's LoraConfig has no blc fields.
        del config["blc_alpha"], config["blc_weight"]
    directory = OUT / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    torch.save(state, directory / "adapter_model.bin")
    (directory / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    tokens = torch.randint(0, V, (B, T), generator=generator)
    with torch.no_grad():
        logits = model(input_ids=tokens).logits.float().contiguous()
    save_file({"tokens": tokens.to(torch.float32).contiguous(), "logits": logits}, str(directory / "golden.safetensors"))
    print(directory, len(state), "tensors")


if __name__ == "__main__":
    write("loramoe", shared_a=False, seed=18)
    write("hydralora", shared_a=True, seed=19)
