#!/usr/bin/env bash
# Fuzzes the parsers of untrusted files with libFuzzer (targets: Sources/MoLAFuzzTargets).
#
#   notebooks-cli/fuzz.sh TARGET SECONDS   one target for SECONDS
#   notebooks-cli/fuzz.sh all SECONDS      every target, SECONDS each, one after another
#   notebooks-cli/fuzz.sh list             the targets
#
# Builds mola-fuzz once (cached in .build/fuzz: release, -DMOLA_LIBFUZZER, -sanitize=fuzzer,address),
# then runs it with -max_total_time=SECONDS -timeout=1 -rss_limit_mb=512: a crash, a sanitizer
# report, an input slower than 1 s or one that needs more than 512 MB stops the run and fails it.
# The corpus grows in .fuzz/corpus/TARGET (gitignored), seeded from Tests/Fixtures: the fixtures
# of each format, Tests/Fixtures/fuzz-seeds/TARGET and the committed regression inputs
# Tests/Fixtures/fuzz-regressions/TARGET. Findings are written to .fuzz/artifacts/TARGET/
# (crash-*, timeout-*, oom-*), the log to .fuzz/logs/TARGET.log.
#
# Environment: FUZZ_KEEP_GOING=1 runs in libFuzzer's fork mode, which records each finding and
# carries on (for long campaigns); FUZZ_NICE (default 19) is the niceness of the fuzzer;
# FUZZ_PROGRAM=path runs that copy of the fuzzing build instead of building (a long campaign that
# must not see a rebuild).
# Reproduce a finding: .build/fuzz/bin/fuzz-TARGET FILE; minimise it:
#   .build/fuzz/bin/fuzz-TARGET -minimize_crash=1 -runs=10000 -exact_artifact_path=OUT FILE
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(safetensors zip pickle torch-archive gguf model-config adapter-config framework-config sidecar trainer-state
         tokenizer-config redundancy-document routing-document experiment-report tokenizer byte-level-tokenizer
         tokenizer-vocabulary dataset shard-index routing-trace)

usage() {
  echo "usage: notebooks-cli/fuzz.sh (TARGET|all) SECONDS | list" >&2
  echo "targets: ${targets[*]}" >&2
  exit 64
}

