"""Checks `mola-inspect convert BASE.gguf --to-hf DIR` with transformers: the directory loads with
AutoModelForCausalLM and AutoTokenizer, its tokenizer gives the ids `mola-inspect tokenize` gives
on the GGUF, and its log-probabilities agree with `mola-inspect score` on the GGUF (top 10 at
every position; 1e-3 for F32, 5e-2 for F16 weights, which round the weights themselves).

Usage (pip install torch transformers; run convert first):
    python3 notebooks-cli/check_convert_hf.py BASE.gguf DIR [--binary .build/release/mola-inspect]
"""
import argparse, json, subprocess, sys
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

TEXTS = ["The mitochondria is the powerhouse of the cell.", "In 1969, Apollo 11 landed on the Moon; 12345 + 678 = ?",
         "café naïve 東京 🙂👍🏽  tabs\tand\nnewlines\r\n  spaces   end",
         "<|im_start|>user\nWhat's 2+2?<|im_end|>\n<|im_start|>assistant\n", "def f(x):\n    return x ** 2  # square"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gguf")
    parser.add_argument("directory")
    parser.add_argument("--binary", default=".build/release/mola-inspect")
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.directory)
    model = AutoModelForCausalLM.from_pretrained(args.directory, dtype=torch.float32).eval()
    dtype = json.load(open(f"{args.directory}/config.json")).get("torch_dtype", "float32")
    tolerance = 1e-3 if dtype == "float32" else 5e-2
    failures, worst = 0, 0.0
    for text in TEXTS:
        ours = json.loads(subprocess.run([args.binary, "tokenize", "--base", args.gguf, text, "--json"],
                                         check=True, capture_output=True, text=True).stdout)["ids"]
        theirs = tokenizer(text, add_special_tokens=True)["input_ids"]
        if ours != theirs:
            failures += 1
            print(f"ids differ for {text!r}:\n  mola-inspect {ours}\n  transformers {theirs}")
        scored = json.loads(subprocess.run([args.binary, "score", "--base", args.gguf, "--text", text, "--top", "10", "--json"],
                                           check=True, capture_output=True, text=True).stdout)[0]
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([ours])).logits[0].double(), -1)
        rows = [token["top"] for token in scored["tokens"][1:]] + [scored["next"]]
        for position, top in enumerate(rows):
            for entry in top:
                worst = max(worst, abs(entry["logprob"] - logprobs[position, entry["id"]].item()))
    print(json.dumps({"texts": len(TEXTS), "tokenizer_mismatches": failures, "max_abs_logprob_difference": worst,
                      "weights": dtype, "tolerance": tolerance}))
    sys.exit(0 if failures == 0 and worst <= tolerance else 1)


if __name__ == "__main__":
    main()
