/* Command-line and message helpers shared by the examples. */
#include "example.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int example_parse_addr(const char *prog, const char *text, afdio_addr_t *addr) {
  if (afdio_addr_parse(addr, text) == 0)
    return 0;
  fprintf(stderr, "%s: bad address '%s' (want 127.0.0.1:PORT or [::1]:PORT)\n",
          prog, text);
  return AFDIO_EINVAL;
}

int example_parse_count(const char *prog, const char *option, const char *text,
                        unsigned long min, unsigned long max,
                        unsigned long *out) {
  char *end;
  unsigned long v;
  if (text == NULL) {
    fprintf(stderr, "%s: %s needs a value\n", prog, option);
    return AFDIO_EINVAL;
  }
  errno = 0;
  v = strtoul(text, &end, 10);
  /* strtoul accepts a sign and leading blanks; a count is digits only. */
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v < min ||
      v > max) {
    fprintf(stderr, "%s: %s wants a number from %lu to %lu, not '%s'\n", prog,
            option, min, max, text);
    return AFDIO_EINVAL;
  }
  *out = v;
  return 0;
}

int example_fail(const char *prog, const char *what, int err) {
  fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, afdio_strerror(err),
          afdio_err_name(err));
  return 1;
}

void example_print_listening(const char *prog, const afdio_addr_t *addr) {
  char text[AFDIO_ADDR_STRLEN];
  if (afdio_addr_format(addr, text, sizeof text) < 0)
    snprintf(text, sizeof text, "?");
  printf("%s: listening on %s (backend %s)\n", prog, text, afdio_backend());
  fflush(stdout);
}

int64_t example_timeout_ms(double deadline) {
  double left;
  if (deadline == 0)
    return -1;
  left = (deadline - example_now()) * 1000.0;
  return left <= 0 ? 0 : (int64_t)left + 1;
}

int example_server_open(const char *prog, const afdio_addr_t *addr,
                        afdio_poller_t **poller, afdio_listener_t **listener) {
  afdio_addr_t bound;
  afdio_waker_t *waker;
  int r;
  if ((r = afdio_poller_new(poller)) < 0)
    return example_fail(prog, "poller", r);
  if ((r = afdio_waker_new(*poller, EXAMPLE_TOKEN_WAKER, &waker)) < 0 ||
      (r = example_stop_on_signals(waker)) < 0)
    return example_fail(prog, "waker", r);
  if ((r = afdio_listener_bind(listener, addr, 0, 0)) < 0)
    return example_fail(prog, "bind", r);
  if ((r = afdio_listener_register(*listener, *poller, EXAMPLE_TOKEN_LISTENER,
                                   AFDIO_READABLE | AFDIO_EDGE)) < 0)
    return example_fail(prog, "register listener", r);
  if ((r = afdio_listener_local_addr(*listener, &bound)) < 0)
    return example_fail(prog, "local address", r);
  example_print_listening(prog, &bound);
  return 0;
}
