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
 * - Arguments are checked before any state: when several errors apply, a
 *   bad argument (AFDIO_EINVAL) wins over AFDIO_EEXIST, AFDIO_ENOENT,
 *   AFDIO_EBADF or AFDIO_ENOSYS.
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

/* A copy of build.zig.zon's .version, where releases change it; make test
 * fails when the two disagree (tests/errors_table.c). */
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
#define AFDIO_ERROR 0x08u        /* the connection failed: connect refused or
                                    reset; the next read or write says how */
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

/* Destroys the poller and every waker and timer created on it.
 * Registrations are dropped (the sockets stay open: they belong to the
 * caller); polls still in flight are cancelled and their completions
 * drained before anything is freed, so nothing leaks. Threads blocked in
 * afdio_poller_wait() on this poller are woken and return AFDIO_ECANCELED,
 * and nothing is freed before the last of them has left (every backend).
 * afdio's own objects (streams, listeners, datagram sockets, pipes) still
 * registered with it forget it: they may be used, deregistered (which then
 * gives AFDIO_ENOENT) and closed afterwards.
 * Errors: AFDIO_EINVAL (poller is NULL). Thread safety: other threads may
 * be blocked in afdio_poller_wait(); no other call may overlap this one,
 * and none may follow it (a call that begins after it returned is the
 * caller's error, as after free()). */
AFDIO_API int afdio_poller_delete(afdio_poller_t *poller);

/* Registers socket with a 64-bit token (any value; it is only given back in
 * events) and an interest: a non-empty set of AFDIO_READABLE, AFDIO_WRITABLE,
 * AFDIO_PRIORITY, plus at most one mode (AFDIO_EDGE by default).
 * Errors: AFDIO_EINVAL (poller NULL, invalid socket value, empty interest,
 * unknown bits, two modes); AFDIO_EEXIST (already registered on this poller);
 * AFDIO_ENOTSOCK (not a socket; on Unix, a descriptor the backend cannot
 * watch, such as a regular file); AFDIO_EBADF (closed or invalid handle);
 * AFDIO_ENOMEM; AFDIO_EIO.
 * Windows: no poll goes out until the next wait (one kernel call here, the
 * base-socket lookup); a value still registered to a socket closed without
 * deregistering gives AFDIO_EEXIST (README, "Closing a registered socket").
 * Thread safety: any thread, also while other threads wait; it takes effect
 * at once, without waiting for the next afdio_poller_wait(). */
AFDIO_API int afdio_poller_register(afdio_poller_t *poller,
                                    afdio_socket_t socket, uint64_t token,
                                    uint32_t interest);

/* Replaces the token and the interest (mode included) of a registered socket,
 * and re-arms it: a oneshot registration is armed again, an edge one reports
 * any readiness that holds now. Errors: as afdio_poller_register(), with
 * AFDIO_ENOENT instead of AFDIO_EEXIST, and AFDIO_ENOENT (not AFDIO_EBADF)
 * for a closed socket: a closed socket is not registered.
 * Thread safety: as register. */
AFDIO_API int afdio_poller_reregister(afdio_poller_t *poller,
                                      afdio_socket_t socket, uint64_t token,
                                      uint32_t interest);

/* Removes the registration. Once it returns, no wait that starts afterwards
 * reports an event for this socket, even one that was already queued.
 * Deregister a raw socket before closing it: that order is exact on every
 * backend, even while another handle keeps the socket open. What a close
 * without it does differs by backend (README, "Closing a registered socket",
 * states every case): on Windows a raw close is seen only by a poll in
 * flight or by the next wait that arms the registration; on epoll, a socket
 * still open through another descriptor (dup(), a forked child) stays
 * registered and can no longer be removed.
 * Errors: AFDIO_EINVAL (poller NULL, invalid socket value); AFDIO_ENOENT (not
 * registered, closed included). Thread safety: as register. */
AFDIO_API int afdio_poller_deregister(afdio_poller_t *poller,
                                      afdio_socket_t socket);

/* For edge mode with I/O done outside afdio's net functions: tells the poller
 * that an operation on the socket returned "would block" for the given
 * events (AFDIO_READABLE, AFDIO_WRITABLE, AFDIO_PRIORITY), so their next
 * readiness is reported. afdio's own I/O functions call this themselves. On
 * level and oneshot registrations it succeeds and does nothing.
 * On epoll and kqueue edge mode needs no re-arming, so this call makes no
 * system call: it only checks afdio's own table. A descriptor closed while
 * registered (without afdio_poller_deregister()) stays in that table until
 * its number is registered again or deregistered, so rearm on a reused
 * number returns 0 and does nothing; registering it still works.
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
 * event): do the I/O and expect AFDIO_EAGAIN. A TCP socket registered before
 * it connects reports nothing until then. Allocates nothing.
 * On Windows the wait is where polls are armed: registrations and re-arms
 * since the last wait are submitted here, before it blocks.
 * Errors: AFDIO_EINVAL (poller or events NULL, capacity 0); AFDIO_ECANCELED
 * (afdio_poller_delete() was called on the poller during the wait; return
 * without touching the poller again); AFDIO_EIO.
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

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */

/* A timer on a poller: once armed, afdio_poller_wait() reports an event
 * { token, AFDIO_READABLE } when its deadline has passed, as it reports a
 * waker. The wait's timeout becomes the earlier of the caller's and the
 * next deadline, so a loop needs no timeout arithmetic of its own. Rules:
 * - never early: a timer is reported only by a wait that looks at the clock
 *   at or after its deadline (sub-millisecond remainders round up, as wait
 *   timeouts do); a busy or late loop reports it late, never lost;
 * - a repeating timer's deadlines are first + k * period, whatever the
 *   wait's lateness (no drift); periods missed entirely by a late wait are
 *   reported as one event;
 * - expired timers are reported earliest deadline first; those that do not
 *   fit in the wait's capacity stay due for the next wait. While timers are
 *   due, a wait takes at most half its capacity (none of a capacity of 1)
 *   in socket events and leaves the rest to them, so sockets that are
 *   always ready cannot starve timers;
 * - arming and disarming are O(log n) and allocate nothing (the timer was
 *   allocated by afdio_timer_new()); a wait allocates nothing either;
 * - all timer calls may run on any thread, also while others wait, as
 *   register: arming an earlier deadline wakes a blocked wait.
 * afdio uses one internal waker per poller for that wake-up; its token is
 * the address of afdio's own timer table (no pointer of the caller's can
 * equal it) and its events are never reported. */
typedef struct afdio_timer afdio_timer_t;

/* The monotonic clock of absolute deadlines, in milliseconds since an
 * unspecified start (the system's boot on most). Never goes back; not
 * changed by setting the wall clock. Thread safety: any thread. */
AFDIO_API int64_t afdio_clock_ms(void);

