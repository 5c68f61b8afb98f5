/* pipe_pingpong's Unix baseline: Unix-domain stream socket pairs through
 * the raw poller (afdio_poller_* on the descriptors, read/write directly),
 * so the ratio is what the afdio_pipe layer costs. */
#include "bench.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

const char *const bench_pipe_base_name = "unix_raw_poller";

static ptrdiff_t raw__read(void *end, void *buf, size_t len) {
  return bench_recv((afdio_socket_t)(intptr_t)end, buf, len);
}
static ptrdiff_t raw__write(void *end, const void *buf, size_t len) {
  return bench_send((afdio_socket_t)(intptr_t)end, buf, len);
}
static const bench_pipe_io_t raw_io = {raw__read, raw__write};

int bench_pipe_base_run(size_t pipes, double seconds, uint64_t *rt) {
  void **ends = calloc(2 * pipes, sizeof *ends);
  afdio_poller_t *p = NULL;
  uint64_t waits;
  long long allocs;
  size_t made = 0;
  int rc = ends != NULL ? afdio_poller_new(&p) : AFDIO_ENOMEM;
  for (; rc == 0 && made < pipes; made++) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0) {
      rc = AFDIO_EMFILE;
      break;
    }
    ends[2 * made] = (void *)(intptr_t)sv[0];
    ends[2 * made + 1] = (void *)(intptr_t)sv[1];
  }
  for (size_t i = 0; rc == 0 && i < 2 * pipes; i++)
    rc = afdio_poller_register(p, (afdio_socket_t)(intptr_t)ends[i], i,
                               AFDIO_READABLE);
  if (rc == 0)
    rc = bench_pipe_loop(p, ends, &raw_io, pipes, seconds, rt, &waits, &allocs);
  if (p != NULL)
    afdio_poller_delete(p);
  for (size_t i = 0; i < 2 * made; i++)
    close((int)(intptr_t)ends[i]);
  free(ends);
  return rc;
}
