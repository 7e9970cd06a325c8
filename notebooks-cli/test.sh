#!/usr/bin/env bash
# Installs what the build needs, then runs every test (no Python needed: golden values are
# committed under Tests/Fixtures), then fuzzes every parser briefly (notebooks-cli/fuzz.sh, 13 s
# per target, about 3 minutes in all; FUZZ_SECONDS_EACH changes it, 0 skips it). Fails on any
# compiler warning in the project's sources, any failing test and any fuzzing finding.
set -euo pipefail
cd "$(dirname "$0")/.."
source notebooks-cli/setup.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! swift build --build-tests >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
if grep -E "warning:" "$log" >&2; then
  echo "error: the build has warnings (above)" >&2
  exit 1
fi
swift test
seconds="${FUZZ_SECONDS_EACH:-13}"
if [ "$seconds" != 0 ]; then
  bash notebooks-cli/fuzz.sh all "$seconds"
fi
