/*
 * The Unix half of the test helpers: BSD sockets on file descriptors,
 * CLOCK_MONOTONIC, pthreads.
 */
#include "util.h"
#include "unix/error.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef MSG_NOSIGNAL
#define UTIL__SEND_FLAGS MSG_NOSIGNAL
#else
#define UTIL__SEND_FLAGS 0
#endif

/* errno to AFDIO_E*: the library's own table, so tests and backend agree. */
static int util__error(int e) { return e == 0 ? 0 : afdio__unix_error(e); }

static int util__errno(void) { return util__error(errno); }

int util__platform_init(void) {
  /* A send on a reset connection must fail with EPIPE, not kill the test. */
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

int util__close_raw(afdio_socket_t s) {
  return close(s) == 0 ? 0 : util__errno();
}

/* Non-blocking and close-on-exec, the flags every helper socket carries. */
static int util__prepare(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return util__errno();
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    return util__errno();
  return 0;
}

static int util__socket(int family, afdio_socket_t *out) {
  util_init();
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0)
    return util__errno();
  int rc = util__prepare(fd);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  util__track(fd);
  *out = fd;
  return 0;
}

int util_tcp_socket(afdio_socket_t *out) { return util__socket(AF_INET, out); }

static socklen_t util__loopback(int family, uint16_t port,
                                struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons(port);
    return sizeof *a;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->sin_port = htons(port);
  return sizeof *a;
}

static int util__listener(int family, afdio_socket_t *out, uint16_t *port) {
  struct sockaddr_storage ss;
  socklen_t len = util__loopback(family, 0, &ss);
  afdio_socket_t s;
  int rc = util__socket(family, &s);
  if (rc != 0)
    return rc;
  if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 128) != 0 ||
      getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
    rc = util__errno();
    util_close(s);
    return rc;
  }
  *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                   : ((struct sockaddr_in *)&ss)->sin_port);
  *out = s;
  return 0;
}

int util_listener(afdio_socket_t *out, uint16_t *port) {
  return util__listener(AF_INET, out, port);
}

int util_accept(afdio_socket_t listener, afdio_socket_t *out) {
  int fd = accept(listener, NULL, NULL);
  if (fd < 0)
    return util__errno();
  int rc = util__prepare(fd);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  util__track(fd);
  *out = fd;
  return 0;
}

