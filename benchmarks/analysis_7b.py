"""Benchmark: every redundancy metric and the spectrum on the LLaMA-2-7B-shaped 2468 adapter.

The adapter is the one benchmarks/redundancy_7b.py generates (32 layers, d 4096, MLP 11008,
r 8, alpha 16, all seven projections, F32 safetensors, about 423 MB, 2,464 tensors, seed 0),
under benchmarks/work/llama2-7b-2468/. When it is absent this script writes the same tensors
itself with numpy alone (a safetensors file is an 8-byte header length, a JSON header and the
raw bytes), so only numpy is needed.

It times, whole process, best of N, each of

  mola-inspect redundancy DIR --projections all --json --metric M    for M in delta a b cosine subspace router
  mola-inspect spectrum DIR --projections all --json

with the same --threads, a warm page cache, and prints each wall time and CPU time (user +
system; on a machine shared with other work the wall time is inflated, the CPU time much less),
their sums (the issue's budget: at most 2 s on 2 cores) and the BLAS kernels `mola-inspect
--version` reports.

Usage: python3 benchmarks/analysis_7b.py [--threads 2] [--repeats 3] [--binary PATH]
Build first: swift build -c release --product mola-inspect
"""
import argparse, json, resource, struct, subprocess, sys, time
from pathlib import Path

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--binary", help="the mola-inspect to time (default: .build/release/mola-inspect)")
args = parser.parse_args()

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work" / "llama2-7b-2468"
BINARY = Path(args.binary) if args.binary else ROOT / ".build" / "release" / "mola-inspect"
LAYERS, D, MLP, R, ALPHA = 32, 4096, 11008, 8, 16
EXPERTS = [2] * 8 + [4] * 8 + [6] * 8 + [8] * 8
PROJECTIONS = [("self_attn", "q_proj", D, D), ("self_attn", "k_proj", D, D), ("self_attn", "v_proj", D, D),
               ("self_attn", "o_proj", D, D), ("mlp", "gate_proj", D, MLP), ("mlp", "up_proj", D, MLP),
               ("mlp", "down_proj", MLP, D)]


def name(layer, block, projection, suffix):
    return f"base_model.model.model.layers.{layer}.{block}.{projection}.{suffix}"


def write_safetensors(tensors, path):
    header, offset = {}, 0
    for key, value in tensors.items():
        header[key] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + value.nbytes]}
        offset += value.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text)
        for value in tensors.values():
            file.write(np.ascontiguousarray(value, dtype="<f4").tobytes())


def generate():
    path = WORK / "adapter_model.safetensors"
    if path.exists():
        return
    WORK.mkdir(parents=True, exist_ok=True)
    print("generating the 7B-shaped adapter once (about 423 MB)...", file=sys.stderr)
    rng = np.random.default_rng(0)   # the same draws, in the same order, as redundancy_7b.py
    tensors = {}
    for layer, experts in enumerate(EXPERTS):
        for block, projection, d_in, d_out in PROJECTIONS:
            bound = 1 / np.sqrt(d_in)
            for e in range(experts):
                tensors[name(layer, block, projection, f"lora_A_{e}.weight")] = rng.uniform(-bound, bound, (R, d_in)).astype(np.float32)
                tensors[name(layer, block, projection, f"lora_B_{e}.weight")] = (rng.standard_normal((d_out, R)) * 0.01).astype(np.float32)
            tensors[name(layer, block, projection, "router.router.weight")] = rng.uniform(-bound, bound, (experts, d_in)).astype(np.float32)
    write_safetensors(tensors, path)
    (WORK / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": [R] * LAYERS, "lora_alpha": ALPHA, "lora_dropout": 0.05,
        "target_modules": [p for _, p, _, _ in PROJECTIONS], "base_model_name_or_path": "synthetic-llama-2-7b-shape"}))


def best(command):
    """The best wall time and the best CPU time (user + system) of `args.repeats` runs."""
    walls, cpus = [], []
    for _ in range(args.repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {result.stderr.decode()}")
    return min(walls), min(cpus)


generate()
version = subprocess.run([str(BINARY), "--version"], capture_output=True, text=True).stdout.strip()
print(version)
common = ["--projections", "all", "--json", "--threads", str(args.threads)]
best([str(BINARY), "redundancy", str(WORK)] + common)   # warm the page cache
total_wall = total_cpu = 0.0
commands = [(f"redundancy --metric {metric}", ["redundancy", str(WORK), "--metric", metric])
            for metric in ["delta", "a", "b", "cosine", "subspace", "router"]] + [("spectrum", ["spectrum", str(WORK)])]
for label, arguments in commands:
    wall, cpu = best([str(BINARY)] + arguments + common)
    total_wall += wall
    total_cpu += cpu
    print(f"{label:30s} wall {wall:6.3f} s   cpu {cpu:6.3f} s")
print(f"{'all metrics and the spectrum':30s} wall {total_wall:6.3f} s   cpu {total_cpu:6.3f} s  (budget: 2 s wall, {args.threads} threads)")
