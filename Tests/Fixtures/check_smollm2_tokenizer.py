"""Reference ids for the real SmolLM2 tokenizer (needs the model; not run by the tests or CI).

Reads the tokenizer metadata of SmolLM2-135M-Instruct's GGUF (`tokenizer.ggml.model = gpt2`,
`pre = smollm`, 49152 tokens) with `gguf.GGUFReader`, writes it as a `TokenizerVocabulary` JSON,
and writes the ids of the strings of generate_bpe_golden.py plus seeded random ones as the
`tokenizers` library gives them for the same vocabulary and merges with SmolLM's tokenizer.json
pipeline (Digits(individual_digits) + ByteLevel; control tokens as special added tokens), and as
llama.cpp gives them when llama-cpp-python is importable (`Llama(vocab_only=True).tokenize(...,
add_bos=False, special=True)`).

Usage: python3 Tests/Fixtures/check_smollm2_tokenizer.py MODEL.gguf OUT_DIR
then:  MOLA_SMOLLM2_CHECK=OUT_DIR swift test --filter RealTokenizerCheck
Writes OUT_DIR/{vocabulary.json, golden.json}.
"""
import json, os, random, sys
import numpy as np
from gguf import GGUFReader
from tokenizers import Tokenizer, AddedToken, models, pre_tokenizers, decoders

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_bpe_golden import TEXTS

def field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        return None
    if f.types[0] == 9:  # array
        if f.types[-1] == 8:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]
    value = f.parts[f.data[0]]
    return bytes(value).decode("utf-8") if f.types[0] == 8 else value.tolist()[0]

def random_texts(count=300, seed=0):
    pool = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + list(" \t\n\r  '\".,;:!?-_()[]{}<>/\\|@#$%^&*+=~`") \
        + list("éèüößçñåøæ中文字日本語한국어ٔ٣٤½²Ⅻ") + ["🙂", "👩\u200d👩\u200d👧", "🏳️\u200d🌈", "\u0301", "\u00a0", "\u3000", "'s", "'LL", "<|im_start|>", "<|endoftext|>"]
    rng = random.Random(seed)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 60))) for _ in range(count)]

def main(model_path, out_dir):
    reader = GGUFReader(model_path)
    tokens = field(reader, "tokenizer.ggml.tokens")
    vocabulary = {
        "model": field(reader, "tokenizer.ggml.model"), "pre": field(reader, "tokenizer.ggml.pre"), "tokens": tokens,
        "tokenTypes": field(reader, "tokenizer.ggml.token_type"), "merges": field(reader, "tokenizer.ggml.merges"),
        "bosId": field(reader, "tokenizer.ggml.bos_token_id"), "eosId": field(reader, "tokenizer.ggml.eos_token_id"),
        "unknownId": field(reader, "tokenizer.ggml.unknown_token_id"), "paddingId": field(reader, "tokenizer.ggml.padding_token_id"),
        "addBOS": field(reader, "tokenizer.ggml.add_bos_token"), "addSpacePrefix": field(reader, "tokenizer.ggml.add_space_prefix"),
        "chatTemplate": field(reader, "tokenizer.chat_template"),
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocabulary.json"), "w") as f:
        json.dump(vocabulary, f, ensure_ascii=False)

    merges = [tuple(m.split(" ", 1)) for m in vocabulary["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tokenizer.decoder = decoders.ByteLevel()
    types = vocabulary["tokenTypes"]
    tokenizer.add_tokens([AddedToken(tokens[i], special=(types[i] == 3), normalized=False)
                          for i in range(len(tokens)) if types[i] in (3, 4)])
    texts = TEXTS + random_texts()
    golden = {"model": model_path, "texts": texts, "ids": [tokenizer.encode(t).ids for t in texts],
              "decoded": [tokenizer.decode(tokenizer.encode(t).ids, skip_special_tokens=True) for t in texts]}
    try:
        import llama_cpp
        llama = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
        golden["llama_cpp_ids"] = [llama.tokenize(t.encode(), add_bos=False, special=True) for t in texts]
    except ImportError:
        print("llama_cpp not importable: no llama.cpp ids")
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(golden, f, ensure_ascii=False)
    print(len(tokens), "tokens,", len(merges), "merges,", len(texts), "texts")
    if "llama_cpp_ids" in golden:
        differ = [t for t, a, b in zip(texts, golden["ids"], golden["llama_cpp_ids"]) if a != b]
        print(len(differ), "texts where the tokenizers library and llama.cpp differ:", [repr(t) for t in differ[:5]])

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
