/* The WSAPoll baseline servers' event loop (see wsapoll_server.h). */
#include "wsapoll_server.h"

#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wsapoll_would_block(void) {
  return WSAGetLastError() == WSAEWOULDBLOCK;
}

static int fail(const wsapoll_server_t *srv, const char *what) {
  fprintf(stderr, "%s: %s: WSA error %d\n", srv->prog, what, WSAGetLastError());
  return 1;
}

static double now_s(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / (double)f.QuadPart;
}

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

int wsapoll_server_open(wsapoll_server_t *srv, const char *text,
                        size_t max_conns) {
  struct sockaddr_storage addr;
  int len;
  char shown[64];
  DWORD shown_len = sizeof shown;
  u_long one = 1;
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
    return 1;
  srv->cap = max_conns + 1;
  srv->fds = calloc(srv->cap, sizeof *srv->fds);
  srv->conns = calloc(srv->cap, sizeof *srv->conns);
  if (srv->fds == NULL || srv->conns == NULL)
    return 1;
  if (parse_addr(text, &addr, &len) != 0) {
    fprintf(stderr,
            "%s: bad address '%s' (want 127.0.0.1:PORT or [::1]:PORT)\n",
            srv->prog, text);
    return 2;
  }
  SOCKET s = socket(addr.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET)
    return fail(srv, "socket");
  srv->fds[0].fd = s;
  srv->fds[0].events = POLLRDNORM;
  srv->count = 1;
  if (bind(s, (struct sockaddr *)&addr, len) != 0 ||
      listen(s, SOMAXCONN) != 0 || ioctlsocket(s, FIONBIO, &one) != 0)
    return fail(srv, "listen");
  len = sizeof addr;
  if (getsockname(s, (struct sockaddr *)&addr, &len) != 0 ||
      WSAAddressToStringA((struct sockaddr *)&addr, (DWORD)len, NULL, shown,
                          &shown_len) != 0)
    return fail(srv, "local address");
  printf("%s: listening on %s (WSAPoll)\n", srv->prog, shown);
  fflush(stdout);
  return 0;
}

/* Closes connection i; the last one takes its place in both arrays. */
static void server_drop(wsapoll_server_t *srv, size_t i, int result) {
  srv->close(srv->conns[i], result);
  closesocket(srv->fds[i].fd);
  srv->count--;
  srv->fds[i] = srv->fds[srv->count];
  srv->conns[i] = srv->conns[srv->count];
}

static void server_accept(wsapoll_server_t *srv) {
  for (;;) {
    SOCKET s = accept(srv->fds[0].fd, NULL, NULL);
    u_long one = 1;
    BOOL nodelay = TRUE;
    void *conn;
    if (s == INVALID_SOCKET) {
      if (!wsapoll_would_block() && WSAGetLastError() != WSAECONNRESET)
        fail(srv, "accept");
      return;
    }
    if (srv->count == srv->cap || (conn = srv->open(s)) == NULL) {
      closesocket(s); /* full */
      continue;
    }
    ioctlsocket(s, FIONBIO, &one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&nodelay,
               sizeof nodelay);
    srv->fds[srv->count].fd = s;
    srv->fds[srv->count].events = POLLRDNORM;
    srv->fds[srv->count].revents = 0;
    srv->conns[srv->count++] = conn;
    srv->accepted++;
  }
}

int wsapoll_server_run(wsapoll_server_t *srv, double duration) {
  double deadline = duration > 0 ? now_s() + duration : 0;
  for (;;) {
    int timeout = -1;
    if (deadline != 0) {
      double left = (deadline - now_s()) * 1000.0;
      timeout = left <= 0 ? 0 : (int)left + 1;
    }
    int n = WSAPoll(srv->fds, (ULONG)srv->count, timeout);
    if (n < 0)
      return fail(srv, "WSAPoll");
    /* Downwards, so a closed connection's place is taken by one already
     * seen in this pass. */
    for (size_t i = srv->count - 1; n > 0 && i >= 1; i--) {
      if (srv->fds[i].revents == 0)
        continue;
      n--;
      int r = srv->ready(srv->conns[i], srv->fds[i].fd, srv->fds[i].revents,
                         &srv->fds[i].events);
      if (r != WSAPOLL_CONN_KEEP)
        server_drop(srv, i, r);
    }
    if (srv->fds[0].revents != 0)
      server_accept(srv);
    if (deadline != 0 && now_s() >= deadline) {
      printf("%s: stopping (--duration)\n", srv->prog);
      return 0;
    }
    if (srv->done != NULL && srv->done()) {
      printf("%s: stopping (--quit-after)\n", srv->prog);
      return 0;
    }
  }
}

void wsapoll_server_close(wsapoll_server_t *srv) {
  while (srv->count > 1)
    server_drop(srv, srv->count - 1, WSAPOLL_CONN_DONE);
  if (srv->count == 1)
    closesocket(srv->fds[0].fd);
  free(srv->fds);
  free(srv->conns);
  WSACleanup();
}

int wsapoll_server_args(const char *prog, int argc, char **argv,
                        const char **addr, long *duration, long *max_conns,
                        long *quit_after) {
  *addr = NULL;
  *duration = 0;
  *max_conns = 1024;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
      *duration = atol(argv[++i]);
    else if (strcmp(argv[i], "--max-conns") == 0 && i + 1 < argc)
      *max_conns = atol(argv[++i]);
    else if (quit_after != NULL && strcmp(argv[i], "--quit-after") == 0 &&
             i + 1 < argc)
      *quit_after = atol(argv[++i]);
    else if (argv[i][0] != '-' && *addr == NULL)
      *addr = argv[i];
    else
      *addr = NULL, i = argc; /* stop: usage */
  }
  if (*addr != NULL && *duration >= 0 && *max_conns >= 1 &&
      *max_conns <= 1000000)
    return 0;
  fprintf(stderr, "usage: %s [--duration SECONDS] [--max-conns N]%s ADDR\n",
          prog, quit_after != NULL ? " [--quit-after N]" : "");
  return 2;
}
