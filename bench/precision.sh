#!/usr/bin/env bash
# Precision of the Stage 5 pack on the application corpus (bench/apps.txt, laid out by
# bench/apps.sh): per repository, the files pgshift reads, the edits `apply` would make, and the
# review findings, per rule. Each repository is its own project root (its tsconfig paths count).
#
#   bash bench/apps.sh                     # once: lay out the corpus
#   bash bench/precision.sh                # the table, and every edit and finding
#   PGSHIFT_BIN=path/to/pgshift bash bench/precision.sh
#   PGSHIFT_RULES="--rules rules/sqlite-isms.toml" bash bench/precision.sh   # more packs
#
# Output: a Markdown table on stdout; every edit and finding, one a line, in
# bench/.cache/precision/<label>.tsv (label: PGSHIFT_LABEL, default "current"), to judge them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
apps="$here/.cache/apps"
bin="${PGSHIFT_BIN:-$repo/target/release/pgshift}"
label="${PGSHIFT_LABEL:-current}"
out="$here/.cache/precision"
[ -d "$apps" ] || { echo "precision.sh: no corpus; run bash bench/apps.sh first" >&2; exit 2; }
[ -x "$bin" ] || { echo "precision.sh: no binary at $bin (cargo build --release, or set PGSHIFT_BIN)" >&2; exit 2; }
mkdir -p "$out/$label"

origins="$(sed -e 's/#.*//' "$here/apps.txt" | awk 'NF == 3 { print $1 "\t" $3 }')"
for dir in "$apps"/*/; do
    key="$(basename "$dir")"
    # shellcheck disable=SC2086
    NO_COLOR=1 "$bin" diff --format json ${PGSHIFT_RULES:-} "$dir" \
        > "$out/$label/$key.json" 2> "$out/$label/$key.stderr" || {
        echo "precision.sh: pgshift failed on $key (see $out/$label/$key.stderr)" >&2
        exit 2
    }
done

python3 - "$out/$label" "$out/$label.tsv" "$origins" <<'PY'
import collections, json, os, re, sys

folder, listing, origins_text = sys.argv[1], sys.argv[2], sys.argv[3]
origins = dict(line.split("\t") for line in origins_text.splitlines() if line)
rows, lines = [], []
totals = collections.Counter()
for name in sorted(os.listdir(folder)):
    if not name.endswith(".json"):
        continue
    key = name[:-5]
    plan = json.load(open(os.path.join(folder, name)))
    err = open(os.path.join(folder, key + ".stderr")).read()
    seen = re.search(r"(\d+) files seen, (\d+) parsed", err)
    files, parsed = (int(seen.group(1)), int(seen.group(2))) if seen else (0, 0)
    edits, reviews = collections.Counter(), collections.Counter()
    errors = 0
    for f in plan["files"]:
        for e in f["edits"]:
            edits[e["rule"]] += 1
            text = e["original"].replace("\n", "\\n")[:120]
            lines.append(f"{key}/{f['path']}:{e['line']}\tedit\t{e['rule']}\t{text!r} -> {e['replacement'][:60]!r}")
    for finding in plan["findings"]:
        if finding["kind"] == "review":
            reviews[finding["rule"]] += 1
            lines.append(f"{key}/{finding['path']}:{finding['line']}\treview\t{finding['rule']}\t{finding['message'][:160]}")
        elif finding["kind"] == "error":
            errors += 1
    repo = key.replace("+", "/", 1)
    fmt = lambda c: ", ".join(f"{r} {n}" for r, n in sorted(c.items())) or "0"
    rows.append((repo, origins.get(repo, "?"), files, parsed, sum(edits.values()), fmt(edits),
                 sum(reviews.values()), fmt(reviews), errors))
    totals.update(files=files, parsed=parsed, edits=sum(edits.values()),
                  reviews=sum(reviews.values()), errors=errors)
print("| repository | database | files | parsed | edits | edits per rule | reviews | reviews per rule | not processed |")
print("|---|---|---:|---:|---:|---|---:|---|---:|")
for r in rows:
    print("| %s | %s | %d | %d | %d | %s | %d | %s | %d |" % r)
print("| **all** | | %d | %d | %d | | %d | | %d |" % (
    totals["files"], totals["parsed"], totals["edits"], totals["reviews"], totals["errors"]))
with open(listing, "w") as out:
    out.write("\n".join(lines) + ("\n" if lines else ""))
print(f"\n{len(lines)} edits and findings listed in {listing}", file=sys.stderr)
PY
