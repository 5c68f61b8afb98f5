/*
 * The platform dispatch header: the one place in afdio with a platform #if.
 * It brings in the socket headers of the target and declares the small
 * contract every platform implements for net/ (iocp/socket.c on Windows,
 * unix/socket.c elsewhere), so net/ itself is written once.
 *
 * Rules of the contract, for every afdio__sys_* function:
 * - Errors are negative AFDIO_E* codes, never errno or WSAGetLastError().
 * - Sockets made here are non-blocking, not inherited by child processes,
 *   and (on Unix) never raise SIGPIPE.
 * - "Would block" is AFDIO_EAGAIN on every platform.
 *
 * net/ may also call the socket functions both platforms spell the same way
 * (bind, listen, getsockname, getpeername, shutdown, setsockopt,
 * getsockopt), passing lengths as afdio__socklen_t and option values through
 * (char *) casts, and read their failure with afdio__sys_error().
 */
#ifndef AFDIO_CORE_SYS_H
#define AFDIO_CORE_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "afdio.h"

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <afunix.h>
typedef int afdio__socklen_t;
#define AFDIO__SHUT_RD SD_RECEIVE
#define AFDIO__SHUT_WR SD_SEND
#define AFDIO__SHUT_RDWR SD_BOTH
#define AFDIO__SYS_SOCKET_INVALID(s) ((s) == INVALID_SOCKET)
#else
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
typedef socklen_t afdio__socklen_t;
#define AFDIO__SHUT_RD SHUT_RD
#define AFDIO__SHUT_WR SHUT_WR
#define AFDIO__SHUT_RDWR SHUT_RDWR
#define AFDIO__SYS_SOCKET_INVALID(s) ((s) < 0)
#endif

/* Whether Unix-domain addresses may be abstract names (a leading NUL):
 * Linux only. Windows' AF_UNIX refuses them, although Microsoft's 2017
 * announcement said otherwise (microsoft/WSL#4240). */
#if defined(__linux__)
#define AFDIO__SYS_UNIX_ABSTRACT 1
#else
#define AFDIO__SYS_UNIX_ABSTRACT 0
#endif

/* A plain mutex and the monotonic clock, for the portable parts of core/
 * (timers). A lock is initialised statically or with afdio__lock_init(). */
#if defined(_WIN32)
typedef SRWLOCK afdio__lock_t;
#define AFDIO__LOCK_INITIALIZER SRWLOCK_INIT
static inline void afdio__lock_init(afdio__lock_t *l) {
  InitializeSRWLock(l);
}
static inline void afdio__lock_destroy(afdio__lock_t *l) {
  (void)l;
}
static inline void afdio__lock(afdio__lock_t *l) {
  AcquireSRWLockExclusive(l);
}
static inline void afdio__unlock(afdio__lock_t *l) {
  ReleaseSRWLockExclusive(l);
}
/* QueryPerformanceCounter, in nanoseconds, without overflowing the
 * product for years of uptime. */
static inline int64_t afdio__sys_now_ns(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return c.QuadPart / f.QuadPart * INT64_C(1000000000) +
         c.QuadPart % f.QuadPart * INT64_C(1000000000) / f.QuadPart;
}
#elif defined(__wasi__)
/* WASI preview 1 has no threads (and wasi-libc's pthread_mutex_* are not
 * linked without them): a lock has nothing to exclude. */
typedef int afdio__lock_t;
#define AFDIO__LOCK_INITIALIZER 0
static inline void afdio__lock_init(afdio__lock_t *l) {
  *l = 0;
}
static inline void afdio__lock_destroy(afdio__lock_t *l) {
  (void)l;
}
static inline void afdio__lock(afdio__lock_t *l) {
  (void)l;
}
static inline void afdio__unlock(afdio__lock_t *l) {
  (void)l;
}
#else
typedef pthread_mutex_t afdio__lock_t;
#define AFDIO__LOCK_INITIALIZER PTHREAD_MUTEX_INITIALIZER
static inline void afdio__lock_init(afdio__lock_t *l) {
  pthread_mutex_init(l, NULL);
}
static inline void afdio__lock_destroy(afdio__lock_t *l) {
  pthread_mutex_destroy(l);
}
static inline void afdio__lock(afdio__lock_t *l) {
  pthread_mutex_lock(l);
}
static inline void afdio__unlock(afdio__lock_t *l) {
  pthread_mutex_unlock(l);
}
#endif
#if !defined(_WIN32)
/* CLOCK_MONOTONIC: every supported Unix and WASI have it, and it does not
 * jump when the wall clock is set. */
static inline int64_t afdio__sys_now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * INT64_C(1000000000) + (int64_t)ts.tv_nsec;
}
#endif

