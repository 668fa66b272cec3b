#!/usr/bin/env bash
# Anvil's test command: installs what the tests need (see .ci/setup.sh),
# then checks formatting, vet, the no-cgo build and the committed SPIR-V,
# and runs every test. Vulkan tests run on lavapipe (Mesa's CPU driver)
# with the Khronos validation layer on, and fail rather than skip when no
# Vulkan device is found.
set -euo pipefail
cd "$(dirname "$0")/.."
./.ci/setup.sh

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
CGO_ENABLED=0 go build ./...
if [ -x shaders/check.sh ]; then
  shaders/check.sh
fi

export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
export ANVIL_VK_VALIDATION=1
export ANVIL_REQUIRE_VULKAN=1
# The PyTorch oracle (oracle/) fails rather than skips without torch.
export ANVIL_REQUIRE_TORCH=1
export ANVIL_CIFAR10_DIR="${ANVIL_CIFAR10_DIR:-$PWD/../shared/data/cifar-10-batches-bin}"
# The benchmark suite must run end to end (its figures are not asserted).
go run ./bench -quick

go test -count=1 -timeout 25m ./...
