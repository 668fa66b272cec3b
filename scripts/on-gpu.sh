#!/usr/bin/env bash
# Runs on the GPU machine after .dev/on-device.sh: the Vulkan kernel and
# whole-model parity tests on the NVIDIA card (validation off: the layer is
# not carried), then the benchmark suite with PyTorch CUDA beside it.
# Everything it prints is also kept under $OUT.
set -uo pipefail
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
export ANVIL_REQUIRE_VULKAN=1
export ANVIL_DATA=$PWD/.dev/data
out=${OUT:-/tmp}
.dev/bin/gpu.test -test.v -test.count=1 -test.timeout 240s 2>&1 | tee "$out/gpu-test.log" | grep -E '^(--- |ok|FAIL|PASS)' | head -80
.dev/bin/bench -pytorch -sections kernels,e2e \
  -json "$out/bench.json" -png "$out/bench.png" 2>&1 | tee "$out/bench.log" | tail -60
