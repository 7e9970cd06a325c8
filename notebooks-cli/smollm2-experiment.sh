#!/usr/bin/env bash
# What the paper's experiments on SmolLM2 share (sourced by allocations.sh, figure3.sh and
# continual.sh): the base, the fine-tuning recipe of the quick start, the questions, the methods,
# and a clock. Two threads everywhere, so that a rerun reproduces the committed numbers exactly.
source notebooks-cli/setup.sh
build_mola_inspect
base="$(bash notebooks-cli/fetch-smollm2.sh)"
threads=(--threads 2)
# The quick start's recipe: answers as the option's text, 8 sequences a step, outputs only.
recipe=(--answers label --cutoff 112 --batch 8 --micro-batch 8 --lr 2e-3 --warmup 4 --train-on-outputs-only "${threads[@]}")
# The methods compared, at 30 layers: plain LoRA is one expert per layer (top-1: the router is the identity).
methods=(lora 5555 8642 2468 8228 8888)
allocation_of() { if [ "$1" = lora ]; then echo "1 --top-k 1"; else echo "$1"; fi; }
experiment_start=$SECONDS
elapsed() { printf '%dm%02ds' $(((SECONDS - experiment_start) / 60)) $(((SECONDS - experiment_start) % 60)); }
