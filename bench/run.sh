#!/usr/bin/env bash
# make bench / zig build bench: runs every benchmark program natively and the
# Windows build under Wine, BENCH_RUNS times each (3 by default), then writes
#   bench/results/latest.txt  the raw lines, each tagged run=N
#   bench/results/table.md    medians and ratios afdio/baseline
#   bench/results/chart.png   round trips/s per configuration (gnuplot)
# and prints the table. BENCH_FULL=1 makes each configuration run longer;
# BENCH_SECONDS=S sets the measured seconds per configuration.
# With --http, bench/http_wine.sh then measures http_hello.exe against its
# WSAPoll twin under wrk (HTTP_* variables: see that script; ~1.5 minutes).
# Usage: bench/run.sh <wine-cache-dir> [--native EXE...] [--windows EXE...]
#                     [--http HTTP_HELLO_EXE HTTP_WSAPOLL_EXE]
set -u
cache=${1:?wine cache dir}
shift
native=() windows=() http=() half=
for a in "$@"; do
  case $a in
    --native) half=native ;;
    --windows) half=windows ;;
    --http) half=http ;;
    *) case $half in
         native) native+=("$a") ;;
         http) http+=("$a") ;;
         *) windows+=("$a") ;;
       esac ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
out=$here/results
mkdir -p "$out"
raw=$out/latest.txt
runs=${BENCH_RUNS:-3}
args=()
[ -n "${BENCH_SECONDS:-}" ] && args=(--seconds "$BENCH_SECONDS")
: >"$raw"
{
  echo "# afdio benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# host: $(uname -sr), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  command -v wine >/dev/null && echo "# wine: $(wine --version 2>/dev/null)"
  echo "# git: $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null)"
} >>"$raw"

rc=0
# Runs one program and tags its lines; a failure is reported, not fatal.
run_one() { # run exe [wine]
  local run=$1 exe=$2 prefix=${3:-}
  local name
  name=$(basename "$exe" .exe)
  printf 'bench: run %s/%s %s%s\n' "$run" "$runs" "${prefix:+wine }" "$name" >&2
  if ! $prefix "$exe" "${args[@]}" 2>>"$out/stderr.txt" | sed "s/\r\$//; s/\$/ run=$run/" >>"$raw"; then
    echo "bench: $name failed (see $out/stderr.txt)" >&2
    rc=1
  fi
}

: >"$out/stderr.txt"
if [ ${#windows[@]} -gt 0 ]; then
  # A prefix of its own: its wine server is not shared with test runs.
  . "$here/../tests/wine-env.sh" "$cache-bench"
fi
for run in $(seq 1 "$runs"); do
  for exe in "${native[@]}"; do run_one "$run" "$exe"; done
  for exe in "${windows[@]}"; do run_one "$run" "$exe" wine; done
done

if [ ${#http[@]} = 2 ]; then
  echo "bench: http_wine.sh (wrk against http_hello.exe and http_wsapoll.exe)" >&2
  # Its lines carry round=N, which report.py reads as the run.
  if HTTP_ROUNDS=$runs bash "$here/http_wine.sh" "$cache-http" "${http[@]}" \
      >"$out/http.txt" 2>>"$out/stderr.txt"; then
    grep '^bench=http' "$out/http.txt" | sed 's/round=\([0-9]*\)/round=\1 run=\1/' >>"$raw"
  else
    echo "bench: http_wine.sh failed (see $out/stderr.txt)" >&2
    rc=1
  fi
fi

python3 "$here/report.py" "$raw" "$out/table.md" "$out/chart.png" || rc=1
cat "$out/table.md"
echo "bench: raw lines in $raw, chart in $out/chart.png"
exit $rc
