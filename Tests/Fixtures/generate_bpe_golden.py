"""Golden ids for byte-level BPE and for SentencePiece by scores (Tests/MoLATextTests/ByteLevelTokenizerTests.swift).

With the `tokenizers` library (PyPI), trains a small byte-level BPE (a few hundred merges over the
256 byte characters) for each pre-tokenizer configuration in use, saves its tokenizer.json and
records the ids the library gives for a varied set of strings, and its decoding of them:

  gpt2/     ByteLevel(add_prefix_space=False, use_regex=True); decoder and post-processor ByteLevel
  llama3/   Split(LLaMA 3 regex, Isolated) + ByteLevel(use_regex=False), ignore_merges, and the
            template "<|begin_of_text|> $A"
  qwen2/    NFC, Split(Qwen2 regex: one digit at a time) + ByteLevel(use_regex=False)
  smollm/   Digits(individual_digits=True) + ByteLevel(use_regex=True)

GGUF-shaped copies (`TokenizerVocabulary` JSON: tokens, token types, merges as llama.cpp reads
them from `tokenizer.ggml.*`) of llama3 (pre `llama-bpe`) and smollm (pre `smollm`) must give the
same ids. `spm-vocabulary.json` is the LLaMA-layout tokenizer of generate_tokenizer_golden.py as
GGUF `llama` metadata (scores, byte tokens); its golden ids come from the library running that
vocabulary as transformers' LlamaConverter turns SentencePiece models into tokenizer.json (merges:
every pair of pieces that joins into a piece, by the joined piece's score), which is what
llama.cpp's score-ordered join computes.

Usage: pip install tokenizers && python3 Tests/Fixtures/generate_bpe_golden.py
Writes Tests/Fixtures/bpe-tokenizers/{gpt2,llama3,qwen2,smollm}/tokenizer.json,
{llama3,smollm,spm}-vocabulary.json and golden.json.
"""
import json, os
from tokenizers import Tokenizer, Regex, AddedToken, models, normalizers, pre_tokenizers, processors, decoders, trainers

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bpe-tokenizers")
GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

TEXTS = [
    "Hello world! The experts of lower layers are more alike than those of higher layers.",
    "It's THEY'RE, I'M, YOU'LL, WE'VE, he'd, don't, 'quoted' and 'sure' and ''s",
    "Zürich, naïve café, São Paulo, Ærøskøbing; e\u0301 decomposed and é composed",
    "中文字符和日本語のテキスト、한국어 텍스트도 있습니다。",
    "emoji 🙂 and the family 👩\u200d👩\u200d👧\u200d👦, a flag 🏳️\u200d🌈 and 👍🏽 skin tone",
    "1234567890 and 3.14159, 2024-12-06, 1,000,000 and 0000007",
    "roman Ⅻ, half ½, squares ²³, Arabic ٣٤٥ and Persian ۱۲",
    "def square(x):\n    return x ** 2  # square it\n\tif (a != b) { y += 1; }\n",
    "a  b   c    d     e",
    "  leading spaces",
    "trailing spaces   ",
    "tabs\tand\nnewlines\n\n\nthree\r\nCRLF\r\n and \r alone",
    "   \n  \t x \n\n",
    "\n",
    " ",
    "",
    "special <|endoftext|>text<|im_start|>user\nhi<|im_end|> and <|begin_of_text|>x<|eot_id|>",
    "SentencePiece's specials: <s> inside, </s>end and <unk>",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "punctuation... !!! ??? --- \"quoted\" (parens) [brackets] {braces} @#%&*",
    "$100 + 20% <=> ^~| and x=1;y=22;z=333;w=4444;v=55555",
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
    "URL https://example.com/path?q=1&r=two#frag and email a.b@c.org",
    "mixed1234abc and abc1234 and 12ab34",
]
TRAINING = "\n".join(TEXTS * 3) + """
The router picks the top two experts for every token; selection counts, shares and probabilities.
Les experts des couches basses se ressemblent davantage. Die Experten der unteren Schichten.
数字 12345 67890 和 代码 for i in range(10): print(i * 2)
""" * 4

SPECIALS = {
    "gpt2": ["<|endoftext|>"],
    "llama3": ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"],
    "qwen2": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
    "smollm": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
}

def pre_tokenizer(name):
    if name == "gpt2":
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if name in ("llama3", "qwen2"):
        regex = LLAMA3_REGEX if name == "llama3" else QWEN2_REGEX
        return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
                                        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])