/* Creates a disarmed timer on the poller, reported with token.
 * Errors: AFDIO_EINVAL (poller or out NULL); AFDIO_ENOMEM; AFDIO_EMFILE
 * or AFDIO_EIO (the poller's first timer makes its internal waker).
 * On error *out is NULL. Thread safety: any thread. The timer is destroyed
 * by afdio_timer_delete() or, at the latest, by afdio_poller_delete(). */
AFDIO_API int afdio_timer_new(afdio_poller_t *poller, uint64_t token,
                              afdio_timer_t **out);

/* Arms (or re-arms: the old deadline is replaced) the timer to expire
 * delay_ms from now (0: at the next wait), then, when repeat_ms > 0, every
 * repeat_ms after that deadline until disarmed. Huge values saturate (the
 * timer then never expires). Errors: AFDIO_EINVAL (timer NULL, delay_ms or
 * repeat_ms negative); AFDIO_EIO (waking a blocked wait failed; the timer
 * is armed all the same). Thread safety: any thread, as register. */
AFDIO_API int afdio_timer_arm(afdio_timer_t *timer, int64_t delay_ms,
                              int64_t repeat_ms);

/* As afdio_timer_arm(), with an absolute deadline on afdio_clock_ms()'s
 * clock: the timer expires once afdio_clock_ms() >= at_ms (a deadline
 * already past expires at the next wait). Errors: AFDIO_EINVAL (timer
 * NULL, at_ms or repeat_ms negative); AFDIO_EIO as above.
 * Thread safety: as afdio_timer_arm(). */
AFDIO_API int afdio_timer_arm_at(afdio_timer_t *timer, int64_t at_ms,
                                 int64_t repeat_ms);

/* Disarms the timer, repeating or not. Once it returns, no wait that
 * starts afterwards reports the timer (a wait already returning may carry
 * an expiry that happened before). Returns 1 when it was armed, 0 when it
 * was not (it had expired, one-shot, or was never armed).
 * Errors: AFDIO_EINVAL (timer NULL). Thread safety: as register. */
AFDIO_API int afdio_timer_disarm(afdio_timer_t *timer);

/* Disarms and frees the timer. Errors: AFDIO_EINVAL (timer NULL).
 * Thread safety: no other call on the same timer at the same time. */
AFDIO_API int afdio_timer_delete(afdio_timer_t *timer);

/* ======================================================================== */
/* Networking (net/): addresses, TCP, UDP, Unix-domain sockets               */
/* ======================================================================== */
/*
 * Three socket objects, by kind: a listener, a stream, a datagram socket.
 * The address family decides what they are: an IPv4 or IPv6 address gives
 * TCP or UDP, a path (afdio_addr_unix) a Unix-domain socket.
 *
 * Unix-domain sockets on Windows (10 version 1803 and later; afunix.sys)
 * go through the same functions: listeners and streams by path work as on
 * Unix. Windows has no Unix-domain datagram sockets and no socketpair:
 * afdio_datagram_bind() / _unbound() with a Unix-domain address,
 * afdio_datagram_pair() and afdio_stream_pair() give AFDIO_ENOSYS there.
 * Where the running system lacks AF_UNIX (older Windows, Wine 8) the
 * socket cannot be created: AFDIO_EAFNOSUPPORT. Abstract names ("@name")
 * exist on Linux only; elsewhere binding or connecting to one gives
 * AFDIO_EINVAL (Windows refuses them, microsoft/WSL#4240).
 *
 * Every socket made here is non-blocking and not inherited by child
 * processes, and never raises SIGPIPE. Every I/O call returns at once: a
 * byte count, or a negative AFDIO_E* code, AFDIO_EAGAIN when it would block.
 * The same meaning gives the same code on every OS: AFDIO_ECONNRESET,
 * AFDIO_ECONNABORTED, AFDIO_ECONNREFUSED, AFDIO_ENOTCONN, AFDIO_EPIPE.
 *
 * Registration: each object registers itself with a poller
 * (afdio_stream_register() etc.) and remembers it. In edge mode a call that
 * returns AFDIO_EAGAIN re-arms the registration for that direction
 * (afdio_poller_rearm(): AFDIO_READABLE after read, recv, peek and accept;
 * AFDIO_WRITABLE after write and send), so the next readiness is reported.
 * So in edge mode: after an event, do the I/O until AFDIO_EAGAIN, through
 * these functions. A short count does not re-arm (it is not "would block").
 * Closing an object deregisters it first, then closes the socket.
 *
 * Thread safety, for every object: I/O calls (read, write, send, recv,
 * accept, options, addresses) may run on several threads at once, such as a
 * reader and a writer. Register, reregister, deregister and close must not
 * run concurrently with any other call on the same object.
 */

/* An IPv4, IPv6 or Unix-domain socket address. The fields are private: a
 * socket address and its length, with room for any of the three. Plain
 * value: copy it, keep it on the stack, compare with afdio_addr_equal(). */
typedef struct afdio_addr {
  union {
    unsigned char bytes_[128];
    uint64_t align_;
  } storage_;
  uint32_t len_;
  uint32_t reserved_;
} afdio_addr_t;

/* Families returned by afdio_addr_family(). */
#define AFDIO_AF_UNIX 1
#define AFDIO_AF_INET 4
#define AFDIO_AF_INET6 6

/* A buffer size that holds any formatted address, its NUL included. */
#define AFDIO_ADDR_STRLEN 128

/* Parses "a.b.c.d:port" or "[ipv6]:port" (an IPv6 address may carry a
 * numeric scope, "[fe80::1%2]:80", and an IPv4 tail, "[::ffff:1.2.3.4]:80")
 * into *addr. The port is required, decimal, 0-65535; IPv4 octets are
 * decimal without leading zeros. No name lookup is ever done.
 * Errors: AFDIO_EINVAL (NULL, malformed text; *addr is then zeroed).
 * Thread safety: any thread. */
AFDIO_API int afdio_addr_parse(afdio_addr_t *addr, const char *text);

/* Formats addr into buf (size bytes, NUL included): "a.b.c.d:port" or
 * "[ipv6]:port" in the RFC 5952 form (lowercase, longest zero run as "::",
 * "::ffff:a.b.c.d" for IPv4-mapped), which afdio_addr_parse() reads back;
 * for a Unix-domain address, its path ("" when unnamed, "@name" for a Linux
 * abstract name). Returns the length written, without the NUL.
 * Errors: AFDIO_EINVAL (NULL, addr not a valid address); AFDIO_ENOBUFS
 * (buf too small; AFDIO_ADDR_STRLEN always suffices).
 * Thread safety: any thread. */
AFDIO_API int afdio_addr_format(const afdio_addr_t *addr, char *buf,
                                size_t size);

/* Makes an IPv4 address from 4 bytes in network order (127.0.0.1 is
 * {127,0,0,1}) and a port. Errors: AFDIO_EINVAL (NULL).
 * Thread safety: any thread. */
