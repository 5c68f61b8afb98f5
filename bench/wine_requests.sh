#!/usr/bin/env bash
# Wine server requests per round trip (or per churn cycle), by request
# type: a figure that does not depend on the machine's load (round trips
# per second under Wine do, a lot). The bench program runs once with a
# fresh wine server tracing its requests (WINEDEBUG=+server) in a private
# prefix, and with AFDIO_BENCH_MARKS=1, so it marks the start and end of
# each measured phase in the trace; bench/wine_trace.py counts the
# requests its thread made between the marks (set-up, warm-up and other
# processes stay out).
#
# Usage:
#   bench/wine_requests.sh <exe> <backend> <config> [S]
#       one phase, broken down by request type; config is pingpong's pair
#       count, idle_scale's idle count + 1, or churn's op (regmod,
#       regmod_wait, create), e.g.
#       bench/wine_requests.sh zig-out/bench/windows/pingpong.exe afdio 1
#   bench/wine_requests.sh --table [DIR] [S]
#       one table from one run of each program in DIR (default
#       zig-out/bench/windows): requests per round trip for afdio,
#       afdio-level, afdio-oneshot and wsapoll at 1, 16 and 256 pairs with
#       the ratios to wsapoll; churn rates (untraced) and requests per
#       cycle (traced); idle_scale at 10,000 idle sockets (untraced), with
#       the set-up time per socket. About 1-2 minutes.
# S: measured seconds per configuration (default 0.3; 1 with --table, so
# 256 pairs make enough round trips).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/wine-env.sh" "$here/../.zig-cache/wine-requests" >/dev/null
tmp=$(mktemp -d)
trap 'wineserver -k 2>/dev/null; rm -rf "$tmp"' EXIT

# Runs one program under a fresh wine server; $1: output name, $2: 1 to
# trace, then the program and its arguments. Its lines go to $tmp/NAME.out,
# the trace (or stderr) to $tmp/NAME.trace.
run() {
  local name=$1 trace=$2
  shift 2
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  if [ "$trace" = 1 ]; then
    AFDIO_BENCH_MARKS=1 WINEDEBUG=+server timeout 600 wine "$@" \
      2>"$tmp/$name.trace" | tr -d '\r' >"$tmp/$name.out"
  else
    timeout 600 wine "$@" 2>"$tmp/$name.trace" | tr -d '\r' >"$tmp/$name.out"
  fi
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
}

if [ "${1:-}" = --table ]; then
  dir=${2:-$here/../zig-out/bench/windows} s=${3:-1}
  afdio=afdio,afdio-level,afdio-oneshot
  echo "# bench/wine_requests.sh --table, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(wine --version)," \
    "git $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null)"
  run pp 1 "$dir/pingpong.exe" --seconds "$s" --backend "$afdio,wsapoll"
  run churn 1 "$dir/churn.exe" --seconds "$s" --backend "$afdio,wsapoll"
  run churn_rate 0 "$dir/churn.exe" --seconds 0.5 --backend "$afdio,wsapoll"
  run idle 0 "$dir/idle_scale.exe" --seconds 0.5 --only 10001 --backend "$afdio,wsapoll"
  python3 "$here/wine_trace.py" table "$tmp/pp.out" "$tmp/pp.trace" \
    "$tmp/churn.out" "$tmp/churn.trace" "$tmp/churn_rate.out" "$tmp/idle.out"
  sed -n 's/^idle_scale: /idle_scale: /p' "$tmp/idle.trace"
  exit 0
fi

exe=${1:?usage: wine_requests.sh <exe> <backend> <config> [S] | --table [DIR] [S]}
backend=${2:?backend} config=${3:?config} s=${4:-0.3}
bench=$(basename "$exe" .exe)
case $bench in
  churn) run one 1 "$exe" --seconds "$s" --backend "$backend" ;;
  *) run one 1 "$exe" --seconds "$s" --only "$config" --backend "$backend" ;;
esac
python3 "$here/wine_trace.py" single "$tmp/one.out" "$tmp/one.trace" "$bench" "$backend" "$config"
