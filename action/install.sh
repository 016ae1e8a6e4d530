#!/usr/bin/env bash
# Installs npm-logdoc for action.yml, in two calls around a cache restore:
#
#   install.sh plan      which release (or source build), and where: writes `mode`,
#                        `tag`, `target`, `root` and `cache-key` to GITHUB_OUTPUT
#   install.sh install   puts the binary in ROOT/bin (kept if the cache restored it)
#                        and ROOT/bin on GITHUB_PATH
#
# The release: the `version` input (INPUT_VERSION: `0.2.0`, `v0.2.0`, `latest`), else
# the version in the action's own Cargo.toml (the checkout of the ref you pinned), so
# `@v0.2.0`, a moving `@v0` and a release's commit SHA all get that release's binary.
# Its archive for this runner (npm-logdoc-TARGET.tar.gz, .zip on Windows) is
# downloaded with its `.sha256` file and refused on a mismatch. Only when the release
# has no such asset (an unreleased version) is the action's checkout built with
# `cargo install --locked`; `version: source` asks for that build always.
#
# Environment: ACTION_PATH (the action's checkout), INPUT_VERSION, ACTION_REPOSITORY
# (OWNER/REPO, else read from ACTION_PATH), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP,
# GITHUB_OUTPUT, GITHUB_PATH; for tests, NPM_LOGDOC_RELEASES_URL (default
# https://github.com/OWNER/REPO/releases) and NPM_LOGDOC_TARGET.
set -euo pipefail

say() { printf 'npm-logdoc install: %s\n' "$*" >&2; }
fail() {
  printf '::error title=npm-logdoc install::%s\n' "$*"
  exit 1
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$@" | cut -d' ' -f1
  else
    shasum -a 256 "$@" | cut -d' ' -f1
  fi
}

action_path="${ACTION_PATH:?set ACTION_PATH to the checkout of the action}"

crate_version() {
  sed -n '/^\[package\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p;}' "$action_path/Cargo.toml" 2>/dev/null | head -n1
}

# The Rust target of this runner's release archive.
target() {
  if [ -n "${NPM_LOGDOC_TARGET:-}" ]; then
    echo "$NPM_LOGDOC_TARGET"
    return
  fi
  local arch
  case "${RUNNER_ARCH:-$(uname -m)}" in
    X64|x86_64|amd64) arch=x86_64 ;;
    ARM64|arm64|aarch64) arch=aarch64 ;;
    *) echo unknown; return ;;
  esac
  case "${RUNNER_OS:-$(uname -s)}" in
    Linux)
      # A musl userland (an Alpine job container) gets the static musl build.
      if ldd --version 2>&1 | grep -qi musl; then echo "$arch-unknown-linux-musl"; else echo "$arch-unknown-linux-gnu"; fi ;;
    macOS|Darwin) echo "$arch-apple-darwin" ;;
    Windows|MINGW*|MSYS*) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" || echo unknown ;;
    *) echo unknown ;;
  esac
}

# OWNER/REPO of the action: given, or the two folders above the ref in the
# runner's action cache (.../_actions/OWNER/REPO/REF).
repository() {
  if [ -n "${ACTION_REPOSITORY:-}" ]; then
    echo "$ACTION_REPOSITORY"
  else
    printf '%s\n' "$action_path" | tr '\\' / | sed -n 's#.*/_actions/\([^/]*\)/\([^/]*\)/[^/]*.*#\1/\2#p'
  fi
}

# A digest of what a source build compiles, so a cached build is reused only for
# the same source.
source_digest() {
  (cd "$action_path" && find Cargo.toml Cargo.lock build.rs src patterns examples -type f 2>/dev/null \
    | LC_ALL=C sort | while IFS= read -r f; do printf '%s  %s\n' "$(sha256 "$f")" "$f"; done) \
    | sha256 /dev/stdin | cut -c1-16
}

plan() {
  local requested="${INPUT_VERSION:-}" version
  target="$(target)"
  tag=""
  mode=release
  case "$requested" in
    source) mode=source ;;
    latest) tag=latest ;;
    "")
      version="$(crate_version)"
      [ -n "$version" ] || fail "no version in $action_path/Cargo.toml: set the action's version input"
      tag="v$version" ;;
    v*) tag="$requested" ;;
    *) tag="v$requested" ;;
  esac
  # The tag goes into a URL and a folder name: a version, nothing else.
  if [ "$mode" = release ] && [ "$tag" != latest ] && ! printf '%s' "$tag" | grep -Eq '^v[0-9]+(\.[0-9]+)*([-+][0-9A-Za-z.-]+)?$'; then
    fail "version \`$requested\` is not a release version (0.2.0, v0.2.0), \`latest\` or \`source\`"
  fi
  if [ "$mode" = release ] && { [ "$target" = unknown ] || [ -z "$(repository)" ]; }; then
    say "no release binary for this runner (${RUNNER_OS:-?} ${RUNNER_ARCH:-?}) or no repository to fetch it from: building from source"
    mode=source
  fi
  local base="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/npm-logdoc"
  case "$mode" in
    source)
      key="npm-logdoc-source-$(source_digest)-$target"
      root="$base/source-$target" ;;
    *)
      # `latest` moves, so it is never cached.
      key=""
      [ "$tag" = latest ] || key="npm-logdoc-$tag-$target"
      root="$base/$tag-$target" ;;
  esac
}

