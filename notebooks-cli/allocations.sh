#!/usr/bin/env bash
# The paper's first claim at laptop scale: which allocation of experts over the layers fine-tunes
# SmolLM2-135M best at equal parameters (5555, 8642, 2468, 8228: 160 experts per projection),
# beside plain LoRA and the larger 8888. Each method is trained with 3 seeds (30 steps of 8, the
# quick start's recipe; the seed also draws the training questions) and scored on the same 80
# held-out questions (20 per domain). Resumable: a run whose eval report exists is kept.
# Results: plots/allocations-smollm2.{json,md,png} and plots/allocations-smollm2-allocation.png.
# Usage: bash notebooks-cli/allocations.sh [RUNS_DIR]   (59 minutes measured on 2 cores after the build, part of it
#   beside other work; 2 to 4 minutes a run)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/smollm2-experiment.sh
runs="${1:-runs/allocations-smollm2}"
seeds=(1 2 3)
mkdir -p "$runs" plots
reports=() labels=()
for seed in "${seeds[@]}"; do
  for method in "${methods[@]}"; do
    run="$runs/seed-$seed/$method"
    mkdir -p "$runs/seed-$seed"
    if [ ! -f "$run/eval.json" ]; then
      echo "== $(elapsed): $method, seed $seed ==" >&2
      # shellcheck disable=SC2046
      "$mola" train --base "$base" --allocation $(allocation_of "$method") --tasks 60 --steps 30 --seed "$seed" "${recipe[@]}" \
        --out "$run" --overwrite >"$run.train.log"
      "$mola" eval --base "$base" "$run" --tasks 20 --seed 7 --answers label --max-new-tokens 8 --length 160 "${threads[@]}" \
        --json --output "$run/eval.json"
    fi
    reports+=("$run/eval.json") labels+=("$method")
  done
done
echo "== $(elapsed): summary ==" >&2
for method in "${methods[@]}"; do
  "$mola" info "$runs/seed-1/$method" --json --output "$runs/info-$method.json"
done
python3 - "$runs" "${seeds[*]}" "${methods[*]}" <<'PYTHON' | tee plots/allocations-smollm2.md
import json, math, sys
runs, seeds, methods = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def mean(v): return sum(v) / len(v)
def std(v): return math.sqrt(sum((x - mean(v)) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
reports = {m: [json.load(open(f"{runs}/seed-{s}/{m}/eval.json")) for s in seeds] for m in methods}
domains = [g["name"] for g in reports[methods[0]][0]["groups"]]
summary = {"seeds": [int(s) for s in seeds], "questions_per_domain": reports[methods[0]][0]["groups"][0]["total"], "methods": []}
print(f"| method | parameters | " + " | ".join(domains) + " | all |")
print("|---|---|" + "---|" * (len(domains) + 1))
for m in methods:
    info = json.load(open(f"{runs}/info-{m}.json"))
    per_domain = {d: [next(g["accuracy"] for g in r["groups"] if g["name"] == d) for r in reports[m]] for d in domains}
    overall = [r["accuracy"] for r in reports[m]]
    summary["methods"].append({"method": m, "parameters": info["parameter_count"],
                               "accuracy": {d: {"runs": v, "mean": mean(v), "std": std(v)} for d, v in per_domain.items()},
                               "overall": {"runs": overall, "mean": mean(overall), "std": std(overall)}})
    cells = [f"{mean(v):.3f} ± {std(v):.3f}" for v in per_domain.values()] + [f"**{mean(overall):.3f} ± {std(overall):.3f}**"]
    print(f"| {'LoRA' if m == 'lora' else 'MoLA ' + m} | {info['parameter_count']:,} | " + " | ".join(cells) + " |")
# Does a difference exceed the seed spread? Welch's t on the overall accuracies (3 runs each):
# |t| above 2.78 (two-sided 5%, 4 degrees of freedom) is called a difference.
print()
print("Pairs whose overall accuracies differ by more than the seed spread (Welch's |t| > 2.78):")
found = False
overall = {m["method"]: m["overall"]["runs"] for m in summary["methods"]}
pairs = []
for i, a in enumerate(methods):
    for b in methods[i + 1:]:
        spread = math.sqrt(std(overall[a]) ** 2 / len(overall[a]) + std(overall[b]) ** 2 / len(overall[b]))
        t = (mean(overall[a]) - mean(overall[b])) / spread if spread > 0 else float("inf") if overall[a] != overall[b] else 0.0
        pairs.append({"a": a, "b": b, "difference": mean(overall[a]) - mean(overall[b]), "t": t})
        if abs(t) > 2.78:
            found = True
            print(f"- {a} vs {b}: {mean(overall[a]) - mean(overall[b]):+.3f} (t = {t:.1f})")
if not found: print("- none")
summary["pairs"] = pairs
json.dump(summary, open("plots/allocations-smollm2.json", "w"), indent=1)
PYTHON
"$mola" plot accuracy "${reports[@]}" --labels "$(IFS=,; echo "${labels[*]}")" -o plots/allocations-smollm2.png \
  --title "SmolLM2-135M: accuracy by allocation (3 seeds)"
"$mola" plot allocation $(printf "$runs/seed-1/%s " "${methods[@]}") --labels "$(IFS=,; echo "${methods[*]}")" \
  -o plots/allocations-smollm2-allocation.png
echo "allocations: $(elapsed) in all" >&2
