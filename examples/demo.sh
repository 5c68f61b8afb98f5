#!/usr/bin/env bash
# make demo: the Windows build of afdio, under Wine, serving the native Linux
# build of afdio, wrk and curl, all over 127.0.0.1.
#   1. echo_server.exe (AFD backend, under Wine) <- echo_client (epoll,
#      native): 100 connections x 1,000 messages, every byte checked.
#   2. http_hello.exe (under Wine) <- curl (one request, body checked),
#      wrk (~3 s of keep-alive load), curl again (still answering).
#   3. udp_echo.exe server (under Wine) <- udp_echo client (native), first
#      from a socket that vanishes (the ICMP reset case), then 1,000
#      datagrams checked.
#   4. pipe_echo.exe server <- pipe_echo.exe client, both under Wine (named
#      pipes are local to Wine's world): 8 pipes x 16 MB, every byte checked,
#      throughput; then the same natively over Unix-domain sockets.
# Exits non-zero if anything was lost or wrong. Everything started here is
# stopped here; the wine server ends by itself (persist timeout).
# Usage: examples/demo.sh <cache-dir> <echo_client> <echo_server.exe>
#                         <http_hello.exe> <udp_echo> <udp_echo.exe>
#                         <pipe_echo> <pipe_echo.exe>
set -u
cache=$1 echo_client=$2 echo_server=$3 http_hello=$4 udp_native=$5 udp_windows=$6
pipe_native=$7 pipe_windows=$8
here=$(cd "$(dirname "$0")" && pwd)
CONNS=${DEMO_CONNS:-100} MESSAGES=${DEMO_MESSAGES:-1000} PIPELINE=${DEMO_PIPELINE:-16}

. "$here/../tests/wine-env.sh" "$cache"
. "$here/wine-server.sh"
for tool in wrk curl; do
  command -v $tool >/dev/null || { echo "demo: $tool is missing (make setup installs it)" >&2; exit 1; }
done

