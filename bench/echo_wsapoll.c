/* echo_wsapoll: examples/echo_server.c over WSAPoll instead of afdio, the
 * baseline of bench/echo_wine.sh. Windows only.
 *
 *   echo_wsapoll [--duration SECONDS] [--max-conns N] [--quit-after N] ADDR
 *
 * The same service as echo_server (every byte back; reading stops while
 * echoed bytes wait for room, so a client that does not read cannot make
 * it buffer without bound), the same options and "listening on" line, on
 * wsapoll_server.c's loop: level-triggered, one recv per readiness.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wsapoll_server.h"

typedef struct conn {
  size_t head, tail; /* read, not yet written back: buf[head, tail) */
  int peer_done;
  char buf[16 * 1024];
} conn_t;

static long quit_after;
static unsigned long finished, failed;
static unsigned long long bytes;

/* Writes back what waits. 1: all written; 0: would block; -1: broken. */
static int conn_flush(conn_t *c, SOCKET s) {
  while (c->head < c->tail) {
    int n = send(s, c->buf + c->head, (int)(c->tail - c->head), 0);
    if (n < 0)
      return wsapoll_would_block() ? 0 : -1;
    c->head += (size_t)n;
    bytes += (unsigned long long)n;
  }
  c->head = c->tail = 0;
  return 1;
}

static int conn_ready(void *conn, SOCKET s, short revents, short *events) {
  conn_t *c = conn;
  if (c->tail == 0 && !c->peer_done &&
      (revents & (POLLRDNORM | POLLHUP | POLLERR))) {
    int n = recv(s, c->buf, sizeof c->buf, 0);
    if (n < 0 && !wsapoll_would_block())
      return -1;
    if (n == 0)
      c->peer_done = 1;
    if (n > 0)
      c->tail = (size_t)n;
  }
  int r = conn_flush(c, s);
  if (r < 0)
    return -1;
  if (r == 1 && c->peer_done)
    return WSAPOLL_CONN_DONE;
  *events = r == 0 ? POLLWRNORM : POLLRDNORM;
  return WSAPOLL_CONN_KEEP;
}

static void *conn_open(SOCKET s) {
  (void)s;
  return calloc(1, sizeof(conn_t));
}

static void conn_close(void *conn, int result) {
  if (result < 0)
    failed++;
  else
    finished++;
  free(conn);
}

static int all_served(void) {
  return quit_after > 0 && finished + failed >= (unsigned long)quit_after;
}

int main(int argc, char **argv) {
  wsapoll_server_t srv = {.prog = "echo_wsapoll",
                          .open = conn_open,
                          .ready = conn_ready,
                          .close = conn_close,
                          .done = all_served};
  const char *addr;
  long duration, max_conns;
  int rc = wsapoll_server_args(srv.prog, argc, argv, &addr, &duration,
                               &max_conns, &quit_after);
  if (rc == 0)
    rc = wsapoll_server_open(&srv, addr, (size_t)max_conns);
  if (rc == 0)
    rc = wsapoll_server_run(&srv, (double)duration);
  printf("%s: %lu connections (%lu finished, %lu failed), %llu bytes "
         "echoed\n",
         srv.prog, srv.accepted, finished, failed, bytes);
  wsapoll_server_close(&srv);
  return rc != 0 || failed != 0 ? 1 : 0;
}
