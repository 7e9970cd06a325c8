"""Benchmark: `mola-inspect redundancy` on a LLaMA-2-7B-shaped MoLA adapter against numpy.

Generates once (seeded) a MoLA adapter shaped like LLaMA-2-7B with the paper's 2468
allocation: 32 layers, d 4096, MLP 11008, r 8, alpha 16, all seven projections, F32
safetensors (about 423 MB, 2,464 tensors), under benchmarks/work/. Then, in one run, with
the same number of threads for everyone and a warm page cache, it times:

  1. mola-inspect redundancy DIR --projections all --json   (whole process, best of N),
     with its peak anonymous memory (RssAnon, beyond the mapped file), polled from /proc
  2. numpy, Gram identity, float64 accumulation (the same analysis, same precision)
  3. numpy, Gram identity, float32 (faster than 2, but loses digits on near-equal experts)
  4. numpy, forming every dW = s B A (float32) and taking norms of differences, on one layer
     of each expert-count group, extrapolated to 32 layers

and checks that 1 and 2 agree. Needs numpy and safetensors (pip install numpy safetensors).

Usage: python3 benchmarks/redundancy_7b.py [--threads 2] [--repeats 3] [--skip-dense] [--binary PATH]
Build first: bash notebooks-cli/build-release.sh mola-inspect
"""
import argparse, itertools, json, os, subprocess, sys, threading, time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--skip-dense", action="store_true")
parser.add_argument("--binary", help="the mola-inspect to time (default: .build/release/mola-inspect), e.g. an earlier build")
args = parser.parse_args()
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread settings)
from safetensors.numpy import load_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BINARY = Path(args.binary) if args.binary else ROOT / ".build" / "release" / "mola-inspect"
from adapter_7b import WORK, R, ALPHA, EXPERTS, PROJECTIONS, name, generate  # noqa: E402


def run_mola_inspect():
    """Wall time and peak RssAnon (MB) of one run; the JSON it printed."""
    command = [str(BINARY), "redundancy", str(WORK), "--projections", "all", "--json", "--threads", str(args.threads)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]

    def poll():
        status = f"/proc/{process.pid}/status"
        while process.poll() is None:
            try:
                for line in open(status):
                    if line.startswith("RssAnon:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.0005)

    poller = threading.Thread(target=poll)
    poller.start()
    output, errors = process.communicate()
    elapsed = time.perf_counter() - start
    poller.join()
    if process.returncode != 0:
        sys.exit(f"mola-inspect failed: {errors.decode()}")
    return elapsed, peak[0] / 1024, json.loads(output)


def numpy_gram(tensors, dtype):
    """Every pairwise ||dW_i - dW_j||_F via the Gram identity, per (layer, projection)."""
    result = {}
    for layer, experts in enumerate(EXPERTS):
        s = ALPHA / R
        for block, projection, _, _ in PROJECTIONS:
            A = np.concatenate([tensors[name(layer, block, projection, f"lora_A_{e}.weight")] for e in range(experts)]).astype(dtype)
            B = np.concatenate([tensors[name(layer, block, projection, f"lora_B_{e}.weight")] for e in range(experts)], axis=1).astype(dtype)
            GA, GB = A @ A.T, B.T @ B
            inner = (GA * GB).reshape(experts, R, experts, R).sum(axis=(1, 3)) * s * s
            result[(layer, projection)] = [float(np.sqrt(max(inner[i, i] + inner[j, j] - 2 * inner[i, j], 0)))
                                           for i, j in itertools.combinations(range(experts), 2)]
    return result


def numpy_dense_layer(tensors, layer):
    experts, s = EXPERTS[layer], ALPHA / R
    for block, projection, _, _ in PROJECTIONS:
        dW = [s * tensors[name(layer, block, projection, f"lora_B_{e}.weight")] @ tensors[name(layer, block, projection, f"lora_A_{e}.weight")]
              for e in range(experts)]
        [float(np.linalg.norm(dW[i] - dW[j])) for i, j in itertools.combinations(range(experts), 2)]


def main():
    if not BINARY.exists():
        sys.exit("build first: bash notebooks-cli/build-release.sh mola-inspect")
    path = generate()
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    size_mb = path.stat().st_size / 1e6

    runs = [run_mola_inspect() for _ in range(args.repeats)]
    mola_time = min(r[0] for r in runs)
    mola_rss = max(r[1] for r in runs)
    report = runs[0][2]

    times64, times32 = [], []
    for _ in range(args.repeats):
        start = time.perf_counter(); tensors = load_file(str(path)); reference = numpy_gram(tensors, np.float64)
        times64.append(time.perf_counter() - start); del tensors
        start = time.perf_counter(); tensors = load_file(str(path)); numpy_gram(tensors, np.float32)
        times32.append(time.perf_counter() - start)
    numpy64, numpy32 = min(times64), min(times32)

    worst = 0.0
    for layer in report["layers"]:
        for projection, entry in layer["projections"].items():
            ours = np.array([pair[2] for pair in entry["pairs"]])
            theirs = np.array(reference[(layer["layer"], projection)])
            worst = max(worst, float(np.max(np.abs(ours - theirs) / np.abs(theirs))))

    print(f"7B-shaped MoLA adapter, allocation 2468: {size_mb:.0f} MB F32, 2,464 tensors; {args.threads} threads, warm page cache")
    print(f"mola-inspect redundancy --projections all --json: {mola_time:.3f} s wall (best of {args.repeats}), peak RssAnon {mola_rss:.1f} MB")
    print(f"numpy Gram, float64 (load + analysis):           {numpy64:.3f} s  -> mola-inspect is {numpy64 / mola_time:.1f}x faster")
    print(f"numpy Gram, float32 (load + analysis):           {numpy32:.3f} s  -> mola-inspect is {numpy32 / mola_time:.1f}x faster")
    print(f"largest relative difference, mola-inspect vs numpy float64 Gram: {worst:.2e}")
    if not args.skip_dense:
        tensors = load_file(str(path))
        start = time.perf_counter()
        for layer in (0, 8, 16, 24):  # one layer of each expert-count group
            numpy_dense_layer(tensors, layer)
        dense = (time.perf_counter() - start) * 8
        print(f"numpy dense dW, float32 (4 layers timed, x8):    {dense:.1f} s  -> mola-inspect is {dense / mola_time:.0f}x faster")


main()
