/*
 * afdio: readiness-based, non-blocking network I/O. Windows first (the AFD
 * driver and an I/O completion port), with epoll and kqueue backends that
 * give the same API and the same semantics.
 *
 * Conventions, for every function in this header:
 * - A return value >= 0 is success (0, or a count where documented). A
 *   negative value is one of the AFDIO_E* codes below; their values are the
 *   same on every platform. Nothing is reported through errno or
 *   GetLastError().
 * - NULL pointers where an object is required give AFDIO_EINVAL.
 * - "Thread safety" says which calls may run concurrently on one object.
 *
 * This header includes no platform header. The one platform difference it
 * exposes is afdio_socket_t (a SOCKET on Windows, a file descriptor elsewhere).
 */
#ifndef AFDIO_H
#define AFDIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */

#define AFDIO_VERSION_MAJOR 0
#define AFDIO_VERSION_MINOR 1
#define AFDIO_VERSION_PATCH 0
#define AFDIO_VERSION_HEX                                                      \
  ((AFDIO_VERSION_MAJOR << 16) | (AFDIO_VERSION_MINOR << 8) |                  \
   AFDIO_VERSION_PATCH)
#define AFDIO_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------ */
/* Export macro                                                              */

/* Define AFDIO_SHARED when linking against afdio.dll, so calls go through
 * __declspec(dllimport). The library's own build defines AFDIO_BUILDING_DLL.
 * Elsewhere the library is built with -fvisibility=hidden and exports only
 * what carries AFDIO_API. */
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(AFDIO_BUILDING_DLL)
#define AFDIO_API __declspec(dllexport)
#elif defined(AFDIO_SHARED)
#define AFDIO_API __declspec(dllimport)
#else
#define AFDIO_API
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define AFDIO_API __attribute__((visibility("default")))
#else
#define AFDIO_API
#endif

/* ------------------------------------------------------------------------ */
/* The socket type: the only platform conditional of the API                 */

#if defined(_WIN32)
typedef uintptr_t afdio_socket_t; /* a Winsock SOCKET */
#define AFDIO_INVALID_SOCKET ((afdio_socket_t) ~(uintptr_t)0)
#else
typedef int afdio_socket_t; /* a file descriptor */
#define AFDIO_INVALID_SOCKET (-1)
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/* One table: code name, value, message. It makes the enum, afdio_strerror()
 * and afdio_err_name(). Values never change once released. */
#define AFDIO_ERROR_TABLE(XX)                                                  \
  XX(EINVAL, -1, "invalid argument")                                           \
  XX(ENOMEM, -2, "out of memory")                                              \
  XX(EAGAIN, -3, "operation would block")                                      \
  XX(EEXIST, -4, "socket is already registered")                               \
  XX(ENOENT, -5, "socket is not registered")                                   \
  XX(EBADF, -6, "bad or closed socket or handle")                              \
  XX(ENOTSOCK, -7, "handle is not a socket")                                   \
  XX(ENOSYS, -8, "not supported by this system or backend")                    \
  XX(EBUSY, -9, "resource busy")                                               \
  XX(EINTR, -10, "interrupted")                                                \
  XX(ETIMEDOUT, -11, "connection timed out")                                   \
  XX(ECONNREFUSED, -12, "connection refused")                                  \
  XX(ECONNRESET, -13, "connection reset by peer")                              \
  XX(ECONNABORTED, -14, "connection aborted")                                  \
  XX(ENOTCONN, -15, "socket is not connected")                                 \
  XX(EISCONN, -16, "socket is already connected")                              \
  XX(EINPROGRESS, -17, "operation in progress")                                \
  XX(EALREADY, -18, "operation already in progress")                           \
  XX(EPIPE, -19, "broken pipe")                                                \
  XX(ESHUTDOWN, -20, "socket has been shut down")                              \
  XX(EADDRINUSE, -21, "address already in use")                                \
  XX(EADDRNOTAVAIL, -22, "address not available")                              \
  XX(EAFNOSUPPORT, -23, "address family not supported")                        \
  XX(ENETDOWN, -24, "network is down")                                         \
  XX(ENETUNREACH, -25, "network is unreachable")                               \
  XX(EHOSTUNREACH, -26, "host is unreachable")                                 \
  XX(EMSGSIZE, -27, "message too long")                                        \
  XX(ENOBUFS, -28, "no buffer space available")                                \
  XX(EMFILE, -29, "too many open files or sockets")                            \
  XX(EACCES, -30, "permission denied")                                         \
  XX(EPERM, -31, "operation not permitted")                                    \
  XX(ENOTSUP, -32, "operation not supported")                                  \
  XX(ECANCELED, -33, "operation canceled")                                     \
  XX(EIO, -34, "unclassified system error")