AFDIO_API int afdio_addr_ipv4(afdio_addr_t *addr, const uint8_t ip[4],
                              uint16_t port);

/* Makes an IPv6 address from 16 bytes in network order, a port and a scope
 * id (an interface index for link-local addresses, else 0).
 * Errors: AFDIO_EINVAL (NULL). Thread safety: any thread. */
AFDIO_API int afdio_addr_ipv6(afdio_addr_t *addr, const uint8_t ip[16],
                              uint16_t port, uint32_t scope_id);

/* Makes a Unix-domain address from a file system path. On Linux a path
 * starting with '@' names an abstract socket ('@' becomes the leading NUL).
 * The address can be made on every OS; an abstract name is usable on
 * Linux only (see above).
 * Errors: AFDIO_EINVAL (NULL, empty, or too long for sockaddr_un: 103 bytes
 * on macOS/BSD, 107 on Linux and Windows). Thread safety: any thread. */
AFDIO_API int afdio_addr_unix(afdio_addr_t *addr, const char *path);

/* AFDIO_AF_INET, AFDIO_AF_INET6 or AFDIO_AF_UNIX.
 * Errors: AFDIO_EINVAL (NULL, or not a valid address, such as a zeroed
 * one). Thread safety: any thread. */
AFDIO_API int afdio_addr_family(const afdio_addr_t *addr);

/* The port (0-65535) of an IPv4 or IPv6 address.
 * Errors: AFDIO_EINVAL (NULL, not IP). Thread safety: any thread. */
AFDIO_API int afdio_addr_port(const afdio_addr_t *addr);

/* Replaces the port of an IPv4 or IPv6 address.
 * Errors: AFDIO_EINVAL (NULL, not IP). Thread safety: any thread. */
AFDIO_API int afdio_addr_set_port(afdio_addr_t *addr, uint16_t port);

/* 1 when a and b are the same address (family, bytes, port, scope; for
 * IPv4 and IPv6 any padding is ignored), 0 when not.
 * Errors: AFDIO_EINVAL (NULL). Thread safety: any thread. */
AFDIO_API int afdio_addr_equal(const afdio_addr_t *a, const afdio_addr_t *b);

/* Copies a platform socket address (struct sockaddr_in, sockaddr_in6,
 * sockaddr_un, or a sockaddr_storage holding one) of len bytes into *addr.
 * Errors: AFDIO_EINVAL (NULL, unknown family, len too short for the family
 * or over 128). Thread safety: any thread. */
AFDIO_API int afdio_addr_from_sockaddr(afdio_addr_t *addr, const void *sa,
                                       size_t len);

/* Copies addr as a platform socket address into sa (capacity bytes, 128 is
 * always enough) and returns its length, for use with the platform's
 * socket calls. Errors: AFDIO_EINVAL (NULL, invalid addr); AFDIO_ENOBUFS
 * (capacity too small). Thread safety: any thread. */
AFDIO_API int afdio_addr_to_sockaddr(const afdio_addr_t *addr, void *sa,
                                     size_t capacity);

/* ------------------------------------------------------------------------ */
/* Socket objects, buffers, options                                          */

typedef struct afdio_listener afdio_listener_t;
typedef struct afdio_stream afdio_stream_t;
typedef struct afdio_datagram afdio_datagram_t;

/* A buffer for the vectored calls. At most 64 buffers are used per call;
 * the rest are not transferred that time (a short count). */
typedef struct afdio_buf {
  void *base;
  size_t len;
} afdio_buf_t;

/* Flags of afdio_listener_bind() and afdio_datagram_bind(). */
/* An IPv6 socket also accepts IPv4 (seen as ::ffff:a.b.c.d): IPV6_V6ONLY
 * off. Without it every IPv6 socket is IPv6 only, on every OS (the systems'
 * defaults differ: Linux dual stack, Windows IPv6 only). Ignored for other
 * families. */
#define AFDIO_DUAL_STACK 0x1u

/* How for afdio_stream_shutdown(). */
#define AFDIO_SHUT_RD 1
#define AFDIO_SHUT_WR 2
#define AFDIO_SHUT_RDWR 3

/* Socket options, as integers, for the *_setopt / *_getopt calls. Each
 * says which objects take it; another object gives AFDIO_EINVAL, and an
 * option the family lacks (AFDIO_OPT_TTL on a Unix-domain socket) gives
 * AFDIO_ENOTSUP. */
typedef enum afdio_option {
  /* Streams, TCP only: Nagle off (1) or on (0). */
  AFDIO_OPT_NODELAY = 1,
  /* Streams, TCP only: keep-alive probes on (1) or off (0), with the
   * system's timing. */
  AFDIO_OPT_KEEPALIVE = 2,
  /* Streams: SO_LINGER. -1 is off (the default: close returns at once, the
   * data still goes out); 0 makes close reset the connection (RST); N > 0
   * lingers N seconds (max 65535). Read back as -1 or the seconds. */
  AFDIO_OPT_LINGER = 3,
  /* Every IP object: the unicast TTL (IPv4) or hop limit (IPv6), 1-255. */
  AFDIO_OPT_TTL = 4,
  /* Every object: send / receive buffer sizes in bytes. The system may
   * round the value (Linux doubles it; read it back to know). */
  AFDIO_OPT_SNDBUF = 5,
  AFDIO_OPT_RCVBUF = 6,
  /* Every IPv6 object, read only (it is fixed at bind, see
   * AFDIO_DUAL_STACK): 1 IPv6 only, 0 dual stack. Setting it gives
   * AFDIO_EINVAL (AFDIO_ENOTSUP on an IPv4 object, as reading does). */
  AFDIO_OPT_V6ONLY = 7,
  /* Datagrams, IP: may send to broadcast addresses (1) or not (0). */
  AFDIO_OPT_BROADCAST = 8,
  /* Datagrams, IP: TTL / hop limit of multicast datagrams sent, 0-255. */
  AFDIO_OPT_MULTICAST_TTL = 9,
  /* Datagrams, IP: own multicast datagrams are looped back (1) or not. */
  AFDIO_OPT_MULTICAST_LOOP = 10,
  /* Datagrams, UDP: whether an ICMP "port unreachable" (after sending to a
   * closed port) fails the NEXT receive with AFDIO_ECONNRESET. That is
   * Windows' default (SIO_UDP_CONNRESET), which lets one bad peer break an
   * unconnected server socket; afdio turns it off (0) on every UDP socket
   * it makes, unlike mio, libuv, wepoll and polling. Set 1 to get the
   * Windows default back. Unix systems never report this on unconnected
   * sockets: there the option reads 0 and setting 1 gives AFDIO_ENOTSUP.
   * (Connected UDP sockets on Linux still get AFDIO_ECONNREFUSED.) */
  AFDIO_OPT_UDP_CONNRESET = 11
} afdio_option_t;

