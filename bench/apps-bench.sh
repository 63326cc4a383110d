#!/usr/bin/env bash
# pgshift on the application corpus (bench/apps.txt, laid out by bench/apps.sh), against
# baselines rebuilt and measured in the same run:
#
#   1. times, with hyperfine, over the same files (pgshift's walk: .gitignore honoured,
#      node_modules/.git/.next/dist/build/coverage/.turbo skipped, TypeScript and JavaScript only):
#      - `pgshift check` against ripgrep searching them for the built-in packs' trigger strings
#        (bench/rg-triggers.txt), the floor of reading the bytes;
#      - `pgshift check --no-prefilter` (every file parsed, every rule run) against swc's bare
#        parse of the same files (examples/swc_parse.rs, same threads);
#      - `ast-grep scan` with the Stage 5 rules of bench/ast-grep/, for reference;
#   2. the SQLite-isms findings per rule and project, with the rules of a BASE build (default:
#      the main branch, built into bench/.cache/base) and of this tree: which packs run where.
#
#   bash bench/apps.sh          # once: lays out the corpus
#   bash bench/apps-bench.sh    # prints the tables; also written to bench/.cache/apps-results.md
#
# BENCH_RUNS (default 10) and BENCH_WARMUP (default 3) set hyperfine's runs; BASE=<git rev> picks
# the build the findings are compared with (BASE=none skips it). Missing tools are installed:
# ripgrep and hyperfine with apt-get (as root), ast-grep with npm into bench/.cache/tools.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"
cache="$here/.cache"
apps="$cache/apps"
runs="${BENCH_RUNS:-10}"
warmup="${BENCH_WARMUP:-3}"
base="${BASE:-main}"
ast_grep_version="0.51.1"
results="$cache/apps-results.md"

[[ -d "$apps" ]] || bash "$here/apps.sh"

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "apps-bench.sh: $1 is missing; install it (apt-get install $1)" >&2
    exit 2
  fi
  if [[ -z "${apt_updated:-}" ]]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
command -v rg >/dev/null || apt_install ripgrep
command -v hyperfine >/dev/null || apt_install hyperfine
ast_grep="$cache/tools/node_modules/.bin/ast-grep"
if [[ ! -x "$ast_grep" ]] || [[ "$("$ast_grep" --version)" != "ast-grep $ast_grep_version" ]]; then
  npm install --silent --no-audit --no-fund --no-save --prefix "$cache/tools" "@ast-grep/cli@$ast_grep_version"
fi

# The executable a release build of the tree in $1 makes (cargo's own record of it, so that two
# trees can share one target folder and only pgshift itself compiles for the second).
built() {
  (cd "$1" && CARGO_TARGET_DIR="$top/target" cargo build --release --quiet --message-format=json "${@:2}") |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])' | tail -n 1
}

# The base build, for the findings before: its tree exported (no worktree).
base_bin=""
if [[ "$base" != none ]]; then
  rev=$(git -C "$top" rev-parse --verify "$base^{commit}")
  base_bin="$cache/base/pgshift-${rev:0:12}"
  if [[ ! -x "$base_bin" ]]; then
    src="$cache/base/src-${rev:0:12}"
    rm -rf "$src" && mkdir -p "$src"
    git -C "$top" archive "$rev" | tar -x -C "$src"
    cp "$(built "$src" --bin pgshift)" "$base_bin"
  fi
fi
mkdir -p "$cache/bin"
cp "$(built "$top" --bin pgshift)" "$cache/bin/pgshift"
cp "$(built "$top" --example swc_parse)" "$cache/bin/swc_parse"
pgshift="$cache/bin/pgshift"
swc_parse="$cache/bin/swc_parse"

