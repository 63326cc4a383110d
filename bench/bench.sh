#!/usr/bin/env bash
# pgshift on the npm corpus of bench/corpus.sh (22 packages, mostly declaration files), against
# baselines measured in the same run:
#
#   1. the corpus mode: `pgshift check` with and without the prefilter on every file (no panic,
#      every file swc parses processed, identical findings, every finding judged in
#      bench/corpus-findings.txt) — tests/corpus.rs `full_corpus`;
#   2. times, with hyperfine, of the Stage 5 pack's search (rules/stage5.toml, which the ast-grep
#      rule set bench/ast-grep/ mirrors): `pgshift check` with that pack, ripgrep over its
#      trigger strings (bench/rg-triggers-stage5.txt; the floor: reading the bytes) and
#      `ast-grep scan`; then of `pgshift check` with every built-in pack (`--pack sqlite-sql
#      --pack sqlite-migration`: the corpus has no Prisma schema to decide them from) against
#      ripgrep over all triggers (bench/rg-triggers.txt), and with `--no-prefilter`;
#   3. peak memory (`/usr/bin/time`) on a quarter of the corpus, on four and eight hard-linked
#      copies of that quarter (flat memory: the same peak for more files) and on the whole corpus.
#
#   bash bench/corpus.sh        # once (needs npm and the registry)
#   bash bench/bench.sh         # prints the numbers; also written to bench/.cache/results.md
#
# Missing tools are installed: ripgrep, hyperfine and time with apt-get (as root), ast-grep with
# npm into bench/.cache/tools. BENCH_RUNS (default 10) and BENCH_WARMUP (default 3) set hyperfine's
# runs; BENCH_SKIP_CORPUS_TEST=1 skips step 1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"
cache="$here/.cache"
corpus="$cache/corpus"
quarter="$cache/corpus-quarter"
ast_grep_version="0.51.1"
runs="${BENCH_RUNS:-10}"
warmup="${BENCH_WARMUP:-3}"
results="$cache/results.md"

[[ -d "$corpus" && -d "$quarter" ]] || bash "$here/corpus.sh"

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "bench.sh: $1 is missing; install it (apt-get install $1)" >&2
    exit 2
  fi
  if [[ -z "${apt_updated:-}" ]]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
command -v rg >/dev/null || apt_install ripgrep
command -v hyperfine >/dev/null || apt_install hyperfine || true
[[ -x /usr/bin/time ]] || apt_install time
ast_grep="$cache/tools/node_modules/.bin/ast-grep"
if [[ ! -x "$ast_grep" ]] || [[ "$("$ast_grep" --version)" != "ast-grep $ast_grep_version" ]]; then
  npm install --silent --no-audit --no-fund --no-save --prefix "$cache/tools" "@ast-grep/cli@$ast_grep_version"
fi

(cd "$top" && cargo build --release --quiet)
pgshift="$top/target/release/pgshift"

# ast-grep's configuration: the rules as written (TypeScript) and a copy of each for .tsx.
sg="$cache/ast-grep"
rm -rf "$sg"
mkdir -p "$sg/rules"
cp "$here/ast-grep/sgconfig.yml" "$sg/"
for rule in "$here"/ast-grep/rules/*.yml; do
  cp "$rule" "$sg/rules/"
  sed -e 's/^language: TypeScript$/language: Tsx/' -e 's/^id: /id: tsx-/' "$rule" >"$sg/rules/tsx-$(basename "$rule")"
done

files=$(find "$corpus" -type f | wc -l)
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
qfiles=$(find "$quarter" -type f | wc -l)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')

echo "== corpus: $files files, $mb MB ($qfiles in the quarter)"
if [[ "${BENCH_SKIP_CORPUS_TEST:-}" != 1 ]]; then
  echo "== corpus mode (tests/corpus.rs full_corpus, release binary)"
  (cd "$top" && PGSHIFT_CORPUS="$corpus" PGSHIFT_BIN="$pgshift" \
    cargo test --quiet --test corpus -- --ignored --exact full_corpus --nocapture 2>&1 |
    grep -E '^(corpus:|finding:|listed but|test result|thread|  left|  right|findings not)' || true)
  (cd "$top" && PGSHIFT_CORPUS="$corpus" PGSHIFT_BIN="$pgshift" \
    cargo test --quiet --test corpus -- --ignored --exact full_corpus >/dev/null 2>&1) ||
    { echo "bench.sh: the corpus mode failed (see above)" >&2; exit 1; }
fi

cd "$cache"
rg5_cmd="rg --no-ignore --hidden -i -F -f $here/rg-triggers-stage5.txt -l corpus"
pg5_cmd="$pgshift check --no-default-rules --rules $top/rules/stage5.toml corpus"
sg_cmd="$ast_grep scan -c $sg/sgconfig.yml corpus"
rg_cmd="rg --no-ignore --hidden -i -F -f $here/rg-triggers.txt -l corpus"
pg_cmd="$pgshift check --pack sqlite-sql --pack sqlite-migration corpus"
np_cmd="$pgshift check --pack sqlite-sql --pack sqlite-migration --no-prefilter corpus"
names=(ripgrep-stage5 pgshift-stage5 ast-grep ripgrep-all pgshift-check pgshift-no-prefilter)
command_of() {
  case $1 in
    ripgrep-stage5) echo "$rg5_cmd" ;; pgshift-stage5) echo "$pg5_cmd" ;; ast-grep) echo "$sg_cmd" ;;
    ripgrep-all) echo "$rg_cmd" ;; pgshift-check) echo "$pg_cmd" ;; *) echo "$np_cmd" ;;
  esac
}

# Sanity: the three tools read the same files.
rg_files=$(rg --no-ignore --hidden --files corpus | wc -l)
sg_files=$("$ast_grep" scan -c "$sg/sgconfig.yml" --inspect summary corpus 2>&1 >/dev/null |
  sed -n 's/.*scannedFileCount=\([0-9]*\).*/\1/p' || true)