typedef enum afdio_error {
#define AFDIO__ERROR_ENUM(name, value, msg) AFDIO_##name = (value),
  AFDIO_ERROR_TABLE(AFDIO__ERROR_ENUM)
#undef AFDIO__ERROR_ENUM
} afdio_error_t;

/* A short English message for an error code ("operation would block").
 * 0 gives "success"; a value not in the table gives "unknown error".
 * Never NULL; the string is static. Thread safety: any thread. */
AFDIO_API const char *afdio_strerror(int err);

/* The code's name ("AFDIO_EAGAIN"). 0 gives "AFDIO_OK"; a value not in the
 * table gives "AFDIO_EUNKNOWN". Never NULL; static. Thread safety: any thread. */
AFDIO_API const char *afdio_err_name(int err);

/* AFDIO_VERSION_HEX of the library actually linked (may differ from the
 * header's with a shared library). Thread safety: any thread. */
AFDIO_API unsigned afdio_version(void);

/* "0.1.0" for the linked library. Never NULL. Thread safety: any thread. */
AFDIO_API const char *afdio_version_string(void);

/* The readiness backend compiled in: "afd" (Windows), "epoll" (Linux),
 * "kqueue" (macOS, BSDs), or "none" (a target without a backend yet, where
 * afdio_poller_new() returns AFDIO_ENOSYS). Thread safety: any thread. */
AFDIO_API const char *afdio_backend(void);

/* ------------------------------------------------------------------------ */
/* Interest, modes and events                                                */

/* Interest bits, passed to afdio_poller_register(); the same bits come back
 * in afdio_event_t.events. */
#define AFDIO_READABLE 0x01u /* data to read, a connection to accept */
#define AFDIO_WRITABLE 0x02u /* room to write; a connect finished */
#define AFDIO_PRIORITY 0x04u /* out-of-band (urgent) data to read */

/* Event-only bits: reported whenever they hold, whatever the interest. */
#define AFDIO_ERROR 0x08u        /* a socket error is pending (read SO_ERROR) */
#define AFDIO_READ_CLOSED 0x10u  /* the peer will send nothing more */
#define AFDIO_WRITE_CLOSED 0x20u /* nothing more can be sent */

/* Trigger mode, OR'ed into the interest. Exactly one may be given; none
 * means AFDIO_EDGE. See "Trigger modes" in README.md for the full rules. */
#define AFDIO_EDGE 0x0000u    /* once per readiness, again after EAGAIN/rearm */
#define AFDIO_LEVEL 0x0100u   /* on every wait while the condition holds */
#define AFDIO_ONESHOT 0x0200u /* once, then disarmed until reregistered */

typedef struct afdio_event {
  uint64_t token;  /* the token given at (re)registration */
  uint32_t events; /* AFDIO_READABLE | ... | AFDIO_WRITE_CLOSED */
  uint32_t reserved_;
} afdio_event_t;

/* ------------------------------------------------------------------------ */
/* The poller                                                                */

typedef struct afdio_poller afdio_poller_t;
typedef struct afdio_waker afdio_waker_t;

/* Creates a poller in *out.
 * Errors: AFDIO_EINVAL (out is NULL); AFDIO_ENOMEM; AFDIO_EMFILE (no handle
 * or descriptor left); AFDIO_ENOSYS (no readiness backend on this target, or
 * the system lacks what it needs: on Windows, the AFD device cannot be opened
 * or polled, as on Wine older than 7.13); AFDIO_EIO (another system error).
 * On error *out is set to NULL. Thread safety: any thread. */
AFDIO_API int afdio_poller_new(afdio_poller_t **out);

/* Destroys the poller and every waker created on it. Registrations are
 * dropped (the sockets stay open: they belong to the caller); polls still in
 * flight are cancelled and their completions drained before anything is
 * freed, so nothing leaks. No other thread may use the poller during or
 * after this call. Errors: AFDIO_EINVAL (poller is NULL).
 * Thread safety: none; the last call on the poller. */
AFDIO_API int afdio_poller_delete(afdio_poller_t *poller);

