/*
 * timers: afdio's timers against libuv's uv_timer_t (natively; the Windows
 * build has afdio alone), in the same run:
 * - op=arm_disarm: arm one timer and disarm it again, with 10,000 other
 *   timers armed (a heap of realistic depth); operations per second (an
 *   arm plus a disarm is one), and heap allocations per operation;
 * - op=arm_100k: arming 100,000 timers at pseudo-random delays in
 *   [0, 100) ms, timers armed per second;
 * - op=fire_100k: once all 100,000 are due, dispatching them (events or
 *   callbacks), timers fired per second.
 * Each backend runs in turn, slices interleaved as the other programs do.
 * Usage: timers [--full] [--seconds S] [--backend NAME|all]
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMERS_OTHERS 10000
#define TIMERS_FIRE 100000
#define TIMERS_SPREAD_MS 100

static void timers_delays(uint64_t *delays, size_t count, uint64_t spread_ms) {
  uint64_t x = 88172645463325252ull; /* xorshift64, fixed seed */
  for (size_t i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    delays[i] = x % spread_ms;
  }
}

static void timers_print(const char *backend, const char *op, int rc,
                         double per_s, const char *extra) {
  if (rc < 0)
    printf("bench=timers platform=%s backend=%s op=%s per_s=n/a error=%s\n",
           bench_platform_name(), backend, op, afdio_err_name(rc));
  else
    printf("bench=timers platform=%s backend=%s op=%s per_s=%.0f%s\n",
           bench_platform_name(), backend, op, per_s, extra);
  fflush(stdout);
}

typedef struct timers_result {
  double ad_secs, arm_secs, fire_secs;
  uint64_t ad_ops, fired;
  long long allocs;
  int rc;
} timers_result_t;

/* One slice of one backend: arm/disarm cycles for about `seconds`, then one
 * 100,000-timer fire run. */
static void timers_slice(const bench_timer_backend_t *b, const uint64_t *d,
                         double seconds, timers_result_t *r) {
  uint64_t cycles = 10000;
  double secs = 0;
  long long allocs = 0;
  /* Grow the cycle count until a slice takes about its share of time. */
  while (r->rc == 0) {
    r->rc = b->arm_disarm(d, TIMERS_OTHERS, cycles, &secs, &allocs);
    if (secs >= seconds / 4 || cycles >= (1ull << 30))
      break;
    cycles *= 4;
  }
  r->ad_secs += secs;
  r->ad_ops += cycles;
  r->allocs += allocs;
  double arm_s = 0, fire_s = 0;
  if (r->rc == 0)
    r->rc = b->fire(d, TIMERS_FIRE, &arm_s, &fire_s);
  r->arm_secs += arm_s;
  r->fire_secs += fire_s;
  r->fired += TIMERS_FIRE;
}

int main(int argc, char **argv) {
  bench_opts_t o;
  bench_parse_args(&o, argc, argv, 0.5, 2.0);
  uint64_t *d = malloc(TIMERS_FIRE * sizeof *d);
  timers_result_t res[8];
  size_t nb = 0;
  if (d == NULL)
    return 1;
  timers_delays(d, TIMERS_FIRE, TIMERS_SPREAD_MS);
  memset(res, 0, sizeof res);
  while (bench_timer_backends[nb] != NULL && nb < 8)
    nb++;
  for (int slice = 0; slice < o.slices; slice++)
    for (size_t i = 0; i < nb; i++)
      if (o.backend == NULL || strcmp(o.backend, "all") == 0 ||
          strcmp(o.backend, bench_timer_backends[i]->name) == 0)
        timers_slice(bench_timer_backends[i], d, o.seconds / o.slices, &res[i]);
  for (size_t i = 0; i < nb; i++) {
    const char *name = bench_timer_backends[i]->name;
    const timers_result_t *r = &res[i];
    char extra[128];
    if (r->ad_ops == 0)
      continue;
    snprintf(extra, sizeof extra, " ops=%llu ns_per_op=%.1f allocs_per_op=%.3f",
             (unsigned long long)r->ad_ops,
             r->ad_secs * 1e9 / (double)r->ad_ops,
             bench_allocs_ok ? (double)r->allocs / (double)r->ad_ops : -1.0);
    timers_print(name, "arm_disarm", r->rc, (double)r->ad_ops / r->ad_secs,
                 extra);
    snprintf(extra, sizeof extra, " timers=%llu", (unsigned long long)r->fired);
    timers_print(name, "arm_100k", r->rc, (double)r->fired / r->arm_secs,
                 extra);
    timers_print(name, "fire_100k", r->rc, (double)r->fired / r->fire_secs,
                 extra);
  }
  free(d);
  return 0;
}
