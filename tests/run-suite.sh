#!/usr/bin/env bash
# Runs test binaries one after another and prints one line per binary and a
# closing "<half>: N passed, N failed" line; exits non-zero if any test
# failed or any binary ended without its summary (a crash).
# Usage: tests/run-suite.sh native|windows|wasi <cache-dir> <filter or ""> exe...
# Each binary gets AFDIO_SUITE_TIMEOUT seconds (default 600) as a last
# backstop behind the per-test timeouts; make soak raises it.
set -u
half=$1 cache=$2 filter=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
runner=()
case "$half" in
windows)
  . "$here/wine-env.sh" "$cache"
  runner=(wine)
  ;;
wasi)
  # WASI modules run in wasmtime (PyPI), stdin a pipe of the runner.
  runner=(python3 "$here/wasi/run.py")
  ;;
native-asan)
  export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  ;;
native-valgrind)
  # Criterion runs each test in a child process: follow the children, and
  # make any memcheck error or definite leak fail that test.
  runner=(valgrind --quiet --trace-children=yes --error-exitcode=99
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite)
  ;;
esac
args=()
[ -n "$filter" ] && args=(--filter "$filter")

total_pass=0 total_fail=0 total_skip=0 broken=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
for exe in "$@"; do
  name=$(basename "$exe" .exe)
  log="$logdir/$name.log"
  start=$(date +%s.%N)
  timeout -k 5 "${AFDIO_SUITE_TIMEOUT:-600}" "${runner[@]}" "$exe" "${args[@]}" >"$log" 2>&1
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  pass="" fail="" skip=0
  if line=$(grep -E 'Synthesis: Tested: [0-9]+' <<<"$clean" | tail -n 1) && [ -n "$line" ]; then
    pass=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")
    fail=$(sed -E 's/.*Failing: ([0-9]+).*/\1/' <<<"$line")
    grep -q 'Skipped:' <<<"$line" && skip=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$line")
  elif line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$clean" | tail -n 1) && [ -n "$line" ]; then
    pass=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    fail=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
    grep -q 'skipped' <<<"$line" && skip=$(sed -E 's/.*, ([0-9]+) skipped.*/\1/' <<<"$line")
  fi
  if [ -z "$pass" ]; then
    broken=$((broken + 1))
    printf '  %-22s CRASHED (exit %d, no summary) %5.1fs\n' "$name" "$rc" "$secs"
    sed 's/^/    | /' <<<"$clean" | tail -n 40
    continue
  fi
  total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail)) total_skip=$((total_skip + skip))
  status=ok
  if [ "$fail" -gt 0 ] || [ "$rc" -ne 0 ]; then status=FAILED; fi
  # Criterion ignores a test child's exit status, so memcheck's error exit
  # would go unseen: with --quiet, any "==PID==" line is an error report.
  if [ "$half" = native-valgrind ] && grep -qE '^==[0-9]+==' <<<"$clean"; then
    status=FAILED
  fi
  printf '  %-22s %3d passed, %d failed, %d skipped  %5.1fs  %s\n' "$name" "$pass" "$fail" "$skip" "$secs" "$status"
  if [ "$status" != ok ]; then
    [ "$fail" -eq 0 ] && broken=$((broken + 1))
    sed 's/^/    | /' <<<"$clean" | grep -v '^    | \[----\]' | tail -n 60
  fi
done
if [ "$total_skip" -gt 0 ]; then
  echo "$half: $total_pass passed, $((total_fail + broken)) failed, $total_skip skipped"
else
  echo "$half: $total_pass passed, $((total_fail + broken)) failed"
fi
[ "$total_fail" -eq 0 ] && [ "$broken" -eq 0 ]
