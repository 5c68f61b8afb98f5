/*
 * The Unix half of the benchmark platform: BSD sockets on descriptors,
 * CLOCK_MONOTONIC, /proc/self/fd for the descriptor count.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef MSG_NOSIGNAL
#define PLAT__SEND_FLAGS MSG_NOSIGNAL
#else
#define PLAT__SEND_FLAGS 0
#endif

/* Enough of errno for a benchmark's error line; the rest is AFDIO_EIO. */
static int plat__errno(void) {
  switch (errno) {
  case EAGAIN:
#if EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK:
#endif
    return AFDIO_EAGAIN;
  case EINPROGRESS:
    return AFDIO_EINPROGRESS;
  case ECONNRESET:
    return AFDIO_ECONNRESET;
  case EPIPE:
    return AFDIO_EPIPE;
  case EMFILE:
  case ENFILE:
    return AFDIO_EMFILE;
  case ENOMEM:
    return AFDIO_ENOMEM;
  case EBADF:
    return AFDIO_EBADF;
  default:
    return AFDIO_EIO;
  }
}

int bench_platform_init(void) {
  signal(SIGPIPE, SIG_IGN);
  /* 10,000 idle sockets need more descriptors than the usual soft limit. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  return 0;
}

const char *bench_platform_name(void) {
#if defined(__linux__)
  return "linux";
#else
  return "unix";
#endif
}

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int plat__prepare(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    return plat__errno();
  return 0;
}

int bench_tcp_socket(afdio_socket_t *out) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return plat__errno();
  int rc = plat__prepare(fd);
  if (rc < 0) {
    close(fd);
    return rc;
  }
  *out = fd;
  return 0;
}

static void plat__loopback(struct sockaddr_in *a, uint16_t port_be) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->sin_port = port_be;
}

int bench_listener(afdio_socket_t *out) {
  struct sockaddr_in a;
  int rc = bench_tcp_socket(out);
  if (rc < 0)
    return rc;
  plat__loopback(&a, 0);
  if (bind(*out, (struct sockaddr *)&a, sizeof a) < 0 ||
      listen(*out, SOMAXCONN) < 0) {
    rc = plat__errno();
    close(*out);
    return rc;
  }
  return 0;
}

/* Blocks (briefly, with poll) until one connection can be accepted. */
static int plat__accept(int listener, int *out) {
  for (int tries = 0; tries < 2000; tries++) {
    int fd = accept(listener, NULL, NULL);
    if (fd >= 0) {
      *out = fd;
      return plat__prepare(fd);
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return plat__errno();
    usleep(500);
  }
  return AFDIO_ETIMEDOUT;
}

static int plat__nodelay(int fd) {
  int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0
             ? 0
             : plat__errno();
}

/* Connects a batch, then accepts it: the backlog holds the whole batch. */
static int plat__batch(int listener, const struct sockaddr_in *to, int *a,
                       int *b, size_t n) {
  int rc;
  for (size_t i = 0; i < n; i++) {
    if ((rc = bench_tcp_socket(&a[i])) < 0)
      return rc;
    if (connect(a[i], (const struct sockaddr *)to, sizeof *to) < 0 &&
        errno != EINPROGRESS)
      return plat__errno();
  }
  for (size_t i = 0; i < n; i++) {
    if ((rc = plat__accept(listener, &b[i])) < 0)
      return rc;
    if ((rc = plat__nodelay(a[i])) < 0 || (rc = plat__nodelay(b[i])) < 0)
      return rc;
  }
  return 0;
}

int bench_tcp_pairs(afdio_socket_t listener, afdio_socket_t *a,
                    afdio_socket_t *b, size_t count) {
  struct sockaddr_in to;
  socklen_t len = sizeof to;
  if (getsockname(listener, (struct sockaddr *)&to, &len) < 0)
    return plat__errno();
  plat__loopback(&to, to.sin_port);
  for (size_t i = 0; i < count; i += 64) {
    size_t n = count - i < 64 ? count - i : 64;
    int rc = plat__batch(listener, &to, a + i, b + i, n);
    if (rc < 0)
      return rc;
  }
  return 0;
}

long bench_recv(afdio_socket_t s, void *buf, size_t len) {
  ssize_t n = recv(s, buf, len, 0);
  return n >= 0 ? (long)n : plat__errno();
}

long bench_send(afdio_socket_t s, const void *buf, size_t len) {
  ssize_t n = send(s, buf, len, PLAT__SEND_FLAGS);
  return n >= 0 ? (long)n : plat__errno();
}

void bench_close(afdio_socket_t s) { close(s); }

long bench_handle_count(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

/* Only Wine's server trace has a use for marks. */
void bench_mark(const char *label) { (void)label; }
