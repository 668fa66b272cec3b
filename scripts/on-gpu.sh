#!/usr/bin/env bash
# The whole GPU check in one device call, after scripts/device-prepare.sh
# here and `bash .dev/on-device.sh` there (see the README's GPU section):
#   1. the machine: GPU, driver, PyTorch;
#   2. gpu.test, the Vulkan kernel and whole-model parity tests, as one process;
#      then the tensor-core (VK_NV_cooperative_matrix) GEMM on its own: its
#      parity and tuner-verification tests, and the binary16 4096³
#      product's TFLOP/s per tile (BenchmarkMatMulF16GPU); where the device
#      lacks the extension both say "COOPMAT NOT TESTED/MEASURED";
#   3. the self-test (train -selftest), and the selftest and backend tests;
#   4. a short train of each reference model, the CNN for one 50,000-image epoch;
#   5. the benchmark suite beside PyTorch CUDA (bench -pytorch);
#   6. the CNN again in mixed precision (-precision mixed), one epoch.
# Each step has its own timeout (their sum stays under the device tool's
# 600 s per command, so a hang costs one step, not the run) and its own log
# under $OUT; all.log has everything and summary.txt one line per step.
# ANVIL_ONGPU_DRYRUN=1 runs the same steps on lavapipe with tiny sizes, to
# check the script's mechanics on a machine without a GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/anvil-on-gpu}
mkdir -p "$out"
exec > >(tee -a "$out/all.log") 2>&1
dry=${ANVIL_ONGPU_DRYRUN:-0}
T0=$(date +%s)
summary=$out/summary.txt
echo "Anvil on-gpu run, commit $(cat .dev/commit 2>/dev/null || echo unknown), $(date -u +%FT%TZ), dry run: $dry" > "$summary"

