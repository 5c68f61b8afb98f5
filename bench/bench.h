/*
 * afdio's benchmarks: what they share. Every program prints one line per
 * configuration, "key=value" fields separated by spaces, and stops by itself.
 *
 * The sockets are raw (not afdio's net layer), so the benchmarks measure the
 * poller and the baselines with the same I/O calls. Platform code lives in
 * plat_unix.c / plat_win.c, the baselines in base_*.c, the list of backends
 * of a build in list_linux.c / list_windows.c: build.zig picks the files.
 */
#ifndef AFDIO_BENCH_H
#define AFDIO_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "afdio.h"

/* Bytes in one ping-pong message. */
#define BENCH_MSG 64

/* ------------------------------------------------------------------------ */
/* Platform (plat_unix.c, plat_win.c)                                        */

/* Socket layer start-up, descriptor limits raised; 0 or AFDIO_E*. */
int bench_platform_init(void);

/* "linux", "windows", or "wine" for the Windows build under Wine. */
const char *bench_platform_name(void);

/* A monotonic clock, in seconds. */
double bench_now(void);

/* A listener on 127.0.0.1, port 0, with a large backlog. */
int bench_listener(afdio_socket_t *out);

/* count connected, non-blocking TCP pairs (TCP_NODELAY on both ends) to
 * the listener: a[i] the connecting end, b[i] the accepted one. */
int bench_tcp_pairs(afdio_socket_t listener, afdio_socket_t *a,
                    afdio_socket_t *b, size_t count);

/* A new, unconnected, non-blocking TCP socket. */
int bench_tcp_socket(afdio_socket_t *out);

/* Non-blocking recv/send: a count, 0 at end of stream (recv), AFDIO_EAGAIN,
 * or another AFDIO_E*. */
long bench_recv(afdio_socket_t s, void *buf, size_t len);
long bench_send(afdio_socket_t s, const void *buf, size_t len);

void bench_close(afdio_socket_t s);

/* The process's open handles (Windows) or file descriptors (Unix), or -1
 * when they cannot be counted. */
long bench_handle_count(void);

/* Marks a point in the run for bench/wine_requests.sh, when the
 * environment has AFDIO_BENCH_MARKS=1: on Windows it creates and closes a
 * named event "afdio-bench-mark:<label>", which a tracing Wine server
 * (WINEDEBUG=+server) logs with its name, so the script can count the
 * server requests made between two marks by this thread. Elsewhere, and
 * without the variable, it does nothing. */
void bench_mark(const char *label);

/* ------------------------------------------------------------------------ */
/* Allocation counting (alloc_unix.c, alloc_win.c)                           */

/* Heap allocations (malloc, calloc, realloc) made by this process since it
 * started, as seen by the interposer; -1 where none could be installed. */
long long bench_allocs(void);

/* Set at start-up (pp.c): 1 when a test allocation was seen by the
 * counter, so a zero count means zero and not "not counted". */
extern int bench_allocs_ok;

/* ------------------------------------------------------------------------ */
/* Options shared by the programs                                            */

typedef struct bench_opts {
  double seconds;       /* measured time per configuration */
  double warmup;        /* unmeasured time before it */
  int full;             /* --full: longer runs */
  const char *backend;  /* backend names, comma-separated, or NULL for all */
  size_t only;          /* --only X: that configuration alone, 0 for all */
  int slices;           /* --slices N: interleaved slices per backend */
} bench_opts_t;

/* Parses --full, --seconds S, --backend NAME[,NAME...], --only X (one configuration:
 * pingpong's pair count, idle_scale's idle count + 1), and BENCH_FULL=1 in the
 * environment. Exits with a usage message on anything else. */
void bench_parse_args(bench_opts_t *o, int argc, char **argv,
                      double short_s, double full_s);

/* ------------------------------------------------------------------------ */
/* Ping-pong state (pp.c), shared by every backend                          */

/* Sockets by slot: slots [0, 2 * pairs) are the pairs (even: the client that
 * counts round trips, odd: the server that echoes), then the idle ones. */
typedef struct bench_pp {
  afdio_socket_t *socks;
  size_t pairs;
  size_t count; /* 2 * pairs + idle */
  uint32_t *pending; /* per pair: bytes of the echo received so far */
  uint64_t round_trips;
  uint64_t waits; /* calls into the backend's wait */
  uint64_t events; /* readiness callbacks / events handled */
} bench_pp_t;

/* Handles readability of a slot: receives once (drain 0) or until
 * AFDIO_EAGAIN (drain 1); a server echoes what it got, a client counts a
 * round trip per full echo and sends the next message.
 * Returns 1 when AFDIO_EAGAIN was seen, 0 when not, or AFDIO_E*. */
int bench_pp_readable(bench_pp_t *pp, size_t slot, int drain);