failures=0
fail() { echo "demo: FAILED: $*" >&2; failures=$((failures + 1)); }
elapsed() { echo "$(( $(date +%s%N) / 1000000 - $1 ))"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_server (wine-server.sh), counting a failure to start.
demo_start() {
  start_server "$@" 2>>"$work/start.err" && return 0
  fail "$1 did not start"
  cat "$work/start.err" >&2
  return 1
}

# Waits up to $2 seconds for a server to exit; its status in $status.
wait_server() {
  local pid=$1 i
  for i in $(seq $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null; status=$?
}

echo "== afdio demo: Windows servers under $(wine --version), native Linux clients, 127.0.0.1"

# 1. TCP echo.
t0=$(now_ms)
echo_ok=0
if demo_start echo_server "$echo_server" 127.0.0.1:0 --quit-after "$CONNS" --duration 120; then
  echo "-- echo: echo_server.exe (afd, Wine) on port $port <- echo_client (epoll, native)"
  "$echo_client" -c "$CONNS" -m "$MESSAGES" -p "$PIPELINE" --timeout 60 "127.0.0.1:$port" \
    >"$work/echo_client.out" 2>"$work/echo_client.err"
  client_status=$?
  sed -n '2,$p' "$work/echo_client.out" | sed 's/^/   /'
  wait_server "$server_pid" 10
  sed -n 's/^echo_server: \([0-9]* connections.*\)/   server:      \1/p' "$work/echo_server.out"
  if [ $client_status -ne 0 ]; then fail "echo_client exit $client_status"; sed 's/^/   /' "$work/echo_client.err" >&2
  elif [ $status -ne 0 ]; then fail "echo_server exit $status"; sed 's/^/   /' "$work/echo_server.err" >&2
  else echo_ok=1; fi
fi
echo "   took $(elapsed "$t0") ms"

# 2. HTTP: one curl request checked, then wrk.
t0=$(now_ms)
http_ok=0
if demo_start http_hello "$http_hello" 127.0.0.1:0 --duration 60; then
  echo "-- http: http_hello.exe (afd, Wine) on port $port <- curl, wrk"
  body=$(curl -s --max-time 5 "http://127.0.0.1:$port/")
  code404=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")
  if [ "$body" = "Hello, world!" ] && [ "$code404" = 404 ]; then
    echo "   curl:        GET / -> \"$body\", GET /nope -> $code404"
  else
    fail "curl: GET / gave '$body', GET /nope gave $code404"
  fi
  # wrk 4.1 counts a response slower than --timeout as a "timeout" (it did
  # come) and leaves it out of the latency figures. Under Wine on a busy
  # machine some responses take over 2 s (WSAPoll servers' too), so the
  # time-out is 10 s, a stall worth failing for, and wrk_slow.lua reports
  # the responses slower than wrk's default 2 s. A request never answered
  # is not counted by wrk at all: the check after the load is that the
  # server still answers, and part 1 checks every byte with a deadline.
  wrk -t 2 -c 50 -d 3s --timeout 10s --latency -s "$here/wrk_slow.lua" \
    "http://127.0.0.1:$port/" >"$work/wrk.out" 2>&1
  wrk_status=$?
  reqs=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
  lat=$(awk '/^    Latency / {print $2 " avg, " $4 " max"}' "$work/wrk.out")
  pct=$(awk '/^ +(50|90|99)%/ {printf "%sp%s %s", sep, substr($1, 1, length($1) - 1), $2; sep=", "}' "$work/wrk.out")
  slow=$(sed -n 's/^slower than 2 s: \([0-9]*\) of.*/\1/p' "$work/wrk.out")
  errs=$(grep -E 'Socket errors|Non-2xx' "$work/wrk.out")
  after=$(curl -s --max-time 5 "http://127.0.0.1:$port/")
  echo "   wrk:         $reqs requests in 3 s, $rps requests/s, 50 connections"
  echo "   wrk latency: $lat; $pct; ${slow:-?} slower than 2 s (wrk's default time-out)"
  if [ $wrk_status -ne 0 ] || [ -z "$reqs" ] || [ "$reqs" = 0 ] || [ -n "$errs" ]; then
    fail "wrk: ${errs:-exit $wrk_status}"; sed 's/^/   /' "$work/wrk.out" >&2
  elif [ "$after" != "Hello, world!" ]; then
    fail "curl after wrk: GET / gave '$after'"
  else http_ok=1; fi
  kill "$server_pid" 2>/dev/null
  wait_server "$server_pid" 5
fi
echo "   took $(elapsed "$t0") ms"

# 3. UDP echo, with a client that vanished first.
t0=$(now_ms)
udp_ok=0
if demo_start udp_echo "$udp_windows" server 127.0.0.1:0 --duration 60; then
  echo "-- udp: udp_echo.exe server (afd, Wine) on port $port <- udp_echo client (epoll, native)"
  if "$udp_native" client -n 1000 --vanish 5 "127.0.0.1:$port" >"$work/udp.out" 2>&1; then
    udp_ok=1
  else
    fail "udp_echo client"
  fi
  sed 's/^/   /' "$work/udp.out"
  kill "$server_pid" 2>/dev/null
  wait_server "$server_pid" 5
fi
echo "   took $(elapsed "$t0") ms"

# 4. Pipe echo: the same program on both sides, under Wine, then natively.
# $1: label, $2: runner ("wine" or ""), $3: binary.
pipe_echo_run() {
  local label=$1 runner=$2 bin=$3 name="afdio-demo-$$-$1" spid
  $runner "$bin" server "$name" --quit-after 8 >"$work/pipe_$label.out" 2>&1 &
  spid=$!; pids+=($spid)
  for _ in $(seq 100); do
    grep -q "listening on" "$work/pipe_$label.out" 2>/dev/null && break
    sleep 0.1
  done
  $runner "$bin" client "$name" -c 8 -b 16000000 --timeout 60 >"$work/pipe_${label}_client.out" 2>&1
  local rc=$?
  wait_server "$spid" 10
  sed 's/^/   /' "$work/pipe_$label.out" "$work/pipe_${label}_client.out"
  [ $rc -eq 0 ] && [ $status -eq 0 ]
}
t0=$(now_ms)
pipe_ok=0
echo "-- pipe: pipe_echo.exe server <- pipe_echo.exe client (named pipes, both under Wine)"
if pipe_echo_run windows wine "$pipe_windows"; then pipe_ok=1; else fail "pipe echo under Wine"; fi
pipe_mbs=$(tr -d '\r' <"$work/pipe_windows_client.out" | sed -n 's/.*: \([0-9.]*\) MB\/s$/\1/p')
echo "-- pipe: pipe_echo server <- pipe_echo client (Unix-domain sockets, native)"
if pipe_echo_run native "" "$pipe_native"; then pipe_ok=$((pipe_ok + 1)); else fail "pipe echo native"; fi
pipe_native_mbs=$(sed -n 's/.*: \([0-9.]*\) MB\/s$/\1/p' "$work/pipe_native_client.out")
echo "   took $(elapsed "$t0") ms"

echo "== summary"
printf '   %-28s %s\n' "TCP echo (Windows server)" "$([ $echo_ok = 1 ] && echo "ok: every byte verified" || echo FAILED)"
printf '   %-28s %s\n' "HTTP keep-alive (wrk, curl)" "$([ $http_ok = 1 ] && echo "ok: no errors, ${rps:-?} requests/s" || echo FAILED)"
printf '   %-28s %s\n' "Pipe echo (named pipes)" "$([ $pipe_ok = 2 ] && echo "ok: every byte verified, ${pipe_mbs:-?} MB/s under Wine, ${pipe_native_mbs:-?} MB/s native" || echo FAILED)"
printf '   %-28s %s\n' "UDP echo after ICMP reset" "$([ $udp_ok = 1 ] && echo "ok: every datagram back" || echo FAILED)"
if [ $failures -ne 0 ]; then
  echo "== demo: $failures FAILED" >&2
  exit 1
fi
echo "== demo: ok"
