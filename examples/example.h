/* What the example programs share: the platform glue (signal_unix.c or
 * signal_win.c, picked by build.zig, so no example needs a platform #if) and
 * a few helpers for command lines and messages (common.c). */
#ifndef AFDIO_EXAMPLE_H
#define AFDIO_EXAMPLE_H

#include <stdint.h>

#include "afdio.h"

/* Makes Ctrl-C and the platform's quit requests wake the given waker, so
 * the event loop sees an event with the waker's token and stops cleanly.
 * Unix: SIGINT and SIGTERM. Windows: the console control handler (Ctrl-C,
 * Ctrl-Break, closing the console). Returns 0 or AFDIO_EIO. Call once. */
int example_stop_on_signals(afdio_waker_t *waker);

/* A monotonic clock, in seconds, for deadlines and latencies. */
double example_now(void);

/* Parses "a.b.c.d:port" or "[v6]:port"; prints why on failure.
 * Returns 0 or AFDIO_EINVAL. */
int example_parse_addr(const char *prog, const char *text, afdio_addr_t *addr);

/* Parses a decimal count in [min, max]; prints why on failure.
 * Returns 0 or AFDIO_EINVAL. */
int example_parse_count(const char *prog, const char *option, const char *text,
                        unsigned long min, unsigned long max,
                        unsigned long *out);

/* Prints "prog: what: message (AFDIO_E...)" to stderr and returns 1, the
 * exit status for a failed run. */
int example_fail(const char *prog, const char *what, int err);

/* Prints "prog: listening on ADDR" for the bound address, flushed at once so
 * a script reading the output can learn the port chosen for port 0. */
void example_print_listening(const char *prog, const afdio_addr_t *addr);

/* The tokens of the TCP servers: the listener, the quit waker, then one
 * per connection slot from EXAMPLE_TOKEN_FIRST_CONN on. */
enum {
  EXAMPLE_TOKEN_LISTENER = 0,
  EXAMPLE_TOKEN_WAKER = 1,
  EXAMPLE_TOKEN_FIRST_CONN = 2
};

/* A TCP server's start: a poller, a waker that Ctrl-C and quit requests
 * wake (EXAMPLE_TOKEN_WAKER), a listener on addr registered in edge mode
 * (EXAMPLE_TOKEN_LISTENER), and "prog: listening on ADDR" printed.
 * Returns 0, or 1 after printing why. */
int example_server_open(const char *prog, const afdio_addr_t *addr,
                        afdio_poller_t **poller, afdio_listener_t **listener);

/* The timeout for the next wait: -1 (none) when deadline is 0, else the
 * milliseconds left, at least 0. */
int64_t example_timeout_ms(double deadline);

#endif
