#!/usr/bin/env bash
# Installs what Anvil's build, tests and data need on a fresh Debian machine
# that has Go and gcc. Safe to run again: only missing packages are fetched.
#   - Vulkan: headers, loader, lavapipe (Mesa's CPU Vulkan driver), the
#     shader compiler and validator, the Khronos validation layer;
#   - the real Fashion-MNIST;
#   - for cmd/watch: the X11 and OpenGL headers its cgo build (GLFW) needs,
#     plus Xvfb and Mesa's GL for its window tests;
#   - Open MPI (headers, pkg-config file and mpirun) for the -tags mpi
#     build of package mpi;
#   - PyTorch 1.13 (CPU) with numpy for the oracle test (oracle/), which
#     replays Anvil's training with Keras's rules. python3-torch is by far
#     the largest install; its recommendations (libtorch-dev,
#     build-essential, ninja, pybind11) only build extensions, so it is
#     installed without recommendations.
set -euo pipefail
pkgs=(
  libvulkan-dev mesa-vulkan-drivers glslc spirv-tools vulkan-validationlayers vulkan-tools
  dataset-fashion-mnist
  libopenmpi-dev openmpi-bin
  libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libgl1-mesa-dev
  libgl1-mesa-dri xvfb
)
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
  install() { DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@"; }
  [ ${#need[@]} -eq 0 ] || install "${need[@]}"
  [ ${#needLean[@]} -eq 0 ] || install --no-install-recommends "${needLean[@]}"
fi
go mod download