/* ------------------------------------------------------------------------ */
/* Listeners                                                                 */

/* Creates a listening socket bound to addr in *out. IPv4/IPv6: TCP, with
 * SO_REUSEADDR on Unix (rebinding a port with connections in TIME_WAIT
 * works) and SO_EXCLUSIVEADDRUSE on Windows (no other socket may bind the
 * same port, even with SO_REUSEADDR); port 0 picks a free port (read it
 * with afdio_listener_local_addr()). flags: 0 or AFDIO_DUAL_STACK. A Unix
 * path must not exist yet (remove it after close: the file stays).
 * backlog <= 0 means the system's maximum (SOMAXCONN).
 * Errors: AFDIO_EINVAL (NULL, bad addr, unknown flags, an abstract name
 * off Linux); AFDIO_EADDRINUSE (also: the path exists);
 * AFDIO_EADDRNOTAVAIL; AFDIO_EAFNOSUPPORT (no IPv6 on this host, or no
 * AF_UNIX: older Windows, Wine); AFDIO_EACCES; AFDIO_EMFILE;
 * AFDIO_ENOMEM; AFDIO_EIO. On error *out is NULL. Thread safety: any
 * thread. */
AFDIO_API int afdio_listener_bind(afdio_listener_t **out,
                                  const afdio_addr_t *addr, int backlog,
                                  unsigned flags);

/* Accepts one pending connection as a new stream in *out (non-blocking,
 * non-inheritable, not registered anywhere), its peer address in *peer
 * (peer may be NULL). Accept until AFDIO_EAGAIN after a readable event.
 * Errors: AFDIO_EINVAL (NULL listener or out); AFDIO_EAGAIN (none pending;
 * re-arms AFDIO_READABLE); AFDIO_ECONNABORTED (a connection was reset
 * before it was accepted: accept again); AFDIO_EMFILE; AFDIO_ENOMEM;
 * AFDIO_EIO. On error *out is NULL. Thread safety: see above. */
AFDIO_API int afdio_listener_accept(afdio_listener_t *listener,
                                    afdio_stream_t **out, afdio_addr_t *peer);

/* The bound address. Errors: AFDIO_EINVAL (NULL); AFDIO_EIO. */
AFDIO_API int afdio_listener_local_addr(const afdio_listener_t *listener,
                                        afdio_addr_t *addr);

/* Reads and clears the listener's pending error (SO_ERROR): 0 when none,
 * else the error as AFDIO_E*; after an AFDIO_ERROR event on a listener it
 * says what happened. Errors: AFDIO_EINVAL (NULL); AFDIO_EIO (the system
 * call failed). Thread safety: see above. */
AFDIO_API int afdio_listener_take_error(afdio_listener_t *listener);

/* Options (AFDIO_OPT_TTL, _SNDBUF, _RCVBUF, _V6ONLY). Errors: AFDIO_EINVAL
 * (NULL, option not for listeners, value out of range); AFDIO_ENOTSUP. */
AFDIO_API int afdio_listener_setopt(afdio_listener_t *listener,
                                    afdio_option_t option, int value);
AFDIO_API int afdio_listener_getopt(const afdio_listener_t *listener,
                                    afdio_option_t option, int *value);

/* Registers the listener with poller (see afdio_poller_register(); the
 * errors are the same, plus AFDIO_EEXIST when the listener is already
 * registered, on this poller or another). The object remembers the poller
 * for re-arming and for close. */
AFDIO_API int afdio_listener_register(afdio_listener_t *listener,
                                      afdio_poller_t *poller, uint64_t token,
                                      uint32_t interest);

/* Changes token and interest on the poller it is registered with
 * (afdio_poller_reregister()). Errors: AFDIO_EINVAL; AFDIO_ENOENT (not
 * registered); as afdio_poller_reregister(). */
AFDIO_API int afdio_listener_reregister(afdio_listener_t *listener,
                                        uint64_t token, uint32_t interest);

/* Deregisters it (afdio_poller_deregister()). Errors: AFDIO_EINVAL (NULL);
 * AFDIO_ENOENT (not registered). */
AFDIO_API int afdio_listener_deregister(afdio_listener_t *listener);

/* The raw socket, still owned by the listener (do not close it).
 * AFDIO_INVALID_SOCKET for NULL. */
AFDIO_API afdio_socket_t afdio_listener_socket(const afdio_listener_t *listener);

/* Deregisters (if registered), closes the socket and frees the listener.
 * Errors: AFDIO_EINVAL (NULL). Everything is released even when the system
 * reports an error. Thread safety: the last call on the listener. */
AFDIO_API int afdio_listener_close(afdio_listener_t *listener);

/* ------------------------------------------------------------------------ */
/* Streams: TCP, Unix-domain stream                                          */

/* Starts a non-blocking connect to addr with a new stream in *out and
 * returns 0 while it is still in progress (the usual case). Register the
 * stream for AFDIO_WRITABLE: the connect has finished, well or not, when
 * it reports writable (a failure also reports AFDIO_ERROR, and on some
 * systems closed bits); then afdio_stream_take_error() says how (0, or
 * AFDIO_ECONNREFUSED, AFDIO_ETIMEDOUT, ...). afdio_stream_peer_addr()
 * succeeds once connected.
 * Errors (failures reported at once, or on Windows possibly later through
 * take_error): AFDIO_EINVAL (NULL, bad addr, an abstract name off Linux);
 * AFDIO_ECONNREFUSED (a Unix-domain path with no listener);
 * AFDIO_ENOENT (no such path; Windows may say AFDIO_ECONNREFUSED);
 * AFDIO_EAGAIN (Unix-domain listener backlog full); AFDIO_ENETUNREACH;
 * AFDIO_EADDRNOTAVAIL; AFDIO_EAFNOSUPPORT (also: no AF_UNIX on this
 * system); AFDIO_EMFILE; AFDIO_ENOMEM; AFDIO_EIO. On error *out is NULL.
 * Thread safety: any thread. */
AFDIO_API int afdio_stream_connect(afdio_stream_t **out,
                                   const afdio_addr_t *addr);

/* A connected pair of Unix-domain streams (socketpair). Errors:
 * AFDIO_EINVAL (NULL); AFDIO_EMFILE; AFDIO_ENOSYS (Windows); AFDIO_EIO. */
AFDIO_API int afdio_stream_pair(afdio_stream_t **a, afdio_stream_t **b);

