/* The backends of the Windows build: afdio, its epoll API (afdio_epoll),
 * then WSAPoll and select. */
#include "bench.h"

extern const bench_backend_t bench_epoll_api_level;
extern const bench_backend_t bench_epoll_api_et;
extern const bench_backend_t bench_epoll_api_exact;
extern const bench_backend_t bench_wsapoll;
extern const bench_backend_t bench_select;

const bench_backend_t *const bench_backends[] = {
    &bench_afdio_edge,      &bench_afdio_level,    &bench_afdio_oneshot,
    &bench_epoll_api_level, &bench_epoll_api_et,   &bench_epoll_api_exact,
    &bench_wsapoll,         &bench_select,         NULL,
};

/* Timers: afdio only (no libuv in the Windows build). */
const bench_timer_backend_t *const bench_timer_backends[] = {
    &bench_afdio_timers, NULL};
