#!/usr/bin/env bash
# The release archives: for each BINS/bin-TARGET/ folder (the build job's artifacts),
# DIST/npm-logdoc-TARGET.tar.gz (.zip for Windows) holding npm-logdoc-TARGET/ with
# the binary, README.md, completions/ and man/, and a .sha256 file beside each.
# Completions and man pages are the same for every target: HOST, a binary this
# machine runs, writes them once.
#
#   bash .github/scripts/archives.sh BINS DIST HOST
# action/install.sh reads this layout; tests/action_install.rs checks they agree.
set -euo pipefail

bins="${1:?usage: archives.sh BINS DIST HOST}"
dist="${2:?usage: archives.sh BINS DIST HOST}"
host="${3:?usage: archives.sh BINS DIST HOST}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod +x "$host"
mkdir -p "$work/completions" "$work/man" "$dist"
"$host" completions bash >"$work/completions/npm-logdoc.bash"
"$host" completions zsh >"$work/completions/_npm-logdoc"
"$host" completions fish >"$work/completions/npm-logdoc.fish"
"$host" completions powershell >"$work/completions/_npm-logdoc.ps1"
"$host" man --dir "$work/man" >/dev/null
dist="$(cd "$dist" && pwd)"

for dir in "$bins"/bin-*; do
  target="${dir##*/bin-}"
  name="npm-logdoc-$target"
  mkdir -p "$work/stage/$name"
  for f in "$dir"/npm-logdoc "$dir"/npm-logdoc.exe; do
    if [ -f "$f" ]; then cp "$f" "$work/stage/$name/"; chmod +x "$work/stage/$name/${f##*/}"; fi
  done
  cp "$root/README.md" "$work/stage/$name/"
  cp -R "$work/completions" "$work/man" "$work/stage/$name/"
  case "$target" in
    *windows*) (cd "$work/stage" && zip -qr "$dist/$name.zip" "$name"); asset="$name.zip" ;;
    *) tar -czf "$dist/$name.tar.gz" -C "$work/stage" "$name"; asset="$name.tar.gz" ;;
  esac
  (cd "$dist" && sha256sum "$asset" >"$asset.sha256")
  echo "$dist/$asset"
done
