/*
 * pipe_pingpong: K pipes (K = 1, 64), one 64-byte message in flight per
 * pipe, round trips per second: afdio_pipe (edge-triggered, one thread)
 * against the platform's baseline in the same run, in interleaved slices
 * (Windows: a thread per pipe end with blocking ReadFile/WriteFile; Unix:
 * Unix-domain socket pairs through the raw poller). Allocations per wait
 * are counted for afdio.
 * Usage: pipe_pingpong [--full] [--seconds S] [--only K] [--slices N]
 * PIPE_PINGPONG_ONLY=afdio or =baseline runs one side alone (to trace its
 * Wine server requests, as bench/wine_requests.sh does for pingpong).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char msg[BENCH_MSG];

/* Echoes or counts one end's readable data, until it would block. */
static int pipe__readable(void *const *ends, const bench_pipe_io_t *io,
                          size_t slot, uint32_t *pending, uint64_t *rt) {
  unsigned char buf[BENCH_MSG * 4];
  for (;;) {
    ptrdiff_t n = io->read(ends[slot], buf, sizeof buf);
    if (n == AFDIO_EAGAIN)
      return 0;
    if (n <= 0)
      return n == 0 ? AFDIO_EPIPE : (int)n;
    if (slot % 2 == 1) { /* the server echoes (never blocks: 64 bytes) */
      if (io->write(ends[slot], buf, (size_t)n) != n)
        return AFDIO_EIO;
      continue;
    }
    pending[slot / 2] += (uint32_t)n;
    if (pending[slot / 2] >= BENCH_MSG) {
      pending[slot / 2] -= BENCH_MSG;
      (*rt)++;
      if (io->write(ends[slot], msg, BENCH_MSG) != BENCH_MSG)
        return AFDIO_EIO;
    }
  }
}

