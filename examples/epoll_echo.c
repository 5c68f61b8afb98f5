/* epoll_echo: a TCP echo server written for Linux's epoll in edge-triggered
 * mode, the way Linux servers are: non-blocking sockets, EPOLLET, every read
 * and write until EAGAIN, EPOLLOUT asked for only while output is pending.
 * The same file builds on Linux against <sys/epoll.h> and on Windows
 * against afdio_epoll.h (link afdio_epoll): the only Windows-specific lines
 * are the few in the portability block just below, which any port of a
 * Linux server to Winsock has (includes, closesocket, WSAGetLastError).
 *
 *   epoll_echo ADDR [--quit-after CONNS] [--duration SECONDS] [--sndbuf BYTES]
 *
 * --sndbuf sets SO_SNDBUF on each connection: small, the server's writes
 * meet would-block often and the EPOLLOUT path is exercised.
 * It prints "listening on ADDR:PORT", and at exit the connections served,
 * the bytes echoed and its event counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- portability block ------------------------------------------------ */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>

#include "afdio_epoll.h"
typedef SOCKET sock_t;
typedef HANDLE epfd_t;
#define BAD_EPFD NULL
#define sock_close closesocket
#define epfd_close epoll_close
static int would_block(void) { return WSAGetLastError() == WSAEWOULDBLOCK; }
static int set_nonblocking(sock_t s) {
  u_long one = 1;
  return ioctlsocket(s, FIONBIO, &one);
}
static int net_init(void) {
  WSADATA d;
  return WSAStartup(MAKEWORD(2, 2), &d);
}
#else
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
typedef int sock_t;
typedef int epfd_t;
#define INVALID_SOCKET (-1)
#define BAD_EPFD (-1)
#define sock_close close
#define epfd_close close
static int would_block(void) { return errno == EAGAIN || errno == EWOULDBLOCK; }
static int set_nonblocking(sock_t s) {
  return fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
}
static int net_init(void) { return 0; }
#endif
/* ----------------------------------------------------------------------- */

#define OUT_CAP (256 * 1024) /* pending output per connection */
#define LISTENER UINT64_MAX

typedef struct conn {
  sock_t sock;
  int want_out; /* EPOLLOUT is in the set */
  size_t len;   /* bytes pending in out */
  char out[OUT_CAP];
} conn_t;

static struct {
  epfd_t ep;
  unsigned long conns, closed, quit_after;
  int sndbuf;
  unsigned long long bytes, waits, events, ev_in, ev_out, ev_hup;
} srv;

static int watch(conn_t *c, int op, int want_out) {
  struct epoll_event ev;
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (want_out ? EPOLLOUT : 0);
  ev.data.ptr = c;
  c->want_out = want_out;
  return epoll_ctl(srv.ep, op, c->sock, &ev);
}

static void conn_close(conn_t *c) {
  epoll_ctl(srv.ep, EPOLL_CTL_DEL, c->sock, NULL);
  sock_close(c->sock);
  free(c);
  srv.closed++;
}

/* Writes pending output until done or EAGAIN. -1 on a broken connection. */
static int flush(conn_t *c) {
  size_t off = 0;
  while (off < c->len) {
    int n = send(c->sock, c->out + off, (int)(c->len - off), 0);
    if (n < 0) {
      if (!would_block())
        return -1;
      break;
    }
    off += (size_t)n;
    srv.bytes += (unsigned long long)n;
  }
  memmove(c->out, c->out + off, c->len - off);
  c->len -= off;
  /* EPOLLOUT only while something waits to go out (MOD re-arms it). */
  if ((c->len > 0) != c->want_out && watch(c, EPOLL_CTL_MOD, c->len > 0) < 0)
    return -1;
  return 0;
}

/* Reads until EAGAIN (or until output is full: flush() resumes reading
 * when room is made). 1 at end of stream, -1 on error. */
static int drain(conn_t *c) {
  for (;;) {
    if (c->len == OUT_CAP) {
      if (flush(c) < 0)
        return -1;
      if (c->len == OUT_CAP)
        return 0; /* EPOLLOUT will bring us back */
    }
    int n = recv(c->sock, c->out + c->len, (int)(OUT_CAP - c->len), 0);
    if (n == 0)
      return 1;
    if (n < 0)
      return would_block() ? flush(c) : -1;
    c->len += (size_t)n;
  }
}

