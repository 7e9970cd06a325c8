#!/usr/bin/env bash
# The main job on the bundled example: build mola-inspect, show the checkpoint's architecture
# card, then the paper's Figure 3 numbers (mean pairwise distance of each layer's experts).
# Usage: bash notebooks-cli/quickstart.sh [CHECKPOINT]
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "building mola-inspect (release)..." >&2
if ! swift build -c release --product mola-inspect >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
binary="$(swift build -c release --show-bin-path)/mola-inspect"
checkpoint="${1:-examples/mola-tiny-2468}"
"$binary" info "$checkpoint"
echo
"$binary" redundancy "$checkpoint" --projections all
