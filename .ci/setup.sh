#!/usr/bin/env bash
# Installs what Anvil's build, tests and data need on a fresh Debian machine
# that has Go and gcc: the Vulkan headers, loader, lavapipe (Mesa's CPU Vulkan
# driver), the shader compiler and validator, the Khronos validation layer,
# the real Fashion-MNIST, and PyTorch 1.13 (CPU) with numpy for the oracle
# test (oracle/), which replays Anvil's training with Keras's rules. Safe to
# run again.
set -euo pipefail
pkgs=(libvulkan-dev mesa-vulkan-drivers glslc spirv-tools vulkan-validationlayers vulkan-tools dataset-fashion-mnist)
# python3-torch is by far the largest install (~230 MB for libtorch, its
# tests package and the module): with its recommendations it took 5.5
# minutes on a shared 2-core machine (231 packages). Those recommendations
# (libtorch-dev, build-essential, ninja, pybind11) only build extensions,
# so they are left out.
lean=(python3-torch python3-numpy)
missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
  done
}
mapfile -t need < <(missing "${pkgs[@]}")
mapfile -t needLean < <(missing "${lean[@]}")
if [ ${#need[@]} -gt 0 ] || [ ${#needLean[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
  fi
  if [ ${#needLean[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${needLean[@]}"
  fi
fi
go mod download