# Downloads $1 to $2; prints the HTTP status (000: no answer). curl retries
# timeouts and 5xx itself.
fetch() {
  curl -sSL --retry 3 --retry-delay 1 --connect-timeout 15 -o "$2" -w '%{http_code}' "$1" || true
}

# Downloads, verifies and unpacks the release archive into $root/bin; sets
# `missing` when the release has no asset for this target.
missing=""
from_release() {
  local releases asset url tmp status expected actual exe=""
  releases="${NPM_LOGDOC_RELEASES_URL:-https://github.com/$(repository)/releases}"
  case "$target" in
    *windows*) asset="npm-logdoc-$target.zip"; exe=".exe" ;;
    *) asset="npm-logdoc-$target.tar.gz" ;;
  esac
  if [ "$tag" = latest ]; then url="$releases/latest/download/$asset"; else url="$releases/download/$tag/$asset"; fi
  tmp="$(mktemp -d)"
  status="$(fetch "$url" "$tmp/$asset")"
  case "$status" in
    200) ;;
    404) say "$tag has no $asset ($url: 404)"; rm -rf "$tmp"; missing=1; return ;;
    000) fail "cannot download $url: no answer (network?)" ;;
    *) fail "cannot download $url: HTTP $status" ;;
  esac
  status="$(fetch "$url.sha256" "$tmp/sum")"
  [ "$status" = 200 ] || fail "no checksum for $asset ($url.sha256: HTTP $status): not installing an unverified binary"
  expected="$(cut -d' ' -f1 <"$tmp/sum" | head -n1 | tr 'A-F' 'a-f')"
  actual="$(sha256 "$tmp/$asset")"
  if [ "${#expected}" -ne 64 ] || [ "$expected" != "$actual" ]; then
    fail "checksum mismatch for $asset of $tag: the release says ${expected:-nothing}, the download is $actual; not installing it"
  fi
  mkdir -p "$tmp/x"
  case "$asset" in
    *.zip)
      if command -v unzip >/dev/null 2>&1; then unzip -q "$tmp/$asset" -d "$tmp/x"
      else powershell -NoProfile -Command "Expand-Archive -LiteralPath '$tmp/$asset' -DestinationPath '$tmp/x'"; fi ;;
    *) tar -xzf "$tmp/$asset" -C "$tmp/x" ;;
  esac
  local binary="$tmp/x/npm-logdoc-$target/npm-logdoc$exe"
  [ -f "$binary" ] || fail "$asset has no npm-logdoc-$target/npm-logdoc$exe"
  mkdir -p "$root/bin"
  mv "$binary" "$root/bin/npm-logdoc$exe"
  chmod +x "$root/bin/npm-logdoc$exe"
  rm -rf "$tmp"
  say "installed $tag for $target (sha256 $actual)"
}

from_source() {
  command -v cargo >/dev/null 2>&1 \
    || fail "no release binary to download and no cargo to build one: pin a released version (the version input), or install Rust first"
  say "building $action_path with cargo install --locked (a few minutes)"
  cargo install --locked --quiet --path "$action_path" --root "$root"
}

put_on_path() {
  local dir="$root/bin"
  command -v cygpath >/dev/null 2>&1 && dir="$(cygpath -w "$dir")"
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >>"$GITHUB_PATH"; fi
}

install() {
  if [ -z "${INPUT_VERSION:-}" ] && command -v npm-logdoc >/dev/null 2>&1; then
    say "using $(command -v npm-logdoc): $(npm-logdoc --version)"
    return
  fi
  if [ -x "$root/bin/npm-logdoc" ] || [ -x "$root/bin/npm-logdoc.exe" ]; then
    say "restored from the cache: $root/bin"
  elif [ "$mode" = source ]; then
    from_source
  else
    from_release
    if [ -n "$missing" ]; then from_source; fi
  fi
  put_on_path
  "$root/bin/npm-logdoc" --version
}

plan
case "${1:-}" in
  plan)
    say "mode=$mode tag=${tag:-none} target=$target root=$root"
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
      printf 'mode=%s\ntag=%s\ntarget=%s\nroot=%s\ncache-key=%s\n' "$mode" "$tag" "$target" "$root" "$key" >>"$GITHUB_OUTPUT"
    fi ;;
  install) install ;;
  *) echo "usage: install.sh plan|install" >&2; exit 2 ;;
esac
