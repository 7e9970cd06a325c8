#!/usr/bin/env bash
# Draws the figures in plots/ from the bundled example checkpoints (synthetic: see
# examples/README.md). Each command below is the one the README shows next to its figure.
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
build_mola_inspect
mkdir -p plots
"$mola" plot redundancy examples/mola-tiny-8888 examples/mola-tiny-5555 -o plots/figure3-8888-vs-5555.png
"$mola" plot redundancy examples/mola-tiny-2468 --projections all -o plots/redundancy-2468-all.png
"$mola" plot pairs examples/mola-tiny-2468 -o plots/pairs-2468.png
"$mola" plot allocation examples/mola-tiny-2468 examples/mola-tiny-8888 examples/mola-tiny-5555 -o plots/allocation.png
# Routing needs a base and data: the random tiny-base and a few examples (examples/README.md).
routing=(--base examples/tiny-base --data examples/sample-data.jsonl)
"$mola" plot routing examples/mola-tiny-2468 "${routing[@]}" -o plots/routing-share-2468.png
"$mola" plot routing-weights examples/mola-tiny-2468 "${routing[@]}" -o plots/routing-weights-2468.png
"$mola" plot routing-redundancy examples/mola-tiny-2468 "${routing[@]}" -o plots/routing-redundancy-2468.png
# Issue 14's analyses: similarities, spectra, and a diff of two short fine-tunes of the random
# tiny-base with different seeds (30 steps each, a few seconds; under runs/, not committed).
"$mola" plot pairs examples/mola-tiny-2468 --metric subspace -o plots/subspace-pairs-2468.png
"$mola" plot redundancy examples/mola-tiny-8888 examples/mola-tiny-5555 --metric cosine -o plots/cosine-8888-vs-5555.png
"$mola" plot spectrum examples/mola-tiny-2468 --projections attention -o plots/spectrum-2468.png
for seed in 1 2; do
  "$mola" train --base examples/tiny-base --allocation 2468 --tasks 40 --cutoff 128 --batch 8 --micro-batch 8 --lr 3e-3 \
    --steps 30 --seed "$seed" --overwrite --out "runs/diff-demo/seed-$seed" >/dev/null
done
"$mola" plot diff runs/diff-demo/seed-1 runs/diff-demo/seed-2 --projections attention -o plots/diff-seeds.png
"$mola" plot redundancy runs/diff-demo/seed-1 --metric router --projections all -o plots/router-trained.png
