/* The cost of an interest change (cancel + resubmit of an AFD poll) as a
 * function of the AFD group size (sockets per \Device\Afd handle) and of
 * the number of sockets registered: the measurement behind the default
 * group size (afd/poll_group.h, AFD-NOTES 9; trio#1280 measured the cancel
 * cost growing with the polls pending on one handle). The group size is a
 * build option of the library (-Dpoll-group-size): build.zig links one
 * executable per size, each told its size by BENCH_POLL_GROUP_SIZE, so
 * this program uses the public API only.
 *
 * Each socket is a bound, idle UDP socket, so its poll stays pending. An
 * interest change flips one socket between AFDIO_READABLE and
 * AFDIO_PRIORITY, which the pending poll never covers: reregister cancels
 * it, and the zero-timeout wait that follows dequeues the cancellation and
 * submits the new poll. Output: one key=value line per configuration.
 * Windows only (built by `zig build bench-cancel`, run under Wine). */
#include <stdio.h>
#include <stdlib.h>
#include <winsock2.h>
#include <windows.h>

#include "afdio.h"

#ifndef BENCH_POLL_GROUP_SIZE
#error "build.zig defines BENCH_POLL_GROUP_SIZE, the library's group size"
#endif

enum { MAX_SOCKETS = 5000, CHANGES = 200 };

static const size_t socket_counts[] = {100, 1000, 5000};

static double now_us(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart * 1e6 / (double)f.QuadPart;
}

static int make_sockets(SOCKET *socks, size_t n) {
  struct sockaddr_in addr;
  size_t i;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (i = 0; i < n; i++) {
    socks[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (socks[i] == INVALID_SOCKET ||
        bind(socks[i], (struct sockaddr *)&addr, sizeof addr) != 0) {
      fprintf(stderr, "socket %zu: WSA error %d\n", i, WSAGetLastError());
      return -1;
    }
  }
  return 0;
}

/* One configuration; prints its line. Returns 0 or -1. */
static int run(SOCKET *socks, size_t count) {
  afdio_poller_t *p = NULL;
  afdio_event_t ev[16];
  double t0, t_reg, t_chg, t_del;
  size_t i;
  int rc;
  rc = afdio_poller_new(&p);
  if (rc < 0) {
    fprintf(stderr, "poller_new: %s\n", afdio_err_name(rc));
    return -1;
  }
  t0 = now_us();
  for (i = 0; i < count; i++) {
    rc = afdio_poller_register(p, socks[i], i, AFDIO_READABLE);
    if (rc < 0) {
      fprintf(stderr, "register %zu: %s\n", i, afdio_err_name(rc));
      return -1;
    }
  }
  (void)afdio_poller_wait(p, ev, 16, 0);
  t_reg = now_us();
  for (i = 0; i < CHANGES; i++) {
    /* Spread the changes over the registered sockets and their groups. */
    size_t k = (i * 7919) % count;
    uint32_t interest = (i / count) % 2 == 0 ? AFDIO_PRIORITY : AFDIO_READABLE;
    rc = afdio_poller_reregister(p, socks[k], k, interest);
    if (rc < 0 || afdio_poller_wait(p, ev, 16, 0) < 0) {
      fprintf(stderr, "change %zu: %s\n", i, afdio_err_name(rc));
      return -1;
    }
  }
  t_chg = now_us();
  afdio_poller_delete(p);
  t_del = now_us();
  printf("group=%zu sockets=%zu changes=%d change_us=%.1f register_us=%.1f "
         "delete_ms=%.1f\n",
         (size_t)BENCH_POLL_GROUP_SIZE, count, CHANGES, (t_chg - t_reg) / CHANGES,
         (t_reg - t0) / (double)count, (t_del - t_chg) / 1000.0);
  fflush(stdout);
  return 0;
}

int main(void) {
  static SOCKET socks[MAX_SOCKETS];
  WSADATA wsa;
  size_t c;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0 ||
      make_sockets(socks, MAX_SOCKETS) < 0)
    return 1;
  printf("backend=%s bench=cancel_cost group=%d\n", afdio_backend(),
         BENCH_POLL_GROUP_SIZE);
  for (c = 0; c < sizeof socket_counts / sizeof *socket_counts; c++)
    if (run(socks, socket_counts[c]) < 0)
      return 1;
  return 0;
}