echo "== files read: ripgrep $rg_files, ast-grep $sg_files, pgshift $files (walk)"

declare -A mean
if command -v hyperfine >/dev/null; then
  echo "== times (hyperfine, $warmup warm-up runs, $runs runs; the page cache is warm)"
  args=()
  for name in "${names[@]}"; do args+=(-n "$name" "$(command_of "$name")"); done
  hyperfine --style basic -N -i -w "$warmup" -r "$runs" --export-csv "$cache/times.csv" "${args[@]}" |
    grep -E '^(Benchmark|  Time|  Range)' || true
  while IFS=, read -r name m _; do
    [[ "$name" == command ]] && continue
    mean[$name]=$m
  done <"$cache/times.csv"
else
  echo "== times (no hyperfine: best of $runs runs each, after $warmup warm-up runs)"
  for name in "${names[@]}"; do
    cmd=$(command_of "$name")
    for ((i = 0; i < warmup; i++)); do $cmd >/dev/null 2>&1 || true; done
    best=""
    for ((i = 0; i < runs; i++)); do
      start=$(date +%s.%N)
      $cmd >/dev/null 2>&1 || true
      t=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
      best=$(awk -v a="$t" -v b="${best:-1e9}" 'BEGIN { print (a < b) ? a : b }')
    done
    mean[$name]=$best
    printf '%-22s %.3f s\n' "$name" "$best"
  done
fi

peak() { # peak RSS in MB of one run of the command in $1 over folder $2
  local cmd="${1/ corpus/ $2}"
  /usr/bin/time -f '%M' -o "$cache/peak.txt" $cmd >/dev/null 2>&1 || true
  tail -n 1 "$cache/peak.txt" | awk '{ printf "%.1f", $1 / 1024 }'
}
# Flat memory means the same peak for more files. The whole corpus is not four quarters of the
# same kind (its largest file, which sets the parse's peak, may be in no quarter), so the
# comparison is the quarter against four and eight hard-linked copies of it.
for copies in 4 8; do
  many="$cache/corpus-quarter-x$copies"
  if [[ ! -d "$many" ]]; then
    mkdir -p "$many"
    for ((i = 1; i <= copies; i++)); do cp -al "$quarter" "$many/copy$i"; done
  fi
done
declare -A mem_full mem_quarter mem_x4 mem_x8
for name in "${names[@]}"; do
  mem_full[$name]=$(peak "$(command_of "$name")" corpus)
  mem_quarter[$name]=$(peak "$(command_of "$name")" corpus-quarter)
  mem_x4[$name]=$(peak "$(command_of "$name")" corpus-quarter-x4)
  mem_x8[$name]=$(peak "$(command_of "$name")" corpus-quarter-x8)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
pg5_rg5=$(ratio "${mean[pgshift-stage5]}" "${mean[ripgrep-stage5]}")
sg_pg5=$(ratio "${mean[ast-grep]}" "${mean[pgshift-stage5]}")
pg_rg=$(ratio "${mean[pgshift-check]}" "${mean[ripgrep-all]}")
sg_pg=$(ratio "${mean[ast-grep]}" "${mean[pgshift-check]}")
np_mbs=$(awk -v b="$bytes" -v t="${mean[pgshift-no-prefilter]}" 'BEGIN { printf "%.0f", b / t / 1e6 }')
goal() { awk -v v="$1" -v g="$2" -v d="$3" 'BEGIN { ok = (d == "le") ? v <= g : v >= g; print ok ? "met" : "MISSED" }'; }

{
  echo "| run | mean time | peak memory: quarter | 4 x quarter | 8 x quarter | whole corpus |"
  echo "|---|---|---|---|---|---|"
  for name in "${names[@]}"; do
    printf '| %s | %.3f s | %s MB | %s MB | %s MB | %s MB |\n' "$name" "${mean[$name]}" \
      "${mem_quarter[$name]}" "${mem_x4[$name]}" "${mem_x8[$name]}" "${mem_full[$name]}"
  done
  echo
  echo "- corpus: $files files, $mb MB; quarter: $qfiles files; 4 x and 8 x quarter: $((qfiles * 4)) and $((qfiles * 8)) files (hard links)"
  echo "- Stage 5 pack: pgshift / ripgrep = $pg5_rg5 (goal <= 2: $(goal "$pg5_rg5" 2 le)); ast-grep / pgshift = $sg_pg5 (goal >= 10: $(goal "$sg_pg5" 10 ge))"
  echo "- check with every built-in pack: pgshift / ripgrep = $pg_rg (goal <= 2: $(goal "$pg_rg" 2 le)); ast-grep (Stage 5 rules) / pgshift = $sg_pg"
  echo "- pgshift check --no-prefilter: $np_mbs MB/s over the whole corpus"
  echo "- $(nproc) cores, $(rg --version | head -n 1), $("$ast_grep" --version), $(hyperfine --version 2>/dev/null || echo 'no hyperfine'), $(rustc --version)"
} | tee "$results"