int bench_pipe_loop(afdio_poller_t *p, void *const *ends,
                    const bench_pipe_io_t *io, size_t pipes, double seconds,
                    uint64_t *rt, uint64_t *waits, long long *allocs) {
  afdio_event_t ev[128];
  long long before;
  uint32_t *pending = calloc(pipes, sizeof *pending);
  double stop;
  int rc = pending != NULL ? 0 : AFDIO_ENOMEM;
  *rt = *waits = 0;
  for (size_t i = 0; rc == 0 && i < pipes; i++)
    if (io->write(ends[2 * i], msg, BENCH_MSG) != BENCH_MSG)
      rc = AFDIO_EIO;
  before = bench_allocs();
  stop = bench_now() + seconds;
  while (rc == 0 && bench_now() < stop) {
    int n = afdio_poller_wait(p, ev, 128, 100);
    (*waits)++;
    if (n < 0)
      rc = n;
    for (int i = 0; rc == 0 && i < n; i++)
      rc = pipe__readable(ends, io, (size_t)ev[i].token, pending, rt);
  }
  *allocs = bench_allocs() - before;
  /* What is still in flight is read away, so the next run starts clean. */
  for (int round = 0; round < 20; round++) {
    int n = afdio_poller_wait(p, ev, 128, 10);
    for (int i = 0; i < n; i++) {
      unsigned char buf[BENCH_MSG * 4];
      while (io->read(ends[ev[i].token], buf, sizeof buf) > 0) {
      }
    }
  }
  free(pending);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* afdio_pipe                                                                */

static ptrdiff_t afdio__read(void *end, void *buf, size_t len) {
  return afdio_pipe_read(end, buf, len);
}
static ptrdiff_t afdio__write(void *end, const void *buf, size_t len) {
  return afdio_pipe_write(end, buf, len);
}
static const bench_pipe_io_t afdio_io = {afdio__read, afdio__write};

typedef struct afdio_set {
  afdio_poller_t *poller;
  afdio_pipe_listener_t *listener;
  void **ends;
  size_t pipes;
} afdio_set_t;

static int afdio_set_open(afdio_set_t *s, size_t pipes) {
  char name[AFDIO_PIPE_NAME_MAX], short_name[64];
  afdio_pipe_options_t o = {.instances = pipes < 255 ? (unsigned)pipes : 255};
  int rc;
  memset(s, 0, sizeof *s);
  s->pipes = pipes;
  s->ends = calloc(2 * pipes, sizeof *s->ends);
  snprintf(short_name, sizeof short_name, "afdio-bench-%zu-%.0f", pipes,
           bench_now() * 1000);
  if (s->ends == NULL)
    return AFDIO_ENOMEM;
  if ((rc = afdio_pipe_name(name, sizeof name, short_name)) < 0 ||
      (rc = afdio_poller_new(&s->poller)) < 0 ||
      (rc = afdio_pipe_listener_bind(&s->listener, name, &o)) < 0 ||
      (rc = afdio_pipe_listener_register(s->listener, s->poller, UINT64_MAX,
                                         AFDIO_READABLE | AFDIO_LEVEL)) < 0)
    return rc;
  for (size_t i = 0; i < pipes; i++) {
    afdio_pipe_t *c, *sv = NULL;
    afdio_event_t ev[4];
    if ((rc = afdio_pipe_connect(&c, name, NULL)) < 0)
      return rc;
    s->ends[2 * i] = c;
    for (int k = 0; k < 500 && sv == NULL; k++)
      if (afdio_pipe_listener_accept(s->listener, &sv) == AFDIO_EAGAIN)
        (void)afdio_poller_wait(s->poller, ev, 4, 10);
    if (sv == NULL)
      return AFDIO_ETIMEDOUT;
    s->ends[2 * i + 1] = sv;
  }
  for (size_t i = 0; i < 2 * pipes; i++)
    if ((rc = afdio_pipe_register(s->ends[i], s->poller, i,
                                  AFDIO_READABLE)) < 0)
      return rc;
  return 0;
}

static void afdio_set_close(afdio_set_t *s) {
  for (size_t i = 0; s->ends != NULL && i < 2 * s->pipes; i++)
    if (s->ends[i] != NULL)
      afdio_pipe_close(s->ends[i]);
  if (s->listener != NULL)
    afdio_pipe_listener_close(s->listener);
  if (s->poller != NULL)
    afdio_poller_delete(s->poller);
  free(s->ends);
}

/* ------------------------------------------------------------------------ */

static void report(const char *backend, size_t pipes, double seconds,
                   uint64_t rt, uint64_t waits, long long allocs,
                   double base_rate) {
  char per_wait[32] = "n/a", ratio[32] = "";
  double rate = (double)rt / seconds;
  if (allocs >= 0 && bench_allocs_ok && waits > 0)
    snprintf(per_wait, sizeof per_wait, "%.3f",
             (double)allocs / (double)waits);
  if (base_rate > 0)
    snprintf(ratio, sizeof ratio, " vs_baseline=%.2fx", rate / base_rate);
  printf("bench=pipe_pingpong platform=%s backend=%s pipes=%zu seconds=%.2f "
         "round_trips=%llu rt_per_s=%.0f allocs_per_wait=%s%s\n",
         bench_platform_name(), backend, pipes, seconds,
         (unsigned long long)rt, rate, waits > 0 ? per_wait : "n/a", ratio);
  fflush(stdout);
}

static int measure(size_t pipes, const bench_opts_t *o) {
  afdio_set_t set;
  uint64_t a_rt = 0, a_waits = 0, b_rt = 0;
  long long allocs = 0;
  double slice = o->seconds / o->slices;
  int rc = afdio_set_open(&set, pipes);
  const char *only = getenv("PIPE_PINGPONG_ONLY");
  int run_afdio = only == NULL || strcmp(only, "baseline") != 0;
  int run_base = only == NULL || strcmp(only, "afdio") != 0;
  for (int k = 0; rc == 0 && k < o->slices; k++) {
    uint64_t rt = 0, waits = 0, brt = 0;
    long long n = 0;
    if (run_afdio)
      rc = bench_pipe_loop(set.poller, set.ends, &afdio_io, pipes, slice,
                           &rt, &waits, &n);
    allocs += n;
    a_rt += rt;
    a_waits += waits;
    if (rc == 0 && run_base && (rc = bench_pipe_base_run(pipes, slice, &brt)) == 0)
      b_rt += brt;
  }
  afdio_set_close(&set);
  if (rc < 0) {
    fprintf(stderr, "pipe_pingpong: %zu pipes: %s\n", pipes,
            afdio_err_name(rc));
    return rc;
  }
  report(bench_pipe_base_name, pipes, o->seconds, b_rt, 0, -1, 0);
  report("afdio", pipes, o->seconds, a_rt, a_waits, allocs,
         (double)b_rt / o->seconds);
  return 0;
}

int main(int argc, char **argv) {
  static const size_t counts[] = {1, 64};
  bench_opts_t o;
  int rc = 0;
  bench_parse_args(&o, argc, argv, 1.0, 4.0);
  /* Pipes are cheap to set up on every platform: always interleave. */
  if (o.slices < 4)
    o.slices = 4;
  memset(msg, 'p', sizeof msg);
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
    if ((o.only == 0 || o.only == counts[i]) && measure(counts[i], &o) < 0)
      rc = 1;
  return rc;
}
