#!/usr/bin/env bash
# make demo: run the hello example natively and, the same source built for
# Windows, under Wine.
# Usage: examples/demo.sh <cache-dir> <native-exe> <windows-exe>
set -eu
cache=$1 native=$2 windows=$3
here=$(cd "$(dirname "$0")" && pwd)
echo "== native ($(uname -s))"
"$native"
echo "== Windows build under Wine"
. "$here/../tests/wine-env.sh" "$cache"
wine "$windows"
echo "== demo: both runs succeeded"
