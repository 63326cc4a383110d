#!/usr/bin/env bash
# Runs the engine fuzz target: seeds its corpus from the fixtures and the committed test corpus,
# then fuzzes for SECONDS (default 1800) and stops by itself. Stable Rust is enough: `-s none`
# builds without a sanitizer (pgshift has no unsafe code), so no nightly toolchain is needed;
# `-O` builds optimized, with debug assertions on for pgshift only (fuzz/Cargo.toml).
#
#   cargo install cargo-fuzz --locked    # once
#   bash fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
#
# Crashes land in fuzz/artifacts/engine/; reproduce one with
#   cargo fuzz run -O -s none engine fuzz/artifacts/engine/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-1800}"
shift || true
corpus=fuzz/corpus/engine
mkdir -p "$corpus"
seeds=(fixtures/stage5/before)
[[ -d tests/corpus/sample ]] && seeds+=(tests/corpus/sample)
find "${seeds[@]}" -type f \
  \( -name '*.ts' -o -name '*.tsx' -o -name '*.mts' -o -name '*.cts' -o -name '*.js' -o -name '*.mjs' \) \
  -print0 |
  while IFS= read -r -d '' file; do
    cp "$file" "$corpus/seed-$(sha1sum "$file" | cut -c1-16)"
  done
# Fork mode, so that a slow input (see tests/corpus/regressions/) is saved as a `timeout-…`
# artifact and the run goes on; panics still stop it.
cargo fuzz run -O -s none engine "$corpus" -- \
  -dict=fuzz/engine.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
  -fork=1 -ignore_timeouts=1 -ignore_ooms=0 -ignore_crashes=0 -print_final_stats=1 "$@"
