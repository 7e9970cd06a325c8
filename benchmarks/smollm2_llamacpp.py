"""Benchmark: SmolLM2 prompt processing and generation, mola-inspect against llama.cpp.

In one run and with the same threads, alternating them `--rounds` times:
- mola-inspect: `mola-benchmark --gguf GGUF --prefill N --generate M` (this project's forward,
  weights dequantized to Float32 at load: `score`'s prefill over N tokens of the bundled data, and
  greedy generation of M tokens with the key/value cache after a short prompt);
- llama.cpp through llama-cpp-python (`CMAKE_ARGS=-DGGML_NATIVE=ON pip install llama-cpp-python`):
  the same GGUF, `eval` of the same N tokens (prompt processing, batch N; the last position's
  logits only, as llama.cpp's prompt processing does), the same with every position's logits
  (`logits_all`, what `score` computes), then M greedy tokens.
Reports the best tokens/s of each. The GGUF comes from notebooks-cli/fetch-smollm2.sh.

Usage: python3 benchmarks/smollm2_llamacpp.py GGUF [--threads 2] [--prefill 512] [--generate 128] [--rounds 3]
"""
import argparse, json, os, subprocess, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def llama_cpp(path, threads, prefill, generate):
    from llama_cpp import Llama
    model = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=prefill + generate + 64,
                  n_batch=prefill, logits_all=False, verbose=False)
    text = (ROOT / "examples" / "sample-data.jsonl").read_text()
    tokens = model.tokenize(text.encode(), add_bos=False, special=False)[:prefill]
    model.reset()
    start = time.perf_counter()
    model.eval(tokens)
    prefill_rate = len(tokens) / (time.perf_counter() - start)
    # What `score` computes: the logits of every position, not only the last.
    every = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=prefill + generate + 64,
                  n_batch=prefill, logits_all=True, verbose=False)
    every.reset()
    start = time.perf_counter()
    every.eval(tokens)
    prefill_all_rate = len(tokens) / (time.perf_counter() - start)
    del every
    model.reset()
    prompt = model.tokenize(b"Once upon a time", add_bos=False)
    start = time.perf_counter()
    produced = 0
    for _ in model.generate(prompt, temp=0.0, top_k=1, reset=True):
        produced += 1
        if produced == generate:
            break
    generate_rate = produced / (time.perf_counter() - start)
    return {"prefill_tokens_per_second": prefill_rate, "prefill_all_logits_tokens_per_second": prefill_all_rate,
            "generate_tokens_per_second": generate_rate, "prefill_tokens": len(tokens)}


def ours(binary, path, threads, prefill, generate):
    output = subprocess.run([binary, "--gguf", path, "--threads", str(threads), "--prefill", str(prefill), "--generate", str(generate)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gguf")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prefill", type=int, default=512)
    parser.add_argument("--generate", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "mola-benchmark"))
    args = parser.parse_args()
    best = {"mola-inspect": {}, "llama.cpp": {}}
    for _ in range(args.rounds):
        for name, run in (("mola-inspect", lambda: ours(args.binary, args.gguf, args.threads, args.prefill, args.generate)),
                          ("llama.cpp", lambda: llama_cpp(args.gguf, args.threads, args.prefill, args.generate))):
            result = run()
            for key, value in result.items():
                best[name][key] = max(best[name].get(key, 0), value)
    ratio = {key: best["mola-inspect"][key] / best["llama.cpp"][key]
             for key in ("prefill_tokens_per_second", "generate_tokens_per_second")}
    ratio["prefill_against_all_logits"] = (best["mola-inspect"]["prefill_tokens_per_second"]
                                           / best["llama.cpp"]["prefill_all_logits_tokens_per_second"])
    print(json.dumps({"threads": args.threads, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"), "best": best,
                      "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
