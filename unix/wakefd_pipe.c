/* The wake descriptor as a non-blocking pipe, for systems without eventfd
 * (and kqueue systems without EVFILT_USER). Each signal writes one byte: a
 * new edge. A full pipe is drained by the signalling thread, which then
 * writes again, so the pipe never stays full and no wake is lost. pipe2()
 * is missing on macOS, so close-on-exec is set right after pipe(): a fork
 * on another thread in between may inherit the ends. */
#include "unix/wakefd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "afdio.h"
#include "unix/error.h"

static int wakefd__configure(int fd) {
  int fd_flags = fcntl(fd, F_GETFD);
  int fl_flags = fcntl(fd, F_GETFL);
  if (fd_flags < 0 || fl_flags < 0)
    return -1;
  if (fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) < 0)
    return -1;
  return fcntl(fd, F_SETFL, fl_flags | O_NONBLOCK);
}

int afdio__wakefd_open(afdio__wakefd_t *wakefd) {
  int fds[2];
  if (pipe(fds) < 0) {
    return afdio__unix_create_error(errno);
  }
  if (wakefd__configure(fds[0]) < 0 || wakefd__configure(fds[1]) < 0) {
    close(fds[0]);
    close(fds[1]);
    return AFDIO_EIO;
  }
  wakefd->read_fd = fds[0];
  wakefd->write_fd = fds[1];
  return 0;
}

/* Reads until the pipe is empty (bounded: signals keep coming from other
 * threads); 1 when it held anything. */
static int wakefd__drain(int fd) {
  char buf[256];
  int got = 0;
  for (int i = 0; i < 1024; i++) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
      got = 1;
    else if (!(n < 0 && errno == EINTR))
      break;
  }
  return got;
}

int afdio__wakefd_signal(const afdio__wakefd_t *wakefd) {
  const char byte = 1;
  for (int attempt = 0; attempt < 3; attempt++) {
    ssize_t n = write(wakefd->write_fd, &byte, 1);
    if (n == 1)
      return 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      wakefd__drain(wakefd->read_fd);
    else if (!(n < 0 && errno == EINTR))
      return AFDIO_EIO;
  }
  return AFDIO_EIO;
}

int afdio__wakefd_drain(const afdio__wakefd_t *wakefd) {
  return wakefd__drain(wakefd->read_fd);
}

void afdio__wakefd_close(afdio__wakefd_t *wakefd) {
  if (wakefd->read_fd >= 0)
    close(wakefd->read_fd);
  if (wakefd->write_fd >= 0)
    close(wakefd->write_fd);
  wakefd->read_fd = -1;
  wakefd->write_fd = -1;
}
