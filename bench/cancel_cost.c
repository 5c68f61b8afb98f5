/* The cost of an interest change (cancel + resubmit of an AFD poll) as a
 * function of the AFD group size (sockets per \Device\Afd handle) and of
 * the number of sockets registered: the measurement behind
 * AFDIO__POLL_GROUP_DEFAULT_SIZE (AFD-NOTES 9; trio#1280 measured the
 * cancel cost growing with the polls pending on one handle).
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

/* Internal to the library (afd/poll_group.h), linked statically. */
void afdio__poll_group_set_size(size_t size);

enum { MAX_SOCKETS = 5000, CHANGES = 200 };

static const size_t group_sizes[] = {1, 8, 32, 128, 512};
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
static int run(SOCKET *socks, size_t group, size_t count) {
  afdio_poller_t *p = NULL;
  afdio_event_t ev[16];
  double t0, t_reg, t_chg, t_del;
  size_t i;
  int rc;
  afdio__poll_group_set_size(group);
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
         group, count, CHANGES, (t_chg - t_reg) / CHANGES,
         (t_reg - t0) / (double)count, (t_del - t_chg) / 1000.0);
  fflush(stdout);
  return 0;
}

int main(void) {
  static SOCKET socks[MAX_SOCKETS];
  WSADATA wsa;
  size_t g, c;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0 ||
      make_sockets(socks, MAX_SOCKETS) < 0)
    return 1;
  printf("backend=%s bench=cancel_cost\n", afdio_backend());
  for (c = 0; c < sizeof socket_counts / sizeof *socket_counts; c++)
    for (g = 0; g < sizeof group_sizes / sizeof *group_sizes; g++)
      if (run(socks, group_sizes[g], socket_counts[c]) < 0)
        return 1;
  return 0;
}
