"""By-hand check of `mola-inspect convert`: PEFT itself loads what `--to peft` writes, and
`--to mola` writes MoE-PEFT's values under the reference names.

    mola-inspect convert Tests/Fixtures/frameworks/peft-lora --to peft -o /tmp/converted-peft
    mola-inspect convert Tests/Fixtures/frameworks/moe-peft-mola --to mola -o /tmp/converted-mola
    python3 Tests/Fixtures/check_converted_adapters.py /tmp/converted-peft /tmp/converted-mola

Needs torch, transformers and peft. Prints the largest logit difference between PEFT running the
converted adapter and PEFT's own logits for the original (frameworks/peft-lora/golden.safetensors),
and the largest difference between MoE-PEFT's tensors and the converted reference-layout ones.
"""
import sys
from pathlib import Path

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parent


def check_peft(directory):
    base_path = ROOT / "tiny-model" / "base"
    base = LlamaForCausalLM(LlamaConfig.from_pretrained(str(base_path)))
    base.load_state_dict(load_file(str(base_path / "model.safetensors")), strict=False)
    model = PeftModel.from_pretrained(base, directory).eval()
    golden = load_file(str(ROOT / "frameworks" / "peft-lora" / "golden.safetensors"))
    with torch.no_grad():
        logits = model(input_ids=golden["tokens"].long()).logits
    print("peft: max |logits - PEFT's for the original| =", (logits - golden["logits"]).abs().max().item())


def check_mola(directory):
    ours = torch.load(Path(directory) / "adapter_model.bin")
    theirs = torch.load(ROOT / "frameworks" / "moe-peft-mola" / "adapter_model.bin")
    worst = 0.0
    for name, value in theirs.items():
        module, rest = name.replace("mola.layers", "base_model.model.model.layers").split(".experts.") if ".experts." in name else (name.replace("mola.layers", "base_model.model.model.layers").replace(".moe_gate.weight", ""), None)
        if rest is None:
            target = f"{module}.router.router.weight"
        else:
            expert, matrix, _ = rest.split(".")
            target = f"{module}.{matrix}_{expert}.weight"
        worst = max(worst, (ours[target] - value).abs().max().item())
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    print("mola: max |converted - MoE-PEFT| over", len(ours), "tensors =", worst)


if __name__ == "__main__":
    check_peft(sys.argv[1])
    check_mola(sys.argv[2])
