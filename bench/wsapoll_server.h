/* The event loop of the WSAPoll baseline servers (http_wsapoll.c,
 * echo_wsapoll.c), written as a WSAPoll server is: one WSAPOLLFD array over
 * the listener and every connection, passed whole to each WSAPoll call and
 * scanned whole after it; level-triggered. The servers give the per
 * connection part. Windows only. */
#ifndef AFDIO_BENCH_WSAPOLL_SERVER_H
#define AFDIO_BENCH_WSAPOLL_SERVER_H

#include <winsock2.h>

#include <stddef.h>

/* What a connection handler returns: keep it, or close it (finished); a
 * negative value closes it as broken. */
enum { WSAPOLL_CONN_KEEP = 0, WSAPOLL_CONN_DONE = 1 };

typedef struct wsapoll_server {
  const char *prog;
  /* A new connection's state, or NULL to refuse it (it is closed). */
  void *(*open)(SOCKET s);
  /* The connection is ready (revents); sets *events (POLLRDNORM,
   * POLLWRNORM) to what it waits for next. */
  int (*ready)(void *conn, SOCKET s, short revents, short *events);
  /* Frees the state; the loop closes the socket. result: the handler's. */
  void (*close)(void *conn, int result);
  /* Optional: 1 to stop the loop, checked after every pass. */
  int (*done)(void);
  /* Set by wsapoll_server_open/run. */
  WSAPOLLFD *fds; /* fds[0]: the listener; then one per connection */
  void **conns;   /* conns[i] is fds[i]'s state (conns[0] unused) */
  size_t count, cap;
  unsigned long accepted;
} wsapoll_server_t;

/* WSAStartup, room for max_conns connections, a non-blocking listener on
 * addr ("a.b.c.d:port" or "[v6]:port"), and "PROG: listening on ADDR
 * (WSAPoll)" printed, as afdio's examples print it. 0, or 1 after saying
 * why (2 for a bad address). */
int wsapoll_server_open(wsapoll_server_t *srv, const char *addr,
                        size_t max_conns);

/* Runs until duration seconds passed (0: no limit) or done() says so. */
int wsapoll_server_run(wsapoll_server_t *srv, double duration);

/* Closes every connection and the listener, frees the arrays. */
void wsapoll_server_close(wsapoll_server_t *srv);

/* For handlers: whether the last Winsock call would have blocked. */
int wsapoll_would_block(void);

/* Parses the common options: --duration S, --max-conns N, ADDR, and, when
 * quit_after is not NULL, --quit-after N. 0, or 2 after the usage line. */
int wsapoll_server_args(const char *prog, int argc, char **argv,
                        const char **addr, long *duration, long *max_conns,
                        long *quit_after);

#endif
