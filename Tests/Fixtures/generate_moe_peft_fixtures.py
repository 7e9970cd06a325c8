"""MoE-PEFT adapters written by MoE-PEFT's own save code, with its own forward's logits.

Writes Tests/Fixtures/frameworks/moe-peft-{mola,loramoe,mixlora}/:
  adapter_model.bin, adapter_config.json   moe_peft.trainer.save_adapter_weight (torch.save + json.dump)
  golden.safetensors                        tokens [B, T] (as float32) and MoE-PEFT's logits [B, T, V] (float32)

MoE-PEFT 2.0.2 from PyPI (`pip install moe-peft==2.0.2`, which wants transformers < 4.47) loads the
tiny LLaMA base of Tests/Fixtures/tiny-model/base in float32; `init_adapter` makes each adapter
(MOLA on all seven projections with top_k 2; LORAMOE dense experts on the MLP, plain LoRA on
q/v; MIXLORA feed-forward experts with top_k 2 and one router per block, plain LoRA on q/v);
every LoRA B and router is then filled with seeded random values (B starts at zero) so that
the experts differ, and `LLMModel.forward` in eval mode (no dropout) gives the logits.

Run by hand from the repository root, with a Python that has moe-peft 2.0.2 and its dependencies:
    python3 Tests/Fixtures/generate_moe_peft_fixtures.py
"""
import json, shutil, tempfile, types
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

import moe_peft
from moe_peft.adapters import lora_config_factory
from moe_peft.common import LLMBatchConfig, LLMModelInput
from moe_peft.trainer import save_adapter_weight

ROOT = Path(__file__).resolve().parent
BASE = ROOT / "tiny-model" / "base"
OUT = ROOT / "frameworks"
B, T, V = 2, 12, 300

COMMON = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.05}
ADAPTERS = {
    "mola": dict(COMMON, peft_type="MOLA", routing_strategy="mola", num_experts=4, top_k=2,
                 target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
    "loramoe": dict(COMMON, peft_type="LORAMOE", routing_strategy="loramoe", num_experts=3,
                    target_modules=["q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"]),
    "mixlora": dict(COMMON, peft_type="MIXLORA", routing_strategy="mixlora", num_experts=4, top_k=2,
                    target_modules=["q_proj", "v_proj", "gate_proj", "up_proj", "down_proj"]),
}


def load_base():
    """The tiny base in MoE-PEFT, float32."""
    # transformers 4.46 wants the safetensors metadata {"format": "pt"}, which the tiny base lacks.
    base = Path(tempfile.mkdtemp())
    shutil.copy(BASE / "config.json", base / "config.json")
    save_file(load_file(str(BASE / "model.safetensors")), str(base / "model.safetensors"), metadata={"format": "pt"})
    return moe_peft.LLMModel.from_pretrained(str(base), device="cpu", load_dtype=torch.float32,
                                             compute_dtype=torch.float32)


def run(model, name, tokens):
    """MoE-PEFT's output (`LLMModelOutput`: logits, router logits) for `tokens` through adapter `name`, in eval mode."""
    model.eval()
    # The LoRAs sit in plain dicts, out of reach of eval(), and some paths call F.dropout
    # directly: the forward is made deterministic by setting every LoRA's dropout to 0 (after the
    # config, which records 0.05, was saved).
    for layer in model.model_.layers_:
        attention, mlp = layer.state_dict()
        for linear in list(attention.values()) + list(mlp.values()):
            for lora in linear.loras_.values():
                lora.dropout_.p = 0.0
    with torch.no_grad():
        outputs = model.forward(LLMModelInput(
            batch_configs_=[LLMBatchConfig(adapter_name_=name, batch_start_idx_=0, batch_end_idx_=tokens.shape[0])],
            batch_tokens_=tokens.tolist(), batch_masks_=None, inference_mode_=True, efficient_operator_=False))
    return outputs[0]


def forward(model, name, tokens):
    """MoE-PEFT's logits for `tokens` through adapter `name`, in eval mode."""
    return run(model, name, tokens).logits.float().contiguous()


def main():
    torch.manual_seed(0)
    model = load_base()
    generator = torch.Generator().manual_seed(16)
    tokens = torch.randint(0, V, (B, T), generator=generator)
    for name, fields in ADAPTERS.items():
        config = lora_config_factory(dict(fields))
        config.adapter_name = name
        config.task_name = "casual"
        model.init_adapter(config)
        # B starts at zero and the routers small: give every expert its own update.
        with torch.no_grad():
            for key, weight in model.get_adapter_weight_dict(name).items():
                if "lora_B" in key:
                    weight.copy_(torch.randn(weight.shape, generator=generator) * 0.2)
                elif "moe_gate" in key:
                    weight.copy_(torch.randn(weight.shape, generator=generator) * 0.5)
        directory = OUT / f"moe-peft-{name}"
        shutil.rmtree(directory, ignore_errors=True)
        train_config = types.SimpleNamespace(adapter_name=name, task_=types.SimpleNamespace(peft_task_type="CAUSAL_LM"))
        model.name_or_path_ = "Tests/Fixtures/tiny-model/base"
        # save_adapter_weight writes <path>/<adapter name>/: a scratch path, moved into place.
        scratch = Path(tempfile.mkdtemp())
        save_adapter_weight(model, train_config, str(scratch))
        shutil.move(str(scratch / name), str(directory))
        logits = forward(model, name, tokens)
        # Dropout must be off: a second forward gives the same logits.
        assert torch.equal(logits, forward(model, name, tokens))
        save_file({"tokens": tokens.to(torch.float32).contiguous(), "logits": logits}, str(directory / "golden.safetensors"))
        model.unload_adapter(name)
        print(directory, sorted(json.load(open(directory / "adapter_config.json")).items()), logits.shape)


if __name__ == "__main__":
    main()
