"""Routing on a LLaMA-2-7B-shaped base in bounded memory, against Hugging Face transformers.

The base: 32 layers, hidden 4096, MLP 11008, 32 heads, vocab 32000, random F16 weights (seed 0:
windows of one pool of 2^26 N(0, 0.02) draws at random offsets, norms 1), about 13.5 GB in 3 safetensors shards with model.safetensors.index.json,
the LLaMA-layout tokenizer of Tests/Fixtures/llama-tokenizer; generated once into
$MOLA_CACHE/llama2-7b-shape-f16 (default ~/.cache/mola-inspect), never by the tests. The adapter:
the 7B-shaped 2468 adapter of adapter_7b.py. The tokens: the first 512 of the bundled
examples/sample-data.jsonl rendered with the Alpaca template, tokenised by `mola-inspect tokenize`,
as 2 windows of 256.

Each side runs alone (never two 7B copies at once), with the same threads:
1. `mola-benchmark --sgemm 512`: the Float32 matrix-product rate at a 7B layer's shapes.
2. `mola-inspect routing --base BASE ADAPTER --tokens ... --length 256 --batch 2 --threads T`:
   the whole command's wall and CPU time (mapping, adapter load, routing, report) and its peak anonymous
   memory (RssAnon of /proc/PID/status, polled every 20 ms; mapped weights are file pages).
3. transformers (bfloat16, low_cpu_mem_usage, torch threads T, eager attention): one forward
   over the same 2 x 256 tokens, timed alone after loading (wall and CPU); peak anonymous memory likewise.
On a machine shared with other work the CPU seconds are the steadier figure.

Usage: python3 benchmarks/routing_7b.py [--threads 2] [--skip-transformers] [--torch-python PATH]
Build first: swift build -c release --product mola-inspect; swift build -c release --product mola-benchmark
"""
import argparse, json, os, struct, subprocess, sys, tempfile, threading, time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import adapter_7b  # noqa: E402

CACHE = Path(os.environ.get("MOLA_CACHE", "~/.cache/mola-inspect")).expanduser() / "llama2-7b-shape-f16"
VOCAB, D, MLP, LAYERS, HEADS = 32000, 4096, 11008, 32, 32
SHARD_LAYERS = [range(0, 11), range(11, 22), range(22, 32)]
TOKENS, WINDOW = 512, 256
ALPACA = ("Below is an instruction that describes a task, paired with an input that provides further context. "
          "Write a response that appropriately completes the request.\n\n"
          "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n{output}")


def tensors_of_shard(index):
    """(name, shape) of each tensor of shard `index`, in file order."""
    names = [("model.embed_tokens.weight", (VOCAB, D))] if index == 0 else []
    for layer in SHARD_LAYERS[index]:
        prefix = f"model.layers.{layer}"
        names += [(f"{prefix}.input_layernorm.weight", (D,)), (f"{prefix}.post_attention_layernorm.weight", (D,))]
        names += [(f"{prefix}.self_attn.{p}_proj.weight", (D, D)) for p in "qkvo"]
        names += [(f"{prefix}.mlp.gate_proj.weight", (MLP, D)), (f"{prefix}.mlp.up_proj.weight", (MLP, D)),
                  (f"{prefix}.mlp.down_proj.weight", (D, MLP))]
    if index == len(SHARD_LAYERS) - 1:
        names += [("model.norm.weight", (D,)), ("lm_head.weight", (VOCAB, D))]
    return names


def generate_base():
    """Writes the base once (tensor by tensor: at most one tensor in memory)."""
    if (CACHE / "model.safetensors.index.json").exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"generating the 7B-shaped F16 base once into {CACHE} (about 13.5 GB)...", file=sys.stderr)
    # Drawing 6.7e9 normals takes longer than writing them: every matrix is a window of one pool of
    # 2^26 draws, at an offset drawn per tensor (so layers differ), cycled to the matrix's size.
    rng = np.random.default_rng(0)
    pool = (rng.standard_normal(1 << 26, dtype=np.float32) * 0.02).astype(np.float16)
    weight_map, total = {}, 0
    for index in range(len(SHARD_LAYERS)):
        file_name = f"model-{index + 1:05d}-of-{len(SHARD_LAYERS):05d}.safetensors"
        header, offset = {}, 0
        for name, shape in tensors_of_shard(index):
            size = int(np.prod(shape)) * 2
            header[name] = {"dtype": "F16", "shape": list(shape), "data_offsets": [offset, offset + size]}
            offset += size
            weight_map[name] = file_name
        total += offset
        text = json.dumps(header).encode()
        text += b" " * (-len(text) % 8)
        partial = CACHE / (file_name + ".partial")
        with open(partial, "wb") as out:
            out.write(struct.pack("<Q", len(text)) + text)
            for name, shape in tensors_of_shard(index):
                if len(shape) == 1:
                    values = np.ones(shape, dtype=np.float16)
                    out.write(values.tobytes())
                    continue
                remaining, start = int(np.prod(shape)), int(rng.integers(0, len(pool)))
                while remaining > 0:
                    piece = pool[start:start + remaining]
                    out.write(piece.tobytes())
                    remaining -= len(piece)
                    start = 0
        partial.rename(CACHE / file_name)
    (CACHE / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": VOCAB, "hidden_size": D,
        "intermediate_size": MLP, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": HEADS,
        "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "hidden_act": "silu", "tie_word_embeddings": False,
        "max_position_embeddings": 4096, "torch_dtype": "float16", "bos_token_id": 1, "eos_token_id": 2}, indent=1))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (CACHE / name).write_bytes((REPO / "Tests/Fixtures/llama-tokenizer" / name).read_bytes())
    (CACHE / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=1))