def build(name, merges=300):
    specials = SPECIALS[name]
    tokenizer = Tokenizer(models.BPE(ignore_merges=(name == "llama3")))
    if name == "qwen2":
        tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizer(name)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=256 + merges, special_tokens=[], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(TRAINING.splitlines(keepends=True), trainer)
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if name == "llama3":
        bos = tokenizer.token_to_id("<|begin_of_text|>")
        tokenizer.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                          special_tokens=[("<|begin_of_text|>", bos)])])
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return tokenizer

def vocabulary(tokenizer, pre, bos=None, eos=None):
    """The tokenizer as GGUF metadata: tokens by id, types (3 control for special added tokens), merges."""
    state = json.loads(tokenizer.to_str())
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    tokens = [tokenizer.id_to_token(i) for i in range(size)]
    specials = {t["id"] for t in state["added_tokens"] if t["special"]}
    merges = [m if isinstance(m, str) else " ".join(m) for m in state["model"]["merges"]]
    return {"model": "gpt2", "pre": pre, "tokens": tokens, "tokenTypes": [3 if i in specials else 1 for i in range(size)],
            "merges": merges, "bosId": bos, "eosId": eos}

def spm():
    """The LLaMA-layout tokenizer of generate_tokenizer_golden.py as GGUF `llama` metadata, and the
    library running it as LlamaConverter converts a SentencePiece model."""
    state = json.load(open(os.path.join(os.path.dirname(HERE), "llama-tokenizer", "tokenizer.json")))
    vocab = state["model"]["vocab"]
    tokens = [None] * len(vocab)
    for piece, i in vocab.items():
        tokens[i] = piece
    # SentencePiece BPE scores: learned pieces by order (earlier higher); specials and bytes 0.
    scores = [0.0 if i < 259 else -float(i - 259) for i in range(len(tokens))]
    types = [2, 3, 3] + [6] * 256 + [1] * (len(tokens) - 259)
    merges = []
    # Every pair of (learned or single-character) pieces joining into a learned piece, by its score.
    learned = {t: i for i, t in enumerate(tokens) if i >= 259}
    for piece, i in learned.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in learned and right in learned:
                merges.append((scores[i], learned[left], learned[right], left, right))
    merges.sort(key=lambda m: (-m[0], m[1], m[2]))
    model = models.BPE(vocab=vocab, merges=[(m[3], m[4]) for m in merges], unk_token="<unk>", fuse_unk=True, byte_fallback=True)
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in ("<unk>", "<s>", "</s>")])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    metadata = {"model": "llama", "tokens": tokens, "tokenTypes": types, "scores": scores,
                "bosId": 1, "eosId": 2, "unknownId": 0, "addBOS": True, "addSpacePrefix": True}
    return tokenizer, metadata

def main():
    golden = {"generator": "Tests/Fixtures/generate_bpe_golden.py", "texts": TEXTS, "tokenizers": {}}
    built = {}
    for name in ("gpt2", "llama3", "qwen2", "smollm"):
        tokenizer = build(name)
        built[name] = tokenizer
        os.makedirs(os.path.join(HERE, name), exist_ok=True)
        tokenizer.save(os.path.join(HERE, name, "tokenizer.json"))
        ids = [tokenizer.encode(text).ids for text in TEXTS]
        golden["tokenizers"][name] = {
            "ids": ids,
            "ids_without_specials": [tokenizer.encode(text, add_special_tokens=False).ids for text in TEXTS],
            "decoded": [tokenizer.decode(i, skip_special_tokens=True) for i in ids],
        }
    llama3 = built["llama3"]
    with open(os.path.join(HERE, "llama3-vocabulary.json"), "w") as f:
        json.dump(vocabulary(llama3, "llama-bpe", bos=llama3.token_to_id("<|begin_of_text|>"), eos=llama3.token_to_id("<|end_of_text|>")),
                  f, ensure_ascii=False)
    with open(os.path.join(HERE, "smollm-vocabulary.json"), "w") as f:
        json.dump(vocabulary(built["smollm"], "smollm", eos=built["smollm"].token_to_id("<|endoftext|>")), f, ensure_ascii=False)
    tokenizer, metadata = spm()
    with open(os.path.join(HERE, "spm-vocabulary.json"), "w") as f:
        json.dump(metadata, f, ensure_ascii=False)
    spm_ids = [[1] + tokenizer.encode(text).ids for text in TEXTS]
    golden["tokenizers"]["spm"] = {"ids": spm_ids, "decoded": [tokenizer.decode(i, skip_special_tokens=True) for i in spm_ids]}
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(golden, f, ensure_ascii=False, indent=0)

if __name__ == "__main__":
    main()
