#!/usr/bin/env bash
# Mutation testing: plants small deliberate bugs (mutants) one at a time and
# checks that some test fails for each. A mutant that survives is a test
# gap, or an equivalent mutant (one that changes no behaviour); record which
# in docs/TESTING.md. Too slow for CI: run it by hand after changing tests.
#
#   scripts/mutate.sh go PKG [FILE_REGEX]   Go mutants of package ./PKG
#   scripts/mutate.sh glsl                  the GLSL mutants in scripts/glsl-mutants.txt
#   scripts/mutate.sh all                   go tensor, go cpuref, go nn, then glsl
#
# Go mutants are gremlins' five default mutators (the same list gremlins
# v0.6.0 makes, checked mutant for mutant), run by internal/mutate: each
# test of the package first runs alone under coverage, then each mutant is
# built through a go build overlay (the tree is never edited) and run
# against only the tests that execute its line, MUTATE_WORKERS (default 2)
# at a time. FILE_REGEX restricts it to the package's files whose name
# matches. Verdicts are appended to MUTATE_OUT/results-PKG.jsonl as they
# come and are reused while the mutated file is unchanged, so a run that is
# cut off (MUTATE_TIMEOUT seconds, default 3600, or Ctrl-C) resumes where
# it stopped; MUTATE_RERUN_LIVED=1 reruns the survivors (and those no test
# reached) after new tests.
# MUTATE_TESTS=tensor,cpuref lets other packages' tests count as well as
# the package's own (the summary says so).
#
# GLSL mutants: each entry of scripts/glsl-mutants.txt names a shader
# source, a line of it, the line to put in its place and the tests to run.
# The script edits the source, regenerates every .spv into shaders/ (the
# embedded copies) with shaders/generate.sh, runs the tests, and restores
# the source and the .spv files byte for byte, also when interrupted. The
# GPU tests need a Vulkan device; set the environment as for the test suite
# (VK_DRIVER_FILES for lavapipe, ANVIL_REQUIRE_VULKAN=1 so none skip).
#
# Logs and summaries go to MUTATE_OUT (default /tmp/anvil-mutate).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="${MUTATE_OUT:-/tmp/anvil-mutate}"
limit="${MUTATE_TIMEOUT:-3600}"
mkdir -p "$out"

usage() { sed -n '7,10p' "$0" >&2; exit 2; }

# summarise LOG NAME prints NAME's killed, lived, timed-out, not-viable and
# not-covered counts from a glsl log, and the kill rate
# killed/(killed+lived), as one line.
summarise() {
  local log=$1 name=$2 k l to nv nc
  k=$(grep -c '^ *KILLED' "$log" || true)
  l=$(grep -c '^ *LIVED' "$log" || true)
  to=$(grep -c '^ *TIMED OUT' "$log" || true)
  nv=$(grep -c '^ *NOT VIABLE' "$log" || true)
  nc=$(grep -c '^ *NOT COVERED' "$log" || true)
  awk -v n="$name" -v k="$k" -v l="$l" -v to="$to" -v nv="$nv" -v nc="$nc" 'BEGIN {
    r = (k + l) ? sprintf("%.1f%%", 100 * k / (k + l)) : "n/a"
    printf "%s: killed %d, lived %d, timed out %d, not viable %d, not covered %d, kill rate %s\n", n, k, l, to, nv, nc, r }'
}

run_go() {
  local pkg=$1 files=${2:-} log status=0 args=()
  [ -d "$pkg" ] || { echo "mutate.sh: no package ./$pkg" >&2; exit 2; }
  [ -n "$files" ] && args+=(-files "$files")
  [ "${MUTATE_RERUN_LIVED:-0}" = 1 ] && args+=(-rerun-lived)
  [ -n "${MUTATE_TESTS:-}" ] && args+=(-tests "$MUTATE_TESTS")
  log="$out/go-$pkg.log"
  echo "mutate.sh: mutants of ./$pkg${files:+ (files matching $files)}, cut off after ${limit}s; log $log" >&2
  go build -o "$out/mutate" ./internal/mutate
  timeout -k 60 "$limit" "$out/mutate" -pkg "$pkg" -workers "${MUTATE_WORKERS:-2}" -out "$out" \
    "${args[@]}" >>"$log" 2>&1 || status=$?
  case "$status" in
    0) ;;
    124 | 137) echo "mutate.sh: cut off after ${limit}s; run it again to go on" >&2 ;;
    *) echo "mutate.sh: mutate failed (status $status); see $log" >&2; return "$status" ;;
  esac
  # The summary is the tool's last output: the counts, then each survivor.
  "$out/mutate" -pkg "$pkg" -out "$out" -summary "${args[@]}" | tee -a "$out/summary.txt"
}

# restore_glsl puts back the shader sources and SPIR-V saved in $1.
restore_glsl() {
  local saved=$1
  cp -p "$saved"/* "$root/shaders/"
  rm -rf "$saved"
}

run_glsl() {
  local list="$root/scripts/glsl-mutants.txt" log="$out/glsl.log" saved
  saved="$(mktemp -d)"
  cp -p "$root"/shaders/*.spv "$root"/shaders/*.comp "$root"/shaders/*.glsl "$saved/"
  # The trap runs after run_glsl has returned, when its locals are gone:
  # it gets the folder's name now.
  trap "restore_glsl '$saved'" EXIT
  : >"$log"
  local file="" from="" to="" tests="" key val
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '#'* | '') continue ;; esac
    key="${line%%:*}"
    val="${line#*:}"
    val="${val# }"
    case "$key" in
      file) file=$val ;;
      from) from=$val ;;
      to) to=$val ;;
      test)
        tests=$val
        glsl_one "$file" "$from" "$to" "$tests" "$saved" >>"$log" 2>&1
        tail -n 1 "$log" >&2
        ;;
      *) echo "mutate.sh: $list: unknown key in line: $line" >&2; exit 2 ;;
    esac
  done <"$list"
  summarise "$log" "glsl" | tee -a "$out/summary.txt"
}

# glsl_one FILE FROM TO "PKG REGEX" SAVED plants one mutant, runs the tests
# and restores the shaders; it prints KILLED or LIVED last.
glsl_one() {
  local file=$1 from=$2 to=$3 pkg=${4%% *} regex=${4#* } saved=$5 n content
  n=$(grep -cFx -- "$from" "$file" || true)
  if [ "$n" != 1 ]; then
    echo "NOT VIABLE $file: the line occurs $n times (want once): $from"
    return
  fi
  content="$(<"$file")"
  printf '%s\n' "${content/"$from"/"$to"}" >"$file"
  echo "=== $file: $from  ->  $to"
  local verdict
  if ! shaders/generate.sh; then
    verdict="NOT VIABLE (does not compile)"
  elif go test -count=1 -timeout 10m "$pkg" -run "$regex"; then
    verdict="LIVED"
  else
    verdict="KILLED"
  fi
  cp -p "$saved"/* shaders/
  echo "$verdict $file: $to"
}

[ $# -ge 1 ] || usage
case "$1" in
  go) [ $# -ge 2 ] || usage; run_go "$2" "${3:-}" ;;
  glsl) run_glsl ;;
  all)
    for p in tensor cpuref nn; do run_go "$p"; done
    run_glsl
    ;;
  *) usage ;;
esac
