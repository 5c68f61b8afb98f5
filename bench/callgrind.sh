#!/usr/bin/env bash
# User-space instructions per round trip, natively, by valgrind's callgrind:
# a figure that does not depend on the machine's load (round trips per
# second on a shared machine do). Runs the native pingpong twice per
# backend, for S and 3*S seconds, and divides the difference in
# instructions by the difference in round trips, so start-up and set-up
# cancel out. Kernel time (the system calls, most of a round trip) is not
# counted: this measures what the event loop itself adds.
# Usage: bench/callgrind.sh [pairs] [S] [backend...]
#   e.g. bench/callgrind.sh 1 0.2 afdio epoll libuv libevent
set -eu
pairs=${1:-1} s=${2:-0.2}
shift $(( $# < 2 ? $# : 2 ))
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(afdio afdio-level epoll epoll-lt libuv libevent)
here=$(cd "$(dirname "$0")" && pwd)
exe=$here/../zig-out/bench/native/pingpong
[ -x "$exe" ] || { echo "build first: python3 -m ziglang build bench-build" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "pairs=$pairs: user-space instructions per round trip (callgrind)"
for be in "${backends[@]}"; do
  for t in 1 3; do
    secs=$(python3 -c "print($s*$t)")
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$t" "$exe" \
      --only "$pairs" --seconds "$secs" --backend "$be" --slices 1 \
      >"$tmp/out.$t" 2>/dev/null
  done
  python3 - "$tmp" "$be" <<'PY'
import re, sys
tmp, be = sys.argv[1:3]
ir, rt = [], []
for t in (1, 3):
    ir.append(int(re.search(r"summary: (\d+)", open(f"{tmp}/cg.{t}").read()).group(1)))
    rt.append(int(re.search(r"rt_total=(\d+)", open(f"{tmp}/out.{t}").read()).group(1)))
print(f"  {be:12s} {(ir[1] - ir[0]) / (rt[1] - rt[0]):8.0f}")
PY
done
