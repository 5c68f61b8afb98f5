/* echo_server [ADDR]: the echo server as a program (default
 * 127.0.0.1:7000; port 0 picks a free port). Runs until killed. */
#include <stdio.h>

#include "echo.h"

int main(int argc, char **argv) {
  const char *addr = argc > 1 ? argv[1] : "127.0.0.1:7000";
  afdio_poller_t *poller;
  echo_t *echo;
  afdio_event_t events[64];
  int err = afdio_poller_new(&poller);
  if (err == 0)
    err = echo_new(&echo, poller, addr);
  if (err < 0) {
    fprintf(stderr, "echo_server: %s: %s\n", addr, afdio_strerror(err));
    return 1;
  }
  printf("echo_server: afdio %s (%s), listening on port %d\n",
         afdio_version_string(), afdio_backend(), echo_port(echo));
  fflush(stdout);
  for (;;) {
    int n = afdio_poller_wait(poller, events, 64, -1);
    for (int i = 0; i < n; i++)
      if ((err = echo_handle(echo, &events[i])) < 0)
        fprintf(stderr, "echo_server: accept: %s\n", afdio_strerror(err));
    if (n < 0) {
      fprintf(stderr, "echo_server: wait: %s\n", afdio_strerror(n));
      return 1;
    }
  }
}