sg="$cache/ast-grep"
rm -rf "$sg"
mkdir -p "$sg/rules"
cp "$here/ast-grep/sgconfig.yml" "$sg/"
for rule in "$here"/ast-grep/rules/*.yml; do
  cp "$rule" "$sg/rules/"
  sed -e 's/^language: TypeScript$/language: Tsx/' -e 's/^id: /id: tsx-/' "$rule" >"$sg/rules/tsx-$(basename "$rule")"
done

cd "$cache"
# ripgrep walks as pgshift does: ignore files without a git repository, hidden files, the same
# skipped folders and file kinds.
# (A file kind as a type, not a -g glob: ripgrep's globs override ignore files.)
rg_walk=(--no-require-git --hidden --no-config
  --type-add 'src:*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}' -t src
  -g '!node_modules/' -g '!.git/' -g '!.next/' -g '!dist/' -g '!build/' -g '!coverage/' -g '!.turbo/')
rg_files=$(rg "${rg_walk[@]}" --files apps | wc -l)
walk_line=$("$swc_parse" apps)
walk_files=${walk_line%% files*}
bytes=$(rg "${rg_walk[@]}" --files -0 apps | xargs -0 stat -c %s | awk '{ s += $1 } END { print s }')
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "== application corpus: $walk_files files (ripgrep: $rg_files), $mb MiB; swc: $walk_line"
if [[ "$rg_files" != "$walk_files" ]]; then
  echo "apps-bench.sh: ripgrep and pgshift's walk read different files" >&2
  exit 1
fi

rg_cmd="rg ${rg_walk[*]} -i -F -f $here/rg-triggers.txt -l apps"
names=(ripgrep pgshift-check swc-bare-parse pgshift-no-prefilter ast-grep-stage5)
command_of() {
  case $1 in
    ripgrep) echo "$rg_cmd" ;;
    pgshift-check) echo "$pgshift check apps" ;;
    swc-bare-parse) echo "$swc_parse apps" ;;
    pgshift-no-prefilter) echo "$pgshift check --no-prefilter apps" ;;
    ast-grep-stage5) echo "$ast_grep scan -c $sg/sgconfig.yml apps" ;;
  esac
}
echo "== times (hyperfine, $warmup warm-up runs, $runs runs; the page cache is warm)"
args=()
for name in "${names[@]}"; do
  # hyperfine -N splits on blanks: the globs hold none, so the command stays one string.
  args+=(-n "$name" "$(command_of "$name")")
done
hyperfine --style basic -N -i -w "$warmup" -r "$runs" --export-csv "$cache/apps-times.csv" "${args[@]}" |
  grep -E '^(Benchmark|  Time|  Range)' || true
declare -A mean sd cpu
while IFS=, read -r name m s _median user system _; do
  [[ "$name" == command ]] && continue
  mean[$name]=$m
  sd[$name]=$s
  cpu[$name]=$(awk -v u="$user" -v y="$system" 'BEGIN { print u + y }')
done <"$cache/apps-times.csv"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
goal() { awk -v v="$1" -v g="$2" 'BEGIN { print (v <= g) ? "met" : "MISSED" }'; }
check_rg=$(ratio "${mean[pgshift-check]}" "${mean[ripgrep]}")
np_swc=$(ratio "${mean[pgshift-no-prefilter]}" "${mean[swc-bare-parse]}")
# CPU time (user + system) is steadier than wall-clock time when other work shares the cores.
check_rg_cpu=$(ratio "${cpu[pgshift-check]}" "${cpu[ripgrep]}")
np_swc_cpu=$(ratio "${cpu[pgshift-no-prefilter]}" "${cpu[swc-bare-parse]}")
sg_check=$(ratio "${mean[ast-grep-stage5]}" "${mean[pgshift-check]}")

# Findings per project and rule: `check --format json` over each project's folder.
findings() { # binary, project folder -> "rule count" lines
  (cd "$apps/$2" && "$1" check --format json . 2>/dev/null || true) |
    python3 -c 'import json, sys, collections
c = collections.Counter(f["rule"] for f in json.load(sys.stdin) if f["rule"].startswith(("sqlite-raw", "sqlite-case", "sqlite-json", "schema-")))
for rule, n in sorted(c.items()): print(rule, n)'
}

{
  echo "| run | command | mean wall time | σ | CPU time (user + system) |"
  echo "|---|---|---|---|---|"
  for name in "${names[@]}"; do
    printf '| %s | `%s` | %.3f s | %.3f s | %.3f s |\n' "$name" "$(command_of "$name" | sed "s|$top/||g; s|$cache/|bench/.cache/|g")" \
      "${mean[$name]}" "${sd[$name]}" "${cpu[$name]}"
  done
  echo
  echo "- corpus: $walk_files files, $mb MiB, 9 repositories (bench/apps.txt)"
  echo "- check / ripgrep: wall **$check_rg**, CPU **$check_rg_cpu** (goal <= 1.2: wall $(goal "$check_rg" 1.2), CPU $(goal "$check_rg_cpu" 1.2))"
  echo "- check --no-prefilter / swc bare parse: wall **$np_swc**, CPU **$np_swc_cpu** (goal <= 1.5: wall $(goal "$np_swc" 1.5), CPU $(goal "$np_swc_cpu" 1.5))"
  echo "- load average during the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"
  echo "- ast-grep (Stage 5 rules) / check = $sg_check"
  echo "- $(nproc) cores, $(rg --version | head -n 1), $("$ast_grep" --version), $(hyperfine --version), $(rustc --version)"
  echo
  echo "SQLite-isms findings per project and rule (origin: the database apps.txt names):"
  echo
  echo "| project | origin | rule | before (${base}) | after |"
  echo "|---|---|---|---|---|"
  while read -r repo _ origin; do
    key="${repo/\//+}"
    declare -A before=() after=()
    if [[ -n "$base_bin" ]]; then
      while read -r rule n; do [[ -n "$rule" ]] && before[$rule]=$n; done < <(findings "$base_bin" "$key")
    fi
    while read -r rule n; do [[ -n "$rule" ]] && after[$rule]=$n; done < <(findings "$pgshift" "$key")
    rules=$(printf '%s\n' "${!before[@]}" "${!after[@]}" | sort -u | grep -v '^$' || true)
    if [[ -z "$rules" ]]; then
      echo "| $repo | $origin | (none) | 0 | 0 |"
    fi
    for rule in $rules; do
      echo "| $repo | $origin | \`$rule\` | ${before[$rule]:-0} | ${after[$rule]:-0} |"
    done
    unset before after
  done < <(sed -e 's/#.*//' "$here/apps.txt" | awk 'NF == 3')
} | tee "$results"
