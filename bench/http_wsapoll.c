/* http_wsapoll: examples/http_hello.c over WSAPoll instead of afdio, the
 * baseline of bench/http_wine.sh. Windows only.
 *
 *   http_wsapoll [--duration SECONDS] [--max-conns N] ADDR
 *
 * What a client sees is http_hello's: the same parser and answers
 * (examples/http_parse.c, examples/http_reply.c), the same keep-alive,
 * pipelining and close rules, the same options and "listening on" line.
 * What differs is the event loop, written as a WSAPoll server is: one
 * WSAPOLLFD array over the listener and every connection, passed whole to
 * each WSAPoll call and scanned whole after it; level-triggered, so one
 * recv per readiness (no budget is needed for fairness), and POLLWRNORM
 * asked for only while a response waits for room.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_reply.h"

static const char *prog = "http_wsapoll";

enum { CONN_KEEP = 0, CONN_DONE = 1 };

typedef struct conn {
  SOCKET sock;
  int draining;  /* sending side shut: read until the client closes */
  int peer_done; /* the client sent its last byte */
  http_buffers_t http;
} conn_t;

typedef struct server {
  WSAPOLLFD *fds; /* fds[0]: the listener; then one per connection */
  conn_t **conns; /* conns[i] is fds[i]'s connection (conns[0] unused) */
  size_t count, cap;
  unsigned long accepted, requests;
} server_t;

/* The options are http_hello's (examples/http_hello.c), without Ctrl-C
 * handling: it stops after --duration or when killed. */
static int usage(void) {
  fprintf(stderr, "usage: %s [--duration SECONDS] [--max-conns N] ADDR\n",
          prog);
  return 2;
}

static int fail(const char *what) {
  fprintf(stderr, "%s: %s: WSA error %d\n", prog, what, WSAGetLastError());
  return 1;
}

static int would_block(void) {
  return WSAGetLastError() == WSAEWOULDBLOCK;
}

static double now_s(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / (double)f.QuadPart;
}

/* Sends the queued responses. 1: all sent; 0: would block; -1: broken. */
static int conn_flush(conn_t *c) {
  http_buffers_t *h = &c->http;
  while (h->out_head < h->out_tail) {
    int n = send(c->sock, h->out + h->out_head,
                 (int)(h->out_tail - h->out_head), 0);
    if (n < 0)
      return would_block() ? 0 : -1;
    h->out_head += (size_t)n;
  }
  h->out_head = h->out_tail = 0;
  return 1;
}

/* One recv for a readable connection (none while a close is pending and
 * not yet shut down, as http_hello reads nothing then either). */
static int conn_read(conn_t *c) {
  http_buffers_t *h = &c->http;
  char sink[4096];
  int n;
  if (c->draining) {
    n = recv(c->sock, sink, sizeof sink, 0);
    return n > 0 || (n < 0 && would_block()) ? CONN_KEEP : CONN_DONE;
  }
  if (h->closing || c->peer_done)
    return CONN_KEEP;
  n = recv(c->sock, h->in + h->in_len, (int)(sizeof h->in - h->in_len), 0);
  if (n < 0)
    return would_block() ? CONN_KEEP : -1;
  if (n == 0)
    c->peer_done = 1;
  h->in_len += (size_t)n;
  return CONN_KEEP;
}

/* After a read or a writable event: answer, send, shut down as
 * http_hello's pump does; then ask for what the connection waits for. */
static int conn_progress(server_t *srv, conn_t *c, WSAPOLLFD *fd) {
  http_buffers_t *h = &c->http;
  for (;;) {
    int r = conn_flush(c);
    if (r < 0)
      return -1;
    if (r == 0) {
      fd->events = POLLWRNORM;
      return CONN_KEEP;
    }
    if (c->draining)
      break;
    if (h->closing) {
      c->draining = 1;
      shutdown(c->sock, SD_SEND);
      continue;
    }
    srv->requests += http_reply_answer(h);
    if (h->out_tail > 0)
      continue;
    if (c->peer_done)
      return CONN_DONE; /* everything answered; a partial request is dropped */
    break;
  }
  fd->events = POLLRDNORM;
  return CONN_KEEP;
}

static int conn_event(server_t *srv, size_t i) {
  conn_t *c = srv->conns[i];
  int r = CONN_KEEP;
  if (srv->fds[i].revents & (POLLRDNORM | POLLHUP | POLLERR))
    r = conn_read(c);
  return r == CONN_KEEP ? conn_progress(srv, c, &srv->fds[i]) : r;
}

/* Closes connection i; the last one takes its place in both arrays. */
static void conn_close(server_t *srv, size_t i) {
  closesocket(srv->conns[i]->sock);
  free(srv->conns[i]);
  srv->count--;
  srv->fds[i] = srv->fds[srv->count];
  srv->conns[i] = srv->conns[srv->count];
}

