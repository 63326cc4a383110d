#!/usr/bin/env bash
# Lays out the application corpus listed in bench/apps.txt: each repository's tree at its pinned
# commit under bench/.cache/apps/OWNER+NAME/. Nothing here is committed.
#
#   bash bench/apps.sh                 # lay out what is missing
#   PGSHIFT_MIRROR=DIR bash bench/apps.sh
#
# A repository is read from a bare mirror at $PGSHIFT_MIRROR/OWNER+NAME/repo when one is there
# (default /work/.mirror), else cloned from its public GitHub address. Files over pgshift's
# 2 MiB limit are left out, so that pgshift, ripgrep and ast-grep read the same files.
#
# Result:
#   bench/.cache/apps/OWNER+NAME/      the tree (its .gitignore files included)
#   bench/.cache/apps.files            every TypeScript/JavaScript file, relative to apps/
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache"
apps="$cache/apps"
mirror="${PGSHIFT_MIRROR:-/work/.mirror}"
max_size=$((2 * 1024 * 1024))
mkdir -p "$apps" "$cache/clones"

while read -r repo commit origin; do
    key="${repo/\//+}"
    dest="$apps/$key"
    [ -f "$dest/.pgshift-commit" ] && [ "$(cat "$dest/.pgshift-commit")" = "$commit" ] && continue
    gitdir="$mirror/$key/repo"
    if ! git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null; then
        gitdir="$cache/clones/$key.git"
        [ -d "$gitdir" ] || git clone --bare --filter=blob:limit=2m "https://github.com/$repo.git" "$gitdir" >&2
        git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null \
            || git --git-dir="$gitdir" fetch origin "$commit" >&2
    fi
    rm -rf "$dest" && mkdir -p "$dest"
    # A snapshot may lack its largest blobs; every file it has, up to the size limit, is laid out.
    python3 "$here/apps_extract.py" "$gitdir" "$commit" "$dest" "$max_size"
    echo "$commit" > "$dest/.pgshift-commit"
    echo "apps.sh: $repo ($origin) at ${commit:0:12}" >&2
done < <(sed -e 's/#.*//' "$here/apps.txt" | awk 'NF == 3')

(cd "$apps" && find . -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.mts' -o -name '*.cts' \
    -o -name '*.js' -o -name '*.jsx' -o -name '*.mjs' -o -name '*.cjs' \) \
    -not -path '*/node_modules/*' | sed 's|^\./||' | sort) > "$cache/apps.files"
echo "apps.sh: $(wc -l < "$cache/apps.files") files in $apps" >&2
