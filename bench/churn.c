/*
 * churn: registration costs, for every backend that has registrations.
 * - op=regmod: register, modify, deregister one idle connected socket;
 * - op=regmod_wait: the same with a zero-timeout wait after each step, so
 *   work a backend defers to the wait (afdio's AFD polls) is paid too;
 * - op=create: new socket, register, zero-timeout wait, close.
 * Cycles per second, and the process's handle (Windows) or descriptor
 * (Unix) count before and after each, so a leak shows as a difference.
 * Usage: churn [--full] [--seconds S] [--backend NAME[,NAME...]|all]
 */
#include "bench.h"

#include <stdio.h>

static void churn_print(const bench_backend_t *b, const char *op, int rc,
                        uint64_t cycles, double took, long before,
                        long after) {
  if (rc < 0) {
    printf("bench=churn platform=%s backend=%s op=%s cycles_per_s=n/a "
           "error=%s\n",
           bench_platform_name(), b->name, op, afdio_err_name(rc));
  } else {
    printf("bench=churn platform=%s backend=%s op=%s seconds=%.2f cycles=%llu "
           "cycles_per_s=%.0f handles_before=%ld handles_after=%ld\n",
           bench_platform_name(), b->name, op, took,
           (unsigned long long)cycles, (double)cycles / took, before, after);
  }
  fflush(stdout);
}

/* The label bench/wine_requests.sh finds the op's requests by. */
static void churn_mark(const bench_backend_t *b, const char *op) {
  char mark[96];
  snprintf(mark, sizeof mark, "churn:%s:%s", b->name, op);
  bench_mark(mark);
}

static void churn_regmod(const bench_backend_t *b, afdio_socket_t s,
                         int with_wait, const bench_opts_t *o) {
  const char *op = with_wait ? "regmod_wait" : "regmod";
  uint64_t cycles = 0;
  long before = bench_handle_count();
  double start = bench_now();
  churn_mark(b, op);
  int rc = b->churn_regmod(s, with_wait, start + o->seconds, &cycles);
  churn_mark(b, op);
  double took = bench_now() - start;
  churn_print(b, op, rc, cycles, took, before, bench_handle_count());
}

static void churn_create(const bench_backend_t *b, const bench_opts_t *o) {
  uint64_t cycles = 0;
  long before = bench_handle_count();
  double start = bench_now();
  churn_mark(b, "create");
  int rc = b->churn_create(start + o->seconds, &cycles);
  churn_mark(b, "create");
  double took = bench_now() - start;
  churn_print(b, "create", rc, cycles, took, before, bench_handle_count());
}

int main(int argc, char **argv) {
  bench_opts_t o;
  bench_parse_args(&o, argc, argv, 0.5, 2.0);
  afdio_socket_t listener, a, b;
  int rc = bench_listener(&listener);
  if (rc == 0)
    rc = bench_tcp_pairs(listener, &a, &b, 1);
  if (rc < 0) {
    fprintf(stderr, "churn: making a pair: %s\n", afdio_strerror(rc));
    return 1;
  }
  for (size_t i = 0; bench_backends[i] != NULL; i++) {
    const bench_backend_t *be = bench_backends[i];
    if (!bench_selected(&o, be))
      continue;
    if (be->churn_regmod != NULL) {
      churn_regmod(be, a, 0, &o);
      churn_regmod(be, a, 1, &o);
    }
    if (be->churn_create != NULL)
      churn_create(be, &o);
  }
  bench_close(a);
  bench_close(b);
  bench_close(listener);
  return 0;
}
