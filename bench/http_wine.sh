#!/usr/bin/env bash
# http_hello.exe (afdio) against http_wsapoll.exe (the same server over
# WSAPoll), both under Wine, loaded by wrk (native) in the same run:
#   plain: wrk, 50 connections, S seconds;
#   idle:  the same while IDLE extra keep-alive connections (one request
#          each, then quiet; bench/idle_conns.py) stay open.
# R rounds, the two servers alternating (the order flips every round, so
# load drift hits both alike); prints one key=value line per wrk run
# ("bench=http ..."), then the medians, the ratio afdio / WSAPoll and the
# sum of wrk's time-outs and socket errors per server.
# Usage: bench/http_wine.sh <wine-cache-dir> <http_hello.exe> <http_wsapoll.exe>
# Environment: HTTP_SECONDS (3), HTTP_ROUNDS (3), HTTP_IDLE (1000),
# HTTP_CONNS (50), HTTP_VARIANTS ("plain idle").
set -u
cache=${1:?wine cache dir} hello=${2:?http_hello.exe} wsapoll=${3:?http_wsapoll.exe}
S=${HTTP_SECONDS:-3} ROUNDS=${HTTP_ROUNDS:-3} IDLE=${HTTP_IDLE:-1000}
CONNS=${HTTP_CONNS:-50} VARIANTS=${HTTP_VARIANTS:-plain idle}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "http_wine: wrk is missing (make setup installs it)" >&2; exit 1; }

. "$here/../tests/wine-env.sh" "$cache" >/dev/null
. "$here/../examples/wine-server.sh"

stop() { # pid
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

# Opens the idle connections; sets $idle_pid and $idle_setup (seconds).
start_idle() {
  python3 "$here/idle_conns.py" "$port" "$IDLE" >"$work/idle.out" 2>"$work/idle.err" &
  idle_pid=$!
  track_pid "$idle_pid"
  for _ in $(seq 1200); do
    idle_setup=$(awk '/^ready/ {print $3}' "$work/idle.out")
    [ -n "$idle_setup" ] && return 0
    kill -0 "$idle_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "http_wine: idle connections failed:" >&2
  cat "$work/idle.err" >&2
  return 1
}

# One wrk run against one server; prints its key=value line.
measure() { # name exe variant round
  local name=$1 exe=$2 variant=$3 round=$4 idle=0 setup=0
  [ "$variant" = idle ] && idle=$IDLE
  local failed="bench=http platform=wine server=$name variant=$variant idle=$idle round=$round rps=n/a"
  start_server "$name" "$exe" 127.0.0.1:0 --max-conns $((IDLE + CONNS + 64)) --duration 600 ||
    { echo "$failed error=start"; return; }
  if [ "$variant" = idle ]; then
    if ! start_idle; then
      echo "$failed error=idle"
      stop "$server_pid"
      return
    fi
    setup=$idle_setup
  fi
  wrk -t 2 -c "$CONNS" -d "${S}s" --timeout 2s --latency "http://127.0.0.1:$port/" >"$work/wrk.out" 2>&1
  [ "$variant" = idle ] && stop "$idle_pid"
  stop "$server_pid"
  awk -v name="$name" -v variant="$variant" -v round="$round" -v idle="$idle" \
      -v setup="$setup" -v conns="$CONNS" '
    /requests in/ { reqs = $1 }
    /^Requests\/sec/ { rps = $2 }
    / 99%/ { p99 = $2 }
    /Socket errors/ {
      gsub(",", ""); connect = $4; read = $6; write = $8; timeout = $10
    }
    /Non-2xx/ { non2xx = $NF }
    END {
      printf "bench=http platform=wine server=%s variant=%s idle=%d conns=%d round=%d " \
             "requests=%s rps=%s p99=%s timeouts=%d errors=%d non2xx=%d idle_setup_s=%s\n",
             name, variant, idle, conns, round, reqs == "" ? "n/a" : reqs,
             rps == "" ? "n/a" : rps, p99 == "" ? "n/a" : p99, timeout,
             connect + read + write, non2xx, setup
    }' "$work/wrk.out"
}

echo "# bench/http_wine.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(wine --version), wrk -t 2 -c $CONNS -d ${S}s," \
  "$ROUNDS rounds, idle=$IDLE, git $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null)"
: >"$work/lines"
for variant in $VARIANTS; do
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="afdio wsapoll"; else order="wsapoll afdio"; fi
    for name in $order; do
      exe=$hello
      [ "$name" = wsapoll ] && exe=$wsapoll
      measure "$name" "$exe" "$variant" "$round" | tee -a "$work/lines"
    done
  done
done

python3 - "$work/lines" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in l.split()) for l in open(sys.argv[1]) if l.startswith("bench=")]
def num(v):
    try: return float(v)
    except ValueError: return None
print("\nvariant  idle  afdio req/s  wsapoll req/s  afdio/wsapoll  time-outs (afdio, wsapoll)  errors (afdio, wsapoll)")
for variant in dict.fromkeys(r["variant"] for r in rows):
    med, to, err, idle = {}, {}, {}, "0"
    for name in ("afdio", "wsapoll"):
        rs = [r for r in rows if r["variant"] == variant and r["server"] == name]
        vals = [num(r["rps"]) for r in rs if num(r["rps"]) is not None]
        med[name] = statistics.median(vals) if vals else None
        to[name] = sum(int(r.get("timeouts", 0)) for r in rs)
        err[name] = sum(int(r.get("errors", 0)) + int(r.get("non2xx", 0)) for r in rs)
        idle = max([r.get("idle", "0") for r in rs] + [idle], key=int)
    ratio = f"{med['afdio'] / med['wsapoll']:.2f}x" if med["afdio"] and med["wsapoll"] else "n/a"
    f = lambda v: "n/a" if v is None else f"{v:,.0f}"
    print(f"{variant:8s} {idle:>5s} {f(med['afdio']):>12s} {f(med['wsapoll']):>14s} {ratio:>14s}"
          f"  {to['afdio']:>12d}, {to['wsapoll']:<12d} {err['afdio']:>10d}, {err['wsapoll']}")
PY
