/* Never-connected TCP sockets: see unix/unconnected.h. */
#include "unix/unconnected.h"

#if defined(__linux__)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

int afdio__tcp_unconnected(int fd) {
  /* tcpi_state is the first byte of struct tcp_info; the kernel copies
   * what fits. Anything but a TCP socket fails here. */
  unsigned char state = 0;
  socklen_t len = sizeof state;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &state, &len) != 0 || len < 1)
    return 0;
  if (state != TCP_CLOSE)
    return 0;
  /* A connection that ended (reset, refused, shut down) left RCV_SHUTDOWN
   * set, which poll() shows as POLLRDHUP; a never-connected socket has
   * nothing shut down. */
  struct pollfd p = {.fd = fd, .events = POLLRDHUP};
  if (poll(&p, 1, 0) < 0)
    return 0;
  return (p.revents & (POLLRDHUP | POLLERR)) == 0;
}
#else
int afdio__tcp_unconnected(int fd) {
  (void)fd;
  return 0;
}
#endif