static int util__connect_start(afdio_socket_t s, int family, uint16_t port) {
  struct sockaddr_storage ss;
  socklen_t len = util__loopback(family, port, &ss);
  if (connect(s, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS)
    return util__errno();
  return 0;
}

int util_connect(afdio_socket_t s, uint16_t port) {
  return util__connect_start(s, AF_INET, port);
}

static int util__connect(int family, uint16_t port, afdio_socket_t *out) {
  afdio_socket_t s;
  int rc = util__socket(family, &s);
  if (rc != 0)
    return rc;
  rc = util__connect_start(s, family, port);
  if (rc != 0) {
    util_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

int util_dup(afdio_socket_t s, afdio_socket_t *out) {
  int fd = fcntl(s, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return util__errno();
  util__track(fd);
  *out = fd;
  return 0;
}

int util_connect_start(uint16_t port, afdio_socket_t *out) {
  return util__connect(AF_INET, port, out);
}

/* Accepting is bounded: on loopback the connection is queued at once. */
static int util__pair(int family, afdio_socket_t *client,
                      afdio_socket_t *server) {
  afdio_socket_t l, c, s = -1;
  uint16_t port;
  int rc = util__listener(family, &l, &port);
  if (rc != 0)
    return rc;
  rc = util__connect(family, port, &c);
  if (rc != 0) {
    util_close(l);
    return rc;
  }
  for (int i = 0; i < 2000; i++) {
    rc = util_accept(l, &s);
    if (rc != AFDIO_EAGAIN)
      break;
    util_sleep_ms(1);
  }
  util_close(l);
  if (rc != 0) {
    util_close(c);
    return rc;
  }
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  *client = c;
  *server = s;
  return 0;
}

int util_tcp_pair(afdio_socket_t *client, afdio_socket_t *server) {
  return util__pair(AF_INET, client, server);
}

int util_tcp_pair6(afdio_socket_t *client, afdio_socket_t *server) {
  return util__pair(AF_INET6, client, server);
}

int util_closed_port(uint16_t *port) {
  afdio_socket_t s;
  struct sockaddr_storage ss;
  socklen_t len = util__loopback(AF_INET, 0, &ss);
  int rc = util__socket(AF_INET, &s);
  if (rc != 0)
    return rc;
  if (bind(s, (struct sockaddr *)&ss, len) != 0 ||
      getsockname(s, (struct sockaddr *)&ss, &len) != 0)
    rc = util__errno();
  *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  util_close(s);
  return rc;
}

long util_send(afdio_socket_t s, const void *buf, size_t len) {
  ssize_t n = send(s, buf, len, UTIL__SEND_FLAGS);
  return n >= 0 ? (long)n : util__errno();
}

long util_recv(afdio_socket_t s, void *buf, size_t len) {
  ssize_t n = recv(s, buf, len, 0);
  return n >= 0 ? (long)n : util__errno();
}

int util_send_oob(afdio_socket_t s, char byte) {
  ssize_t n = send(s, &byte, 1, MSG_OOB | UTIL__SEND_FLAGS);
  return n == 1 ? 0 : n < 0 ? util__errno() : AFDIO_EIO;
}

int util_close(afdio_socket_t s) {
  util__untrack(s);
  return util__close_raw(s);
}

int util_close_abortive(afdio_socket_t s) {
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
    return util__errno();
  return util_close(s);
}

int util_shutdown_write(afdio_socket_t s) {
  return shutdown(s, SHUT_WR) == 0 ? 0 : util__errno();
}

int util_socket_error(afdio_socket_t s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return util__errno();
  return util__error(err);
}

int util_plain_socket(int type, afdio_socket_t *out) {
  util_init();
  int fd = socket(AF_INET, type == UTIL_DGRAM ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0)
    return util__errno();
  *out = fd;
  return 0;
}

int util_plain_listen(afdio_socket_t s, int type, uint16_t *port) {
  struct sockaddr_storage ss;
  socklen_t len = util__loopback(AF_INET, 0, &ss);
  if (bind(s, (struct sockaddr *)&ss, len) != 0 ||
      (type == UTIL_STREAM && listen(s, 16) != 0) ||
      getsockname(s, (struct sockaddr *)&ss, &len) != 0)
    return util__errno();
  *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return 0;
}

int util_plain_accept(afdio_socket_t listener, afdio_socket_t *out) {
  int fd = accept(listener, NULL, NULL);
  if (fd < 0)
    return util__errno();
  *out = fd;
  return 0;
}

int util_socket_type(afdio_socket_t s) {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return util__errno();
  return type == SOCK_STREAM  ? UTIL_STREAM
         : type == SOCK_DGRAM ? UTIL_DGRAM
                              : 100 + type;
}

int util_is_inheritable(afdio_socket_t s) {
  int fl = fcntl(s, F_GETFD);
  return fl < 0 ? util__errno() : (fl & FD_CLOEXEC) == 0;
}

const char *util_socket_path(char *buf, size_t size, int n) {
  snprintf(buf, size, "/tmp/afdio-net-%ld-%d.sock", (long)getpid(), n);
  unlink(buf);
  return buf;
}

void util_remove_path(const char *path) {
  unlink(path);
}

int util_non_socket(afdio_socket_t *out) {
  /* A regular file: epoll refuses it, which afdio reports as ENOTSOCK. */
  char path[] = "/tmp/afdio-test-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    return util__errno();
  unlink(path);
  *out = fd;
  return 0;
}

void util_non_socket_close(afdio_socket_t s) { close(s); }

int util_wait_readable(afdio_socket_t s, int timeout_ms) {
  struct pollfd pfd = {.fd = s, .events = POLLIN};
  int n = poll(&pfd, 1, timeout_ms);
  return n < 0 ? util__errno() : n > 0;
}

long util_pid(void) { return (long)getpid(); }

int util_is_wine(void) { return 0; }

int util_is_linux(void) {
#if defined(__linux__)
  return 1;
#else
  return 0;
#endif
}

double util_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void util_sleep_ms(int ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

struct util_thread {
  pthread_t id;
  void (*fn)(void *);
  void *arg;
};

static void *util__thread_main(void *p) {
  struct util_thread *t = p;
  t->fn(t->arg);
  return NULL;
}

int util_thread_start(util_thread_t **out, void (*fn)(void *), void *arg) {
  struct util_thread *t = malloc(sizeof *t);
  if (t == NULL)
    return AFDIO_ENOMEM;
  t->fn = fn;
  t->arg = arg;
  int rc = pthread_create(&t->id, NULL, util__thread_main, t);
  if (rc != 0) {
    free(t);
    return util__error(rc);
  }
  *out = t;
  return 0;
}

int util_thread_join(util_thread_t *thread) {
  int rc = pthread_join(thread->id, NULL);
  free(thread);
  return util__error(rc);
}

long util_handle_count(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    d = opendir("/dev/fd");
  if (d == NULL)
    return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}
