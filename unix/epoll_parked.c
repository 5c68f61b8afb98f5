/* Parking for the epoll backend: see unix/epoll_parked.h. */
#include "unix/epoll_parked.h"

#include <errno.h>
#include <unistd.h>

#include "afdio.h"
#include "unix/error.h"

int afdio__parked_open(int epfd, int *out) {
  int parked = epoll_create1(EPOLL_CLOEXEC);
  if (parked < 0) {
    return afdio__unix_create_error(errno);
  }
  /* Level-triggered: while a change is not collected, every wait sees it.
   * EPOLLIN too, as a nested epoll wakes its watchers with EPOLLIN alone
   * (fs/eventpoll.c ep_poll_safewake); the tag is what identifies it. */
  struct epoll_event ev = {.events = EPOLLIN | AFDIO__PARKED_TAG};
  ev.data.u64 = 0;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, parked, &ev) < 0) {
    int err = errno == ENOMEM || errno == ENOSPC ? AFDIO_ENOMEM : AFDIO_EIO;
    close(parked);
    return err;
  }
  *out = parked;
  return 0;
}

/* Every bit a state change can show, edge-triggered: the socket is
 * watched only for its next change. */
static struct epoll_event parked__event(int fd) {
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
  ev.data.u64 = (uint64_t)fd;
  return ev;
}

int afdio__parked_add(int parked, int fd) {
  struct epoll_event ev = parked__event(fd);
  if (epoll_ctl(parked, EPOLL_CTL_ADD, fd, &ev) == 0)
    return 0;
  if (errno == EEXIST)
    return AFDIO_EEXIST;
  return errno == ENOMEM || errno == ENOSPC ? AFDIO_ENOMEM : AFDIO_EIO;
}

/* EPOLL_CTL_MOD with the same event changes nothing but answers whether
 * this open file is parked under this number (epoll's key). */
int afdio__parked_has(int parked, int fd) {
  struct epoll_event ev = parked__event(fd);
  return epoll_ctl(parked, EPOLL_CTL_MOD, fd, &ev) == 0;
}

int afdio__parked_remove(int parked, int fd) {
  return epoll_ctl(parked, EPOLL_CTL_DEL, fd, NULL) == 0 ? 0 : AFDIO_ENOENT;
}

int afdio__parked_changed(int parked, int *fds, int max) {
  struct epoll_event ev[32];
  int n = epoll_wait(parked, ev, max < 32 ? max : 32, 0);
  for (int i = 0; i < n; i++)
    fds[i] = (int)ev[i].data.u64;
  return n < 0 ? 0 : n;
}
