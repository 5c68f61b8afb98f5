/* The wake descriptor on Linux: one eventfd, both ends. A write adds to its
 * counter and is an edge for EPOLLET even when the counter was already
 * non-zero; the counter is never read on the wait path. */
#include "unix/wakefd.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "afdio.h"
#include "unix/error.h"

int afdio__wakefd_open(afdio__wakefd_t *wakefd) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    return afdio__unix_create_error(errno);
  }
  wakefd->read_fd = fd;
  wakefd->write_fd = fd;
  return 0;
}

/* Resets the counter so the next write succeeds. Only reached after about
 * 2^64 wakes that nobody read, but a wake must never be lost. */
static void wakefd__reset(int fd) {
  uint64_t value;
  while (read(fd, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

int afdio__wakefd_signal(const afdio__wakefd_t *wakefd) {
  const uint64_t one = 1;
  for (int attempt = 0; attempt < 3; attempt++) {
    ssize_t n = write(wakefd->write_fd, &one, sizeof one);
    if (n == (ssize_t)sizeof one)
      return 0;
    if (n < 0 && errno == EAGAIN)
      wakefd__reset(wakefd->write_fd);
    else if (!(n < 0 && errno == EINTR))
      return AFDIO_EIO;
  }
  return AFDIO_EIO;
}

int afdio__wakefd_drain(const afdio__wakefd_t *wakefd) {
  uint64_t value;
  ssize_t n;
  while ((n = read(wakefd->read_fd, &value, sizeof value)) < 0 &&
         errno == EINTR) {
  }
  return n == (ssize_t)sizeof value;
}

void afdio__wakefd_close(afdio__wakefd_t *wakefd) {
  if (wakefd->read_fd >= 0)
    close(wakefd->read_fd);
  wakefd->read_fd = -1;
  wakefd->write_fd = -1;
}
