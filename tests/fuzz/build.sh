#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/fuzz_*.c) natively against the
# library's Linux sources. Usage: tests/fuzz/build.sh fuzzer|replay <outdir>
#   fuzzer: clang-14 -fsanitize=fuzzer,address,undefined (libFuzzer)
#   replay: cc with ASan+UBSan and tests/fuzz/replay.c as main
set -eu
mode=$1 out=$2
cd "$(dirname "$0")/../.."
mkdir -p "$out"
# The Linux (epoll) library: every portable file of core/ and net/ by glob,
# so a new one cannot be forgotten here, and the epoll backend's unix/ files
# (the other backends' files left out by name).
lib=""
for f in core/*.c net/*.c unix/*.c; do
  case "$f" in
  core/none.c | unix/kqueue.c | unix/poll.c | unix/wakefd_none.c | unix/wakefd_pipe.c) ;;
  *) lib="$lib $f" ;;
  esac
done
flags="-g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fno-omit-frame-pointer
       -Itests/shim -Iinclude -I. -Itests"
helpers="tests/util.c tests/util_unix.c tests/fuzz/fuzz_shim.c"
case "$mode" in
fuzzer) cc="${CLANG:-clang-14}" san="-fsanitize=fuzzer,address,undefined" main="" ;;
replay) cc="${CC:-cc}" san="-fsanitize=address,undefined" main="tests/fuzz/replay.c" ;;
*) echo "usage: $0 fuzzer|replay outdir" >&2; exit 2 ;;
esac
for target in addr model; do
  # shellcheck disable=SC2086
  $cc $flags $san -fno-sanitize-recover=undefined -o "$out/fuzz_$target" \
    tests/fuzz/fuzz_$target.c $lib $helpers $main -lpthread
done
echo "built $out/fuzz_addr $out/fuzz_model ($mode)"
