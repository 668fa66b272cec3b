#!/usr/bin/env bash
# Installs what Anvil's build, tests and data need on a fresh Debian machine
# that has Go and gcc: the Vulkan headers, loader, lavapipe (Mesa's CPU Vulkan
# driver), the shader compiler and validator, the Khronos validation layer,
# the real Fashion-MNIST, and for cmd/watch the X11 and OpenGL headers its
# cgo build (GLFW) needs plus Xvfb and Mesa's GL for its window tests.
# Safe to run again.
set -euo pipefail
pkgs=(libvulkan-dev mesa-vulkan-drivers glslc spirv-tools vulkan-validationlayers vulkan-tools dataset-fashion-mnist
  libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libgl1-mesa-dev
  libgl1-mesa-dri xvfb)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
go mod download
