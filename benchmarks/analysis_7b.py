"""Benchmark: every redundancy metric and the spectrum on the LLaMA-2-7B-shaped 2468 adapter.

The adapter is benchmarks/adapter_7b.py's (32 layers, d 4096, MLP 11008, r 8, alpha 16, all
seven projections, F32 safetensors, about 423 MB, 2,464 tensors, seed 0), shared with
redundancy_7b.py and written once with numpy alone, so only numpy is needed.

It times, whole process, best of N, each of

  mola-inspect redundancy DIR --projections all --json --metric M    for M in delta a b cosine subspace router
  mola-inspect spectrum DIR --projections all --json

with the same --threads, a warm page cache, and prints each wall time and CPU time (user +
system; on a machine shared with other work the wall time is inflated, the CPU time much less),
their sums (the issue's budget: at most 2 s on 2 cores) and the BLAS kernels `mola-inspect
--version` reports.

Usage: python3 benchmarks/analysis_7b.py [--threads 2] [--repeats 3] [--binary PATH]
Build first: bash notebooks-cli/build-release.sh mola-inspect
"""
import argparse, resource, subprocess, sys, time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--binary", help="the mola-inspect to time (default: .build/release/mola-inspect)")
args = parser.parse_args()

ROOT = Path(__file__).resolve().parent.parent
BINARY = Path(args.binary) if args.binary else ROOT / ".build" / "release" / "mola-inspect"
from adapter_7b import WORK, generate  # noqa: E402


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