static void accept_all(sock_t listener) {
  for (;;) {
    sock_t s = accept(listener, NULL, NULL);
    if (s == INVALID_SOCKET)
      return; /* EAGAIN, or an aborted connection: try at the next event */
    conn_t *c = malloc(sizeof *c);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    if (srv.sndbuf > 0)
      setsockopt(s, SOL_SOCKET, SO_SNDBUF, (const char *)&srv.sndbuf, sizeof srv.sndbuf);
    if (c == NULL || set_nonblocking(s) < 0) {
      free(c);
      sock_close(s);
      continue;
    }
    c->sock = s;
    c->len = 0;
    if (watch(c, EPOLL_CTL_ADD, 0) < 0) {
      sock_close(s);
      free(c);
      continue;
    }
    srv.conns++;
  }
}

static void on_event(uint32_t events, conn_t *c) {
  int rc = 0;
  srv.ev_in += (events & EPOLLIN) != 0;
  srv.ev_out += (events & EPOLLOUT) != 0;
  srv.ev_hup += (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0;
  if (events & EPOLLOUT) {
    rc = flush(c);
    if (rc == 0)
      rc = drain(c); /* room was made: read what output-full left */
  }
  if (rc == 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
    rc = drain(c);
  if (rc != 0) {
    /* End of stream: what is pending is lost to a peer that stopped
     * reading; an echo client reads all before it closes. */
    if (rc == 1)
      flush(c);
    conn_close(c);
  }
}

static int parse_addr(const char *text, struct sockaddr_in *a) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (colon == NULL || (size_t)(colon - text) >= sizeof host)
    return -1;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = 0;
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons((unsigned short)atoi(colon + 1));
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  double duration = 120;
  struct epoll_event ev, events[64];
  int one = 1;
  if (argc < 2 || net_init() != 0 || parse_addr(argv[1], &addr) < 0) {
    fprintf(stderr, "usage: epoll_echo ADDR [--quit-after CONNS] [--duration SECONDS] "
                    "[--sndbuf BYTES]\n");
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--quit-after") == 0)
      srv.quit_after = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--duration") == 0)
      duration = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--sndbuf") == 0)
      srv.sndbuf = atoi(argv[i + 1]);
  }
  sock_t listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener == INVALID_SOCKET ||
      setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one) < 0 ||
      bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 512) < 0 ||
      set_nonblocking(listener) < 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) < 0) {
    fprintf(stderr, "epoll_echo: cannot listen on %s\n", argv[1]);
    return 1;
  }
  if ((srv.ep = epoll_create1(0)) == BAD_EPFD) {
    fprintf(stderr, "epoll_echo: epoll_create1 failed\n");
    return 1;
  }
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = LISTENER;
  if (epoll_ctl(srv.ep, EPOLL_CTL_ADD, listener, &ev) < 0) {
    fprintf(stderr, "epoll_echo: epoll_ctl failed\n");
    return 1;
  }
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
  fflush(stdout);
  time_t stop = time(NULL) + (time_t)duration;
  while ((srv.quit_after == 0 || srv.closed < srv.quit_after) && time(NULL) < stop) {
    int n = epoll_wait(srv.ep, events, 64, 1000);
    if (n < 0) {
      fprintf(stderr, "epoll_echo: epoll_wait failed\n");
      return 1;
    }
    srv.waits++;
    srv.events += (unsigned long long)n;
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == LISTENER)
        accept_all(listener);
      else
        on_event(events[i].events, events[i].data.ptr);
    }
  }
  printf("epoll_echo: %lu connections, %llu bytes echoed, %llu waits, %llu events "
         "(EPOLLIN %llu, EPOLLOUT %llu, hang-up %llu)\n",
         srv.conns, srv.bytes, srv.waits, srv.events, srv.ev_in, srv.ev_out, srv.ev_hup);
  epfd_close(srv.ep);
  sock_close(listener);
  return srv.quit_after == 0 || srv.closed >= srv.quit_after ? 0 : 1;
}
