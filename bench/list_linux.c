/* The backends of the Linux build: afdio, raw epoll, libuv, libevent; for
 * timers afdio and libuv. */
#include "bench.h"

extern const bench_backend_t bench_epoll_et;
extern const bench_backend_t bench_epoll_lt;
extern const bench_backend_t bench_libuv;
extern const bench_backend_t bench_libevent;

const bench_backend_t *const bench_backends[] = {
    &bench_afdio_edge, &bench_afdio_level, &bench_epoll_et, &bench_epoll_lt,
    &bench_libuv,      &bench_libevent,    NULL,
};

extern const bench_timer_backend_t bench_libuv_timers;

const bench_timer_backend_t *const bench_timer_backends[] = {
    &bench_afdio_timers, &bench_libuv_timers, NULL};
