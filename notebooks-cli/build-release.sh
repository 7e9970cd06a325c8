#!/usr/bin/env bash
# Builds a product in release with the flags the notebooks use (notebooks-cli/setup.sh) and
# prints its path: what the benchmark scripts run.
# Usage: bash notebooks-cli/build-release.sh [mola-inspect|mola-benchmark]
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
build_release "${1:-mola-inspect}"
