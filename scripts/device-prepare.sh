#!/usr/bin/env bash
# Prepares a run on a borrowed GPU machine (see ../shared/device/README.md):
# fetches the Vulkan loader and a CIFAR-10 subset (into .dev/data, which
# on-gpu.sh makes $ANVIL_DATA) with the shared prepare script, builds the
# GPU test binary and the bench command into .dev/bin, and copies
# scripts/on-gpu.sh there. Then call the device tool with
#   carry: [".gl", ".dev"]
#   command: bash .dev/on-device.sh && bash .dev/on-gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
../shared/device/prepare.sh --data
go test -c -o .dev/bin/gpu.test ./gpu
go build -o .dev/bin/bench ./bench
cp scripts/on-gpu.sh .dev/on-gpu.sh
du -sh .gl .dev
