#!/usr/bin/env bash
# The paper's second claim (Figure 3) on SmolLM2-135M: are the experts of lower layers more alike
# than those of higher layers? MoLA 8888 and 5555 fine-tuned on the same data (the allocation
# notebook's seed-1 runs, trained here if missing), measured with three metrics on the attention
# projections (the Frobenius distance of dW = s*B*A, the cosine of dW, the subspace similarity of
# dW's column spaces), with the routing beside them (entropy and balance per layer, on
# examples/sample-data.jsonl). Results: plots/figure3-smollm2.{json,md} and
# plots/figure3-smollm2-{delta,cosine,subspace,routing-8888,routing-5555}.png.
# Usage: bash notebooks-cli/figure3.sh [RUNS_DIR]   (36 seconds on 2 cores after the build when the
#   allocation notebook has run; about 6 minutes otherwise, for the two fine-tunes)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/smollm2-experiment.sh
runs="${1:-runs/allocations-smollm2}"
data=examples/sample-data.jsonl
mkdir -p "$runs/seed-1" plots
for allocation in 8888 5555; do
  if [ ! -f "$runs/seed-1/$allocation/adapter_config.json" ]; then
    echo "== $(elapsed): fine-tuning MoLA $allocation (seed 1) ==" >&2
    "$mola" train --base "$base" --allocation "$allocation" --tasks 60 --steps 30 --seed 1 "${recipe[@]}" \
      --out "$runs/seed-1/$allocation" --overwrite >"$runs/seed-1/$allocation.train.log"
  fi
done
for metric in delta cosine subspace; do
  echo "== $(elapsed): $metric ==" >&2
  # Thirty steps leave some experts untrained (never in a token's top two, B still zero): cosine
  # and subspace have no direction for them and leave them out; delta measures them.
  untrained=()
  [ "$metric" = delta ] || untrained=(--allow-untrained)
  for allocation in 8888 5555; do
    "$mola" redundancy "$runs/seed-1/$allocation" --metric "$metric" "${untrained[@]}" "${threads[@]}" --json \
      --output "$runs/redundancy-$metric-$allocation.json"
  done
  "$mola" plot redundancy "$runs/redundancy-$metric-8888.json" "$runs/redundancy-$metric-5555.json" --labels 8888,5555 \
    -o "plots/figure3-smollm2-$metric.png"
done
for allocation in 8888 5555; do
  echo "== $(elapsed): routing of $allocation ==" >&2
  "$mola" routing --base "$base" "$runs/seed-1/$allocation" --data "$data" "${threads[@]}" --json --output "$runs/routing-$allocation.json"
  "$mola" plot routing-redundancy "$runs/seed-1/$allocation" --routing "$runs/routing-$allocation.json" \
    -o "plots/figure3-smollm2-routing-$allocation.png"
done
python3 - "$runs" <<'PYTHON' | tee plots/figure3-smollm2.md
import json, sys
runs = sys.argv[1]
def mean(v): return sum(v) / len(v)
summary = {}
print("| metric | allocation | layers 0-14 | layers 15-29 | higher layers' experts are |")
print("|---|---|---|---|---|")
for metric, alike in (("delta", "lower"), ("cosine", "higher"), ("subspace", "higher")):
    for allocation in ("8888", "5555"):
        layers = json.load(open(f"{runs}/redundancy-{metric}-{allocation}.json"))["layers"]
        values = [layer["mean"] for layer in layers]
        lower, upper = mean(values[:15]), mean(values[15:])
        # Distances fall, similarities rise, as experts grow alike.
        upper_alike = upper < lower if alike == "lower" else upper > lower
        summary.setdefault(metric, {})[allocation] = {"per_layer": values, "lower_half": lower, "upper_half": upper}
        print(f"| {metric} | {allocation} | {lower:.4f} | {upper:.4f} | {'more alike' if upper_alike else 'less alike'} |")
print()
print("| allocation | routing entropy, layers 0-14 | layers 15-29 | balance term, layers 0-14 | layers 15-29 |")
print("|---|---|---|---|---|")
for allocation in ("8888", "5555"):
    layers = json.load(open(f"{runs}/routing-{allocation}.json"))["layers"]
    # Per layer: the mean normalised entropy of its projections, and its pooled balance term.
    entropies = [mean([p["normalised_entropy"] for p in layer["projections"].values()]) for layer in layers]
    balances = [layer["balance"] for layer in layers]
    entropy, balance = [mean(entropies[:15]), mean(entropies[15:])], [mean(balances[:15]), mean(balances[15:])]
    summary.setdefault("routing", {})[allocation] = {"entropy": entropy, "balance": balance}
    print(f"| {allocation} | {entropy[0]:.3f} | {entropy[1]:.3f} | {balance[0]:.3f} | {balance[1]:.3f} |")
json.dump(summary, open("plots/figure3-smollm2.json", "w"), indent=1)
PYTHON
echo "figure3: $(elapsed) in all" >&2
