#!/usr/bin/env bash
# How long a pre-commit hook makes a commit wait: `pgshift check --staged` with 20 staged files
# in a repository of ~5,000 real TypeScript files, against `pgshift check .` over the whole tree,
# measured in the same run.
#
#   bash bench/corpus.sh    # once: the real-TypeScript corpus in bench/.cache/corpus
#   bash bench/hook.sh      # builds bench/.cache/hook-repo, times both, prints the ratio
#
# Uses hyperfine when it is installed (apt-get install hyperfine), else 10 timed runs each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"
cache="$here/.cache"
corpus="$cache/corpus"
repo="$cache/hook-repo"
files="${HOOK_BENCH_FILES:-5000}"
staged="${HOOK_BENCH_STAGED:-20}"

[[ -d "$corpus" ]] || { echo "hook.sh: no corpus; run bash bench/corpus.sh first" >&2; exit 2; }
(cd "$top" && cargo build --release --quiet)
pgshift="$top/target/release/pgshift"

rm -rf "$repo"
mkdir -p "$repo"
(cd "$corpus" && find . -type f \( -name '*.ts' -o -name '*.tsx' \) | sort | awk -v n="$files" 'NR <= n') > "$cache/hook-files.txt"
(cd "$corpus" && tar -cf - -T "$cache/hook-files.txt") | (cd "$repo" && tar -xf -)
cp -r "$top/fixtures/stage5/after/src" "$repo/app-src"
cp "$top/fixtures/stage5/after/tsconfig.json" "$repo/"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm corpus --no-verify

# Stage changes to $staged files, one of them bringing a workaround back.
mapfile -t picked < <(git -C "$repo" ls-files '*.ts' | awk -v n="$staged" 'NR % 97 == 0 && c < n { print; c++ }')
for path in "${picked[@]}"; do
  printf '\nexport const pgshiftBench = 1;\n' >> "$repo/$path"
done
printf "\nexport const lockCheck = (m: string) => m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n" >> "$repo/${picked[0]}"
git -C "$repo" add -A
total=$(git -C "$repo" ls-files | wc -l)
echo "repository: $total files, ${#picked[@]} staged"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs 10 -i --export-json "$cache/hook.json" \
    -n "check --staged" "cd '$repo' && '$pgshift' check --staged --format json > /dev/null" \
    -n "check ." "cd '$repo' && '$pgshift' check . --format json > /dev/null"
  python3 - "$cache/hook.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, w = r["check --staged"]["mean"], r["check ."]["mean"]
print(f"check --staged: {s*1000:.1f} ms   check .: {w*1000:.1f} ms   whole tree / staged = {w/s:.1f}x")
PY
else
  time_ms() { local start end; start=$(date +%s%N); "$@" > /dev/null || true; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
  for name in staged tree; do
    sum=0
    for _ in $(seq 10); do
      if [[ $name == staged ]]; then ms=$(cd "$repo" && time_ms "$pgshift" check --staged); else ms=$(cd "$repo" && time_ms "$pgshift" check .); fi
      sum=$((sum + ms))
    done
    echo "$name: $((sum / 10)) ms (mean of 10)"
  done
fi
