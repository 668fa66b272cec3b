#!/usr/bin/env bash
# Data-parallel throughput: trains a reference model with the train command
# (built with -tags mpi) on 1 process and on N ranks under mpirun, and
# prints a Markdown table of training images/s (metrics.json's
# images_per_second, which counts the global batch) to paste into
# bench/RESULTS.md.
#
#   scripts/bench-mpi.sh [MODEL [NPS [BACKEND]]]   e.g. scripts/bench-mpi.sh fnn "1 2" cpu
#
# Needs Open MPI (libopenmpi-dev, openmpi-bin) and CIFAR-10 ($ANVIL_DATA).
# The mpirun options are the loopback ones of docs/SCALING.md, plus
# "--bind-to none --mca mpi_yield_when_idle 1": on a machine with fewer
# free cores than ranks, a rank spinning in the allreduce otherwise takes
# the core its peer needs (measured here: 3x slower). On a real node drop
# "--mca btl self,tcp" to use shared memory.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-fnn}"
nps="${2:-1 2}"
backend="${3:-cpu}"
limit="${LIMIT_TRAIN:-8000}"
epochs="${EPOCHS:-2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -tags mpi -o "$work/train" ./cmd/train
mpirun_opts=(--oversubscribe --allow-run-as-root --mca btl self,tcp --mca btl_tcp_if_include lo
  --mca oob_tcp_if_include lo --mca plm_rsh_agent false --bind-to none --mca mpi_yield_when_idle 1)
echo "| model | backend | ranks | global batch | images/s | test accuracy |"
echo "|-------|---------|-------|--------------|----------|---------------|"
for np in $nps; do
  out="$work/np$np"
  args=(-model "$model" -data cifar10 -limit-train "$limit" -limit-test 1000 -epochs "$epochs"
    -seed 7 -backend "$backend" -batch-size 32 -verbose 0 -out "$out")
  if [ "$np" = 1 ]; then
    "$work/train" "${args[@]}" >/dev/null 2>"$work/log"
  else
    mpirun -np "$np" "${mpirun_opts[@]}" "$work/train" "${args[@]}" >/dev/null 2>"$work/log"
  fi || { cat "$work/log" >&2; exit 1; }
  python3 - "$out/metrics.json" "$model" "$backend" "$np" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {m['batch_size']} | {m['images_per_second']:,.0f} | {m.get('test_accuracy', float('nan')):.3f} |")
EOF
done
