#!/usr/bin/env bash
# The fuzz targets (tests/fuzz/fuzz_*.c), natively.
#   run.sh replay <builddir>          replays every corpus file (no fuzzer;
#                                     ASan+UBSan build): quick, for CI
#   run.sh fuzz <builddir> <seconds>  fuzzes each target with libFuzzer for
#                                     <seconds>, then merges new inputs into
#                                     tests/fuzz/corpus/<target>/ (minimized)
set -eu
mode=$1 dir=$2 secs=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/corpus
case "$mode" in
replay)
  bash "$here/build.sh" replay "$dir" >/dev/null
  for t in addr model; do
    start=$(date +%s.%N)
    "$dir/fuzz_$t" "$corpus/$t" | sed "s/^/  fuzz_$t /"
    printf '  fuzz_%s replay took %.1fs\n' "$t" "$(echo "$(date +%s.%N) - $start" | bc)"
  done
  ;;
fuzz)
  bash "$here/build.sh" fuzzer "$dir"
  for t in addr model; do
    new=$(mktemp -d)
    extra=()
    [ "$t" = model ] && extra=(-max_len=1200)
    echo "== fuzz_$t for ${secs}s"
    log=$new.log
    rc=0
    "$dir/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 "${extra[@]}" \
      "$new" "$corpus/$t" >"$log" 2>&1 || rc=$?
    grep -E '^(stat::|Done|==[0-9]+==ERROR|SUMMARY|MODEL)' "$log" || true
    [ "$rc" -eq 0 ] || tail -n 60 "$log"
    rm -f "$log"
    "$dir/fuzz_$t" -merge=1 "${extra[@]}" "$corpus/$t" "$new" 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' || true
    rm -rf "$new"
    [ "$rc" -eq 0 ] || { echo "fuzz_$t found a failing input (crash-* / leak-* file in $(pwd))"; exit 1; }
  done
  ;;
*) echo "usage: $0 replay|fuzz <builddir> [seconds]" >&2; exit 2 ;;
esac
