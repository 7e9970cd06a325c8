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

# Release builds use this processor's vector extensions when it has AVX2, FMA and F16C (any
# x86-64 since 2013): Swift compiles for baseline x86-64 (SSE2) otherwise, where the quantized
# one-token products of generation run slower than OpenBLAS's Float32 ones (MoLATensor's
# QuantizedKernels). llama.cpp, which the benchmarks compare with, is built for the host too.
release_flags=(-c release)
if [ "$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && grep -qw f16c /proc/cpuinfo; then
  release_flags+=(-Xswiftc -target-cpu -Xswiftc haswell)
fi

# Builds PRODUCT in release (its log shown only on failure) and prints the binary's path.
build_release() {
  local log
  log="$(mktemp)"
  echo "building $1 (release)..." >&2
  if ! swift build "${release_flags[@]}" --product "$1" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "$(swift build "${release_flags[@]}" --show-bin-path)/$1"
}

# Builds mola-inspect in release and sets $mola to the binary: the notebooks' one way to get it.
# MOLA_INSPECT=path uses that binary instead (a long experiment that must not see a rebuild).
build_mola_inspect() {
  if [ -n "${MOLA_INSPECT:-}" ]; then
    mola="$MOLA_INSPECT"
  else
    mola="$(build_release mola-inspect)"
  fi
}