/* Registers socket with a 64-bit token (any value; it is only given back in
 * events) and an interest: a non-empty set of AFDIO_READABLE, AFDIO_WRITABLE,
 * AFDIO_PRIORITY, plus at most one mode (AFDIO_EDGE by default).
 * Errors: AFDIO_EINVAL (poller NULL, invalid socket value, empty interest,
 * unknown bits, two modes); AFDIO_EEXIST (already registered on this poller);
 * AFDIO_ENOTSOCK (not a socket; on Unix, a descriptor the backend cannot
 * watch, such as a regular file); AFDIO_EBADF (closed or invalid handle);
 * AFDIO_ENOMEM; AFDIO_EIO.
 * Thread safety: any thread, also while other threads wait; it takes effect
 * at once, without waiting for the next afdio_poller_wait(). */
AFDIO_API int afdio_poller_register(afdio_poller_t *poller,
                                    afdio_socket_t socket, uint64_t token,
                                    uint32_t interest);

/* Replaces the token and the interest (mode included) of a registered socket,
 * and re-arms it: a oneshot registration is armed again, an edge one reports
 * any readiness that holds now. Errors: as afdio_poller_register(), with
 * AFDIO_ENOENT instead of AFDIO_EEXIST. Thread safety: as register. */
AFDIO_API int afdio_poller_reregister(afdio_poller_t *poller,
                                      afdio_socket_t socket, uint64_t token,
                                      uint32_t interest);

/* Removes the registration. Once it returns, no wait that starts afterwards
 * reports an event for this socket, even one that was already queued.
 * Closing a registered socket deregisters it implicitly; deregistering
 * before closing is still the tidy order.
 * Errors: AFDIO_EINVAL (poller NULL, invalid socket value); AFDIO_ENOENT (not
 * registered). Thread safety: as register. */
AFDIO_API int afdio_poller_deregister(afdio_poller_t *poller,
                                      afdio_socket_t socket);

/* For edge mode with I/O done outside afdio's net functions: tells the poller
 * that an operation on the socket returned "would block" for the given
 * events (AFDIO_READABLE, AFDIO_WRITABLE, AFDIO_PRIORITY), so their next
 * readiness is reported. afdio's own I/O functions call this themselves. On
 * level and oneshot registrations it succeeds and does nothing.
 * Errors: AFDIO_EINVAL (poller NULL, invalid socket, empty or unknown bits);
 * AFDIO_ENOENT (not registered). Thread safety: as register. */
AFDIO_API int afdio_poller_rearm(afdio_poller_t *poller, afdio_socket_t socket,
                                 uint32_t events);

/* Waits for events and stores up to capacity of them in events[]; returns
 * how many (0 only when the timeout passed). timeout_ms: 0 polls without
 * blocking, a negative value waits forever, a positive value is a bound
 * that is never cut short (sub-millisecond remainders round up, and a huge
 * value stays finite). Events beyond capacity stay queued for the next wait.
 * A wait may report an event whose condition no longer holds (a spurious
 * event): do the I/O and expect AFDIO_EAGAIN. Allocates nothing.
 * Errors: AFDIO_EINVAL (poller or events NULL, capacity 0); AFDIO_EIO.
 * Thread safety: several threads may wait on one poller at once; each event
 * goes to one of them (a oneshot event to exactly one). */
AFDIO_API int afdio_poller_wait(afdio_poller_t *poller, afdio_event_t *events,
                                size_t capacity, int64_t timeout_ms);

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

/* Creates a waker on the poller: afdio_waker_wake() makes a wait return an
 * event { token, AFDIO_READABLE }. Wakes are coalesced: any number of wakes
 * before a wait reports the event once.
 * Errors: AFDIO_EINVAL (poller or out NULL); AFDIO_ENOMEM; AFDIO_EMFILE;
 * AFDIO_EIO. Thread safety: any thread. The waker is destroyed by
 * afdio_waker_delete() or, at the latest, by afdio_poller_delete(). */
AFDIO_API int afdio_waker_new(afdio_poller_t *poller, uint64_t token,
                              afdio_waker_t **out);

/* Wakes the poller. Errors: AFDIO_EINVAL (waker NULL); AFDIO_EIO.
 * Thread safety: any thread, any number at once. */
AFDIO_API int afdio_waker_wake(afdio_waker_t *waker);

/* Destroys the waker; a wake already queued is dropped.
 * Errors: AFDIO_EINVAL (waker NULL). Thread safety: no concurrent
 * afdio_waker_wake() on the same waker. */
AFDIO_API int afdio_waker_delete(afdio_waker_t *waker);

#ifdef __cplusplus
}
#endif

#endif /* AFDIO_H */