static void server_accept(server_t *srv) {
  for (;;) {
    SOCKET s = accept(srv->fds[0].fd, NULL, NULL);
    u_long one = 1;
    BOOL nodelay = TRUE;
    conn_t *c;
    if (s == INVALID_SOCKET) {
      if (!would_block() && WSAGetLastError() != WSAECONNRESET)
        fail("accept");
      return;
    }
    if (srv->count == srv->cap || (c = calloc(1, sizeof *c)) == NULL) {
      closesocket(s); /* full */
      continue;
    }
    ioctlsocket(s, FIONBIO, &one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&nodelay,
               sizeof nodelay);
    c->sock = s;
    srv->fds[srv->count].fd = s;
    srv->fds[srv->count].events = POLLRDNORM;
    srv->fds[srv->count].revents = 0;
    srv->conns[srv->count++] = c;
    srv->accepted++;
  }
}

static int server_run(server_t *srv, double deadline) {
  for (;;) {
    int timeout = -1;
    if (deadline != 0) {
      double left = (deadline - now_s()) * 1000.0;
      timeout = left <= 0 ? 0 : (int)left + 1;
    }
    int n = WSAPoll(srv->fds, (ULONG)srv->count, timeout);
    if (n < 0)
      return fail("WSAPoll");
    /* Downwards, so a closed connection's place is taken by one already
     * seen in this pass. */
    for (size_t i = srv->count - 1; n > 0 && i >= 1; i--) {
      if (srv->fds[i].revents == 0)
        continue;
      n--;
      if (conn_event(srv, i) != CONN_KEEP)
        conn_close(srv, i); /* finished or broken: both just close */
    }
    if (srv->fds[0].revents != 0)
      server_accept(srv);
    if (deadline != 0 && now_s() >= deadline) {
      printf("%s: stopping (--duration)\n", prog);
      return 0;
    }
  }
}

/* Parses "a.b.c.d:port" or "[v6]:port" into addr; 0 or -1. */
static int parse_addr(const char *text, struct sockaddr_storage *addr,
                      int *len) {
  char host[64];
  const char *colon = strrchr(text, ':');
  size_t n = colon != NULL ? (size_t)(colon - text) : 0;
  char *end;
  long port = colon != NULL ? strtol(colon + 1, &end, 10) : -1;
  if (colon == NULL || n == 0 || n >= sizeof host || *end != '\0' || port < 0 ||
      port > 65535)
    return -1;
  memcpy(host, text, n);
  host[n] = '\0';
  memset(addr, 0, sizeof *addr);
  if (host[0] == '[' && host[n - 1] == ']') {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    host[n - 1] = '\0';
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((u_short)port);
    *len = sizeof *a6;
    return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
  a4->sin_family = AF_INET;
  a4->sin_port = htons((u_short)port);
  *len = sizeof *a4;
  return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

/* A non-blocking listener on text in fds[0], and the "listening on" line
 * scripts read the port from. */
static int server_listen(server_t *srv, const char *text) {
  struct sockaddr_storage addr;
  int len;
  char shown[64];
  DWORD shown_len = sizeof shown;
  u_long one = 1;
  if (parse_addr(text, &addr, &len) != 0) {
    fprintf(stderr,
            "%s: bad address '%s' (want 127.0.0.1:PORT or [::1]:PORT)\n", prog,
            text);
    return 2;
  }
  SOCKET s = socket(addr.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET)
    return fail("socket");
  srv->fds[0].fd = s;
  srv->fds[0].events = POLLRDNORM;
  srv->count = 1;
  if (bind(s, (struct sockaddr *)&addr, len) != 0 ||
      listen(s, SOMAXCONN) != 0 || ioctlsocket(s, FIONBIO, &one) != 0)
    return fail("listen");
  len = sizeof addr;
  if (getsockname(s, (struct sockaddr *)&addr, &len) != 0 ||
      WSAAddressToStringA((struct sockaddr *)&addr, (DWORD)len, NULL, shown,
                          &shown_len) != 0)
    return fail("local address");
  printf("%s: listening on %s (WSAPoll)\n", prog, shown);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  server_t srv;
  WSADATA wsa;
  const char *addr_text = NULL;
  long duration = 0, max_conns = 1024;
  int rc;

  memset(&srv, 0, sizeof srv);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
      duration = atol(argv[++i]);
    else if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc)
      max_conns = atol(argv[++i]);
    else if (argv[i][0] != '-' && addr_text == NULL)
      addr_text = argv[i];
    else
      return usage();
  }
  if (addr_text == NULL || duration < 0 || max_conns < 1 || max_conns > 1000000)
    return usage();
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
    return 1;
  srv.cap = (size_t)max_conns + 1;
  srv.fds = calloc(srv.cap, sizeof *srv.fds);
  srv.conns = calloc(srv.cap, sizeof *srv.conns);
  if (srv.fds == NULL || srv.conns == NULL)
    return 1;
  rc = server_listen(&srv, addr_text);
  if (rc == 0)
    rc = server_run(&srv, duration ? now_s() + (double)duration : 0);
  printf("%s: %lu connections, %lu requests\n", prog, srv.accepted,
         srv.requests);
  while (srv.count > 1)
    conn_close(&srv, srv.count - 1);
  if (srv.fds[0].fd != 0)
    closesocket(srv.fds[0].fd);
  free(srv.fds);
  free(srv.conns);
  WSACleanup();
  return rc;
}