[ $# -ge 1 ] || usage
if [ "$1" = list ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
[ $# -eq 2 ] || usage
target="$1" seconds="$2"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "error: SECONDS must be a positive integer, not \"$seconds\"" >&2; exit 64; }
if [ "$target" != all ] && [[ ! " ${targets[*]} " =~ " $target " ]]; then
  echo "error: unknown target \"$target\"" >&2
  usage
fi

source notebooks-cli/setup.sh
scratch=.build/fuzz
bin="$scratch/bin"

build() {
  if [ -n "${FUZZ_PROGRAM:-}" ]; then
    bin="$(mktemp -d)"
    for name in "${targets[@]}"; do ln -sf "$(realpath "$FUZZ_PROGRAM")" "$bin/fuzz-$name"; done
    return
  fi
  local log
  log="$(mktemp)"
  # swiftc keeps only the last of several -sanitize flags, and SwiftPM's --sanitize=fuzzer
  # --sanitize=address come in no fixed order (a build would lose the coverage or ASan), so the
  # pair is given once more, last, with -Xswiftc; SwiftPM's --sanitize=fuzzer is still needed so
  # that it leaves main to libFuzzer. lld: gold cannot link libFuzzer's coverage sections.
  if ! swift build -c release --product mola-fuzz --scratch-path "$scratch" --sanitize=fuzzer \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMOLA_LIBFUZZER -Xswiftc -use-ld=lld -Xswiftc -g >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "error: the fuzzing build failed (above)" >&2
    exit 1
  fi
  rm -f "$log"
  # Both instrumentations must be there (see above): libFuzzer's counters and ASan's checks.
  local object="$scratch/x86_64-unknown-linux-gnu/release/MoLACheckpoint.build/PickleMachine.swift.o"
  # (grep without -q: an early exit would break the pipe, which pipefail reports as a failure)
  if ! readelf -S "$object" | grep __sancov_cntrs >/dev/null || ! nm "$object" | grep __asan_ >/dev/null; then
    echo "error: the fuzzing build lacks coverage or ASan instrumentation ($object)" >&2
    exit 1
  fi
  mkdir -p "$bin"
  local program
  program="$(cd "$scratch/release" && pwd)/mola-fuzz"
  for name in "${targets[@]}"; do ln -sf "$program" "$bin/fuzz-$name"; done
}

# The fixtures a target's corpus starts from, copied into .fuzz/seeds/TARGET.
seed() {
  local name="$1" seeds=".fuzz/seeds/$1" fixtures=Tests/Fixtures
  rm -rf "$seeds"
  mkdir -p "$seeds"
  case "$name" in
    safetensors) cp "$fixtures"/one-expert/adapter_model.safetensors "$seeds/one-expert.safetensors"
                 cp "$fixtures"/near-duplicate/adapter_model.safetensors "$seeds/near-duplicate.safetensors"
                 cp "$fixtures"/small-2468-bf16/adapter_model.safetensors "$seeds/small-2468-bf16.safetensors" ;;
    zip|torch-archive)
                 for folder in twelve-experts-bin small-2468-f16-bin; do
                   cp "$fixtures/$folder/adapter_model.bin" "$seeds/$folder.bin"
                 done ;;
    pickle)      # The data.pkl records of the torch.save fixtures (unzip, where it is installed).
                 if command -v unzip >/dev/null; then
                   for file in "$fixtures"/*-bin/adapter_model.bin "$fixtures"/tiny-model/adapter/adapter_model.bin; do
                     unzip -p "$file" '*/data.pkl' >"$seeds/$(basename "$(dirname "$file")").pkl" || true
                   done
                 fi ;;
    gguf)        cp "$fixtures"/gguf/quant-types.gguf "$fixtures"/gguf/tiny-llama-q8_0.gguf "$seeds/" ;;
    model-config) cp "$fixtures"/tiny-model/base/config.json "$seeds/" ;;
    adapter-config)
                 for folder in small-2468-f32 one-expert twelve-experts-bin tiny-model/adapter; do
                   cp "$fixtures/$folder/adapter_config.json" "$seeds/${folder//\//-}.json"
                 done ;;
    framework-config)
                 for folder in moe-peft-mola moe-peft-mixlora moe-peft-loramoe peft-lora loramoe hydralora; do
                   cp "$fixtures/frameworks/$folder/adapter_config.json" "$seeds/$folder.json"
                 done ;;
    tokenizer-config) cp "$fixtures"/llama-tokenizer/tokenizer_config.json "$seeds/" ;;
    tokenizer)   cp "$fixtures"/llama-tokenizer/tokenizer.json "$seeds/legacy.json"
                 cp "$fixtures"/llama-tokenizer/metaspace/tokenizer.json "$seeds/metaspace.json"
                 cp "$fixtures"/llama-tokenizer/vocab-300/tokenizer.json "$seeds/vocab-300.json" ;;
    byte-level-tokenizer)
                 for name in gpt2 llama3 qwen2 smollm; do cp "$fixtures/bpe-tokenizers/$name/tokenizer.json" "$seeds/$name.json"; done ;;
    tokenizer-vocabulary) cp "$fixtures"/bpe-tokenizers/*-vocabulary.json "$seeds/" ;;
  esac
  if [ -d "$fixtures/fuzz-seeds/$name" ]; then cp "$fixtures/fuzz-seeds/$name"/* "$seeds/"; fi
  if [ -d "$fixtures/fuzz-regressions/$name" ]; then
    find "$fixtures/fuzz-regressions/$name" -type f ! -name '*.md' -exec cp {} "$seeds/" \;
  fi
}

# Whether a timeout input is slow by itself: rerun alone at normal priority (a run niced on a busy
# machine can pass 1 s of wall time on an input that takes milliseconds).
reproduces_timeout() {
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/fuzz-$1" -timeout=1 -rss_limit_mb=512 -runs=3 "$2" >/dev/null 2>&1 && return 1
  return 0
}

# Runs one target for $seconds; prints a summary line; returns libFuzzer's status.
run() {
  local name="$1" corpus=".fuzz/corpus/$1" artifacts=".fuzz/artifacts/$1" log=".fuzz/logs/$1.log"
  mkdir -p "$corpus" "$artifacts" .fuzz/logs
  : >"$log"
  seed "$name"
  local mode=()
  if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1); fi
  local status=0 deadline=$((SECONDS + seconds)) executions=0 spurious=0
  while :; do
    local remaining=$((deadline - SECONDS)) segment
    [ "$remaining" -ge 1 ] || break
    segment="$(mktemp)"
    status=0
    # SWIFT_BACKTRACE off: Swift's own crash handler would run inside ASan and hide the report.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:handle_abort=1}" \
      nice -n "${FUZZ_NICE:-19}" "$bin/fuzz-$name" -max_total_time="$remaining" -timeout=1 -rss_limit_mb=512 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 "${mode[@]}" "$corpus" ".fuzz/seeds/$name" >"$segment" 2>&1 || status=$?
    cat "$segment" >>"$log"
    executions=$((executions + $(sed -n 's/^stat::number_of_executed_units: *//p' "$segment" | tail -1 | grep -E '^[0-9]+$' || echo 0)))
    local unit
    unit="$(sed -n 's/.*Test unit written to \(.*timeout-[0-9a-f]*\).*/\1/p' "$segment" | tail -1)"
    rm -f "$segment"
    if [ "$status" -ne 0 ] && [ -n "$unit" ] && [ -f "$unit" ] && ! reproduces_timeout "$name" "$unit"; then
      echo "note: $unit took over 1 s only on the busy machine; it runs in under 1 s alone: fuzzing on" >>"$log"
      rm -f "$unit"
      spurious=$((spurious + 1))
      status=0
      continue
    fi
    break
  done
  local stats coverage features findings
  stats="$(grep -E '^#[0-9]+.*(cov|ft):' "$log" | tail -1 || true)"
  coverage="$(grep -oE 'cov: [0-9]+' <<<"$stats" | tail -1)"
  features="$(grep -oE 'ft: [0-9]+' <<<"$stats" | tail -1)"
  findings="$(find "$artifacts" -type f | wc -l)"
  # Fork mode prints no final stats: the last status line counts the executions.
  [ "$executions" -gt 0 ] || executions="$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$stats")"
  printf '%-20s %s  executions %s  %s  %s  corpus %s files  findings %s (%s)%s\n' "$name" \
    "$([ "$status" -eq 0 ] && echo ok || echo "FAILED (status $status)")" "$executions" "${coverage:-cov: ?}" \
    "${features:-ft: ?}" "$(find "$corpus" -type f | wc -l)" "$findings" "$artifacts" \
    "$([ "$spurious" -gt 0 ] && echo "; $spurious timeouts of a busy machine not counted")"
  if [ "$status" -ne 0 ]; then
    grep -E "ERROR: |SUMMARY: |Fatal error|Test unit written|==[0-9]+==" "$log" | head -20 >&2 || true
    echo "log: $log" >&2
  fi
  return "$status"
}

build
if [ "$target" = all ]; then
  failed=()
  for name in "${targets[@]}"; do run "$name" || failed+=("$name"); done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "error: fuzzing found problems in: ${failed[*]}" >&2
    exit 1
  fi
else
  run "$target"
fi
