/* Leak accounting on Windows: kernel handles of this process (counted with
 * NtQuerySystemInformation, util_handle_count) and heap allocations (this
 * executable defines malloc, calloc, realloc and free, counts the blocks
 * live, and forwards to the C runtime's own functions: the static afdio
 * library links against these definitions, so each of its allocations is
 * counted; the CRT's crtdbg leak checks are no-ops under MinGW) are the
 * same before and after create/register/close cycles and poller
 * create/delete cycles with polls in flight (tests/leaks_core.h).
 * AFDIO_LEAK_CYCLES sets the socket cycle count: each cycle is ~10 Wine
 * server round trips, so CI runs 5,000 (about 2 s) and make soak 100,000. */
#include "leaks_core.h"

#include <windows.h>

#define T .timeout = 600, .fini = util_fini

typedef void *(*heap_malloc_fn)(size_t);
typedef void *(*heap_calloc_fn)(size_t, size_t);
typedef void *(*heap_realloc_fn)(void *, size_t);
typedef void (*heap_free_fn)(void *);

static heap_malloc_fn heap__malloc;
static heap_calloc_fn heap__calloc;
static heap_realloc_fn heap__realloc;
static heap_free_fn heap__free;
static volatile LONG64 heap__live, heap__calls;

static FARPROC heap__find(const char *name) {
  static const char *const dlls[] = {"ucrtbase.dll", "msvcrt.dll"};
  for (size_t i = 0; i < sizeof dlls / sizeof dlls[0]; i++) {
    HMODULE m = GetModuleHandleA(dlls[i]);
    FARPROC f = m != NULL ? GetProcAddress(m, name) : NULL;
    if (f != NULL)
      return f;
  }
  return NULL;
}

static void heap__init(void) {
  if (heap__free != NULL)
    return;
  FARPROC m = heap__find("malloc"), c = heap__find("calloc"),
          r = heap__find("realloc"), f = heap__find("free");
  if (m == NULL || c == NULL || r == NULL || f == NULL)
    ExitProcess(99);
  memcpy(&heap__malloc, &m, sizeof m);
  memcpy(&heap__calloc, &c, sizeof c);
  memcpy(&heap__realloc, &r, sizeof r);
  memcpy(&heap__free, &f, sizeof f);
}

void *malloc(size_t size) {
  heap__init();
  void *p = heap__malloc(size);
  if (p != NULL) {
    InterlockedIncrement64(&heap__live);
    InterlockedIncrement64(&heap__calls);
  }
  return p;
}

void *calloc(size_t n, size_t size) {
  heap__init();
  void *p = heap__calloc(n, size);
  if (p != NULL) {
    InterlockedIncrement64(&heap__live);
    InterlockedIncrement64(&heap__calls);
  }
  return p;
}

void *realloc(void *old, size_t size) {
  heap__init();
  void *p = heap__realloc(old, size);
  if (old == NULL && p != NULL)
    InterlockedIncrement64(&heap__live);
  else if (old != NULL && size == 0 && p == NULL)
    InterlockedDecrement64(&heap__live);
  InterlockedIncrement64(&heap__calls);
  return p;
}

void free(void *p) {
  heap__init();
  if (p != NULL)
    InterlockedDecrement64(&heap__live);
  heap__free(p);
}

static long long heap_live(void) { return (long long)heap__live; }

Test(win_handles, create_register_close_cycles_leak_no_handle_or_block, T) {
  afdio_poller_t *p = util_poller();
  long n = leaks_cycles(5000);
  for (long i = 0; i < 300; i++) /* warm-up: maps and groups grow once */
    leaks_socket_cycle(p, i);
  long handles = util_handle_count();
  long long live = heap_live(), calls = (long long)heap__calls;
  cr_assert_gt(handles, 0, "the handle count must work (got %ld)", handles);
  for (long i = 300; i < 300 + n; i++)
    leaks_socket_cycle(p, i);
  /* Closed sockets are noticed by the poller's next wait. */
  afdio_event_t ev[64];
  cr_assert_geq(afdio_poller_wait(p, ev, 64, 0), 0);
  long handles_after = util_handle_count();
  long long live_after = heap_live();
  cr_log_info("%ld socket cycles: handles %ld -> %ld, live blocks %lld -> %lld "
              "(%lld allocating calls)", n, handles, handles_after, live,
              live_after, (long long)heap__calls - calls);
  cr_assert_gt((long long)heap__calls, calls,
               "the allocation counter saw nothing: is it linked?");
  cr_expect_eq(handles_after, handles, "handles leaked over %ld cycles", n);
  cr_expect_leq(live_after - live, 8, "%lld blocks leaked over %ld cycles",
                live_after - live, n);
}

