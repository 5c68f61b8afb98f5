/*
 * Helpers shared by afdio's tests. The socket helpers use the raw platform
 * API (not afdio's net layer), so the poller tests depend on nothing but the
 * poller. The platform parts live in util_unix.c and util_win.c, picked by
 * build.zig; tests themselves never need a platform #if.
 *
 * Conventions:
 * - Functions returning int give 0 (or a count) on success and a negative
 *   AFDIO_E* code on failure, mapped from errno / WSAGetLastError().
 * - Every socket made here is non-blocking, not inheritable, and tracked:
 *   util_fini() (use it as the test's .fini) closes what the test left open
 *   and deletes pollers made with util_poller(), so a failed assertion under
 *   the shim runner (all tests in one process) leaks nothing into the next
 *   test. Create tracked objects on the test's own thread.
 * - Helpers whose name says "expect" assert (fatally) and print what was
 *   actually seen. Call them only on the test's thread: an assertion on
 *   another thread is not portable between Criterion and the shim.
 */
#ifndef AFDIO_TESTS_UTIL_H
#define AFDIO_TESTS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "afdio.h"

/* ------------------------------------------------------------------------ */
/* Setup and cleanup                                                         */

/* Once-per-process platform setup (WSAStartup on Windows). Every helper
 * calls it; tests may call it too. Returns 0 or AFDIO_E*. */
int util_init(void);

/* Closes every tracked socket still open and deletes every tracked poller
 * (pollers first). Safe to call when nothing is tracked. */
void util_fini(void);

/* A new poller, tracked; asserts that creation succeeds. */
afdio_poller_t *util_poller(void);

/* Deletes a poller made by util_poller() and stops tracking it. */
int util_poller_delete(afdio_poller_t *poller);

/* ------------------------------------------------------------------------ */
/* Sockets (platform part)                                                   */

/* A connected, non-blocking TCP pair on 127.0.0.1 (IPv4). */
int util_tcp_pair(afdio_socket_t *client, afdio_socket_t *server);

/* The same on ::1. AFDIO_EAFNOSUPPORT or AFDIO_EADDRNOTAVAIL when the host
 * has no IPv6 loopback (tests then skip). */
int util_tcp_pair6(afdio_socket_t *client, afdio_socket_t *server);

/* A non-blocking listener on 127.0.0.1, port 0; *port gets the port. */
int util_listener(afdio_socket_t *out, uint16_t *port);

/* Non-blocking accept: 0 and *out, or AFDIO_EAGAIN, or AFDIO_E*. */
int util_accept(afdio_socket_t listener, afdio_socket_t *out);

/* A new unconnected, non-blocking IPv4 TCP socket. */
int util_tcp_socket(afdio_socket_t *out);

/* Starts a non-blocking connect of a new socket to 127.0.0.1:port.
 * Returns 0 whether the connect finished at once or is in progress; a
 * negative AFDIO_E* only for a failure reported at once. */
int util_connect_start(uint16_t port, afdio_socket_t *out);

/* Starts a non-blocking connect of s (say from util_tcp_socket) to
 * 127.0.0.1:port: 0 whether it finished at once or is in progress. */
int util_connect(afdio_socket_t s, uint16_t port);

/* A second handle for the same open socket, tracked: dup() on Unix,
 * WSADuplicateSocket() + WSASocket() on Windows. */
int util_dup(afdio_socket_t s, afdio_socket_t *out);

/* A 127.0.0.1 port where nothing listens (bound, then closed again). */
int util_closed_port(uint16_t *port);

/* Non-blocking send / recv: bytes moved (recv: 0 at end of stream), or
 * AFDIO_EAGAIN, or another AFDIO_E*. */
long util_send(afdio_socket_t s, const void *buf, size_t len);
long util_recv(afdio_socket_t s, void *buf, size_t len);

/* Sends one out-of-band (urgent) byte with MSG_OOB. */
int util_send_oob(afdio_socket_t s, char byte);

/* Receives until AFDIO_EAGAIN or end of stream. Returns the bytes read, or
 * a negative AFDIO_E* other than AFDIO_EAGAIN. *eof (may be NULL) says
 * whether the end of stream was seen. */
long util_drain(afdio_socket_t s, int *eof);

/* Sends until AFDIO_EAGAIN (fills both socket buffers). Returns the bytes
 * sent, or a negative AFDIO_E* other than AFDIO_EAGAIN. */
long util_fill(afdio_socket_t s);

/* Sends len bytes of a pattern; asserts that they all went out. */
void util_send_all(afdio_socket_t s, size_t len);

int util_close(afdio_socket_t s);
/* SO_LINGER {1, 0} then close: the peer gets a reset (RST). */
int util_close_abortive(afdio_socket_t s);
int util_shutdown_write(afdio_socket_t s);

/* The pending socket error (SO_ERROR) as an AFDIO_E* code, 0 if none; a
 * failure of getsockopt itself is also returned as AFDIO_E*. */
int util_socket_error(afdio_socket_t s);

/* Sockets as another library makes them, for the adopt tests: plain
 * socket() (blocking, and inheritable where the system makes sockets so:
 * Windows, and Unix without SOCK_CLOEXEC), IPv4, TCP or UDP; not tracked:
 * the test owns them. */
#define UTIL_STREAM 1
#define UTIL_DGRAM 2
int util_plain_socket(int type, afdio_socket_t *out);
/* Binds a plain socket to 127.0.0.1:0 and, for TCP, listens; *port gets
 * the port. */
int util_plain_listen(afdio_socket_t s, int type, uint16_t *port);
/* accept() on a plain listener: the new socket is as the system makes it
 * (blocking on both systems); blocks until a connection is pending. */
