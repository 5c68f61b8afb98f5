#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/fuzz_*.c) natively against the
# library's Linux sources. Usage: tests/fuzz/build.sh fuzzer|replay <outdir>
#   fuzzer: clang-14 -fsanitize=fuzzer,address,undefined (libFuzzer)
#   replay: cc with ASan+UBSan and tests/fuzz/replay.c as main
set -eu
mode=$1 out=$2
cd "$(dirname "$0")/../.."
mkdir -p "$out"
lib="core/error.c core/timer.c unix/error.c unix/fdtable.c core/deadline.c core/poller.c
     unix/wakefd_eventfd.c core/waiters.c unix/unconnected.c unix/epoll_parked.c unix/epoll.c
     unix/socket.c net/addr.c net/socket.c net/option.c
     net/listener.c net/stream.c net/datagram.c"
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
