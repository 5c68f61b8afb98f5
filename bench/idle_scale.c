/*
 * idle_scale: one active pair plus N idle registered sockets (N = 0, 100,
 * 1,000, 5,000, 10,000), round trips per second for every backend. The idle
 * sockets are both ends of connected TCP pairs that never send, made once
 * and reused by every configuration (under Wine each socket costs several
 * server requests, and a process gets about 20,000 of them).
 * Usage: idle_scale [--full] [--seconds S] [--backend NAME|all] [--only N+1]
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#define IDLE_MAX 10000

int main(int argc, char **argv) {
  static const size_t idle[] = {0, 100, 1000, 5000, IDLE_MAX};
  bench_opts_t o;
  bench_parse_args(&o, argc, argv, 0.5, 2.0);
  afdio_socket_t listener;
  afdio_socket_t *socks = calloc(2 + IDLE_MAX, sizeof *socks);
  uint32_t pending = 0;
  if (socks == NULL)
    return 1;
  double t0 = bench_now();
  int rc = bench_listener(&listener);
  if (rc == 0)
    rc = bench_tcp_pairs(listener, &socks[0], &socks[1], 1);
  /* Slots 0 and 1 are the active pair; then the idle pairs, connecting
   * ends in the first half of the pool and accepted ends in the second. */
  if (rc == 0)
    rc = bench_tcp_pairs(listener, &socks[2], &socks[2 + IDLE_MAX / 2],
                         IDLE_MAX / 2);
  if (rc < 0) {
    fprintf(stderr, "idle_scale: making %d sockets: %s\n", IDLE_MAX + 2,
            afdio_strerror(rc));
    return 1;
  }
  fprintf(stderr, "idle_scale: %d sockets made in %.2f s\n", IDLE_MAX + 2,
          bench_now() - t0);
  bench_close(listener);
  bench_pp_t pp = {.socks = socks, .pairs = 1, .pending = &pending};
  for (size_t i = 0; i < sizeof idle / sizeof idle[0]; i++) {
    if (o.only != 0 && o.only != idle[i] + 1)
      continue;
    pp.count = 2 + idle[i];
    bench_pp_measure_all("idle_scale", &pp, idle[i], &o);
  }
  t0 = bench_now();
  for (size_t i = 0; i < 2 + IDLE_MAX; i++)
    bench_close(socks[i]);
  fprintf(stderr, "idle_scale: closed in %.2f s\n", bench_now() - t0);
  free(socks);
  return 0;
}
