#!/usr/bin/env bash
# Builds the benchmark corpus: real TypeScript from the npm packages in bench/packages.txt,
# fetched by exact name and version with `npm pack` (which checks each tarball against the
# registry's integrity hash). Nothing here is committed: everything goes to bench/.cache/.
#
#   bash bench/corpus.sh            # fetch what is missing, then (re)build the corpus folders
#
# Result:
#   bench/.cache/tarballs/          the package tarballs, as npm packed them
#   bench/.cache/corpus/NAME@VER/   every .ts/.tsx/.mts/.cts file (.d.ts included) of each package
#   bench/.cache/corpus-quarter/    every 4th file of the corpus (hard links), for the memory check
#   bench/.cache/corpus.files       the corpus' files, one a line, relative to corpus/
#
# pgshift never enters folders named node_modules, .git, .next, dist, build, coverage or .turbo;
# ripgrep and ast-grep do. So that all three tools read exactly the same files, such a folder is
# renamed with a trailing `_` (`dist/` becomes `dist_/`). Files over pgshift's 2 MiB limit are
# left out for the same reason (pgshift would report them as skipped).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache"
tarballs="$cache/tarballs"
corpus="$cache/corpus"
quarter="$cache/corpus-quarter"
max_size=$((2 * 1024 * 1024))
min_files=5000

command -v npm >/dev/null || { echo "corpus.sh: npm is needed" >&2; exit 2; }
mkdir -p "$tarballs"

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | grep -v '^$')

# npm pack names a tarball `scope-name-version.tgz`.
tarball_of() {
  local spec="$1" name version
  name="${spec%@*}"
  version="${spec##*@}"
  name="${name#@}"
  echo "${name//\//-}-$version.tgz"
}

for spec in "${packages[@]}"; do
  file="$(tarball_of "$spec")"
  if [[ ! -s "$tarballs/$file" ]]; then
    echo "fetching $spec" >&2
    (cd "$tarballs" && npm pack --silent --loglevel=error "$spec" >/dev/null)
    [[ -s "$tarballs/$file" ]] || { echo "corpus.sh: npm pack $spec gave no $file" >&2; exit 1; }
  fi
done

rm -rf "$corpus" "$quarter" "$cache"/corpus-quarter-x*
mkdir -p "$corpus" "$quarter"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

skipped='node_modules|\.git|\.next|dist|build|coverage|\.turbo'
for spec in "${packages[@]}"; do
  file="$(tarball_of "$spec")"
  rm -rf "$work/x"
  mkdir -p "$work/x"
  tar -xzf "$tarballs/$file" -C "$work/x"
  # Tarballs hold one top folder, usually `package/`.
  top="$(find "$work/x" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
  dest="$corpus/${spec//\//__}"
  (cd "$top" && find . -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.mts' -o -name '*.cts' \) \
      -size -$((max_size + 1))c -print) | sed 's#^\./##' | sort |
    while IFS= read -r rel; do
      out="$rel"
      # Rename every path component pgshift's walk would skip (repeat: `dist/build/` has two).
      while [[ "/$out/" =~ /($skipped)/ ]]; do
        out="$(sed -E "s#(^|/)($skipped)(/|\$)#\\1\\2_\\3#" <<<"$out")"
      done
      mkdir -p "$dest/$(dirname "$out")"
      cp "$top/$rel" "$dest/$out"
    done
done

(cd "$corpus" && find . -type f | sed 's#^\./##' | LC_ALL=C sort) >"$cache/corpus.files"
count=$(wc -l <"$cache/corpus.files")
bytes=$(cd "$corpus" && tr '\n' '\0' <"$cache/corpus.files" | du -cb --files0-from=- | tail -n 1 | cut -f1)

# The quarter: every 4th file, hard-linked, same layout.
awk 'NR % 4 == 1' "$cache/corpus.files" | while IFS= read -r rel; do
  mkdir -p "$quarter/$(dirname "$rel")"
  ln "$corpus/$rel" "$quarter/$rel"
done
qcount=$(find "$quarter" -type f | wc -l)

echo "corpus: $count files, $bytes bytes, ${#packages[@]} packages in $corpus"
echo "quarter: $qcount files in $quarter"
if ((count < min_files)); then
  echo "corpus.sh: only $count files; at least $min_files wanted" >&2
  exit 1
fi
