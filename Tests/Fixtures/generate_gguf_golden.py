#!/usr/bin/env python3
"""Writes the GGUF fixtures under Tests/Fixtures/gguf/ (run from the repository root).

Needs numpy, safetensors and the `gguf` package from PyPI (its writer and its `dequantize`
are the independent reference). Every value is seeded: a rerun writes the same bytes.

  quant-types.gguf        one tensor per element type the reader dequantizes (F32, F16, BF16,
                          Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), two rows
                          of random blocks each (random payload bytes, finite f16 scales), plus
                          metadata of every value type, nested arrays included
  quant-types.json        the values `gguf.quants.dequantize` gives for each tensor, and its shape
  tiny-llama-hf/          a tiny random LLaMA (2 layers, hidden 32, 4 heads, 2 key/value heads,
                          MLP 64, the 559 tokens of bpe-tokenizers/smollm) as a Hugging Face directory, F16 weights
  tiny-llama-f16.gguf     the same weights as convert_hf_to_gguf.py writes them: q and k rows
                          permuted for llama.cpp's interleaved rotary, norms in F32, untied head
  tiny-llama-q8_0.gguf    the same again with every matrix in Q8_0 and no `output.weight` (tied):
                          each weight is an int8 times a power-of-two block scale, so Q8_0 and F16
                          hold them exactly and every file gives the same logits
  ../fuzz-seeds/gguf/small.gguf   a small file for the fuzzer's corpus
"""
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize
from safetensors.numpy import save_file

OUT = "Tests/Fixtures/gguf"
rng = np.random.default_rng(20261206)


def half_bytes(values):
    return np.asarray(values, dtype=np.float16).view(np.uint8)


def random_blocks(qtype, count):
    """`count` blocks of `qtype`: random payload bytes, the f16 scale fields finite and sane."""
    block_values, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(count, block_bytes), dtype=np.uint8)
    # Offsets of the f16 scale fields inside each block (ggml-common.h).
    scale_fields = {
        T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
        T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    }[qtype]
    for offset in scale_fields:
        scales = rng.uniform(-0.05, 0.05, size=count)
        raw[:, offset:offset + 2] = half_bytes(scales).reshape(count, 2)
    return raw