int util_plain_accept(afdio_socket_t listener, afdio_socket_t *out);
/* UTIL_STREAM or UTIL_DGRAM for an open socket (SO_TYPE), another
 * positive value for other types, or AFDIO_E* (a closed or non-socket). */
int util_socket_type(afdio_socket_t s);
/* 1 when a child process would inherit s, 0 when not, or AFDIO_E*. */
int util_is_inheritable(afdio_socket_t s);

/* A Unix-domain socket path of this process, numbered n, in buf (size
 * bytes: 108 suffice), in the system's temporary folder, with any file of
 * that name removed first; util_remove_path() removes it afterwards. */
const char *util_socket_path(char *buf, size_t size, int n);
void util_remove_path(const char *path);

/* A handle that is not a socket (a file on Unix, an event on Windows), for
 * AFDIO_ENOTSOCK tests, and its release. */
int util_non_socket(afdio_socket_t *out);
void util_non_socket_close(afdio_socket_t s);

/* Waits up to timeout_ms, without afdio (poll()/select()), until s is
 * readable. Returns 1 when readable, 0 on timeout, or AFDIO_E*. Used to
 * establish a precondition independently of the backend under test. */
int util_wait_readable(afdio_socket_t s, int timeout_ms);

/* This process's id (getpid / GetCurrentProcessId). */
long util_pid(void);

/* A platform pipe name (afdio_pipe_name) unique to this process and tag:
 * "afdio-test-PID-TAG". Asserts that it fits. */
const char *util_pipe_name(char *buf, size_t size, const char *tag);

/* 1 when running under Wine (for tests that state a Wine deviation), else 0. */
int util_is_wine(void);

/* 1 on Linux, whatever the backend (epoll, or poll with -Dbackend=poll). */
int util_is_linux(void);

/* The number of open descriptors (Unix: /proc/self/fd or /dev/fd) or kernel
 * handles (Windows: NtQuerySystemInformation(SystemExtendedHandleInformation)
 * filtered by this process, as GetProcessHandleCount is a stub returning 0
 * under Wine 8) of this process; -1 when it cannot be counted. */
long util_handle_count(void);

/* ------------------------------------------------------------------------ */
/* Time, threads, atomics                                                    */

/* A monotonic clock, in milliseconds. */
double util_now_ms(void);

/* Sleeps at least ms. Only for making another thread's blocking call
 * actually block first, never to let events "settle". */
void util_sleep_ms(int ms);

typedef struct util_thread util_thread_t;
/* Starts fn(arg) on a new thread. Returns 0 or AFDIO_E*. */
int util_thread_start(util_thread_t **out, void (*fn)(void *), void *arg);
/* Waits for the thread to end and frees it. Returns 0 or AFDIO_E*. */
int util_thread_join(util_thread_t *thread);

/* A counter/flag safe to share between threads (sequentially consistent). */
typedef struct util_atomic {
  volatile long value;
} util_atomic_t;
long util_atomic_load(util_atomic_t *a);
void util_atomic_store(util_atomic_t *a, long v);
/* Adds delta and returns the new value. */
long util_atomic_add(util_atomic_t *a, long delta);

/* A wait on another thread: util_blocked_wait_start() starts it on p (for
 * timeout_ms, 5000 when 0) and returns once the thread has started, plus
 * 50 ms: a wait entering the kernel cannot be observed, so this only makes
 * it very likely blocked, and every test using it is correct either way.
 * Join the thread before any fatal assertion. NULL if no thread starts. */
typedef struct util_blocked_wait {
  afdio_poller_t *poller;
  int64_t timeout_ms;
  int result; /* the wait's return value, once joined */
  afdio_event_t ev[8];
  double took_ms;
  util_atomic_t started;
  util_atomic_t done;
} util_blocked_wait_t;
util_thread_t *util_blocked_wait_start(util_blocked_wait_t *b,
                                       afdio_poller_t *p);

/* ------------------------------------------------------------------------ */
/* Events                                                                    */

/* Writes "READABLE|WRITABLE|..." (or "0") for an events mask into buf. */
const char *util_events_str(uint32_t events, char *buf, size_t size);

/* Waits up to timeout_ms for events carrying `token` whose bits, OR'ed
 * together over all events seen for that token, include must_have (0 means
 * any event for the token). Returns that OR of bits. Events for other tokens
 * are consumed and ignored. Asserts on timeout or error, listing every event
 * seen. */
uint32_t util_expect_event(afdio_poller_t *poller, uint64_t token,
                           uint32_t must_have, int timeout_ms);

/* One wait of timeout_ms; asserts that it reports no event at all. */
void util_expect_no_events(afdio_poller_t *poller, int timeout_ms);

/* Waits until timeout_ms has passed; asserts that no event carries token.
 * Events for other tokens are consumed and ignored. */
void util_expect_no_event_for(afdio_poller_t *poller, uint64_t token,
                              int timeout_ms);

/* Waits until timeout_ms has passed (every wait bounded by what remains)
 * and counts the events carrying token; *bits (may be NULL) gets their OR. */
int util_count_events_for(afdio_poller_t *poller, uint64_t token,
                          int timeout_ms, uint32_t *bits);

/* ------------------------------------------------------------------------ */
/* Between util.c and the platform parts only                                */

/* Platform setup behind util_init(); called once. */
int util__platform_init(void);
/* Closes a socket without touching the tracking table. */
int util__close_raw(afdio_socket_t s);
/* Tracking of sockets made by the helpers (thread-safe). */
void util__track(afdio_socket_t s);
void util__untrack(afdio_socket_t s);

#endif
