/* The socket contract of core/sys.h for Unix (Linux, macOS, BSDs). Sockets
 * are made non-blocking and close-on-exec atomically where the system can
 * (SOCK_NONBLOCK | SOCK_CLOEXEC, accept4); elsewhere (macOS) with fcntl
 * right after, which leaves a window in which a concurrent fork+exec can
 * inherit the descriptor: the best macOS allows. SIGPIPE is avoided with
 * MSG_NOSIGNAL on every send, or SO_NOSIGPIPE where that is the way. */
#include "core/sys.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include "unix/error.h"

#ifdef SOCK_CLOEXEC
#define SOCKET__TYPE_FLAGS (SOCK_CLOEXEC | SOCK_NONBLOCK)
#define SOCKET__ACCEPT(l, sa, len) accept4((l), (sa), (len), SOCKET__TYPE_FLAGS)
#else
#define SOCKET__TYPE_FLAGS 0
#define SOCKET__ACCEPT(l, sa, len) accept((l), (sa), (len))
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on the socket instead */
#endif

int afdio__sys_init(void) { return 0; }

int afdio__sys_error(void) {
  int e = errno;
  return e == 0 ? AFDIO_EIO : afdio__unix_error(e);
}

int afdio__sys_error_from(int code) {
  return code == 0 ? 0 : afdio__unix_error(code);
}

static size_t socket__clamp(size_t len) {
  return len > (size_t)INT_MAX ? (size_t)INT_MAX : len;
}

/* Non-blocking and close-on-exec by fcntl, keeping the other flags. */
static int socket__flags(int fd) {
  int fl = fcntl(fd, F_GETFL);
  int fd_fl = fl < 0 ? -1 : fcntl(fd, F_GETFD);
  if (fd_fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
      fcntl(fd, F_SETFD, fd_fl | FD_CLOEXEC) < 0)
    return afdio__sys_error();
  return 0;
}

/* SO_NOSIGPIPE where MSG_NOSIGNAL is missing (macOS). */
static int socket__nosigpipe(int fd) {
  (void)fd;
#ifdef SO_NOSIGPIPE
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) < 0)
    return afdio__sys_error();
#endif
  return 0;
}

/* What SOCK_NONBLOCK | SOCK_CLOEXEC did not do at creation. */
static int socket__setup(int fd) {
  int rc = SOCKET__TYPE_FLAGS == 0 ? socket__flags(fd) : 0;
  return rc < 0 ? rc : socket__nosigpipe(fd);
}

int afdio__sys_socket_setup(afdio_socket_t s) {
  int rc = socket__flags(s);
  return rc < 0 ? rc : socket__nosigpipe(s);
}

int afdio__sys_socket_info(afdio_socket_t s, int *type, int *family,
                           int *listening) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof *type;
  /* SO_TYPE first: it is what says ENOTSOCK for a file or a pipe. */
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, type, &len) != 0)
    return afdio__sys_error();
  len = sizeof *listening;
  if (getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, listening, &len) != 0)
    return afdio__sys_error();
  /* getsockname gives the family even of an unbound socket, on Linux and
   * the BSDs alike (SO_DOMAIN is Linux only). */
  memset(&ss, 0, sizeof ss);
  len = sizeof ss;
  if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
    return afdio__sys_error();
  *family = ss.ss_family;
  *listening = *listening != 0;
  return 0;
}

int afdio__sys_socket(int family, int type, int protocol, afdio_socket_t *out) {
  *out = AFDIO_INVALID_SOCKET;
  int fd = socket(family, type | SOCKET__TYPE_FLAGS, protocol);
  if (fd < 0)
    return afdio__sys_error();
  int rc = socket__setup(fd);
  if (rc < 0) {
    (void)close(fd);
    return rc;
  }
  *out = fd;
  return 0;
}

int afdio__sys_socketpair(int type, afdio_socket_t out[2]) {
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCKET__TYPE_FLAGS, 0, sv) < 0)
    return afdio__sys_error();
  int rc = socket__setup(sv[0]);
  if (rc == 0)
    rc = socket__setup(sv[1]);
  if (rc < 0) {
    (void)close(sv[0]);
    (void)close(sv[1]);
    return rc;
  }
  out[0] = sv[0];
  out[1] = sv[1];
  return 0;
}

int afdio__sys_close(afdio_socket_t s) {
  /* After EINTR the descriptor is gone on Linux and unspecified elsewhere:
   * retrying could close someone else's new descriptor, so never retry. */
  if (close(s) < 0 && errno != EINTR)
    return afdio__sys_error();
  return 0;
}

