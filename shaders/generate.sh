#!/usr/bin/env bash
# Compiles every shaders/*.comp to SPIR-V and validates it.
#
#   shaders/generate.sh            write shaders/NAME.spv next to each source
#   shaders/generate.sh OUTDIR     write them into OUTDIR instead (check.sh)
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
  glslc -O --target-env=vulkan1.1 -Werror -o "$out/$name.spv" "$src"
  spirv-val --target-env vulkan1.1 "$out/$name.spv"
done
