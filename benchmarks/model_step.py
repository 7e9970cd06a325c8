"""Benchmark: one MoLA fine-tuning step and the routing forward, mola-benchmark against PyTorch.

Runs, in one invocation and with the same thread count, `.build/release/mola-benchmark`
(this project's model core: forward, loss, backward, AdamW on the adapter; the routing
forward with selections gathered; and the routing analysis with every statistic) and `../shared/bench/torch_mola_speed.py` (a clean modern
PyTorch implementation of the same model and step), alternating them `--rounds` times, and
reports the best tokens/s of each and their peak resident memory (VmHWM).

Model: 4 layers, hidden 256, 4 heads, MLP 688, vocab 512, experts 2 4 6 8, top-2, r 8,
alpha 16, all seven projections, micro batch 8 x 128 tokens. `--shape smollm2` runs
SmolLM2-135M's shape instead (30 layers, hidden 576, 9 heads / 3 key/value heads, MLP 1536,
vocab 49152, tied embeddings, experts 2468): `--shape smollm2` for mola-benchmark, SHAPE=smollm2
for the PyTorch script.

mola-benchmark also reports the CPU seconds (all threads) of a step and of a routing forward:
on a machine shared with other work they say what the work costs where tokens/s also count
the waiting for a core.

Usage (needs torch from PyPI; build first: bash notebooks-cli/build-release.sh mola-benchmark):
    python3 benchmarks/model_step.py [--threads 2] [--rounds 3] [--shape benchmark|smollm2] [--steps 10] [--binary PATH]
"""
import argparse, json, os, re, subprocess, sys, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".build" / "release" / "mola-benchmark"
TORCH = ROOT.parent / "shared" / "bench" / "torch_mola_speed.py"


def run(command, environment):
    """Runs a command, polling its peak resident memory; returns (stdout, peak MB)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    peak = [0]

    def poll():
        while process.poll() is None:
            try:
                for line in open(f"/proc/{process.pid}/status"):
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.01)

    watcher = threading.Thread(target=poll)
    watcher.start()
    output, errors = process.communicate()
    watcher.join()
    if process.returncode != 0:
        sys.exit(f"{command[0]} failed: {errors.decode()}")
    return output.decode(), peak[0] / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shape", choices=["benchmark", "smollm2"], default="benchmark",
                        help="the benchmark model, or SmolLM2-135M's shape with experts 2468")
    parser.add_argument("--steps", type=int, default=10, help="mola-benchmark's timed steps of each kind")
    parser.add_argument("--binary", help="the mola-benchmark to time (default: .build/release/mola-benchmark)")
    args = parser.parse_args()
    binary = Path(args.binary) if args.binary else BINARY
    if not binary.exists():
        sys.exit("build first: bash notebooks-cli/build-release.sh mola-benchmark")
    environment = dict(os.environ, THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads), SHAPE=args.shape)
    ours, theirs = [], []
    for _ in range(args.rounds):
        output, memory = run([str(binary), "--threads", str(args.threads), "--steps", str(args.steps), "--shape", args.shape],
                             environment)
        result = json.loads(output)
        ours.append((result["train_tokens_per_second"], result["routing_tokens_per_second"], memory,
                     result["routing_statistics_tokens_per_second"], result["train_cpu_seconds_per_step"],
                     result["routing_cpu_seconds_per_forward"]))
        kernel = result.get("blas_kernel", "unknown")
        output, memory = run([sys.executable, str(TORCH)], environment)
        match = re.search(r"train (\d+) tokens/s, routing forward (\d+) tokens/s", output)
        theirs.append((int(match.group(1)), int(match.group(2)), memory))
        version = output.split(",")[1].strip()
    best = lambda rows, column: max(row[column] for row in rows)
    model = "MoLA benchmark model" if args.shape == "benchmark" else "SmolLM2-135M's shape (experts 2468)"
    print(f"{model}, micro batch 8 x 128, {args.threads} threads, best of {args.rounds} alternating rounds,"
          f" OpenBLAS kernels {kernel} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    print(f"mola-benchmark:        train {best(ours, 0):6d} tokens/s, routing forward {best(ours, 1):6d} tokens/s, peak RSS {max(r[2] for r in ours):.0f} MB")
    print(f"PyTorch ({version}): train {best(theirs, 0):6d} tokens/s, routing forward {best(theirs, 1):6d} tokens/s, peak RSS {max(r[2] for r in theirs):.0f} MB")
    print(f"ratio:                 train {best(ours, 0) / best(theirs, 0):.2f}x, routing forward {best(ours, 1) / best(theirs, 1):.2f}x")
    least = lambda column: min(row[column] for row in ours)
    tokens = 8 * 128
    print(f"mola-benchmark CPU time (all threads): {least(4):.2f} s a training step ({tokens / least(4):.0f} tokens per CPU second),"
          f" {least(5):.2f} s a routing forward ({tokens / least(5):.0f} tokens per CPU second)")
    print(f"routing analysis (mola-inspect routing's loop, all statistics gathered, no LM head): {best(ours, 3)} tokens/s,"
          f" {best(ours, 3) / best(theirs, 1):.2f}x PyTorch's routing forward")
    each = [mine[3] / other[1] for mine, other in zip(ours, theirs)]
    print(f"routing analysis / PyTorch routing forward, round by round: {min(each):.2f}x to {max(each):.2f}x")


main()