/* Sends the first message of every pair. */
int bench_pp_start(bench_pp_t *pp);

/* ------------------------------------------------------------------------ */
/* Backends (base_*.c)                                                       */

typedef struct bench_backend {
  const char *name;
  /* Makes a loop and registers every slot for readability. */
  int (*open)(bench_pp_t *pp, void **state);
  /* Runs the loop until bench_now() >= stop_at. */
  int (*run)(bench_pp_t *pp, void *state, double stop_at);
  /* Deregisters everything and frees the loop. */
  void (*close)(bench_pp_t *pp, void *state);
  /* Churn (NULL where it means nothing, such as WSAPoll: no registration).
   * regmod: register, modify, deregister one socket; with_wait adds a
   * zero-timeout wait after each step, so deferred work is done too.
   * create: new socket, register, zero-timeout wait, close. Each runs
   * until stop_at and counts cycles. */
  int (*churn_regmod)(afdio_socket_t s, int with_wait, double stop_at,
                      uint64_t *cycles);
  int (*churn_create)(double stop_at, uint64_t *cycles);
  /* Baselines whose limits make some configurations meaningless (select
   * and FD_SETSIZE): the largest slot count they take, 0 for no limit. */
  size_t max_sockets;
} bench_backend_t;

/* The backends of this build, NULL-terminated (list_*.c). */
extern const bench_backend_t *const bench_backends[];

/* afdio's own backends, in every build (base_afdio.c). */
extern const bench_backend_t bench_afdio_edge;
extern const bench_backend_t bench_afdio_level;
extern const bench_backend_t bench_afdio_oneshot;

/* True when backend b is selected by the options. */
int bench_selected(const bench_opts_t *o, const bench_backend_t *b);

/* Runs one ping-pong configuration (pp ready, pairs connected) with every
 * selected backend, in o->slices interleaved slices each (a slice: open,
 * warm up, measure, close), and prints one line per backend. bench names
 * the program. Returns 0 or the last AFDIO_E* seen. */
int bench_pp_measure_all(const char *bench, bench_pp_t *pp, size_t idle,
                         const bench_opts_t *o);

/* ------------------------------------------------------------------------ */
/* Timers (timers.c)                                                         */

/* Every backend gets the same pseudo-random delays: delays[i] for timer
 * i, in [0, 100) ms (timers.c). */
typedef struct bench_timer_backend {
  const char *name;
  /* With `others` timers armed at the given delays (far in the future),
   * arms one more timer at a delay from the same list and disarms it,
   * `cycles` times; *secs is the time of the cycles alone, *allocs the heap
   * allocations made during them. */
  int (*arm_disarm)(const uint64_t *delays, size_t others, uint64_t cycles,
                    double *secs, long long *allocs);
  /* Arms `count` timers at delays[i] ms (*arm_s: the time to arm them
   * all), sleeps (not measured) until every one is due, then runs the loop
   * until all have fired (*fire_s: dispatching them all, from the first
   * wait to the last callback or event). */
  int (*fire)(const uint64_t *delays, size_t count, double *arm_s,
              double *fire_s);
} bench_timer_backend_t;

/* afdio's timers (base_afdio.c) and, on Linux, libuv's uv_timer_t
 * (base_libuv.c); the list of a build in list_*.c, NULL-terminated. */
extern const bench_timer_backend_t bench_afdio_timers;
extern const bench_timer_backend_t *const bench_timer_backends[];

/* ------------------------------------------------------------------------ */
/* pipe_pingpong (pipe_pingpong.c, pipe_base_unix.c, pipe_base_win.c)        */

/* The I/O of one kind of pipe end, so one loop drives afdio pipes and the
 * raw baseline alike. */
typedef struct bench_pipe_io {
  ptrdiff_t (*read)(void *end, void *buf, size_t len);
  ptrdiff_t (*write)(void *end, const void *buf, size_t len);
} bench_pipe_io_t;

/* Ping-pong over pipes: ends[2i] is a client (counts round trips), ends[2i+1]
 * its server (echoes); each end registered on p with its index as token,
 * edge-triggered for reading. Runs for seconds; *rt, *waits and *allocs
 * get the round trips, the waits made and the heap allocations made while
 * it ran (its own set-up excluded). Returns 0 or AFDIO_E*. */
int bench_pipe_loop(afdio_poller_t *p, void *const *ends,
                    const bench_pipe_io_t *io, size_t pipes, double seconds,
                    uint64_t *rt, uint64_t *waits, long long *allocs);

/* The platform's baseline for pipe_pingpong, and one measured run of it:
 * Windows, a thread per pipe end doing blocking ReadFile/WriteFile;
 * Unix, Unix-domain socket pairs through the raw poller. */
extern const char *const bench_pipe_base_name;
int bench_pipe_base_run(size_t pipes, double seconds, uint64_t *rt);

#endif