/* Reads up to len bytes. Returns the count, 0 at the end of the stream
 * (the peer shut down or closed), or 0 at once for len 0 (no system call).
 * A count below len means the receive queue was emptied: like AFDIO_EAGAIN
 * it re-arms AFDIO_READABLE, so an edge loop may stop reading there and
 * wait; bytes left or arriving later are reported (at worst one extra
 * event, never a lost one). readv and peek re-arm on AFDIO_EAGAIN only.
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (nothing to read: re-arms
 * AFDIO_READABLE); AFDIO_ECONNRESET (the peer reset; later reads may give
 * 0, and Wine 8 gives 0 at once); AFDIO_ECONNABORTED; AFDIO_ENOTCONN (not
 * connected yet); AFDIO_ESHUTDOWN (Windows, after AFDIO_SHUT_RD);
 * AFDIO_ETIMEDOUT (keep-alive failed); AFDIO_EIO. Thread safety: above. */
AFDIO_API ptrdiff_t afdio_stream_read(afdio_stream_t *stream, void *buf,
                                      size_t len);

/* Reads into several buffers, in order. Returns as afdio_stream_read();
 * 0 at once when every buffer is empty. Errors: as afdio_stream_read(), and AFDIO_EINVAL for
 * bufs NULL with count > 0. */
AFDIO_API ptrdiff_t afdio_stream_readv(afdio_stream_t *stream,
                                       const afdio_buf_t *bufs, size_t count);

/* Reads without consuming: the next read sees the same bytes. AFDIO_EAGAIN
 * re-arms AFDIO_READABLE as a read does (mio#1895), so peeking never loses
 * readiness. Returns and errors as afdio_stream_read(). */
AFDIO_API ptrdiff_t afdio_stream_peek(afdio_stream_t *stream, void *buf,
                                      size_t len);

/* Writes up to len bytes; returns how many were taken (maybe fewer: write
 * the rest later). 0 at once for len 0 (no system call). A count below len
 * (the send buffer filled) re-arms AFDIO_WRITABLE as AFDIO_EAGAIN does.
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (the send buffer is full:
 * re-arms AFDIO_WRITABLE); AFDIO_EPIPE (Unix: this side shut down writing,
 * or, on Linux, after the peer reset); AFDIO_ESHUTDOWN (Windows: this side
 * shut down writing); AFDIO_ECONNRESET; AFDIO_ECONNABORTED (Windows, after
 * a reset); AFDIO_ENOTCONN; AFDIO_EIO. The exact code after a peer reset
 * differs by system: treat AFDIO_ECONNRESET, AFDIO_EPIPE and
 * AFDIO_ECONNABORTED alike as "connection gone". Thread safety: above. */
AFDIO_API ptrdiff_t afdio_stream_write(afdio_stream_t *stream, const void *buf,
                                       size_t len);

/* Writes several buffers, in order, as one call. Returns and errors as
 * afdio_stream_write(). */
AFDIO_API ptrdiff_t afdio_stream_writev(afdio_stream_t *stream,
                                        const afdio_buf_t *bufs, size_t count);

/* Shuts down reading (AFDIO_SHUT_RD), writing (AFDIO_SHUT_WR: the peer
 * reads 0 once it has the data) or both (AFDIO_SHUT_RDWR).
 * What a later read returns after AFDIO_SHUT_RD differs: 0 on Linux,
 * AFDIO_ECONNABORTED or AFDIO_ESHUTDOWN on Windows (Wine: AFDIO_ESHUTDOWN);
 * a write after AFDIO_SHUT_WR gives AFDIO_EPIPE on Unix and
 * AFDIO_ESHUTDOWN on Windows (Wine: the same or AFDIO_ECONNABORTED).
 * Errors: AFDIO_EINVAL (NULL, bad how); AFDIO_ENOTCONN; AFDIO_EIO. */
AFDIO_API int afdio_stream_shutdown(afdio_stream_t *stream, int how);

/* The local / peer address. Errors: AFDIO_EINVAL (NULL); AFDIO_ENOTCONN
 * (peer: not connected, or the connect is still in progress or failed). */
AFDIO_API int afdio_stream_local_addr(const afdio_stream_t *stream,
                                      afdio_addr_t *addr);
AFDIO_API int afdio_stream_peer_addr(const afdio_stream_t *stream,
                                     afdio_addr_t *addr);

/* Reads and clears the socket's pending error (SO_ERROR): 0 when none,
 * else the error as AFDIO_E* (AFDIO_ECONNREFUSED after a refused connect).
 * AFDIO_EINVAL for NULL. */
AFDIO_API int afdio_stream_take_error(afdio_stream_t *stream);

/* Options (AFDIO_OPT_NODELAY, _KEEPALIVE, _LINGER, _TTL, _SNDBUF, _RCVBUF,
 * _V6ONLY). Errors: AFDIO_EINVAL (NULL, option not for streams, value out
 * of range); AFDIO_ENOTSUP (not for this family); AFDIO_EIO. */
AFDIO_API int afdio_stream_setopt(afdio_stream_t *stream,
                                  afdio_option_t option, int value);
AFDIO_API int afdio_stream_getopt(const afdio_stream_t *stream,
                                  afdio_option_t option, int *value);

/* Registration, as for listeners. */
AFDIO_API int afdio_stream_register(afdio_stream_t *stream,
                                    afdio_poller_t *poller, uint64_t token,
                                    uint32_t interest);
AFDIO_API int afdio_stream_reregister(afdio_stream_t *stream, uint64_t token,
                                      uint32_t interest);
AFDIO_API int afdio_stream_deregister(afdio_stream_t *stream);
AFDIO_API afdio_socket_t afdio_stream_socket(const afdio_stream_t *stream);

/* Deregisters (if registered), closes and frees, as for listeners. Data
 * not yet sent still goes out unless AFDIO_OPT_LINGER is 0 (then the peer
 * gets a reset). */
AFDIO_API int afdio_stream_close(afdio_stream_t *stream);

/* ------------------------------------------------------------------------ */
/* Datagram sockets: UDP, Unix-domain datagram                               */

/* Creates a datagram socket bound to addr in *out: UDP for IPv4/IPv6 (port
 * 0 picks a free port; AFDIO_OPT_UDP_CONNRESET is set to 0 on Windows), a
 * Unix-domain datagram socket for a path. flags: 0 or AFDIO_DUAL_STACK.
 * Errors: as afdio_listener_bind(), and AFDIO_ENOSYS for a Unix-domain
 * address on Windows. Thread safety: any thread. */
AFDIO_API int afdio_datagram_bind(afdio_datagram_t **out,
                                  const afdio_addr_t *addr, unsigned flags);

/* Creates a datagram socket that is not bound, in *out: family
 * AFDIO_AF_INET or AFDIO_AF_INET6 gives UDP (the system binds it to a free
 * port at the first send_to; AFDIO_OPT_UDP_CONNRESET is 0 on Windows), and
 * AFDIO_AF_UNIX an unnamed Unix-domain datagram socket, which sends to
 * bound paths (send_to, or connect then send): the receiver sees an
 * unnamed sender (recv_from gives a zeroed address on Linux, an unnamed
 * one that afdio_addr_format() prints as "" elsewhere), so it cannot
 * answer; a client that wants answers binds a path of its own with
 * afdio_datagram_bind().
 * Errors: AFDIO_EINVAL (out NULL, another family); AFDIO_EAFNOSUPPORT (no
 * IPv6 on this host); AFDIO_ENOSYS (AFDIO_AF_UNIX on Windows, which has no
 * Unix-domain datagram sockets); AFDIO_EMFILE; AFDIO_ENOMEM; AFDIO_EIO. On
 * error *out is NULL. Thread safety: any thread. */
