#!/usr/bin/env bash
# The demo's echo load (examples/demo.sh part 1: the native echo_client,
# C connections x M messages of 64 bytes, P in flight per connection, every
# byte checked) against echo_server.exe (afdio) and echo_wsapoll.exe (the
# same service over WSAPoll), both under Wine, in the same run: R rounds,
# the order flipping every round. Prints one key=value line per run
# ("bench=echo ..."), then the medians of messages/s and of the latency
# percentiles per server: the same-run baseline for the demo's echo p99.
# Usage: bench/echo_wine.sh <wine-cache-dir> <echo_client> <echo_server.exe>
#                           <echo_wsapoll.exe>
# Environment: ECHO_CONNS (100), ECHO_MESSAGES (1000), ECHO_PIPELINE (16),
# ECHO_ROUNDS (3).
set -u
cache=${1:?wine cache dir} client=${2:?echo_client} afdio=${3:?echo_server.exe} wsapoll=${4:?echo_wsapoll.exe}
C=${ECHO_CONNS:-100} M=${ECHO_MESSAGES:-1000} P=${ECHO_PIPELINE:-16} ROUNDS=${ECHO_ROUNDS:-3}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/wine-env.sh" "$cache" >/dev/null
. "$here/../examples/wine-server.sh"

measure() { # name exe round
  local name=$1 exe=$2 round=$3
  if ! start_server "$name" "$exe" 127.0.0.1:0 --quit-after "$C" --duration 120; then
    echo "bench=echo platform=wine server=$name round=$round msgs_per_s=n/a error=start"
    return
  fi
  "$client" -c "$C" -m "$M" -p "$P" --timeout 60 "127.0.0.1:$port" >"$work/client.out" 2>&1
  local status=$?
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  awk -v name="$name" -v round="$round" -v status="$status" -v c="$C" -v m="$M" -v p="$P" '
    /^throughput:/ { rate = $2 }
    /^latency:/ { p50 = $3; p90 = $6; p99 = $9; max = $12 }
    END {
      printf "bench=echo platform=wine server=%s conns=%d messages=%d pipeline=%d round=%d " \
             "msgs_per_s=%s p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s client_status=%d\n",
             name, c, m, p, round, rate == "" ? "n/a" : rate, p50, p90, p99, max, status
    }' "$work/client.out"
}

echo "# bench/echo_wine.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(wine --version), echo_client -c $C -m $M -p $P," \
  "$ROUNDS rounds, git $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null)"
: >"$work/lines"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="afdio wsapoll"; else order="wsapoll afdio"; fi
  for name in $order; do
    exe=$afdio
    [ "$name" = wsapoll ] && exe=$wsapoll
    measure "$name" "$exe" "$round" | tee -a "$work/lines"
  done
done

python3 - "$work/lines" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1]) if l.startswith("bench=")]
def med(name, key):
    vals = []
    for r in rows:
        try:
            if r["server"] == name: vals.append(float(r[key]))
        except (KeyError, ValueError):
            pass
    return statistics.median(vals) if vals else None
f = lambda v, d=1: "n/a" if v is None else f"{v:,.{d}f}"
print("\nserver   msgs/s  p50 ms  p90 ms  p99 ms  max ms  (medians)  failed runs")
for name in ("afdio", "wsapoll"):
    bad = sum(1 for r in rows if r["server"] == name and r.get("client_status", "1") != "0")
    print(f"{name:8s} {f(med(name, 'msgs_per_s'), 0):>6s} {f(med(name, 'p50_ms')):>7s} {f(med(name, 'p90_ms')):>7s}"
          f" {f(med(name, 'p99_ms')):>7s} {f(med(name, 'max_ms')):>7s}  {bad:>20d}")
PY
