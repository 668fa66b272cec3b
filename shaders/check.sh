#!/usr/bin/env bash
# Fails if a committed shaders/*.spv is stale (also through an include
# file it uses), missing or orphaned, if any fails spirv-val, or if an
# include file (*.glsl) is included by nothing. CI runs it; the comparison assumes the same glslc
# version as the one that generated the committed files (see generate.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/generate.sh" "$tmp"
status=0
shopt -s nullglob
for spv in "$tmp"/*.spv; do
  name="$(basename "$spv")"
  if [ ! -f "$here/$name" ]; then
    echo "check.sh: shaders/$name is missing; run shaders/generate.sh and commit it" >&2; status=1
  elif ! cmp -s "$spv" "$here/$name"; then
    echo "check.sh: shaders/$name is stale; run shaders/generate.sh and commit it" >&2; status=1
  fi
done
for spv in "$here"/*.spv; do
  name="$(basename "$spv" .spv)"
  if [ ! -f "$here/$name.comp" ]; then
    echo "check.sh: shaders/$name.spv has no $name.comp source; delete it" >&2; status=1
  fi
  spirv-val --target-env vulkan1.1 "$spv" || { echo "check.sh: shaders/$name.spv fails spirv-val" >&2; status=1; }
done
for inc in "$here"/*.glsl; do
  name="$(basename "$inc")"
  if ! grep -qs "^#include \"$name\"" "$here"/*.comp "$here"/*.glsl; then
    echo "check.sh: shaders/$name is included by no shader; delete it or include it" >&2; status=1
  fi
done
exit $status
