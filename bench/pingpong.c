/*
 * pingpong: K loopback TCP pairs (K = 1, 16, 256), one small message in
 * flight per pair, round trips per second, for every backend of this build
 * in turn on the same pairs, so the ratios come from one run.
 * Usage: pingpong [--full] [--seconds S] [--backend NAME|all] [--only K]
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

static int pingpong_one(size_t pairs, const bench_opts_t *o) {
  afdio_socket_t listener;
  bench_pp_t pp = {0};
  afdio_socket_t *a = calloc(pairs, sizeof *a);
  afdio_socket_t *b = calloc(pairs, sizeof *b);
  pp.socks = calloc(2 * pairs, sizeof *pp.socks);
  pp.pending = calloc(pairs, sizeof *pp.pending);
  int rc = a && b && pp.socks && pp.pending ? 0 : AFDIO_ENOMEM;
  if (rc == 0 && (rc = bench_listener(&listener)) == 0) {
    rc = bench_tcp_pairs(listener, a, b, pairs);
    bench_close(listener);
  }
  for (size_t i = 0; rc == 0 && i < pairs; i++) {
    pp.socks[2 * i] = a[i];
    pp.socks[2 * i + 1] = b[i];
  }
  pp.pairs = pairs;
  pp.count = 2 * pairs;
  if (rc == 0)
    bench_pp_measure_all("pingpong", &pp, 0, o);
  if (rc < 0)
    fprintf(stderr, "pingpong: %zu pairs: %s\n", pairs, afdio_strerror(rc));
  for (size_t i = 0; rc == 0 && i < 2 * pairs; i++)
    bench_close(pp.socks[i]);
  free(a);
  free(b);
  free(pp.socks);
  free(pp.pending);
  return rc;
}

int main(int argc, char **argv) {
  static const size_t pairs[] = {1, 16, 256};
  bench_opts_t o;
  bench_parse_args(&o, argc, argv, 0.5, 2.0);
  int rc = 0;
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
    if ((o.only == 0 || o.only == pairs[i]) && pingpong_one(pairs[i], &o) < 0)
      rc = 1;
  return rc;
}