Test(win_handles, deleting_pollers_with_polls_in_flight_leaks_nothing, T) {
  afdio_socket_t socks[8];
  for (int i = 0; i < 8; i += 2) {
    cr_assert_eq(util_tcp_pair(&socks[i], &socks[i + 1]), 0);
    util_send_all(socks[i + 1], 1);
  }
  for (long i = 0; i < 10; i++)
    leaks_poller_cycle(socks, 8, i);
  long handles = util_handle_count();
  long long live = heap_live();
  cr_assert_gt(handles, 0);
  long n = leaks_cycles(5000) / 25;
  for (long i = 0; i < n; i++)
    leaks_poller_cycle(socks, 8, i);
  long handles_after = util_handle_count();
  long long live_after = heap_live();
  cr_log_info("%ld poller cycles: handles %ld -> %ld, live blocks %lld -> %lld",
              n, handles, handles_after, live, live_after);
  cr_expect_eq(handles_after, handles);
  cr_expect_leq(live_after - live, 8, "%lld blocks leaked", live_after - live);
}

Test(win_handles, adopt_register_release_cycles_leak_no_handle_or_block, T) {
  afdio_poller_t *p = util_poller();
  long n = leaks_cycles(5000) / 5;
  for (long i = 0; i < 300; i++)
    leaks_adopt_cycle(p, i);
  afdio_event_t ev[64];
  cr_assert_geq(afdio_poller_wait(p, ev, 64, 0), 0);
  long handles = util_handle_count();
  long long live = heap_live();
  cr_assert_gt(handles, 0);
  for (long i = 300; i < 300 + n; i++)
    leaks_adopt_cycle(p, i);
  cr_assert_geq(afdio_poller_wait(p, ev, 64, 0), 0);
  long handles_after = util_handle_count();
  long long live_after = heap_live();
  cr_log_info("%ld adopt/release cycles: handles %ld -> %ld, live blocks %lld "
              "-> %lld",
              n, handles, handles_after, live, live_after);
  cr_expect_eq(handles_after, handles, "handles leaked over %ld cycles", n);
}

Test(win_handles, pipe_cycles_leak_no_handle_or_block, T) {
  afdio_poller_t *p = util_poller();
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_event_t ev[64];
  afdio_pipe_listener_t *l = leaks_pipe_listener(p, name, sizeof name);
  for (long i = 0; i < 20; i++)
    leaks_pipe_cycle(p, l, name, i);
  cr_assert_geq(afdio_poller_wait(p, ev, 64, 0), 0);
  long handles = util_handle_count();
  long long live = heap_live();
  long n = leaks_cycles(5000) / 5;
  for (long i = 0; i < n; i++)
    leaks_pipe_cycle(p, l, name, i);
  for (int k = 0; k < 4; k++) /* the last closes' cancelled reads */
    cr_assert_geq(afdio_poller_wait(p, ev, 64, 0), 0);
  long handles_after = util_handle_count();
  long long live_after = heap_live();
  cr_log_info("%ld pipe cycles: handles %ld -> %ld, live blocks %lld -> %lld",
              n, handles, handles_after, live, live_after);
  cr_expect_eq(handles_after, handles, "handles leaked over %ld cycles", n);
  cr_expect_leq(live_after - live, 8, "%lld blocks leaked over %ld cycles",
                live_after - live, n);
  afdio_pipe_listener_close(l);
}

Test(win_handles, deleting_pollers_with_pipes_in_flight_leaks_nothing, T) {
  for (long i = 0; i < 3; i++)
    leaks_pipe_poller_cycle(i);
  long handles = util_handle_count();
  long long live = heap_live();
  long n = leaks_cycles(5000) / 50;
  for (long i = 0; i < n; i++)
    leaks_pipe_poller_cycle(i);
  long handles_after = util_handle_count();
  long long live_after = heap_live();
  cr_log_info("%ld pipe poller cycles: handles %ld -> %ld, live blocks %lld "
              "-> %lld", n, handles, handles_after, live, live_after);
  cr_expect_eq(handles_after, handles);
  cr_expect_leq(live_after - live, 8, "%lld blocks leaked", live_after - live);
}
