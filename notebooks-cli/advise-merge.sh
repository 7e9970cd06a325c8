#!/usr/bin/env bash
# From diagnosis to action, on SmolLM2-135M (--smollm2) or on the tiny model (no download:
# pretrain a small base first): fine-tune MoLA 8888 and 5555 on the generated tasks, then
#   1. advise an allocation of 5555's size (40 experts) from the 8888 fine-tune's redundancy and
#      routing, and AlphaLoRA's from the base alone; fine-tune both at that size;
#   2. merge the 8888 fine-tune down to 5555's size (usage from routing);
# and compare accuracy (greedy) and perplexity on examples/sample-data.jsonl.
# Results: plots/advise-merge[-smollm2].md (the table) and plots/advise-merge[-smollm2]-allocation.png.
# Usage: bash notebooks-cli/advise-merge.sh [--smollm2] [RUNS_DIR]
#   (tiny model: about 5 minutes on 2 cores after the build; SmolLM2: about 15)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
build_mola_inspect
data=examples/sample-data.jsonl
if [ "${1:-}" = --smollm2 ]; then
  shift
  runs="${1:-runs/advise-merge-smollm2}"
  mkdir -p "$runs" plots
  base="$(bash notebooks-cli/fetch-smollm2.sh)"
  # The quick start's recipe: answers as the option's text, 30 steps of 8 (README, Quick start).
  common=(--tasks 60 --answers label --cutoff 112 --batch 8 --micro-batch 8 --lr 2e-3 --warmup 4 --steps 30
          --train-on-outputs-only --overwrite)
  questions=(--tasks 12 --seed 7 --answers label --max-new-tokens 8 --length 160)
  total=150 name=advise-merge-smollm2
else
  runs="${1:-runs/advise-merge}"
  mkdir -p "$runs" plots
  base="$base"
  common=(--tasks 150 --cutoff 384 --batch 16 --micro-batch 8 --lr 3e-3 --steps 120 --overwrite)
  questions=(--tasks 25)
  total=40 name=advise-merge
  echo "== pretraining a base: 8 layers, hidden 64 ==" >&2
  "$mola" train --pretrain --layers 8 --hidden 64 --mlp 172 --heads 4 "${common[@]}" --out "$base"
fi
for allocation in 8888 5555; do
  echo "== fine-tuning MoLA $allocation ==" >&2
  "$mola" train --base "$base" --allocation "$allocation" "${common[@]}" --out "$runs/mola-$allocation"
done

echo "== advising $total experts ==" >&2
"$mola" advise "$runs/mola-8888" --total "$total" --base "$base" --data "$data" | tee "$runs/advice-redundancy.txt"
"$mola" advise --from-base "$base" --method alphalora --total "$total" --corrected | tee "$runs/advice-alphalora.txt"
advised=$("$mola" advise "$runs/mola-8888" --total "$total" --base "$base" --data "$data" --json |
  python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["allocation"])))')
alphalora=$("$mola" advise --from-base "$base" --method alphalora --total "$total" --corrected --json |
  python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["allocation"])))')
"$mola" train --base "$base" --allocation "$advised" "${common[@]}" --out "$runs/mola-advised"
"$mola" train --base "$base" --allocation "$alphalora" "${common[@]}" --out "$runs/mola-alphalora"

echo "== merging 8888 down to 5555 ==" >&2
rm -rf "$runs/mola-8888-merged" "$runs/identity"
"$mola" merge "$runs/mola-8888" --to 5555 -o "$runs/mola-8888-merged" --base "$base" --data "$data" --json > "$runs/merge.json"
"$mola" check "$runs/mola-8888-merged" || true

# Perplexity of every adapter on the same tokens: `merge --to` its own allocation is the
# identity, and its report's original perplexity is the adapter's.
perplexity() {
  local name="$1" target="$2"
  rm -rf "$runs/identity"
  "$mola" merge "$runs/$name" --to "$target" -o "$runs/identity" --base "$base" --data "$data" --json |
    python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["evaluation"]["perplexity_original"])'
}
accuracy() {
  "$mola" eval --base "$base" "$runs/$1" "${questions[@]}" --json |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print("%.3f" % d["accuracy"])'
}
{
  echo "| adapter | allocation | accuracy (${questions[1]} questions per domain) | perplexity on sample-data |"
  echo "|---|---|---|---|"
  echo "| MoLA 8888 | 8888 | $(accuracy mola-8888) | $(perplexity mola-8888 8888) |"
  echo "| MoLA 8888 merged to 5555 | 5555 | $(accuracy mola-8888-merged) | $(python3 -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["evaluation"]["perplexity_merged"])' "$runs/merge.json") |"
  echo "| MoLA 5555 from scratch | 5555 | $(accuracy mola-5555) | $(perplexity mola-5555 5555) |"
  echo "| advised (redundancy + routing) | $advised | $(accuracy mola-advised) | $(perplexity mola-advised "$advised") |"
  echo "| AlphaLoRA (corrected) | $alphalora | $(accuracy mola-alphalora) | $(perplexity mola-alphalora "$alphalora") |"
  echo
  python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["evaluation"]; print("merge 8888 -> 5555: mean KL(original || merged) %.5f nats over %d tokens" % (e["mean_kl"], e["tokens"]))' "$runs/merge.json"
} | tee "plots/$name.md"
"$mola" plot allocation "$runs/mola-8888" "$runs/mola-5555" "$runs/mola-advised" "$runs/mola-alphalora" \
  --labels "8888,5555,advised,AlphaLoRA" -o "plots/$name-allocation.png"