int afdio__sys_accept(afdio_socket_t listener, afdio_socket_t *out,
                      struct sockaddr *sa, afdio__socklen_t *len) {
  int fd;
  *out = AFDIO_INVALID_SOCKET;
  do
    fd = SOCKET__ACCEPT(listener, sa, len);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return afdio__sys_error();
  int rc = socket__setup(fd);
  if (rc < 0) {
    (void)close(fd);
    return rc;
  }
  *out = fd;
  return 0;
}

int afdio__sys_connect(afdio_socket_t s, const struct sockaddr *sa,
                       afdio__socklen_t len) {
  /* EINTR: the connect goes on in the background, like EINPROGRESS. */
  if (connect(s, sa, len) < 0 && errno != EINPROGRESS && errno != EINTR)
    return afdio__sys_error();
  return 0;
}

ptrdiff_t afdio__sys_recv(afdio_socket_t s, void *buf, size_t len, int flags) {
  ssize_t n;
  int f = (flags & AFDIO__SYS_PEEK) ? MSG_PEEK : 0;
  do
    n = recv(s, buf, socket__clamp(len), f);
  while (n < 0 && errno == EINTR);
  return n < 0 ? afdio__sys_error() : (ptrdiff_t)n;
}

ptrdiff_t afdio__sys_send(afdio_socket_t s, const void *buf, size_t len) {
  ssize_t n;
  do
    n = send(s, buf, socket__clamp(len), MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  /* An unconnected datagram socket: Windows says WSAENOTCONN. */
  if (n < 0 && errno == EDESTADDRREQ)
    return AFDIO_ENOTCONN;
  return n < 0 ? afdio__sys_error() : (ptrdiff_t)n;
}

ptrdiff_t afdio__sys_recvfrom(afdio_socket_t s, void *buf, size_t len,
                              int flags, struct sockaddr *sa,
                              afdio__socklen_t *salen) {
  ssize_t n;
  int f = (flags & AFDIO__SYS_PEEK) ? MSG_PEEK : 0;
  do
    n = recvfrom(s, buf, socket__clamp(len), f, sa, salen);
  while (n < 0 && errno == EINTR);
  return n < 0 ? afdio__sys_error() : (ptrdiff_t)n;
}

ptrdiff_t afdio__sys_sendto(afdio_socket_t s, const void *buf, size_t len,
                            const struct sockaddr *sa, afdio__socklen_t salen) {
  ssize_t n;
  do
    n = sendto(s, buf, socket__clamp(len), MSG_NOSIGNAL, sa, salen);
  while (n < 0 && errno == EINTR);
  return n < 0 ? afdio__sys_error() : (ptrdiff_t)n;
}

/* The buffers as iovecs, at most AFDIO__SYS_IOV_MAX of them, the total
 * kept under INT_MAX so the count always fits the return value. */
static int socket__iov(const afdio_buf_t *bufs, size_t count,
                       struct iovec *iov) {
  size_t n = count < AFDIO__SYS_IOV_MAX ? count : AFDIO__SYS_IOV_MAX;
  size_t room = INT_MAX;
  for (size_t i = 0; i < n; i++) {
    iov[i].iov_base = bufs[i].base;
    iov[i].iov_len = bufs[i].len < room ? bufs[i].len : room;
    room -= iov[i].iov_len;
  }
  return (int)n;
}

static ptrdiff_t socket__msg(afdio_socket_t s, const afdio_buf_t *bufs,
                             size_t count, int send_it) {
  struct iovec iov[AFDIO__SYS_IOV_MAX];
  struct msghdr msg = {0};
  msg.msg_iov = iov;
  msg.msg_iovlen = socket__iov(bufs, count, iov);
  ssize_t n;
  do
    n = send_it ? sendmsg(s, &msg, MSG_NOSIGNAL) : recvmsg(s, &msg, 0);
  while (n < 0 && errno == EINTR);
  return n < 0 ? afdio__sys_error() : (ptrdiff_t)n;
}

ptrdiff_t afdio__sys_recvv(afdio_socket_t s, const afdio_buf_t *bufs,
                           size_t count) {
  return socket__msg(s, bufs, count, 0);
}

ptrdiff_t afdio__sys_sendv(afdio_socket_t s, const afdio_buf_t *bufs,
                           size_t count) {
  return socket__msg(s, bufs, count, 1);
}

int afdio__sys_listener_prepare(afdio_socket_t s) {
  int on = 1;
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
    return afdio__sys_error();
  return 0;
}

int afdio__sys_udp_connreset(afdio_socket_t s, int on) {
  (void)s;
  return on ? AFDIO_ENOTSUP : 0;
}
