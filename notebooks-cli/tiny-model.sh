#!/usr/bin/env bash
# The tiny-model story (the first quick start, kept as a notebook): pretrain a small base from
# scratch on the generated tasks, fine-tune it with two MoLA allocations of the paper (uniform 8
# experts and uniform 5, MoLA-□, over its 8 layers), measure how alike each layer's experts are,
# and draw the paper's Figure 3 for the two. Needs no download; its accuracies are near chance.
# Usage: bash notebooks-cli/tiny-model.sh [RUNS_DIR]   (about 3 minutes on 2 cores after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
build_mola_inspect
runs="${1:-runs/figure3-demo}"
common=(--tasks 150 --cutoff 384 --batch 16 --micro-batch 8 --lr 3e-3 --overwrite)

echo "== pretraining a base: 8 layers, hidden 64 ==" >&2
"$mola" train --pretrain --layers 8 --hidden 64 --mlp 172 --heads 4 --steps 120 "${common[@]}" --out "$runs/base"
for allocation in 8888 5555; do
  echo "== fine-tuning MoLA $allocation ==" >&2
  "$mola" train --base "$runs/base" --allocation "$allocation" --steps 120 "${common[@]}" --out "$runs/mola-$allocation"
done
"$mola" redundancy "$runs/mola-8888"
"$mola" redundancy "$runs/mola-5555"
"$mola" eval --base "$runs/base" "$runs/mola-8888" --tasks 25
mkdir -p plots
"$mola" plot redundancy "$runs/mola-8888" "$runs/mola-5555" --title "Expert redundancy after fine-tuning (attention)" \
  -o plots/figure3-trained.png
