"""Golden ids for the Hugging Face tokenizer reader (Tests/MoLAModelTests/TokenizerTests.swift).

Builds a small tokenizer in the layout of LLaMA 1 and 2's `tokenizer.json` (SentencePiece-style
BPE: `<unk>` `<s>` `</s>`, the 256 byte-fallback tokens `<0x00>`..`<0xFF>`, then learned pieces
with `▁` for spaces; normalizer Prepend("▁") + Replace(" ", "▁"); `<s>` prepended by the
post-processor), trains its merges on a small text, and records what the `tokenizers` library
(PyPI) encodes for a set of strings, with and without special tokens. A second copy uses the
newer spelling of the same scheme (a Metaspace pre-tokenizer, merges as pairs).

Usage: pip install tokenizers && python3 Tests/Fixtures/generate_tokenizer_golden.py
A third, vocab-300/, has 300 ids (20 characters, 21 merges, the rest byte fallback), so it fits
the tiny test base (Tests/Fixtures/tiny-model, vocabulary 300) for the command-line tests.
Writes Tests/Fixtures/llama-tokenizer/{tokenizer.json, metaspace/, vocab-300/, golden.json}.
"""
import json, os
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers, decoders, AddedToken

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama-tokenizer")
TEXT = """The experts of lower layers are more alike than those of higher layers.
MoLA allocates a different number of LoRA experts to each transformer layer.
Where do tokens go? The router picks the top two experts for every token.
Selection counts, shares, probabilities and the balance term, layer by layer.
Below is an instruction that describes a task. Write a response that appropriately completes the request.
### Instruction: ### Input: ### Response: The answer is A. The answer is B. Answer: yes
""" * 3

def build(vocab_size=420, limit_alphabet=None):
    trained = Tokenizer(models.BPE(unk_token="<unk>"))
    trained.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    limit = {} if limit_alphabet is None else {"limit_alphabet": limit_alphabet}
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False, **limit)
    trained.train_from_iterator(TEXT.splitlines(), trainer)
    state = json.loads(trained.to_str())
    learned = state["model"]["vocab"]
    merges = state["model"]["merges"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    # LLaMA's order: the three specials, the 256 bytes, then the learned pieces.
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece, _ in sorted(learned.items(), key=lambda item: item[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    return vocab, [tuple(m.split(" ")) for m in merges]

def finish(tokenizer):
    tokenizer.add_special_tokens([AddedToken("<unk>", normalized=False, special=True),
                                  AddedToken("<s>", normalized=False, special=True),
                                  AddedToken("</s>", normalized=False, special=True)])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    return tokenizer

vocab, merges = build()
legacy = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
legacy.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
finish(legacy)
metaspace = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
metaspace.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
finish(metaspace)

texts = [
    "The experts of lower layers are more alike.",
    "Where do tokens go?",
    " leading space and  two spaces",
    "trailing space ",
    "",
    "Zürich, naïve café: é and ß fall back to bytes",
    "中文 and emoji 🙂 too",
    "tabs\tand\nnewlines",
    "The answer is A.",
    "aaaaaaaa bbbbbbbb",
    "special <s> inside and </s> end",
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
]
small_vocab, small_merges = build(vocab_size=300 - 256, limit_alphabet=20)
assert len(small_vocab) == 300, len(small_vocab)
small = finish(Tokenizer(models.BPE(vocab=small_vocab, merges=small_merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)))
small.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
os.makedirs(os.path.join(HERE, "vocab-300"), exist_ok=True)
small.save(os.path.join(HERE, "vocab-300", "tokenizer.json"))
os.makedirs(os.path.join(HERE, "metaspace"), exist_ok=True)
legacy.save(os.path.join(HERE, "tokenizer.json"))
metaspace.save(os.path.join(HERE, "metaspace", "tokenizer.json"))
for directory in (HERE, os.path.join(HERE, "metaspace"), os.path.join(HERE, "vocab-300")):
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, f)
golden = []
for text in texts:
    entry = {"text": text,
             "ids": legacy.encode(text).ids,
             "ids_without_specials": legacy.encode(text, add_special_tokens=False).ids,
             "metaspace_ids": metaspace.encode(text).ids,
             "vocab_300_ids": small.encode(text).ids}
    entry["decoded"] = legacy.decode(entry["ids"], skip_special_tokens=True)
    golden.append(entry)
with open(os.path.join(HERE, "golden.json"), "w") as f:
    json.dump({"generator": "Tests/Fixtures/generate_tokenizer_golden.py", "vocabulary": len(vocab), "cases": golden}, f, ensure_ascii=False, indent=1)
print(len(vocab), "pieces;", len(merges), "merges")
