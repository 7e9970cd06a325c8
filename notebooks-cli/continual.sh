#!/usr/bin/env bash
# The paper's third claim (Table 3) on SmolLM2-135M: does MoLA forget less than LoRA when trained
# on domains in sequence? One adapter per method (LoRA, 2468, 5555, 8642) trained on topic,
# reversal, sorting and arithmetic in that order (15 steps of 8 per domain, 60 generated examples
# each, the quick start's recipe), every domain scored on 12 held-out questions after each; the
# overall performance (OP) and backward transfer (BWT) over 2 seeds. One run's last row is checked
# against `eval` on its saved adapter. Resumable: a run whose continual.json exists is kept.
# Results: plots/continual-smollm2.{json,md,png}.
# Usage: bash notebooks-cli/continual.sh [RUNS_DIR]   (83 minutes measured while test runs and builds shared
#   the machine; the runs that had it to themselves took 6 to 7.5 minutes: about 55 minutes alone)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/smollm2-experiment.sh
runs="${1:-runs/continual-smollm2}"
domains=topic,reversal,sorting,arithmetic
seeds=(1 2)
continual_methods=(lora 2468 5555 8642)
mkdir -p "$runs" plots
reports=() labels=()
for seed in "${seeds[@]}"; do
  for method in "${continual_methods[@]}"; do
    run="$runs/seed-$seed/$method"
    if [ ! -f "$run/continual.json" ]; then
      echo "== $(elapsed): $method, seed $seed ==" >&2
      # shellcheck disable=SC2046
      "$mola" continual --base "$base" --allocation $(allocation_of "$method") --domains "$domains" --tasks 60 --steps 15 \
        --questions 12 --max-new-tokens 8 --length 160 --seed "$seed" "${recipe[@]}" --out "$run" --overwrite
    fi
    reports+=("$run/continual.json") labels+=("$method")
  done
done
echo "== $(elapsed): the last row of one run, scored again by eval ==" >&2
# continual draws each domain's questions on its own (eval --domains D --tasks 12 --seed 7).
first="$runs/seed-1/${continual_methods[0]}"
checks=()
for domain in ${domains//,/ }; do
  "$mola" eval --base "$base" "$first/4-arithmetic" --tasks 12 --seed 7 --domains "$domain" --answers label --max-new-tokens 8 \
    --length 160 "${threads[@]}" --json --output "$runs/eval-check-$domain.json"
  checks+=("$runs/eval-check-$domain.json")
done
python3 - "$first/continual.json" "${checks[@]}" <<'PYTHON'
import json, sys
report = json.load(open(sys.argv[1]))
row, again = report["R"][-1], [json.load(open(path))["accuracy"] for path in sys.argv[2:]]
assert row == again, f"continual's last row {row} differs from eval's {again}"
print(f"eval on the last adapter gives continual's last row: {again}")
PYTHON
python3 - "$runs" "${seeds[*]}" "${continual_methods[*]}" <<'PYTHON' | tee plots/continual-smollm2.md
import json, math, sys
runs, seeds, methods = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def mean(v): return sum(v) / len(v)
def std(v): return math.sqrt(sum((x - mean(v)) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
summary = {"seeds": [int(s) for s in seeds], "methods": []}
print("| method | OP | BWT | OP per seed | BWT per seed |")
print("|---|---|---|---|---|")
for m in methods:
    reports = [json.load(open(f"{runs}/seed-{s}/{m}/continual.json")) for s in seeds]
    op, bwt = [r["overall_performance"] for r in reports], [r["backward_transfer"] for r in reports]
    summary["domains"] = reports[0]["domains"]
    summary["methods"].append({"method": m, "allocation": reports[0]["allocation"], "R": [r["R"] for r in reports],
                               "overall_performance": op, "backward_transfer": bwt})
    name = "LoRA" if m == "lora" else f"MoLA {m}"
    print(f"| {name} | {mean(op):.3f} ± {std(op):.3f} | {mean(bwt):+.3f} ± {std(bwt):.3f} | "
          + ", ".join(f"{x:.3f}" for x in op) + " | " + ", ".join(f"{x:+.3f}" for x in bwt) + " |")
json.dump(summary, open("plots/continual-smollm2.json", "w"), indent=1)
PYTHON
"$mola" plot continual "${reports[@]}" --labels "$(IFS=,; echo "${labels[*]}")" -o plots/continual-smollm2.png \
  --title "SmolLM2-135M: continual learning over 4 domains (2 seeds)"
echo "continual: $(elapsed) in all" >&2
