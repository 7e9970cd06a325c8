#!/usr/bin/env bash
# From diagnosis to action, on the tiny model (no download): pretrain a small base, fine-tune
# MoLA 8888 and 5555 on the generated tasks, then
#   1. advise an allocation of 5555's size (40 experts) from the 8888 fine-tune's redundancy and
#      routing, and AlphaLoRA's from the base alone; fine-tune both at that size;
#   2. merge the 8888 fine-tune down to 5555's size (usage from routing);
# and compare accuracy (greedy, 25 questions per domain) and perplexity on examples/sample-data.jsonl.
# Results: plots/advise-merge.md (the table) and plots/advise-merge-allocation.png.
# Usage: bash notebooks-cli/advise-merge.sh [RUNS_DIR]   (about 5 minutes on 2 cores after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
build_mola_inspect
runs="${1:-runs/advise-merge}"
data=examples/sample-data.jsonl
common=(--tasks 150 --cutoff 384 --batch 16 --micro-batch 8 --lr 3e-3 --steps 120 --overwrite)
mkdir -p "$runs" plots

echo "== pretraining a base: 8 layers, hidden 64 ==" >&2
"$mola" train --pretrain --layers 8 --hidden 64 --mlp 172 --heads 4 "${common[@]}" --out "$runs/base"
for allocation in 8888 5555; do
  echo "== fine-tuning MoLA $allocation ==" >&2
  "$mola" train --base "$runs/base" --allocation "$allocation" "${common[@]}" --out "$runs/mola-$allocation"
done

echo "== advising 40 experts ==" >&2
"$mola" advise "$runs/mola-8888" --total 40 --base "$runs/base" --data "$data" | tee "$runs/advice-redundancy.txt"
"$mola" advise --from-base "$runs/base" --method alphalora --total 40 --corrected | tee "$runs/advice-alphalora.txt"
advised=$("$mola" advise "$runs/mola-8888" --total 40 --base "$runs/base" --data "$data" --json |
  python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["allocation"])))')
alphalora=$("$mola" advise --from-base "$runs/base" --method alphalora --total 40 --corrected --json |
  python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["allocation"])))')
"$mola" train --base "$runs/base" --allocation "$advised" "${common[@]}" --out "$runs/mola-advised"
"$mola" train --base "$runs/base" --allocation "$alphalora" "${common[@]}" --out "$runs/mola-alphalora"

echo "== merging 8888 down to 5555 ==" >&2
rm -rf "$runs/mola-8888-merged" "$runs/identity"
"$mola" merge "$runs/mola-8888" --to 5555 -o "$runs/mola-8888-merged" --base "$runs/base" --data "$data" --json > "$runs/merge.json"
"$mola" check "$runs/mola-8888-merged" || true

# Perplexity of every adapter on the same tokens: `merge --to` its own allocation is the
# identity, and its report's original perplexity is the adapter's.
perplexity() {
  local name="$1" target="$2"
  rm -rf "$runs/identity"
  "$mola" merge "$runs/$name" --to "$target" -o "$runs/identity" --base "$runs/base" --data "$data" --json |
    python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["evaluation"]["perplexity_original"])'
}
accuracy() {
  "$mola" eval --base "$runs/base" "$runs/$1" --tasks 25 --json |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print("%.3f" % d["accuracy"])'
}
{
  echo "| adapter | allocation | accuracy (100 questions) | perplexity on sample-data |"
  echo "|---|---|---|---|"
  echo "| MoLA 8888 | 8888 | $(accuracy mola-8888) | $(perplexity mola-8888 8888) |"
  echo "| MoLA 8888 merged to 5555 | 5555 | $(accuracy mola-8888-merged) | $(python3 -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["evaluation"]["perplexity_merged"])' "$runs/merge.json") |"
  echo "| MoLA 5555 from scratch | 5555 | $(accuracy mola-5555) | $(perplexity mola-5555 5555) |"
  echo "| advised (redundancy + routing) | $advised | $(accuracy mola-advised) | $(perplexity mola-advised "$advised") |"
  echo "| AlphaLoRA (corrected) | $alphalora | $(accuracy mola-alphalora) | $(perplexity mola-alphalora "$alphalora") |"
  echo
  python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["evaluation"]; print("merge 8888 -> 5555: mean KL(original || merged) %.5f nats over %d tokens" % (e["mean_kl"], e["tokens"]))' "$runs/merge.json"
} | tee plots/advise-merge.md
"$mola" plot allocation "$runs/mola-8888" "$runs/mola-5555" "$runs/mola-advised" "$runs/mola-alphalora" \
  --labels "8888,5555,advised,AlphaLoRA" -o plots/advise-merge-allocation.png