/* Flags of afdio__sys_recv() and afdio__sys_recvfrom(). */
#define AFDIO__SYS_PEEK 0x1

/* Once-per-process set-up (WSAStartup on Windows, nothing elsewhere).
 * Idempotent and thread-safe. Returns 0 or AFDIO_E*. */
int afdio__sys_init(void);

/* A new non-blocking, non-inheritable socket in *out. A type the platform
 * never has for the family (Unix-domain datagrams on Windows) gives
 * AFDIO_ENOSYS; a family the running system lacks (AF_UNIX before Windows
 * 10 1803, or under Wine) gives AFDIO_EAFNOSUPPORT. Calls afdio__sys_init(). */
int afdio__sys_socket(int family, int type, int protocol, afdio_socket_t *out);

/* What a socket made elsewhere is, read without changing it (for the adopt
 * functions): *type SOCK_STREAM or SOCK_DGRAM (other types as they are),
 * *family AF_INET, AF_INET6, AF_UNIX or another AF_*, *listening 1 when
 * listen() was called on it. AFDIO_ENOTSOCK for a handle or descriptor that
 * is not a socket, AFDIO_EBADF for a closed descriptor (Windows cannot tell
 * a closed value from a non-socket: AFDIO_ENOTSOCK). Calls
 * afdio__sys_init(). */
int afdio__sys_socket_info(afdio_socket_t s, int *type, int *family,
                           int *listening);

/* Makes a socket made elsewhere what afdio__sys_socket() makes:
 * non-blocking, not inheritable where the system allows, no SIGPIPE. */
int afdio__sys_socket_setup(afdio_socket_t s);

/* Closes the socket. Returns 0 or AFDIO_E*. */
int afdio__sys_close(afdio_socket_t s);

/* The last socket call's failure, as AFDIO_E* (never 0: AFDIO_EIO when the
 * system reports no error). */
int afdio__sys_error(void);

/* A system error code (errno, or a WSA code as SO_ERROR gives it) as
 * AFDIO_E*; 0 gives 0. */
int afdio__sys_error_from(int code);

/* A connected pair of Unix-domain sockets of the type (socketpair), both
 * non-blocking and non-inheritable. AFDIO_ENOSYS where there is none. */
int afdio__sys_socketpair(int type, afdio_socket_t out[2]);

/* Accepts a connection: the new socket is non-blocking and non-inheritable.
 * sa/len may be NULL. AFDIO_EAGAIN when none is pending. */
int afdio__sys_accept(afdio_socket_t listener, afdio_socket_t *out,
                      struct sockaddr *sa, afdio__socklen_t *len);

/* Starts a connect: 0 when it completed or is in progress (completion shows
 * as writable, the result through SO_ERROR), else AFDIO_E*. */
int afdio__sys_connect(afdio_socket_t s, const struct sockaddr *sa,
                       afdio__socklen_t len);

/* Byte counts or AFDIO_E*. Counts above INT_MAX are clamped (Windows takes
 * int lengths). A datagram longer than the buffer is truncated on every
 * platform (Windows' WSAEMSGSIZE becomes the truncated count). */
ptrdiff_t afdio__sys_recv(afdio_socket_t s, void *buf, size_t len, int flags);
ptrdiff_t afdio__sys_send(afdio_socket_t s, const void *buf, size_t len);
ptrdiff_t afdio__sys_recvfrom(afdio_socket_t s, void *buf, size_t len,
                              int flags, struct sockaddr *sa,
                              afdio__socklen_t *salen);
ptrdiff_t afdio__sys_sendto(afdio_socket_t s, const void *buf, size_t len,
                            const struct sockaddr *sa, afdio__socklen_t salen);

/* Vectored forms; at most AFDIO__SYS_IOV_MAX buffers are used (the rest is
 * simply not transferred this time, like a short count). */
#define AFDIO__SYS_IOV_MAX 64
ptrdiff_t afdio__sys_recvv(afdio_socket_t s, const afdio_buf_t *bufs,
                           size_t count);
ptrdiff_t afdio__sys_sendv(afdio_socket_t s, const afdio_buf_t *bufs,
                           size_t count);

/* Before bind on a listener: SO_REUSEADDR on Unix (rebind while old
 * connections sit in TIME_WAIT), SO_EXCLUSIVEADDRUSE on Windows (where
 * SO_REUSEADDR would let another socket steal the port). */
int afdio__sys_listener_prepare(afdio_socket_t s);

/* Windows' SIO_UDP_CONNRESET: on (1) or off (0). On Unix there is no such
 * reporting on unconnected sockets: off succeeds, on gives AFDIO_ENOTSUP. */
int afdio__sys_udp_connreset(afdio_socket_t s, int on);

#endif
