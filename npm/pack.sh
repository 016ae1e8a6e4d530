#!/usr/bin/env bash
# Packs the npm packages into OUTDIR with `npm pack`: the launcher `npm-logdoc` and
# one platform package per binary (npm/generate.cjs writes them; npm/platforms.json
# names the platforms).
#
#   bash npm/pack.sh OUTDIR                     builds this machine's release binary
#   bash npm/pack.sh --binary PATH OUTDIR       takes PATH as this machine's binary
#   bash npm/pack.sh --binary TARGET=PATH ... OUTDIR
#                                               takes prebuilt binaries for any targets
#                                               (the release workflow passes all seven)
#   --repository OWNER/REPO                     the packages' repository.url (default:
#                                               GITHUB_REPOSITORY, else the origin remote)
#   --stage DIR                                 keep the unpacked packages in DIR (for
#                                               `npm publish DIR/<package>`)
#
# Prints the tarballs' paths. Versions are Cargo.toml's; a binary this machine can run
# must say that version.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage="usage: bash npm/pack.sh [--binary [TARGET=]PATH]... [--repository OWNER/REPO] [--stage DIR] OUTDIR"

binaries=()
repository="${GITHUB_REPOSITORY:-}"
stage=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binaries+=("${2:?$usage}"); shift 2 ;;
    --repository) repository="${2:?$usage}"; shift 2 ;;
    --stage) stage="${2:?$usage}"; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "pack.sh: unknown option $1" >&2; echo "$usage" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "$usage" >&2; exit 2; }; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || { echo "$usage" >&2; exit 2; }

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "pack.sh: $tool is needed (npm pack)" >&2; exit 1; }
done

host_target() {
  rustc -vV | sed -n 's/^host: //p'
}

if [ -z "$repository" ]; then
  remote="$(git -C "$root" config --get remote.origin.url 2>/dev/null || true)"
  case "$remote" in
    *github.com[:/]*) repository="$(printf '%s' "$remote" | sed -E 's#^.*github\.com[:/]##; s#\.git$##')" ;;
  esac
fi

version="$(sed -n '/^\[package\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p;}' "$root/Cargo.toml" | head -n1)"
[ -n "$version" ] || { echo "pack.sh: no version in Cargo.toml's [package]" >&2; exit 1; }

if [ ${#binaries[@]} -eq 0 ]; then
  echo "pack.sh: building the release binary (cargo build --release --locked)" >&2
  # As the release workflow builds it: no debug info (the profile keeps line
  # tables for local profiling; they would quadruple the download).
  (cd "$root" && CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=debuginfo \
    cargo build --release --locked --bin npm-logdoc >&2)
  exe=""
  case "$(host_target)" in *windows*) exe=".exe" ;; esac
  binaries=("${CARGO_TARGET_DIR:-$root/target}/release/npm-logdoc$exe")
fi

host=""
pairs=()
for b in "${binaries[@]}"; do
  case "$b" in
    *=*) target="${b%%=*}"; path="${b#*=}" ;;
    *) host="${host:-$(host_target)}"; target="$host"; path="$b" ;;
  esac
  [ -f "$path" ] || { echo "pack.sh: $path is not a file" >&2; exit 1; }
  # A binary this machine runs must be the crate's version (a stale build would
  # ship under the new number).
  if said="$("$path" --version 2>/dev/null)"; then
    [ "$said" = "npm-logdoc $version" ] || {
      echo "pack.sh: $path says \"$said\", but Cargo.toml's version is $version" >&2
      exit 1
    }
  fi
  pairs+=("$target=$path")
done

if [ -z "$stage" ]; then
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' EXIT
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
args=(--out "$stage")
[ -z "$repository" ] || args+=(--repository "$repository")
dirs="$(node "$root/npm/generate.cjs" "${args[@]}" "${pairs[@]}")"
while IFS= read -r dir; do
  # No lifecycle script exists to run; --ignore-scripts keeps it that way.
  name="$(cd "$out" && npm pack "$dir" --ignore-scripts --silent --pack-destination "$out" | tail -n1)"
  echo "$out/$name"
done <<<"$dirs"
