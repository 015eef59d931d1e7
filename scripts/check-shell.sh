#!/usr/bin/env bash
# Runs shellcheck over every tracked *.sh (the sandbox's scripts in src/sandbox/scripts/ included) and .ci/run; exits 1
# on any finding, style notes included. Installs the Debian package shellcheck when it is missing (root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "check-shell: installing shellcheck"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends shellcheck
fi

mapfile -t files < <(git ls-files -- '*.sh' .ci/run)
[ "${#files[@]}" -gt 0 ] || { echo "check-shell: no shell files found (not a git checkout?)" >&2; exit 1; }
if shellcheck --external-sources -- "${files[@]}"; then
  echo "check-shell: ${#files[@]} files, no finding ($(shellcheck --version | sed -n 's/^version: //p'))"
else
  echo "check-shell: shellcheck found problems in the files above" >&2
  exit 1
fi
