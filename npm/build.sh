#!/usr/bin/env bash
# Builds pgshift's npm packages: the launcher package `pgshift` (npm/pgshift/) and the platform
# package of one Rust target (npm/cli-*/) holding the binary, both with the version of
# Cargo.toml, and `npm pack`s them. The sources under npm/ are copied, never changed.
#
#   bash npm/build.sh                                   # cargo build --profile dist, this machine
#   bash npm/build.sh --binary target/release/pgshift   # package a binary that is already built
#   bash npm/build.sh --target aarch64-unknown-linux-gnu --binary dist/pgshift
#
# Options:
#   --binary PATH      package this binary instead of building one
#   --target TRIPLE    the Rust target the binary is for (default: this machine's, `rustc -vV`)
#   --out DIR          where the filled packages and the tarballs go (default: target/npm)
#   --repository URL   the packages' `repository` (npm publish --provenance checks it)
#
# Prints the two tarballs' paths on stdout, the launcher's first; everything else goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"

binary=""
target=""
out="$top/target/npm"
repository=""
while (($#)); do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --target) target="${2:?--target needs a Rust target triple}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --repository) repository="${2:?--repository needs a URL}"; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "npm/build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "npm/build.sh: $tool is needed" >&2; exit 2; }
done

host="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p' || true)"
[[ -n "$target" || -n "$host" ]] || { echo "npm/build.sh: no rustc to tell this machine's target; pass --target" >&2; exit 2; }
triple="${target:-$host}"

# The platform package of each Rust target the release workflow builds.
case "$triple" in
  x86_64-unknown-linux-gnu) platform=cli-linux-x64-gnu ;;
  aarch64-unknown-linux-gnu) platform=cli-linux-arm64-gnu ;;
  x86_64-unknown-linux-musl) platform=cli-linux-x64-musl ;;
  x86_64-apple-darwin) platform=cli-darwin-x64 ;;
  aarch64-apple-darwin) platform=cli-darwin-arm64 ;;
  x86_64-pc-windows-msvc) platform=cli-win32-x64-msvc ;;
  *) echo "npm/build.sh: no npm package for the target $triple (see npm/cli-*)" >&2; exit 2 ;;
esac
exe=pgshift
[[ "$triple" == *windows* ]] && exe=pgshift.exe

version="$(awk '/^\[/ { section = $0 } section == "[package]" && /^version *=/ { gsub(/^version *= *"|".*$/, ""); print; exit }' "$top/Cargo.toml")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || { echo "npm/build.sh: no version in Cargo.toml's [package]" >&2; exit 2; }

if [[ -z "$binary" ]]; then
  echo "== cargo build --profile dist ($triple)" >&2
  if [[ -n "$target" ]]; then
    (cd "$top" && cargo build --locked --profile dist --target "$target" >&2)
    binary="$top/target/$target/dist/$exe"
  else
    (cd "$top" && cargo build --locked --profile dist >&2)
    binary="$top/target/dist/$exe"
  fi
fi
[[ -f "$binary" ]] || { echo "npm/build.sh: no binary at $binary" >&2; exit 2; }

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -rf "${out:?}/pgshift" "${out:?}/$platform"
cp -R "$here/pgshift" "$out/pgshift"
cp -R "$here/$platform" "$out/$platform"
cp "$binary" "$out/$platform/$exe"
# Artifacts that went through a zip (actions/upload-artifact) lose the executable bit.
chmod 0755 "$out/$platform/$exe"

# A binary for this machine can say its version: refuse to ship a stale one.
if [[ "$triple" == "$host" ]]; then
  said="$("$out/$platform/$exe" --version)"
  [[ "$said" == "pgshift $version" ]] || {
    echo "npm/build.sh: $binary says '$said', Cargo.toml has $version" >&2
    exit 2
  }
fi

# The version (and the repository) of both packages, and the launcher's pins of the platform
# packages it depends on.
node -e '
  const fs = require("fs");
  const [version, repository, ...files] = process.argv.slice(1);
  for (const file of files) {
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    pkg.version = version;
    for (const name of Object.keys(pkg.optionalDependencies || {})) pkg.optionalDependencies[name] = version;
    if (repository) {
      pkg.repository = { type: "git", url: "git+" + repository.replace(/^git\+/, "").replace(/(\.git)?$/, ".git") };
    }
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
  }
' "$version" "$repository" "$out/pgshift/package.json" "$out/$platform/package.json"

echo "== npm pack pgshift and @pgshift/$platform $version" >&2
for package in pgshift "$platform"; do
  tarball="$(cd "$out" && npm pack "./$package" --pack-destination "$out" --silent --loglevel=error)"
  echo "$out/$tarball"
done
