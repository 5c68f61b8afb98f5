/* Leak accounting on Unix: the number of open descriptors (/proc/self/fd,
 * or /dev/fd) and the heap bytes in use (glibc mallinfo2) are the same
 * before and after many create/register/close cycles and poller
 * create/delete cycles with registrations and wakes pending
 * (tests/leaks_core.h). AFDIO_LEAK_CYCLES sets the socket cycle count
 * (default 20,000; make soak runs 100,000+). */
#include "leaks_core.h"

#include <malloc.h>
#include <string.h>

#define T .timeout = 120, .fini = util_fini

/* Heap bytes in use. Under sanitizers (which replace malloc) glibc's arena
 * statistics do not move: heap_works() tells. */
static long long heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  struct mallinfo2 mi = mallinfo2();
  return (long long)(mi.uordblks + mi.hblkhd);
#else
  return -1;
#endif
}

static int heap_works(void) {
  long long before = heap_in_use();
  void *volatile p = malloc(100000);
  long long after = heap_in_use();
  free(p);
  return before >= 0 && after - before >= 100000;
}

/* Runs n cycles after a warm-up of 300 (tables grow once) and checks that
 * descriptors and heap are where they started. */
static void expect_cycles_leak_nothing(const char *what,
                                       void (*cycle)(afdio_poller_t *, long),
                                       long n) {
  afdio_poller_t *p = util_poller();
  for (long i = 0; i < 300; i++)
    cycle(p, i);
  long fds = util_handle_count();
  long long heap = heap_in_use();
  cr_assert_gt(fds, 0, "the descriptor count must work (got %ld)", fds);
  for (long i = 300; i < 300 + n; i++)
    cycle(p, i);
  long fds_after = util_handle_count();
  long long heap_after = heap_in_use();
  cr_log_info("%ld %s cycles: descriptors %ld -> %ld, heap in use %lld -> "
              "%lld bytes",
              n, what, fds, fds_after, heap, heap_after);
  cr_expect_eq(fds_after, fds, "descriptors leaked over %ld cycles", n);
  if (!heap_works())
    cr_log_info("heap statistics do not move here (sanitizer?): heap not checked");
  else
    cr_expect_lt(heap_after - heap, 4096,
                 "the heap grew by %lld bytes over %ld cycles",
                 heap_after - heap, n);
}

Test(unix_fds, create_register_close_cycles_leak_no_descriptor_or_memory, T) {
  expect_cycles_leak_nothing("socket", leaks_socket_cycle, leaks_cycles(20000));
}

Test(unix_fds, deleting_pollers_with_work_pending_leaks_nothing, T) {
  afdio_socket_t socks[8];
  for (int i = 0; i < 8; i += 2) {
    cr_assert_eq(util_tcp_pair(&socks[i], &socks[i + 1]), 0);
    util_send_all(socks[i + 1], 1); /* readable: events pending */
  }
  for (long i = 0; i < 20; i++)
    leaks_poller_cycle(socks, 8, i);
  long fds = util_handle_count();
  long long heap = heap_in_use();
  long n = leaks_cycles(20000) / 20;
  for (long i = 0; i < n; i++)
    leaks_poller_cycle(socks, 8, i);
  long fds_after = util_handle_count();
  long long heap_after = heap_in_use();
  cr_log_info("%ld poller cycles: descriptors %ld -> %ld, heap %lld -> %lld",
              n, fds, fds_after, heap, heap_after);
  cr_expect_eq(fds_after, fds);
  if (heap_works())
    cr_expect_lt(heap_after - heap, 4096, "the heap grew by %lld bytes",
                 heap_after - heap);
}

Test(unix_fds, adopt_register_release_cycles_leak_no_descriptor_or_memory, T) {
  expect_cycles_leak_nothing("adopt/release", leaks_adopt_cycle,
                             leaks_cycles(20000) / 5);
}

Test(unix_fds, pipe_cycles_leak_no_descriptor_or_memory, T) {
  afdio_poller_t *p = util_poller();
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_listener_t *l = leaks_pipe_listener(p, name, sizeof name);
  for (long i = 0; i < 20; i++)
    leaks_pipe_cycle(p, l, name, i);
  long fds = util_handle_count();
  long long heap = heap_in_use();
  long n = leaks_cycles(20000) / 10;
  for (long i = 0; i < n; i++)
    leaks_pipe_cycle(p, l, name, i);
  long fds_after = util_handle_count();
  long long heap_after = heap_in_use();
  cr_log_info("%ld pipe cycles: descriptors %ld -> %ld, heap %lld -> %lld",
              n, fds, fds_after, heap, heap_after);
  cr_expect_eq(fds_after, fds, "descriptors leaked over %ld cycles", n);
  if (heap_works())
    cr_expect_lt(heap_after - heap, 4096, "the heap grew by %lld bytes",
                 heap_after - heap);
  afdio_pipe_listener_close(l);
}

Test(unix_fds, deleting_pollers_with_pipes_registered_leaks_nothing, T) {
  for (long i = 0; i < 3; i++)
    leaks_pipe_poller_cycle(i);
  long fds = util_handle_count();
  long long heap = heap_in_use();
  long n = leaks_cycles(20000) / 100;
  for (long i = 0; i < n; i++)
    leaks_pipe_poller_cycle(i);
  long fds_after = util_handle_count();
  long long heap_after = heap_in_use();
  cr_log_info("%ld pipe poller cycles: descriptors %ld -> %ld, heap %lld -> "
              "%lld", n, fds, fds_after, heap, heap_after);
  cr_expect_eq(fds_after, fds);
  if (heap_works())
    cr_expect_lt(heap_after - heap, 4096, "the heap grew by %lld bytes",
                 heap_after - heap);
}
