/*
 * The ping-pong core every backend shares, the measurement, and the option
 * parsing. Portable: no platform header.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char pp__msg[BENCH_MSG];

#define PP__MIN_ROUND_TRIPS 20

static int pp__send_all(afdio_socket_t s, const void *buf, size_t len) {
  long n = bench_send(s, buf, len);
  if (n < 0)
    return (int)n;
  /* One small message in flight per pair: a short send means something is
   * badly wrong (the buffers are far larger), not back-pressure. */
  return (size_t)n == len ? 0 : AFDIO_EIO;
}

int bench_pp_start(bench_pp_t *pp) {
  for (size_t i = 0; i < pp->pairs; i++) {
    pp->pending[i] = 0;
    int rc = pp__send_all(pp->socks[2 * i], pp__msg, sizeof pp__msg);
    if (rc < 0)
      return rc;
  }
  return 0;
}

/* What one received chunk means for the slot's role. */
static int pp__consume(bench_pp_t *pp, size_t slot, const void *buf,
                       size_t n) {
  if (slot >= 2 * pp->pairs)
    return 0; /* an idle socket never gets data; ignore it if it does */
  if (slot & 1)
    return pp__send_all(pp->socks[slot], buf, n); /* server: echo */
  uint32_t *got = &pp->pending[slot / 2];
  *got += (uint32_t)n;
  while (*got >= BENCH_MSG) {
    *got -= BENCH_MSG;
    pp->round_trips++;
    int rc = pp__send_all(pp->socks[slot], pp__msg, sizeof pp__msg);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int bench_pp_readable(bench_pp_t *pp, size_t slot, int drain) {
  unsigned char buf[4 * BENCH_MSG];
  pp->events++;
  for (;;) {
    long n = bench_recv(pp->socks[slot], buf, sizeof buf);
    if (n == AFDIO_EAGAIN)
      return 1;
    if (n <= 0)
      return n == 0 ? AFDIO_ECONNRESET : (int)n;
    int rc = pp__consume(pp, slot, buf, (size_t)n);
    if (rc < 0)
      return rc;
    if (!drain)
      return 0;
    /* A short read emptied the receive queue: as good as would-block for
     * edge readiness (what afdio's net/ streams and tokio do), one recv
     * per event instead of two. */
    if ((size_t)n < sizeof buf)
      return 1;
  }
}

/* Drops the messages still in flight when a run stops, so the next backend
 * starts from empty sockets. Loopback delivers a send into the peer's queue
 * before the send returns, so one pass over the pairs empties them. */
static void pp__drain(bench_pp_t *pp) {
  unsigned char buf[4 * BENCH_MSG];
  for (size_t i = 0; i < 2 * pp->pairs; i++)
    for (int j = 0; j < 64 && bench_recv(pp->socks[i], buf, sizeof buf) > 0; j++)
      ;
}

/* True when name is one of the comma-separated names in list. */
static int pp__listed(const char *list, const char *name) {
  size_t len = strlen(name);
  for (const char *p = list; p != NULL; p = strchr(p, ',')) {
    if (*p == ',')
      p++;
    if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
      return 1;
  }
  return 0;
}

int bench_selected(const bench_opts_t *o, const bench_backend_t *b) {
  return o->backend == NULL || strcmp(o->backend, "all") == 0 ||
         pp__listed(o->backend, b->name);
}

/* What one backend accumulated over its slices. */
typedef struct pp__sum {
  uint64_t rt, rt_total, waits, events;
  long long allocs, allocs_open;
  double took, open_s, close_s;
  int rc;
} pp__sum_t;

static void pp__print_error(const char *bench, const bench_backend_t *b,
                            const bench_pp_t *pp, size_t idle, int rc) {
  printf("bench=%s platform=%s backend=%s pairs=%zu idle=%zu "
         "rt_per_s=n/a error=%s\n",
         bench, bench_platform_name(), b->name, pp->pairs, idle,
         afdio_err_name(rc));
  fflush(stdout);
}

/* Measures until end; a very slow configuration (WSAPoll over 10,000
 * sockets under Wine) gets up to three times longer to make enough round
 * trips to be a figure. */
static int pp__measure(const bench_backend_t *b, bench_pp_t *pp, void *state,
                       double seconds) {
  double start = bench_now();
  double end = start + seconds, limit = start + 3 * seconds;
  uint64_t rt0 = pp->round_trips;
  for (;;) {
    int rc = b->run(pp, state, end);
    double now = bench_now();
    if (rc < 0 || pp->round_trips - rt0 >= PP__MIN_ROUND_TRIPS || now >= limit)
      return rc;
    end = now + seconds / 5 < limit ? now + seconds / 5 : limit;
  }
}

/* One slice of one backend: open, warm up, measure, close, added to sum. */
static void pp__slice(const char *bench, const bench_backend_t *b,
                      bench_pp_t *pp, const bench_opts_t *o, int slices,
                      pp__sum_t *sum) {
  void *state = NULL;
  long long a = bench_allocs();
  double t = bench_now();
  int rc = b->open(pp, &state);
  sum->open_s += bench_now() - t;
  sum->allocs_open += bench_allocs() - a;
  if (rc < 0) {
    sum->rc = rc;
    return;
  }
  pp->round_trips = pp->waits = pp->events = 0;
  rc = bench_pp_start(pp);
  if (rc == 0)
    rc = b->run(pp, state, bench_now() + o->warmup / slices);
  uint64_t rt0 = pp->round_trips, w0 = pp->waits, e0 = pp->events;
  char mark[96];
  snprintf(mark, sizeof mark, "%s:%s:%zu:%zu", bench, b->name, pp->pairs,
           pp->count - 2 * pp->pairs);
  a = bench_allocs();
  t = bench_now();
  bench_mark(mark);
  if (rc == 0)
    rc = pp__measure(b, pp, state, o->seconds / slices);
  bench_mark(mark);
  sum->took += bench_now() - t;
  sum->allocs += bench_allocs() - a;
  sum->rt += pp->round_trips - rt0;
  sum->waits += pp->waits - w0;
  sum->events += pp->events - e0;
  sum->rt_total += pp->round_trips;
  t = bench_now();
  b->close(pp, state);
  sum->close_s += bench_now() - t;
  pp__drain(pp);
  sum->rc = rc;
}

static void pp__print(const char *bench, const bench_backend_t *b,
                      const bench_pp_t *pp, size_t idle, int slices,
                      const pp__sum_t *s) {
  /* allocs_open shows the counter does see the backend's allocations (a
   * poller and its registrations); allocs_per_wait is the steady state. */
  char allocs[32] = "n/a", opened[32] = "n/a";
  if (bench_allocs_ok && s->waits > 0)
    snprintf(allocs, sizeof allocs, "%.3f",
             (double)s->allocs / (double)s->waits);
  if (bench_allocs_ok)
    snprintf(opened, sizeof opened, "%lld", s->allocs_open / slices);
  printf("bench=%s platform=%s backend=%s pairs=%zu idle=%zu seconds=%.2f "
         "slices=%d round_trips=%llu rt_per_s=%.0f waits=%llu "
         "events_per_wait=%.2f allocs_per_wait=%s allocs_open=%s "
         "register_ms=%.1f register_us_per_socket=%.1f teardown_ms=%.1f "
         "rt_total=%llu\n",
         bench, bench_platform_name(), b->name, pp->pairs, idle, s->took,
         slices, (unsigned long long)s->rt, (double)s->rt / s->took,
         (unsigned long long)s->waits,
         s->waits ? (double)s->events / (double)s->waits : 0.0, allocs,
         opened, s->open_s * 1e3 / slices,
         s->open_s * 1e6 / slices / (double)pp->count,
         s->close_s * 1e3 / slices,
         (unsigned long long)s->rt_total);
  fflush(stdout);
}

#define PP__MAX_BACKENDS 16

/* Every selected backend over pp, in interleaved slices: the machine's load
 * drifts, and slices spread that drift over all backends alike. */
int bench_pp_measure_all(const char *bench, bench_pp_t *pp, size_t idle,
                         const bench_opts_t *o) {
  const bench_backend_t *list[PP__MAX_BACKENDS];
  pp__sum_t sums[PP__MAX_BACKENDS];
  size_t n = 0;
  for (size_t i = 0; bench_backends[i] != NULL && n < PP__MAX_BACKENDS; i++) {
    const bench_backend_t *b = bench_backends[i];
    if (!bench_selected(o, b))
      continue;
    if (b->max_sockets != 0 && pp->count > b->max_sockets) {
      printf("bench=%s platform=%s backend=%s pairs=%zu idle=%zu "
             "rt_per_s=n/a reason=limit_%zu_sockets\n",
             bench, bench_platform_name(), b->name, pp->pairs, idle,
             b->max_sockets);
      continue;
    }
    list[n++] = b;
  }
  memset(sums, 0, sizeof sums);
  for (int slice = 0; slice < o->slices; slice++)
    for (size_t i = 0; i < n; i++)
      if (sums[i].rc == 0)
        pp__slice(bench, list[i], pp, o, o->slices, &sums[i]);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (sums[i].rc < 0) {
      pp__print_error(bench, list[i], pp, idle, sums[i].rc);
      rc = sums[i].rc;
    } else {
      pp__print(bench, list[i], pp, idle, o->slices, &sums[i]);
    }
  }
  return rc;
}

int bench_allocs_ok = 1;

/* Makes sure the interposer sees a malloc from a library's point of view:
 * if it does not, the counts would read zero for the wrong reason, so they
 * are reported as n/a instead. volatile keeps the pair from being elided. */
static void pp__check_allocs(void) {
  void *(*volatile alloc)(size_t) = malloc;
  long long before = bench_allocs();
  void *p = alloc(48);
  bench_allocs_ok = before >= 0 && bench_allocs() == before + 1;
  free(p);
  if (!bench_allocs_ok)
    fprintf(stderr, "note: allocation counting unavailable (n/a)\n");
}

static void pp__usage(const char *prog) {
  fprintf(stderr,
          "usage: %s [--full] [--seconds S] [--backend NAME[,NAME...]|all]\n"
          "       [--only X] [--slices N]\n"
          "  BENCH_FULL=1 in the environment is the same as --full.\n"
          "  backends of this build:",
          prog);
  for (size_t i = 0; bench_backends[i] != NULL; i++)
    fprintf(stderr, " %s", bench_backends[i]->name);
  fprintf(stderr, "\n");
  exit(2);
}

void bench_parse_args(bench_opts_t *o, int argc, char **argv, double short_s,
                      double full_s) {
  const char *env = getenv("BENCH_FULL");
  memset(o, 0, sizeof *o);
  o->full = env != NULL && env[0] != '\0' && strcmp(env, "0") != 0;
  double seconds = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--full") == 0)
      o->full = 1;
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (strcmp(argv[i], "--slices") == 0 && i + 1 < argc)
      o->slices = atoi(argv[++i]);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      o->only = (size_t)atol(argv[++i]);
    else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
      o->backend = argv[++i];
    else
      pp__usage(argv[0]);
  }
  o->seconds = seconds > 0 ? seconds : o->full ? full_s : short_s;
  /* Natively a registration costs microseconds, so each backend's time is
   * cut into interleaved slices; under Wine registering 10,000 sockets
   * takes seconds, so one slice. */
  if (o->slices <= 0)
    o->slices = strcmp(bench_platform_name(), "linux") == 0 ? 5 : 1;
  o->warmup = o->seconds / 5;
  if (o->backend != NULL && strcmp(o->backend, "all") != 0) {
    size_t found = 0, names = 1;
    for (const char *p = o->backend; (p = strchr(p, ',')) != NULL; p++)
      names++;
    for (size_t i = 0; bench_backends[i] != NULL; i++)
      found += (size_t)pp__listed(o->backend, bench_backends[i]->name);
    if (found != names)
      pp__usage(argv[0]); /* a name that is no backend of this build */
  }
  pp__check_allocs();
  int rc = bench_platform_init();
  if (rc < 0) {
    fprintf(stderr, "%s: platform init: %s\n", argv[0], afdio_strerror(rc));
    exit(1);
  }
}
