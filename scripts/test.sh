#!/usr/bin/env bash
# Anvil's test command: installs what the tests need (see .ci/setup.sh),
# then checks formatting, vet, the no-cgo build and the committed SPIR-V,
# and runs every test. Vulkan tests run on lavapipe (Mesa's CPU driver)
# with the Khronos validation layer on, and fail rather than skip when no
# Vulkan device is found. Package mpi is also built with -tags mpi and its
# tests, and train's data-parallel ones, run two ranks under mpirun,
# failing rather than skipping when mpirun is missing; cmd/watch's window tests start their own Xvfb and
# fail rather than skip when it cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."
./.ci/setup.sh

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go vet -tags mpi ./mpi/... ./cmd/train/...
CGO_ENABLED=0 go build ./...
# train must link nothing but libc (no X11 or GL: only cmd/watch has them).
train_bin=$(mktemp -d)/train
go build -o "$train_bin" ./cmd/train
if ldd "$train_bin" | grep -vE 'linux-vdso|libc\.so|ld-linux' | grep -q .; then
  echo "cmd/train links more than libc:" >&2; ldd "$train_bin" >&2
  exit 1
fi
if [ -x shaders/check.sh ]; then
  shaders/check.sh
fi

export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
export ANVIL_VK_VALIDATION=1
export ANVIL_REQUIRE_VULKAN=1
# Data sets are found as train finds them: $ANVIL_DATA, the download cache,
# /usr/share/datasets. Next to the project's shared data, use that.
if [ -z "${ANVIL_DATA:-}" ] && [ -d "$PWD/../shared/data" ]; then
  export ANVIL_DATA="$PWD/../shared/data"
fi
# The PyTorch oracle (oracle/) fails rather than skips without torch.
export ANVIL_REQUIRE_TORCH=1
# The benchmark suite must run end to end (its figures are not asserted).
go run ./bench -quick

go test -count=1 -timeout 25m ./...
ANVIL_REQUIRE_MPI=1 go test -count=1 -timeout 5m -tags mpi ./mpi/...
# Data-parallel training: train on 2 ranks under mpirun (CPU backend).
ANVIL_REQUIRE_MPI=1 go test -count=1 -timeout 10m -tags mpi -run MPI ./cmd/train/...
