"""llama.cpp's ids for the GGUF-shaped fixture vocabularies (needs llama-cpp-python; not run by CI).

Writes each of bpe-tokenizers/{spm,llama3,smollm}-vocabulary.json as a vocab-only GGUF (gguf's
GGUFWriter, architecture llama with token-free minimal hyperparameters), has llama.cpp tokenize
the golden texts and seeded random ones (`Llama(vocab_only=True).tokenize(text, add_bos=True,
special=True)`), and writes them to OUT_DIR/llama_cpp_ids.json (with the `EXTRA` vocabularies beside it); it prints how many of the golden
texts llama.cpp tokenizes as the tokenizers library does.

Usage: python3 Tests/Fixtures/check_vocabularies_llama_cpp.py OUT_DIR
then:  MOLA_LLAMA_CPP_IDS=OUT_DIR swift test --filter RealTokenizerCheck
"""
import json, os, sys
import gguf
import llama_cpp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from check_smollm2_tokenizer import random_texts

FIXTURES = os.path.join(HERE, "bpe-tokenizers")
NAMES = ["spm", "llama3", "smollm"]
# Also as GGUF metadata, written to OUT_DIR: the gpt2 and qwen2 fixtures (their tokenizer.json's
# vocabulary, pre `gpt-2`, llama.cpp's name, and `qwen2`) and the smollm vocabulary with llama.cpp's `default` pre.
EXTRA = {"gpt2": ("gpt2", "gpt-2"), "qwen2": ("qwen2", "qwen2"), "default": ("smollm", "default")}

def vocabulary_of(fixture, pre):
    state = json.load(open(os.path.join(FIXTURES, fixture, "tokenizer.json")))
    tokens = [None] * (len(state["model"]["vocab"]) + len(state["added_tokens"]))
    for piece, i in state["model"]["vocab"].items():
        tokens[i] = piece
    for token in state["added_tokens"]:
        tokens[token["id"]] = token["content"]
    specials = {t["id"] for t in state["added_tokens"] if t["special"]}
    merges = [m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]]
    return {"model": "gpt2", "pre": pre, "tokens": tokens, "tokenTypes": [3 if i in specials else 1 for i in range(len(tokens))],
            "merges": merges}

def write_gguf(path, v):
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(512); w.add_embedding_length(64); w.add_block_count(1); w.add_feed_forward_length(128)
    w.add_head_count(4); w.add_head_count_kv(4); w.add_layer_norm_rms_eps(1e-5); w.add_rope_dimension_count(16)
    w.add_tokenizer_model(v["model"])
    if v.get("pre"): w.add_tokenizer_pre(v["pre"])
    w.add_token_list(v["tokens"])
    w.add_token_types(v["tokenTypes"])
    if v.get("scores"): w.add_token_scores(v["scores"])
    if v.get("merges"): w.add_token_merges(v["merges"])
    if v.get("bosId") is not None: w.add_bos_token_id(v["bosId"])
    if v.get("eosId") is not None: w.add_eos_token_id(v["eosId"])
    if v.get("unknownId") is not None: w.add_unk_token_id(v["unknownId"])
    if v.get("addBOS") is not None: w.add_add_bos_token(v["addBOS"])
    if v.get("addSpacePrefix") is not None: w.add_add_space_prefix(v["addSpacePrefix"])
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    golden = json.load(open(os.path.join(FIXTURES, "golden.json")))
    texts = golden["texts"] + random_texts(1000, 3)
    out = {"texts": texts}
    for name in NAMES:
        path = os.path.join(out_dir, f"{name}.gguf")
        write_gguf(path, json.load(open(os.path.join(FIXTURES, f"{name}-vocabulary.json"))))
        llama = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
        out[name] = [llama.tokenize(t.encode(), add_bos=True, special=True) for t in texts]
        count = len(golden["texts"])
        same = sum(a == b for a, b in zip(out[name][:count], golden["tokenizers"][name]["ids"]))
        print(f"{name}: llama.cpp gives the tokenizers library's ids for {same} of {count} golden texts")
    for name, (fixture, pre) in EXTRA.items():
        vocabulary = vocabulary_of(fixture, pre)
        with open(os.path.join(out_dir, f"{name}-vocabulary.json"), "w") as f:
            json.dump(vocabulary, f, ensure_ascii=False)
        path = os.path.join(out_dir, f"{name}.gguf")
        write_gguf(path, vocabulary)
        llama = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
        out[name] = [llama.tokenize(t.encode(), add_bos=True, special=True) for t in texts]
    with open(os.path.join(out_dir, "llama_cpp_ids.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False)

if __name__ == "__main__":
    main(sys.argv[1])
