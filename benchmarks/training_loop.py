"""Benchmark: the whole training loop of `mola-inspect train` against PyTorch's step loop.

On the model-core benchmark model (4 layers, hidden 256, 4 heads, MLP 688, vocab 512, experts
2 4 6 8, top-2, r 8, alpha 16, all seven projections, micro batch 8 x 128 tokens, dropout 0),
times `mola-inspect train` end to end (process start, generating and tokenising the data,
loading the base, the steps with logging, writing the checkpoint at the end) and compares its
tokens/s with the training loop of ../shared/bench/torch_mola_speed.py (steps only), both with
the same thread count, alternating `--rounds` times; reports the best of each.

Usage (needs torch from PyPI; build first: bash notebooks-cli/build-release.sh mola-inspect):
    python3 benchmarks/training_loop.py [--threads 2] [--rounds 3] [--steps 50]
"""
import argparse, os, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / ".build" / "release" / "mola-inspect"
TORCH = ROOT.parent / "shared" / "bench" / "torch_mola_speed.py"
WORK = ROOT / "benchmarks" / "work"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    if not BINARY.exists():
        sys.exit("build first: bash notebooks-cli/build-release.sh mola-inspect")
    environment = dict(os.environ, THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    base = WORK / "training-loop-base"
    subprocess.run([str(BINARY), "train", "--pretrain", "--layers", "4", "--hidden", "256", "--heads", "4", "--mlp", "688",
                    "--vocab", "512", "--tasks", "1", "--steps", "1", "--cutoff", "128", "--batch", "4", "--micro-batch", "4",
                    "--out", str(base), "--overwrite"], check=True, capture_output=True)
    command = [str(BINARY), "train", "--base", str(base), "--allocation", "2,4,6,8", "--rank", "8", "--alpha", "16",
               "--top-k", "2", "--dropout", "0", "--tasks", "200", "--cutoff", "128", "--batch", "8", "--micro-batch", "8",
               "--steps", str(args.steps), "--threads", str(args.threads), "--json", "--out", str(WORK / "training-loop-run"),
               "--overwrite"]
    tokens = args.steps * 8 * 128  # every sequence of the generated tasks fills the 128-token cutoff
    ours, theirs = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=environment)
        ours.append(tokens / (time.perf_counter() - start))
        output = subprocess.run([sys.executable, str(TORCH)], check=True, capture_output=True, text=True, env=environment).stdout
        theirs.append(int(re.search(r"train (\d+) tokens/s", output).group(1)))
    print(f"training loop, benchmark model, micro batch 8 x 128, {args.steps} steps, {args.threads} threads, best of {args.rounds}")
    print(f"mola-inspect train (whole process: data, base, steps, logging, checkpoint): {max(ours):.0f} tokens/s")
    print(f"PyTorch step loop (torch_mola_speed.py, steps only):                      {max(theirs):.0f} tokens/s")
    print(f"ratio: {max(ours) / max(theirs):.2f}x")


main()