AFDIO_API int afdio_datagram_unbound(afdio_datagram_t **out, int family);

/* A connected pair of unnamed Unix-domain datagram sockets. Errors:
 * AFDIO_EINVAL (NULL); AFDIO_EMFILE; AFDIO_ENOSYS (Windows); AFDIO_EIO. */
AFDIO_API int afdio_datagram_pair(afdio_datagram_t **a, afdio_datagram_t **b);

/* Sets the default peer: afdio_datagram_send() goes there and only its
 * datagrams are received. Errors: AFDIO_EINVAL (NULL, bad addr, family
 * mismatch); AFDIO_ENETUNREACH; AFDIO_EADDRNOTAVAIL; AFDIO_EIO. */
AFDIO_API int afdio_datagram_connect(afdio_datagram_t *dgram,
                                     const afdio_addr_t *addr);

/* Sends one datagram (len 0 sends an empty datagram) to the connected
 * peer / to addr. Returns len.
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (re-arms AFDIO_WRITABLE);
 * AFDIO_EMSGSIZE (too long); AFDIO_ENOTCONN (send without connect);
 * AFDIO_EISCONN (send_to on a connected socket, on some systems);
 * AFDIO_ECONNREFUSED (connected, Linux: an earlier datagram was refused);
 * AFDIO_EACCES (broadcast without AFDIO_OPT_BROADCAST); AFDIO_ENETUNREACH;
 * AFDIO_EHOSTUNREACH; AFDIO_EIO. Thread safety: above. */
AFDIO_API ptrdiff_t afdio_datagram_send(afdio_datagram_t *dgram,
                                        const void *buf, size_t len);
AFDIO_API ptrdiff_t afdio_datagram_send_to(afdio_datagram_t *dgram,
                                           const void *buf, size_t len,
                                           const afdio_addr_t *addr);

/* Receives one datagram: returns its length (0 for an empty datagram); a
 * datagram longer than len is truncated to len and the rest dropped, on
 * every OS; so len 0 (buf may then be NULL) takes one queued datagram and
 * returns 0. recv_from also gives the sender in *from (may be NULL).
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (none queued: re-arms
 * AFDIO_READABLE); AFDIO_ECONNREFUSED (connected, Linux: an earlier
 * datagram was refused); AFDIO_ECONNRESET (Windows with
 * AFDIO_OPT_UDP_CONNRESET 1 only); AFDIO_EIO. Thread safety: above. */
AFDIO_API ptrdiff_t afdio_datagram_recv(afdio_datagram_t *dgram, void *buf,
                                        size_t len);
AFDIO_API ptrdiff_t afdio_datagram_recv_from(afdio_datagram_t *dgram,
                                             void *buf, size_t len,
                                             afdio_addr_t *from);

/* Like afdio_datagram_recv() / _recv_from(), but the datagram stays
 * queued: the next peek or receive sees it again (with len smaller than the
 * datagram, the first len bytes; the rest is not lost). AFDIO_EAGAIN
 * re-arms AFDIO_READABLE as a receive does, so peeking never loses
 * readiness. Returns, errors and thread safety as afdio_datagram_recv(). */
AFDIO_API ptrdiff_t afdio_datagram_peek(afdio_datagram_t *dgram, void *buf,
                                        size_t len);
AFDIO_API ptrdiff_t afdio_datagram_peek_from(afdio_datagram_t *dgram, void *buf,
                                             size_t len, afdio_addr_t *from);

/* Joins / leaves a multicast group (IPv4 or IPv6, by the group's family;
 * its port is ignored) on an interface: for IPv4, iface is the interface's
 * local IPv4 address (NULL: the system's choice); for IPv6, the interface
 * index is iface's scope id (NULL: 0, the system's choice).
 * Errors: AFDIO_EINVAL (NULL, not multicast, family mismatch with the
 * socket or iface); AFDIO_EADDRNOTAVAIL (no such interface, or leaving a
 * group not joined); AFDIO_EADDRINUSE (already joined); AFDIO_ENETUNREACH
 * or AFDIO_EIO (no multicast route). Thread safety: above. */
AFDIO_API int afdio_datagram_join_multicast(afdio_datagram_t *dgram,
                                            const afdio_addr_t *group,
                                            const afdio_addr_t *iface);
AFDIO_API int afdio_datagram_leave_multicast(afdio_datagram_t *dgram,
                                             const afdio_addr_t *group,
                                             const afdio_addr_t *iface);

/* Addresses: the bound one, and the connected peer (AFDIO_ENOTCONN when
 * none). Errors: AFDIO_EINVAL (NULL); AFDIO_EIO. */
AFDIO_API int afdio_datagram_local_addr(const afdio_datagram_t *dgram,
                                        afdio_addr_t *addr);
AFDIO_API int afdio_datagram_peer_addr(const afdio_datagram_t *dgram,
                                       afdio_addr_t *addr);

/* Reads and clears SO_ERROR, as afdio_stream_take_error(). */
AFDIO_API int afdio_datagram_take_error(afdio_datagram_t *dgram);

/* Options (AFDIO_OPT_TTL, _SNDBUF, _RCVBUF, _V6ONLY, _BROADCAST,
 * _MULTICAST_TTL, _MULTICAST_LOOP, _UDP_CONNRESET). Errors: as
 * afdio_stream_setopt(). */
AFDIO_API int afdio_datagram_setopt(afdio_datagram_t *dgram,
                                    afdio_option_t option, int value);
AFDIO_API int afdio_datagram_getopt(const afdio_datagram_t *dgram,
                                    afdio_option_t option, int *value);

/* Registration, as for listeners. */
AFDIO_API int afdio_datagram_register(afdio_datagram_t *dgram,
                                      afdio_poller_t *poller, uint64_t token,
                                      uint32_t interest);
AFDIO_API int afdio_datagram_reregister(afdio_datagram_t *dgram,
                                        uint64_t token, uint32_t interest);
AFDIO_API int afdio_datagram_deregister(afdio_datagram_t *dgram);
AFDIO_API afdio_socket_t afdio_datagram_socket(const afdio_datagram_t *dgram);

/* Deregisters (if registered), closes and frees, as for listeners. */
AFDIO_API int afdio_datagram_close(afdio_datagram_t *dgram);

/* ------------------------------------------------------------------------ */
/* Adopting and releasing sockets made elsewhere                             */

