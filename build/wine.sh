#!/usr/bin/env bash
# Wine for afdio's tests, benchmarks and demo, and for the Windows programs
# of projects that depend on afdio (build.zig's addWineRun):
#   . build/wine.sh env <state-dir>
#       exports WINEPREFIX and friends for `wine prog.exe` in the caller
#   bash build/wine.sh run <state-dir> <timeout-seconds> <prog.exe> [args...]
#       runs one program and exits with its exit code
# The prefix lives in <state-dir>/wineprefix, private to the build cache,
# and is created once (under a lock: parallel build steps share it). A Wine
# server is kept up 30 s past the last program, so each program start costs
# ~0.3 s instead of ~2 s. Wine older than 7.13 is refused: 6.11-7.12 fail
# IOCTL_AFD_POLL with STATUS_BAD_DEVICE_TYPE, earlier ones cannot open AFD.

afdio_wine__fail() { # code message
  echo "afdio-wine: error: $2" >&2
  exit "$1"
}

afdio_wine__check() {
  command -v wine >/dev/null 2>&1 ||
    afdio_wine__fail 127 "wine is not installed. On Debian/Ubuntu: sudo apt-get install wine (afdio needs Wine 7.13 or newer)"
  local v
  v=$(wine --version 2>/dev/null)
  if [[ $v =~ wine-([0-9]+)\.([0-9]+) ]]; then
    local major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
    if ((major < 7 || (major == 7 && minor < 13))); then
      afdio_wine__fail 125 "$v is too old: AFD polling needs Wine 7.13 or newer (Debian 12 and Ubuntu 24.04 ship 8.0)"
    fi
  else
    echo "afdio-wine: warning: cannot read the Wine version from '$v'; going on" >&2
  fi
}

afdio_wine__env() { # state-dir
  afdio_wine__check
  mkdir -p "$1" || afdio_wine__fail 1 "cannot create $1"
  export WINEPREFIX
  WINEPREFIX=$(cd "$1" && pwd)/wineprefix
  export WINEDEBUG=${WINEDEBUG:--all}
  # No Mono or Gecko install dialogs: console programs need neither.
  export WINEDLLOVERRIDES="mscoree=d;mshtml=d"
  export WINEARCH=win64
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    local lock
    exec {lock}>"$1/wineprefix.lock"
    flock "$lock"
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
      echo "afdio-wine: creating the Wine prefix $WINEPREFIX (once)" >&2
      wineboot -i >/dev/null 2>&1 || true
      wineserver -w 2>/dev/null || true
    fi
    exec {lock}>&-
    [ -f "$WINEPREFIX/system.reg" ] || afdio_wine__fail 1 "could not create the Wine prefix $WINEPREFIX"
  fi
  wineserver -p30 >/dev/null 2>&1 || true
}

afdio_wine__run() { # state-dir timeout exe args...
  local dir=$1 secs=$2 exe=$3
  shift 3
  [[ $secs =~ ^[0-9]+$ ]] || afdio_wine__fail 2 "timeout '$secs' is not a number of seconds"
  [ -f "$exe" ] || afdio_wine__fail 2 "no such program: $exe"
  afdio_wine__env "$dir"
  local start=$SECONDS rc=0
  timeout -k 5 "$secs" wine "$exe" "$@" || rc=$?
  if { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && ((SECONDS - start >= secs)); then
    afdio_wine__fail "$rc" "$(basename "$exe") did not finish within $secs s and was killed"
  fi
  exit "$rc"
}

case "${1:-}" in
env) afdio_wine__env "${2:?usage: . build/wine.sh env <state-dir>}" ;;
run)
  [ $# -ge 4 ] || afdio_wine__fail 2 "usage: build/wine.sh run <state-dir> <timeout-seconds> <prog.exe> [args...]"
  shift
  afdio_wine__run "$@"
  ;;
*) afdio_wine__fail 2 "usage: build/wine.sh env|run ..." ;;
esac
