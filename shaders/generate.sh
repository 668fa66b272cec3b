#!/usr/bin/env bash
# Compiles every shaders/*.comp to SPIR-V and validates it.
#
#   shaders/generate.sh            write shaders/NAME.spv next to each source
#   shaders/generate.sh OUTDIR     write them into OUTDIR instead (check.sh)
#
# NAME.glsl files are include files (#include "NAME.glsl", with
# GL_GOOGLE_include_directive): they are compiled only inside the .comp
# files that include them, never on their own. check.sh regenerates every
# .comp, so a .spv left stale by an edit to an include fails it too.
#
# Needs glslc (shaderc) and spirv-val (spirv-tools); Debian: apt-get install
# glslc spirv-tools. The committed .spv files are what go:embed ships, so
# run this after editing a shader and commit both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
mkdir -p "$out"
for tool in glslc spirv-val; do
  command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found (apt-get install glslc spirv-tools)" >&2; exit 1; }
done
shopt -s nullglob
for src in "$here"/*.comp; do
  name="$(basename "$src" .comp)"
  glslc -O --target-env=vulkan1.1 -Werror -I "$here" -o "$out/$name.spv" "$src"
  spirv-val --target-env vulkan1.1 "$out/$name.spv"
done