/* Takes an existing socket (inherited from a service manager, made by
 * another library, made by plain socket()/accept()) as a new object in
 * *out, which then owns it: afdio_*_close() closes it. The socket must be
 * of a supported family (IPv4, IPv6, Unix-domain) and of the object's type:
 * afdio_listener_adopt() a stream socket on which listen() was called;
 * afdio_stream_adopt() a stream socket that is not listening (connected,
 * connecting, or accepted); afdio_datagram_adopt() a datagram socket, bound
 * or not, connected or not. The socket is checked first and left untouched
 * when it does not fit; once accepted it is made non-blocking, not
 * inheritable by child processes (FD_CLOEXEC; on Windows the handle's
 * inherit flag), on macOS SO_NOSIGPIPE, and for UDP on Windows
 * AFDIO_OPT_UDP_CONNRESET 0, as every socket afdio makes. Its other options
 * stay as they are (no SO_REUSEADDR or SO_EXCLUSIVEADDRUSE is added to an
 * adopted listener). It is not registered anywhere.
 * Errors: AFDIO_EINVAL (out NULL, sock AFDIO_INVALID_SOCKET, a socket of
 * the wrong type: a datagram socket given to stream_adopt, a listening one
 * to stream_adopt, a non-listening one to listener_adopt);
 * AFDIO_ENOTSOCK (not a socket; on Windows also a closed handle value);
 * AFDIO_EBADF (Unix: a closed descriptor); AFDIO_EAFNOSUPPORT (another
 * family, such as AF_PACKET or AF_BLUETOOTH); AFDIO_ENOMEM (the socket is
 * untouched); AFDIO_EIO (the system refused the mode change: then the
 * socket may be non-inheritable already, and is still the caller's). On
 * error *out is NULL and the socket still belongs to the caller.
 * Thread safety: any thread; nothing else may use the socket during the
 * call. */
AFDIO_API int afdio_listener_adopt(afdio_listener_t **out, afdio_socket_t sock);
AFDIO_API int afdio_stream_adopt(afdio_stream_t **out, afdio_socket_t sock);
AFDIO_API int afdio_datagram_adopt(afdio_datagram_t **out, afdio_socket_t sock);

/* Gives the socket back: deregisters the object (if registered; after this
 * returns no wait that starts later reports its token), frees it, and
 * stores the socket, still open and now the caller's, in *out. The socket
 * stays non-blocking and non-inheritable. The object must not be used
 * again. Errors: AFDIO_EINVAL (object or out NULL; then nothing is freed).
 * Thread safety: the last call on the object, as close. */
AFDIO_API int afdio_listener_release(afdio_listener_t *listener,
                                     afdio_socket_t *out);
AFDIO_API int afdio_stream_release(afdio_stream_t *stream, afdio_socket_t *out);
AFDIO_API int afdio_datagram_release(afdio_datagram_t *dgram,
                                     afdio_socket_t *out);

/* ======================================================================== */
/* Local IPC (afdio_pipe): named pipes on Windows, Unix-domain elsewhere     */
/* ======================================================================== */
/*
 * One API for local inter-process connections that builds unchanged on
 * every platform: on Windows a named pipe (\\.\pipe\NAME) driven through
 * the poller's completion port, elsewhere a Unix-domain stream socket.
 * A server binds a listener to a name and accepts pipes; a client connects
 * to the name. Pipes are byte streams in both directions, with no
 * half-close: when one end closes, the other reads the data still in
 * flight, then 0, and writes fail with AFDIO_EPIPE.
 *
 * Readiness is the poller's: register a pipe or a listener with
 * afdio_pipe_register() / afdio_pipe_listener_register() and the events
 * (AFDIO_READABLE, AFDIO_WRITABLE, AFDIO_READ_CLOSED, AFDIO_WRITE_CLOSED,
 * AFDIO_ERROR) come from afdio_poller_wait() with the token, in the three
 * modes (edge, level, oneshot) with the same rules as sockets; as for
 * sockets, in edge mode a call returning AFDIO_EAGAIN, or a read or write
 * that moves fewer bytes than asked, re-arms that direction.
 *
 * Windows (readiness over completion, the design of mio's NamedPipe): a
 * pipe keeps one overlapped read into an internal buffer pending and is
 * readable when it completes; writes are copied into an internal buffer
 * that is written overlapped, and the pipe is writable while that buffer
 * has room. So on Windows:
 * - a pipe does I/O only once registered: before, read and write give
 *   AFDIO_EAGAIN (and so do accept and connects on a listener);
 * - a pipe (and a listener) belongs for its life to the first poller it is
 *   registered with (its handle is bound to that poller's completion
 *   port): registering it with another gives AFDIO_EEXIST. An accepted
 *   pipe belongs to its listener's poller. Portable programs use one
 *   poller per pipe for its life.
 * - closing a pipe cancels its read; data already taken by a write is
 *   still written (the handle closes when it is), unless the poller is
 *   deleted first. Nothing is freed while the system may still write into
 *   it.
 * - deleting the poller cancels the I/O of every pipe bound to it and
 *   waits for it; afterwards such pipes give AFDIO_ECANCELED and should be
 *   closed.
 * Security: a Windows listener's pipe grants access to the current user
 * only (a DACL with one entry: the process token's user) and rejects
 * remote clients; a Unix listener's socket file is mode 0600 (made so
 * before it listens), so only the same user (and root) can connect.
 * Neither is ever world-writable.
 *
 * Thread safety: as for net/ objects. I/O calls may run on several threads
 * at once; register, reregister, deregister and close must not run
 * concurrently with any other call on the same object.
 */

typedef struct afdio_pipe afdio_pipe_t;
typedef struct afdio_pipe_listener afdio_pipe_listener_t;

/* Options of afdio_pipe_listener_bind() and afdio_pipe_connect(). Zero
 * every field (or pass NULL) for the defaults. */
typedef struct afdio_pipe_options {
  /* Listener: how many server instances wait for clients (Windows; a Unix
   * listener's backlog). A client that finds them all taken by
   * connections not accepted yet gets AFDIO_EAGAIN; each accept queues a
   * new one. 0 means 4; at most 255. (Linux may admit one more.) */
  unsigned instances;
  /* Both: bytes of buffering per direction (Windows: the pipe's own
   * buffers and afdio's internal read and write buffers; Unix: SO_SNDBUF
   * and SO_RCVBUF, which the system may round). 0 means 65536; at most
   * 16 MiB. */
  unsigned buffer_size;
  /* Reserved: 0. */
  unsigned flags;
} afdio_pipe_options_t;

/* The longest name afdio_pipe_name() makes, its NUL included. */
#define AFDIO_PIPE_NAME_MAX 108