def peak_anonymous(process, stop):
    """Polls RssAnon of `process` (a Popen, or None for this process) until `stop` is set; returns a getter of the peak in bytes."""
    peak = [0]
    path = f"/proc/{process.pid if process else 'self'}/status"

    def poll():
        while not stop.is_set():
            try:
                for line in open(path):
                    if line.startswith("RssAnon:"):
                        peak[0] = max(peak[0], int(line.split()[1]) * 1024)
            except OSError:
                return
            time.sleep(0.02)
    threading.Thread(target=poll, daemon=True).start()
    return lambda: peak[0]


def tokens(binary):
    """The first 512 ids of the bundled data, rendered with the Alpaca template."""
    records = [json.loads(line) for line in (REPO / "examples/sample-data.jsonl").read_text().splitlines() if line.strip()]
    text = "\n\n".join(ALPACA.format(**record) for record in records)
    out = subprocess.run([binary, "tokenize", "--base", str(CACHE), text, "--json"], capture_output=True, text=True, check=True)
    ids = json.loads(out.stdout)["ids"]
    while len(ids) < TOKENS:
        ids += ids
    return ids[:TOKENS]


def routing_flops_per_token():
    """Multiply-adds x 2 of the base's projections a routing pass runs (the last down projection is skipped)."""
    per_layer = 4 * D * D + 3 * D * MLP
    return 2 * (LAYERS * per_layer - D * MLP)


def run_ours(binary, benchmark, adapter, ids, threads):
    sgemm = json.loads(subprocess.run([benchmark, "--sgemm", str(TOKENS), "--threads", str(threads)],
                                      capture_output=True, text=True, check=True).stdout)
    work = Path(tempfile.mkdtemp())
    (work / "tokens.json").write_text(json.dumps([ids]))
    command = [binary, "routing", "--base", str(CACHE), str(adapter), "--tokens", str(work / "tokens.json"),
               "--length", str(WINDOW), "--batch", str(TOKENS // WINDOW), "--threads", str(threads),
               "--json", "--output", str(work / "routing.json")]
    start = time.perf_counter()
    stop = threading.Event()
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    peak = peak_anonymous(process, stop)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = status
    seconds = time.perf_counter() - start
    stop.set()
    assert status == 0, f"mola-inspect exited {status}"
    report = json.loads((work / "routing.json").read_text())
    rate = routing_flops_per_token() * TOKENS / seconds / 1e9
    return {"side": "mola-inspect", "threads": threads, "blas_kernel": sgemm["blas_kernel"], "tokens": report["tokens"],
            "seconds": round(seconds, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "tokens_per_second": round(TOKENS / seconds, 2),
            "peak_anonymous_gb": round(peak() / 1e9, 3), "gflops": round(rate, 1), "sgemm_gflops": sgemm["sgemm_gflops"],
            "fraction_of_sgemm": round(rate / sgemm["sgemm_gflops"], 3)}


def transformers_worker(threads, ids_path):
    """Runs in its own process: load in bfloat16, one timed forward; prints a JSON line."""
    import torch
    from transformers import LlamaForCausalLM
    torch.set_num_threads(threads)
    stop = threading.Event()
    peak = peak_anonymous(None, stop)
    start = time.perf_counter()
    model = LlamaForCausalLM.from_pretrained(CACHE, torch_dtype=torch.bfloat16, low_cpu_mem_usage=True,
                                             attn_implementation="eager").eval()
    load = time.perf_counter() - start
    ids = torch.tensor(json.loads(Path(ids_path).read_text())).reshape(TOKENS // WINDOW, WINDOW)
    start, processor = time.perf_counter(), time.process_time()
    with torch.no_grad():
        model.model(input_ids=ids)  # the decoder alone: routing needs no LM head
    seconds, processor = time.perf_counter() - start, time.process_time() - processor
    stop.set()
    print(json.dumps({"side": "transformers", "threads": threads, "torch": torch.__version__, "load_seconds": round(load, 1),
                      "seconds": round(seconds, 2), "cpu_seconds": round(processor, 2),
                      "tokens_per_second": round(TOKENS / seconds, 2), "peak_anonymous_gb": round(peak() / 1e9, 3)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--torch-python", default="/work/venv-torch/bin/python")
    parser.add_argument("--transformers-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.transformers_worker:
        return transformers_worker(args.threads, args.transformers_worker)
    binary = str(REPO / ".build/release/mola-inspect")
    benchmark = str(REPO / ".build/release/mola-benchmark")
    generate_base()
    adapter = adapter_7b.generate().parent
    ids = tokens(binary)
    ours = run_ours(binary, benchmark, adapter, ids, args.threads)
    print(json.dumps(ours), flush=True)
    if args.skip_transformers:
        return
    ids_path = Path(tempfile.mkdtemp()) / "ids.json"
    ids_path.write_text(json.dumps(ids))
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run([args.torch_python, __file__, "--threads", str(args.threads), "--transformers-worker", str(ids_path)],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        print(out.stderr[-2000:], file=sys.stderr)
        return 1
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(theirs))
    print(json.dumps({"speedup": round(ours["tokens_per_second"] / theirs["tokens_per_second"], 2),
                      "memory_ratio": round(ours["peak_anonymous_gb"] / theirs["peak_anonymous_gb"], 3)}))


if __name__ == "__main__":
    sys.exit(main())