def write_quant_types():
    writer = gguf.GGUFWriter(f"{OUT}/quant-types.gguf", "llama")
    # Metadata of every value type (the test reads each back).
    writer.add_uint8("test.uint8", 200)
    writer.add_int8("test.int8", -100)
    writer.add_uint16("test.uint16", 60000)
    writer.add_int16("test.int16", -30000)
    writer.add_uint32("test.uint32", 4_000_000_000)
    writer.add_int32("test.int32", -2_000_000_000)
    writer.add_float32("test.float32", 0.15625)
    writer.add_bool("test.bool", True)
    writer.add_string("test.string", "héllo ✓")
    writer.add_uint64("test.uint64", 18_000_000_000_000_000_000)
    writer.add_int64("test.int64", -9_000_000_000_000_000_000)
    writer.add_float64("test.float64", -2.5e-300)
    writer.add_array("test.strings", ["a", "", "ü"])
    writer.add_array("test.int32s", [1, -2, 3])
    writer.add_array("test.float32s", [0.5, -1.25])
    writer.add_array("test.bools", [True, False])
    writer.add_array("test.nested", [[1, 2], [3]])
    writer.add_array("test.nested_strings", [["x"], ["y", "z"]])

    expected = {}
    for qtype in [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]:
        block_values, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
        blocks_per_row = 2 if block_values == 32 else 1
        rows = 2
        raw = random_blocks(qtype, rows * blocks_per_row).reshape(rows, blocks_per_row * block_bytes)
        values = dequantize(raw, qtype)
        name = f"t.{qtype.name}"
        writer.add_tensor(name, raw, raw_dtype=qtype)
        expected[name] = {"type": qtype.name, "shape": list(values.shape), "values": values.reshape(-1).tolist()}
    dense = rng.normal(0, 1, size=(3, 5)).astype(np.float32)
    dense[0, 0] = -0.0
    for name, qtype, array in [("t.F32", T.F32, dense), ("t.F16", T.F16, dense.astype(np.float16)),
                               ("t.BF16", T.BF16, (dense.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
                                .reshape(3, 10))]:
        if qtype == T.BF16:
            writer.add_tensor(name, array, raw_dtype=T.BF16)
        else:
            writer.add_tensor(name, array)
        values = dequantize(array, qtype) if qtype == T.BF16 else array.astype(np.float32)
        expected[name] = {"type": qtype.name, "shape": list(values.shape), "values": values.reshape(-1).tolist()}
    # A 3-D tensor (innermost 32, then 1, then 2) and an element type not dequantized here (I32).
    writer.add_tensor("t.Q8_0.3d", random_blocks(T.Q8_0, 2).reshape(2, 1, 34), raw_dtype=T.Q8_0)
    writer.add_tensor("t.I32", np.arange(4, dtype=np.int32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with open(f"{OUT}/quant-types.json", "w") as f:
        json.dump(expected, f, separators=(",", ":"))


# The tiny LLaMA.
# The tokenizer of the tiny GGUFs: the small SmolLM-style byte-level BPE of generate_bpe_golden.py,
# so that the files tokenise real text (and `convert --to-hf` writes a tokenizer.json that works).
with open("Tests/Fixtures/bpe-tokenizers/smollm-vocabulary.json") as f:
    TOKENIZER = json.load(f)
LAYERS, HIDDEN, HEADS, KV_HEADS, MLP, VOCAB = 2, 32, 4, 2, 64, len(TOKENIZER["tokens"])


def exact_weights(rows, columns):
    """int8 values times a power-of-two scale per block of 32 along a row: exact in Q8_0 and F16."""
    q = rng.integers(-127, 128, size=(rows, columns // 32, 32)).astype(np.float32)
    exponents = rng.integers(8, 11, size=(rows, columns // 32, 1)).astype(np.float32)
    return (q * 2.0 ** -exponents).reshape(rows, columns).astype(np.float16)


def permute(weights, n_head, n_head_kv):
    """convert_hf_to_gguf.py's LlamaModel.permute (rows to llama.cpp's interleaved rotary order)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def q8_0_bytes(weights):
    """Q8_0 blocks holding `weights` (made by `exact_weights`) exactly: scale = a power of two."""
    rows, columns = weights.shape
    values = weights.astype(np.float32).reshape(rows, columns // 32, 32)
    # The block's scale is the smallest power of two that makes every value an integer <= 127.
    scales = np.ones((rows, columns // 32, 1), dtype=np.float32)
    for exponent in range(10, 7, -1):
        candidate = np.float32(2.0 ** -exponent)
        fits = np.all(np.abs(values / candidate - np.round(values / candidate)) == 0, axis=2, keepdims=True) \
            & np.all(np.abs(values / candidate) <= 127, axis=2, keepdims=True)
        scales = np.where(fits & (scales == 1), candidate, scales)
    q = np.round(values / scales).astype(np.int8)
    assert np.array_equal((q.astype(np.float32) * scales), values)
    blocks = np.concatenate([half_bytes(scales).reshape(rows, columns // 32, 2), q.view(np.uint8)], axis=2)
    return blocks.reshape(rows, columns // 32 * 34)


def write_tiny_llama():
    head_dim = HIDDEN // HEADS
    hf = {"model.embed_tokens.weight": exact_weights(VOCAB, HIDDEN), "model.norm.weight":
          (1 + rng.normal(0, 0.1, HIDDEN)).astype(np.float16)}
    for layer in range(LAYERS):
        prefix = f"model.layers.{layer}"
        hf[f"{prefix}.input_layernorm.weight"] = (1 + rng.normal(0, 0.1, HIDDEN)).astype(np.float16)
        hf[f"{prefix}.post_attention_layernorm.weight"] = (1 + rng.normal(0, 0.1, HIDDEN)).astype(np.float16)
        for name, rows, columns in [("self_attn.q_proj", HIDDEN, HIDDEN), ("self_attn.k_proj", KV_HEADS * head_dim, HIDDEN),
                                    ("self_attn.v_proj", KV_HEADS * head_dim, HIDDEN), ("self_attn.o_proj", HIDDEN, HIDDEN),
                                    ("mlp.gate_proj", MLP, HIDDEN), ("mlp.up_proj", MLP, HIDDEN),
                                    ("mlp.down_proj", HIDDEN, MLP)]:
            hf[f"{prefix}.{name}.weight"] = exact_weights(rows, columns)
    # Untied in the Hugging Face file, but equal to the embedding, so the tied Q8_0 file matches it.
    hf["lm_head.weight"] = hf["model.embed_tokens.weight"].copy()
    os.makedirs(f"{OUT}/tiny-llama-hf", exist_ok=True)
    save_file(hf, f"{OUT}/tiny-llama-hf/model.safetensors")
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB, "hidden_size": HIDDEN,
              "intermediate_size": MLP, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
              "num_key_value_heads": KV_HEADS, "rope_theta": 500.0, "rms_norm_eps": 1e-5, "hidden_act": "silu",
              "tie_word_embeddings": False, "max_position_embeddings": 64, "torch_dtype": "float16"}
    with open(f"{OUT}/tiny-llama-hf/config.json", "w") as f:
        json.dump(config, f, indent=2)

    for variant in ["f16", "q8_0"]:
        writer = gguf.GGUFWriter(f"{OUT}/tiny-llama-{variant}.gguf", "llama")
        writer.add_block_count(LAYERS)
        writer.add_context_length(64)
        writer.add_embedding_length(HIDDEN)
        writer.add_feed_forward_length(MLP)
        writer.add_head_count(HEADS)
        writer.add_head_count_kv(KV_HEADS)
        writer.add_rope_freq_base(500.0)
        writer.add_layer_norm_rms_eps(1e-5)
        writer.add_rope_dimension_count(head_dim)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("smollm")
        writer.add_token_list(TOKENIZER["tokens"])
        writer.add_token_types(TOKENIZER["tokenTypes"])
        writer.add_token_merges(TOKENIZER["merges"])
        # SmolLM2's special tokens: <|im_start|> begins, <|im_end|> ends and pads.
        writer.add_bos_token_id(TOKENIZER["tokens"].index("<|im_start|>"))
        writer.add_eos_token_id(TOKENIZER["tokens"].index("<|im_end|>"))
        writer.add_pad_token_id(TOKENIZER["tokens"].index("<|im_end|>"))
        writer.add_add_bos_token(False)
        writer.add_chat_template("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}")

        def add_matrix(name, weights):
            if variant == "q8_0":
                writer.add_tensor(name, q8_0_bytes(weights), raw_dtype=T.Q8_0)
            else:
                writer.add_tensor(name, weights)

        add_matrix("token_embd.weight", hf["model.embed_tokens.weight"])
        for layer in range(LAYERS):
            prefix, block = f"model.layers.{layer}", f"blk.{layer}"
            writer.add_tensor(f"{block}.attn_norm.weight", hf[f"{prefix}.input_layernorm.weight"].astype(np.float32))
            add_matrix(f"{block}.attn_q.weight", permute(hf[f"{prefix}.self_attn.q_proj.weight"], HEADS, HEADS))
            add_matrix(f"{block}.attn_k.weight", permute(hf[f"{prefix}.self_attn.k_proj.weight"], HEADS, KV_HEADS))
            add_matrix(f"{block}.attn_v.weight", hf[f"{prefix}.self_attn.v_proj.weight"])
            add_matrix(f"{block}.attn_output.weight", hf[f"{prefix}.self_attn.o_proj.weight"])
            writer.add_tensor(f"{block}.ffn_norm.weight", hf[f"{prefix}.post_attention_layernorm.weight"].astype(np.float32))
            add_matrix(f"{block}.ffn_gate.weight", hf[f"{prefix}.mlp.gate_proj.weight"])
            add_matrix(f"{block}.ffn_up.weight", hf[f"{prefix}.mlp.up_proj.weight"])
            add_matrix(f"{block}.ffn_down.weight", hf[f"{prefix}.mlp.down_proj.weight"])
        writer.add_tensor("output_norm.weight", hf["model.norm.weight"].astype(np.float32))
        if variant == "f16":
            writer.add_tensor("output.weight", hf["lm_head.weight"])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()


def write_fuzz_seed():
    os.makedirs("Tests/Fixtures/fuzz-seeds/gguf", exist_ok=True)
    writer = gguf.GGUFWriter("Tests/Fixtures/fuzz-seeds/gguf/small.gguf", "llama")
    writer.add_uint32("general.alignment", 32)
    writer.add_array("test.nested", [[1, 2], [3]])
    writer.add_array("tokenizer.ggml.tokens", ["a", "b"])
    writer.add_float64("test.float64", 1.5)
    for qtype in [T.Q4_1, T.Q8_0, T.Q6_K]:
        block_values, block_bytes = gguf.GGML_QUANT_SIZES[qtype]
        writer.add_tensor(f"t.{qtype.name}", random_blocks(qtype, 1).reshape(1, block_bytes), raw_dtype=qtype)
    writer.add_tensor("t.F16", np.ones((2, 3), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_quant_types()
    write_tiny_llama()
    write_fuzz_seed()
