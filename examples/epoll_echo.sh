#!/usr/bin/env bash
# The EPOLLET echo server (examples/epoll_echo.c), one file built against
# <sys/epoll.h> on Linux and against afdio_epoll.h on Windows, driven by the
# native echo client (examples/echo_client.c): every byte is checked. Run
# by `zig build test-native` (the Linux build) and `zig build test-windows`
# (the Windows build, under Wine); prints the client's figures and the
# server's event counts, and fails if anything was lost or wrong.
# Usage: examples/epoll_echo.sh <cache-dir> <echo_client> <epoll_echo[.exe]>
set -u
cache=$1 client=$2 server=$3
CONNS=${EPOLL_ECHO_CONNS:-20} MESSAGES=${EPOLL_ECHO_MESSAGES:-500} PIPELINE=${EPOLL_ECHO_PIPELINE:-16}
# Messages larger than the server's send buffer (--sndbuf), so that its
# writes meet would-block and the EPOLLOUT path runs too.
SIZE=${EPOLL_ECHO_SIZE:-16384} SNDBUF=${EPOLL_ECHO_SNDBUF:-4096}
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
runner=() label="epoll, native"
case "$server" in
*.exe)
  . "$(dirname "$0")/../tests/wine-env.sh" "$cache"
  runner=(wine) label="afdio_epoll, Wine"
  ;;
esac
"${runner[@]}" "$server" 127.0.0.1:0 --quit-after "$CONNS" --duration 120 --sndbuf "$SNDBUF" >"$work/server.out" 2>"$work/server.err" &
pid=$!
port=
for _ in $(seq 300); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "epoll_echo: the server did not start" >&2
  cat "$work/server.err" >&2
  exit 1
fi
echo "  epoll_echo ($label), EPOLLET, port $port <- echo_client: $CONNS connections x $MESSAGES messages of $SIZE bytes"
"$client" -c "$CONNS" -m "$MESSAGES" -s "$SIZE" -p "$PIPELINE" --timeout 60 "127.0.0.1:$port" >"$work/client.out" 2>"$work/client.err"
client_status=$?
sed -n '2,$p' "$work/client.out" | sed 's/^/   /'
status=1
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if ! kill -0 "$pid" 2>/dev/null; then
  wait "$pid"
  status=$?
fi
pid=
sed -n 's/^epoll_echo: /   server:      /p' "$work/server.out"
if [ "$client_status" -ne 0 ] || [ "$status" -ne 0 ]; then
  echo "epoll_echo: FAILED (client exit $client_status, server exit $status)" >&2
  cat "$work/client.err" "$work/server.err" >&2
  exit 1
fi
echo "  epoll_echo: ok, every byte verified"
