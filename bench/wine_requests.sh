#!/usr/bin/env bash
# Wine server requests per round trip, by request type: a figure that does
# not depend on the machine's load (round trips per second under Wine do,
# a lot). Runs pingpong.exe (or idle_scale.exe) twice, for S and 3*S
# seconds, each with a fresh wine server tracing its requests (+server) in
# a private prefix, and divides the difference in requests by the
# difference in round trips, so start-up and set-up cancel out.
# Usage: bench/wine_requests.sh <exe> <backend> <--only value> [S]
#   e.g. bench/wine_requests.sh zig-out/bench/windows/pingpong.exe afdio 1
set -eu
exe=$1 backend=$2 only=$3 s=${4:-0.3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/wine-env.sh" "$here/../.zig-cache/wine-requests" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in "$s" "$(python3 -c "print($s*3)")"; do
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  WINEDEBUG=+server wine "$exe" --seconds "$t" --only "$only" --backend "$backend" \
    2>"$tmp/trace.$t" | tr -d '\r' >"$tmp/out.$t"
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
done
python3 - "$tmp" "$s" <<'PY'
import collections, glob, re, sys
tmp, s = sys.argv[1], float(sys.argv[2])
runs = []
for t in (s, s * 3):
    key = f"{t:g}" if f"{tmp}/out.{t:g}" in glob.glob(f"{tmp}/out.*") else str(t)
    out = open(f"{tmp}/out.{key}").read()
    rt = int(re.search(r"rt_total=(\d+)", out).group(1))
    c = collections.Counter()
    with open(f"{tmp}/trace.{key}", errors="replace") as f:
        for line in f:
            m = re.match(r"^[0-9a-f]+: ([a-z_]+)\(", line)
            if m and ") = " not in line:  # the request, not its reply
                c[m.group(1)] += 1
    runs.append((rt, c))
(rt1, c1), (rt2, c2) = runs
d = {k: (c2[k] - c1[k]) / (rt2 - rt1) for k in c2}
total = sum(v for v in d.values() if v > 0)
print(f"server requests per round trip: {total:.1f} (per event: {total / 2:.1f})")
for k, v in sorted(d.items(), key=lambda kv: -kv[1]):
    if v >= 0.05:
        print(f"  {k:28s} {v:6.2f}")
PY
