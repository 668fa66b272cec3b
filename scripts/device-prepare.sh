#!/usr/bin/env bash
# Prepares a run of scripts/on-gpu.sh on a borrowed GPU machine, which has
# no Go toolchain, no network and no Vulkan loader (../shared/device/README.md).
# Runs here, from anywhere in the repository:
#   - the shared prepare script puts the Vulkan loader packages in .gl/ and
#     on-device.sh and a CIFAR-10 subset (10,000 images linked as five
#     batches, 2,000 test images) in .dev/;
#   - the test binaries of gpu, selftest and backend, and the bench and train
#     commands, are built stripped and gzipped into .dev/bin/ (34 MiB of
#     binaries become 16: with the data, 52 MiB in all); on-gpu.sh unpacks
#     them there.
# Then one device call runs everything, with
#   carry:   [".gl", ".dev"]
#   command: bash .dev/on-device.sh && bash scripts/on-gpu.sh
# (scripts/ travels with the working tree). The carried folders must stay
# under 64 MiB in all; the script checks.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
shared=${ANVIL_SHARED:-$(cd .. && pwd)/shared}
export ANVIL_DATA=${ANVIL_DATA:-$shared/data}
if [ -d .git ]; then
  "$shared/device/prepare.sh" --data
else
  # A git worktree: .git is a file, and the shared script writes to
  # .git/info/exclude. Run it in a scratch repository (reusing the loader
  # packages already fetched) and move what it made here; .gitignore
  # already ignores both folders.
  scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
  git init -q "$scratch"
  [ -d .gl ] && cp -a .gl "$scratch/"
  (cd "$scratch" && "$shared/device/prepare.sh" --data)
  rm -rf .gl .dev/data .dev/on-device.sh
  mkdir -p .dev/bin
  mv "$scratch/.gl" .gl
  mv "$scratch/.dev/data" "$scratch/.dev/on-device.sh" .dev/
fi
export CGO_ENABLED=1
ld=(-ldflags='-s -w')
rm -rf .dev/bin; mkdir -p .dev/bin
for pkg in gpu selftest backend; do
  go test -c "${ld[@]}" -o ".dev/bin/$pkg.test" "./$pkg"
done
go build "${ld[@]}" -o .dev/bin/bench ./bench
go build "${ld[@]}" -o .dev/bin/train ./cmd/train
gzip -9 -f .dev/bin/*.test .dev/bin/bench .dev/bin/train
git rev-parse --short HEAD > .dev/commit
ls -l .dev/bin
kib=$(du -sk .gl .dev | awk '{s += $1} END {print s}')
echo "carried: .gl + .dev = $((kib / 1024)) MiB (limit 64 MiB)"
if [ "$kib" -ge $((64 * 1024)) ]; then
  echo "too large to carry: build fewer binaries or a smaller data subset" >&2
  exit 1
fi
echo "next: one device call, carry [\".gl\", \".dev\"], command: bash .dev/on-device.sh && bash scripts/on-gpu.sh"