# The binaries travel gzipped; unpack them where the tree may be read-only.
bin=$(mktemp -d)
for f in .dev/bin/*.gz; do
  n=$(basename "$f" .gz)
  gzip -dc "$f" > "$bin/$n" && chmod +x "$bin/$n"
done

if [ "$dry" = 1 ]; then
  export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
else
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd
fi
export ANVIL_REQUIRE_VULKAN=1
unset ANVIL_VK_VALIDATION # the validation layer is not carried
D=.dev/data/cifar-10-batches-bin

# step NAME SECONDS COMMAND...: runs COMMAND with a timeout, its output in
# $OUT/NAME.log, and adds its exit status and time to the summary.
failed=0
step() {
  local name=$1 limit=$2; shift 2
  local t rc
  t=$(date +%s)
  echo "== $((t - T0))s: $name (timeout ${limit}s): $*"
  timeout -k 5 "$limit" "$@" > "$out/$name.log" 2>&1
  rc=$?
  [ "$rc" = 0 ] || failed=$((failed + 1))
  tail -n 4 "$out/$name.log" | sed 's/^/    /'
  printf '%-18s rc=%-3s %4ss  %s\n' "$name" "$rc" "$(($(date +%s) - t))" "$*" >> "$summary"
}

# Sizes: the real run, or tiny ones for the dry run on lavapipe.
if [ "$dry" = 1 ]; then
  gpu_args=(-test.run 'TestEveryOpHasAKernel|TestElementwiseParity|TestOptimizerParity' -test.short)
  sel_args=(-test.run 'TestEveryOpHasAFamily|TestBrokenMatMulFails')
  train_args=(-limit-train 100 -limit-test 50)
  train_limit=150 # lavapipe compiles the CNN's pipelines for most of a minute
  linreg_limit=150
  bench_args=(-quick -lavapipe -models fnn -seconds 0.05 -repeats 1)
  f16_n=128
else
  gpu_args=()
  sel_args=()
  train_args=()
  train_limit=45
  linreg_limit=20
  bench_args=(-seconds 0.3 -repeats 1)
  f16_n=4096
fi
# bench -pytorch finds a Python with torch itself; the dry run drops it
# where there is none, the real run never (a missing torch must show).
py=python3 pytorch=(-pytorch)
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import torch' 2>/dev/null; then py=$p; break; fi
  [ "$p" = python3 ] && [ "$dry" = 1 ] && pytorch=()
done

step machine 30 bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader; \
  nproc; $py -c 'import torch; print(\"torch\", torch.__version__, \"cuda\", torch.cuda.is_available())'; \
  echo VK_DRIVER_FILES=\${VK_DRIVER_FILES:-unset}"
step gpu-test 90 "$bin/gpu.test" -test.v -test.count=1 -test.timeout 85s "${gpu_args[@]}"
step coopmat-test 30 "$bin/gpu.test" -test.v -test.count=1 -test.timeout 25s \
  -test.run 'TestCoopTiles|TestMatMulCoopParity|TestMatMulF16Parity|TestTuneVerify|TestTuneHalfMatMul'
step gemm-f16-bench 20 env ANVIL_BENCH_F16_N=$f16_n "$bin/gpu.test" -test.run '^$' -test.bench 'MatMulF16GPU' \
  -test.benchtime 10x -test.timeout 18s
step selftest 45 "$bin/train" -selftest -backend vulkan -verbose 2
step selftest-test 30 "$bin/selftest.test" -test.v -test.count=1 "${sel_args[@]}"
step backend-test 20 "$bin/backend.test" -test.v -test.count=1
# Each model trains on the card; its history and metrics come back.
train() {
  local m=$1 limit=$2; shift 2
  step "train-$m" "$limit" "$bin/train" -model "$m" -backend vulkan -verbose 2 -overwrite -out "/tmp/anvil-train-$m" "$@"
  for f in history metrics; do
    cp "/tmp/anvil-train-$m/$f.json" "$out/train-$m-$f.json" 2>/dev/null
  done
}
train linreg "$linreg_limit" -epochs 50
for m in fnn simple-cnn cnn; do
  train "$m" "$train_limit" -epochs 1 -data cifar10 -data-dir "$D" "${train_args[@]}"
done
step bench 120 "$bin/bench" -data-dir "$D" "${pytorch[@]}" "${bench_args[@]}" -json "$out/bench.json" -png "$out/bench.png"
step train-cnn-mixed "$train_limit" "$bin/train" -model cnn -backend vulkan -verbose 2 -overwrite -out /tmp/anvil-train-cnn-mixed \
  -epochs 1 -data cifar10 -data-dir "$D" -precision mixed "${train_args[@]}"
cp /tmp/anvil-train-cnn-mixed/metrics.json "$out/train-cnn-mixed-metrics.json" 2>/dev/null

# The figures worth reading first, from the logs.
{
  echo
  echo "gpu-test: $(grep -c '^--- PASS' "$out/gpu-test.log") passed, $(grep -c '^--- FAIL' "$out/gpu-test.log") failed, $(grep -c '^--- SKIP' "$out/gpu-test.log") skipped"
  grep -E '^--- FAIL' "$out/gpu-test.log" | head -20
  grep -E '^--- (PASS|FAIL|SKIP): Test(MatMulCoop|TuneHalf)|COOPMAT NOT' "$out/coopmat-test.log" | sort -u
  grep -E 'TFLOP/s|COOPMAT NOT|config:' "$out/gemm-f16-bench.log"
  grep -E '^(device|verdict):' "$out/selftest.log"
  grep -E ' FAIL ' "$out/selftest.log"
  for m in linreg fnn simple-cnn cnn cnn-mixed; do
    echo "train-$m: $(grep -E '^(backend|test):|/step' "$out/train-$m.log" | tail -3 | tr '\n' ' ')"
  done
  grep -iE 'img/s|images/s' "$out/bench.log" | head -20
  echo "steps failed: $failed; total $(($(date +%s) - T0))s"
} >> "$summary"
echo "== summary ($summary)"
cat "$summary"
rm -rf "$bin"
[ "$failed" = 0 ]
