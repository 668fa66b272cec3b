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
# Go mutants come from gremlins (github.com/go-gremlins/gremlins, installed
# from the module proxy at the version pinned below), run with one worker
# over the package's own tests. FILE_REGEX restricts it to the package's
# files whose name matches (the others are excluded), for packages too large
# to finish in one sitting. Each package's run is cut off after
# MUTATE_TIMEOUT seconds (default 3600); the summary then counts only the
# mutants finished and says so.
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
gremlins_version=v0.6.0 # the newest release; builds with Go 1.26
mkdir -p "$out"

usage() { sed -n '7,10p' "$0" >&2; exit 2; }

gremlins_bin() {
  local bin
  bin="$(go env GOPATH)/bin/gremlins"
  if [ ! -x "$bin" ]; then
    go install "github.com/go-gremlins/gremlins/cmd/gremlins@$gremlins_version" >&2
  fi
  echo "$bin"
}

# summarise LOG NAME prints NAME's killed, lived, timed-out, not-viable and
# not-covered counts from a gremlins or glsl log, and the kill rate
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
  local pkg=$1 files=${2:-} bin log status=0 args=()
  [ -d "$pkg" ] || { echo "mutate.sh: no package ./$pkg" >&2; exit 2; }
  bin="$(gremlins_bin)"
  if [ -n "$files" ]; then
    # Exclude every Go file of the package the regex does not select.
    # gremlins matches -E against paths relative to the package.
    local f base
    for f in "$pkg"/*.go; do
      base="${f##*/}"
      if ! [[ $base =~ $files ]]; then args+=(-E "^${base//./\\.}\$"); fi
    done
  fi
  log="$out/go-$pkg.log"
  echo "mutate.sh: gremlins on ./$pkg${files:+ (files matching $files)}, cut off after ${limit}s; log $log" >&2
  # gremlins keeps going for a while after SIGTERM ("shutting down
  # gracefully"): -k kills it two minutes later.
  timeout -k 120 "$limit" "$bin" unleash --workers 1 --timeout-coefficient 30 "${args[@]}" "./$pkg" >"$log" 2>&1 || status=$?
  local note=""
  case "$status" in 124 | 137) note=" (cut off after ${limit}s: partial)" ;; esac
  summarise "$log" "go ./$pkg${files:+ [$files]}$note" | tee -a "$out/summary.txt"
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