/* Makes the platform's conventional name for a short pipe name in buf
 * (size bytes, NUL included): "\\.\pipe\SHORT" on Windows;
 * "$XDG_RUNTIME_DIR/SHORT.sock" on Unix when XDG_RUNTIME_DIR is set (an
 * absolute path), else "/tmp/SHORT.UID.sock" (UID the real user id).
 * short_name: 1-64 bytes of letters, digits, '.', '-', '_', not starting
 * with '.'. Returns the length written, without the NUL.
 * Errors: AFDIO_EINVAL (NULL, bad short name, or the result would not fit
 * a Unix socket path); AFDIO_ENOBUFS (buf too small; AFDIO_PIPE_NAME_MAX
 * always suffices). Thread safety: any thread. */
AFDIO_API int afdio_pipe_name(char *buf, size_t size, const char *short_name);

/* Creates a listener on name (a platform name, see afdio_pipe_name();
 * UTF-8) in *out, with options (NULL for the defaults).
 * Errors: AFDIO_EINVAL (NULL, empty name, options out of range, flags not
 * 0; on Windows a name not of the form \\.\pipe\NAME); AFDIO_EADDRINUSE
 * (another listener serves the name; on Unix a socket file of a live
 * server: a file left by a server that died is replaced);
 * AFDIO_EACCES (no permission for the name or its directory);
 * AFDIO_ENOENT (Unix: the directory does not exist); AFDIO_EMFILE;
 * AFDIO_ENOMEM; AFDIO_EIO. On error *out is NULL.
 * Thread safety: any thread. */
AFDIO_API int afdio_pipe_listener_bind(afdio_pipe_listener_t **out,
                                       const char *name,
                                       const afdio_pipe_options_t *options);

/* Accepts one connected client as a new pipe in *out (not registered).
 * Accept until AFDIO_EAGAIN after a readable event.
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (none waiting, or on Windows
 * the listener is not registered yet: re-arms AFDIO_READABLE);
 * AFDIO_ECANCELED (Windows: the listener's poller was deleted);
 * AFDIO_EMFILE; AFDIO_ENOMEM; AFDIO_EIO. On error *out is NULL.
 * Thread safety: see above. */
AFDIO_API int afdio_pipe_listener_accept(afdio_pipe_listener_t *listener,
                                         afdio_pipe_t **out);

/* Registration of a listener: AFDIO_READABLE when a client waits to be
 * accepted. Errors: as afdio_poller_register(), and AFDIO_EEXIST when it
 * is registered already, or (Windows) bound to another poller. */
AFDIO_API int afdio_pipe_listener_register(afdio_pipe_listener_t *listener,
                                           afdio_poller_t *poller,
                                           uint64_t token, uint32_t interest);
/* Errors: AFDIO_EINVAL (NULL, bad interest); AFDIO_ENOENT (not
 * registered). */
AFDIO_API int afdio_pipe_listener_reregister(afdio_pipe_listener_t *listener,
                                             uint64_t token,
                                             uint32_t interest);
/* Errors: AFDIO_EINVAL (NULL); AFDIO_ENOENT (not registered). */
AFDIO_API int afdio_pipe_listener_deregister(afdio_pipe_listener_t *listener);

/* Deregisters, stops serving the name (on Unix the socket file is
 * removed) and frees the listener; clients connected and not accepted yet
 * see their pipe closed. Errors: AFDIO_EINVAL (NULL). Everything is
 * released even when the system reports an error. Thread safety: the last
 * call on the listener. */
AFDIO_API int afdio_pipe_listener_close(afdio_pipe_listener_t *listener);

/* Connects to the listener serving name as a new pipe in *out, without
 * blocking: the pipe is connected when this returns 0. options: NULL, or
 * buffer_size (instances is ignored).
 * Errors: AFDIO_EINVAL (NULL, empty name, bad options; on Windows a name
 * not of the form \\.\pipe\NAME, so a file is never opened); AFDIO_ENOENT
 * (nobody serves the name); AFDIO_EAGAIN (every server instance is taken,
 * or the backlog is full: retry later; no wait for a free instance is
 * offered, as it would block); AFDIO_EACCES (the server refuses this
 * user); AFDIO_EMFILE; AFDIO_ENOMEM; AFDIO_EIO. On error *out is NULL.
 * Thread safety: any thread. */
AFDIO_API int afdio_pipe_connect(afdio_pipe_t **out, const char *name,
                                 const afdio_pipe_options_t *options);

/* Reads up to len bytes: the count, 0 at once for len 0, or 0 when the
 * other end closed and everything it sent was read. A count below len
 * re-arms AFDIO_READABLE as AFDIO_EAGAIN does.
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (nothing to read now: wait
 * for the readable event; on Windows the next read is issued by the next
 * afdio_poller_wait() on the pipe's poller, and before the pipe is
 * registered there is none); AFDIO_ECANCELED (Windows:
 * the pipe's poller was deleted); AFDIO_EIO. Thread safety: see above. */
AFDIO_API ptrdiff_t afdio_pipe_read(afdio_pipe_t *pipe, void *buf, size_t len);

/* Writes up to len bytes; returns how many were taken (maybe fewer: write
 * the rest after a writable event), 0 at once for len 0. A count below len
 * re-arms AFDIO_WRITABLE as AFDIO_EAGAIN does.
 * Errors: AFDIO_EINVAL (NULL); AFDIO_EAGAIN (no room now; on Windows also
 * before the pipe is registered); AFDIO_EPIPE (the other end closed);
 * AFDIO_ECANCELED (Windows: the pipe's poller was deleted); AFDIO_EIO.
 * Thread safety: see above. */
AFDIO_API ptrdiff_t afdio_pipe_write(afdio_pipe_t *pipe, const void *buf,
                                     size_t len);

/* Registration, as afdio_stream_register() (errors as
 * afdio_poller_register(); AFDIO_EEXIST when registered already, or on
 * Windows bound to another poller). */
AFDIO_API int afdio_pipe_register(afdio_pipe_t *pipe, afdio_poller_t *poller,
                                  uint64_t token, uint32_t interest);
/* Errors: AFDIO_EINVAL (NULL, bad interest); AFDIO_ENOENT (not
 * registered). */
AFDIO_API int afdio_pipe_reregister(afdio_pipe_t *pipe, uint64_t token,
                                    uint32_t interest);
/* Errors: AFDIO_EINVAL (NULL); AFDIO_ENOENT (not registered). */
AFDIO_API int afdio_pipe_deregister(afdio_pipe_t *pipe);

/* Deregisters (if registered), closes and frees the pipe (see above for
 * what happens to data written and not yet sent). Errors: AFDIO_EINVAL
 * (NULL). Thread safety: the last call on the pipe. */
AFDIO_API int afdio_pipe_close(afdio_pipe_t *pipe);

/* ======================================================================== */
/* End of Networking                                                         */
/* ======================================================================== */

#ifdef __cplusplus
}
#endif

#endif /* AFDIO_H */
