#!/usr/bin/env bash
# Installs the Debian packages mola-inspect links against, when they are missing.
# Sourced by the other scripts here; safe to run again (does nothing when all are present).
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev libcairo2-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
  [ -x /opt/swift/bin/swift ] && export PATH="/opt/swift/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "error: the Swift toolchain is not on PATH" >&2; exit 1; }

# Builds mola-inspect in release (its log shown only on failure) and sets $mola to the binary:
# the notebooks' one way to get it.
build_mola_inspect() {
  local log
  log="$(mktemp)"
  echo "building mola-inspect (release)..." >&2
  if ! swift build -c release --product mola-inspect >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  mola="$(swift build -c release --show-bin-path)/mola-inspect"
}
