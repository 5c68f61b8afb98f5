#!/usr/bin/env bash
# Sourced by scripts that run Windows servers under Wine against native
# clients (examples/demo.sh, bench/http_wine.sh), after tests/wine-env.sh:
# a scratch directory $work, and every process started with track_pid
# stopped when the script exits.
work=$(mktemp -d)
pids=()
wine_server_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap wine_server_cleanup EXIT
trap 'exit 130' INT TERM

track_pid() { pids+=("$1"); }

# Starts a Windows server under Wine with its output in $work/NAME.out and
# $work/NAME.err, and waits (up to 30 s) for its "listening on
# 127.0.0.1:PORT" line. Sets $server_pid and $port; on failure prints why
# and returns 1.
# Usage: start_server NAME EXE [ARG...]
start_server() {
  local name=$1
  shift
  wine "$@" >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  track_pid "$server_pid"
  for _ in $(seq 300); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$name.out")
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$work/$name.out" "$work/$name.err" >&2
  return 1
}
