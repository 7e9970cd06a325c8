"""A plain PEFT LoRA adapter written by PEFT's own save code, with PEFT's logits.

Writes Tests/Fixtures/frameworks/peft-lora/:
  adapter_model.safetensors, adapter_config.json   PeftModel.save_pretrained
  golden.safetensors                               tokens [B, T] (as float32) and PEFT's logits [B, T, V]

PEFT (`pip install peft`, 0.21.2 here, with torch and transformers) wraps the tiny LLaMA base of
Tests/Fixtures/tiny-model/base with LoRA on q_proj, v_proj and down_proj: r 4 and lora_alpha 8,
except where `rank_pattern` and `alpha_pattern` (regular expressions over module paths) say
otherwise: layer 1 has rank 2, layer 2 alpha 4. Every lora_B (zero at initialisation) is filled
with seeded random values; the forward runs in eval mode with dropout 0.

Run by hand from the repository root:
    python3 Tests/Fixtures/generate_peft_fixture.py
"""
import shutil
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parent
BASE = ROOT / "tiny-model" / "base"
OUT = ROOT / "frameworks" / "peft-lora"
B, T, V = 2, 12, 300


def main():
    torch.manual_seed(0)
    base = LlamaForCausalLM(LlamaConfig.from_pretrained(str(BASE)))
    missing = base.load_state_dict(load_file(str(BASE / "model.safetensors")), strict=False)
    assert not missing.missing_keys, missing
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"],
                        rank_pattern={r"layers\.1\..*_proj": 2}, alpha_pattern={r"layers\.2\..*_proj": 4},
                        task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    generator = torch.Generator().manual_seed(17)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    shutil.rmtree(OUT, ignore_errors=True)
    model.save_pretrained(str(OUT))
    model.eval()
    tokens = torch.randint(0, V, (B, T), generator=generator)
    with torch.no_grad():
        logits = model(input_ids=tokens).logits.float().contiguous()
    save_file({"tokens": tokens.to(torch.float32).contiguous(), "logits": logits}, str(OUT / "golden.safetensors"))
    print(OUT, logits.shape)


if __name__ == "__main__":
    main()
