/* A wake descriptor: an fd that becomes readable when signalled, for the
 * wakers of backends that watch descriptors. Two implementations, picked by
 * build.zig: wakefd_eventfd.c (Linux: one eventfd) and wakefd_pipe.c (a
 * non-blocking pipe, for systems without eventfd or EVFILT_USER).
 *
 * epoll and kqueue watch read_fd in edge mode (EPOLLET, EV_CLEAR): every
 * signal is a new edge, and any number of signals before a wait give one
 * event. There the descriptor is never drained on the wait path; a signal that finds it
 * full drains it and signals again, so no wake is ever lost. */
#ifndef AFDIO_UNIX_WAKEFD_H
#define AFDIO_UNIX_WAKEFD_H

typedef struct afdio__wakefd {
  int read_fd;  /* the one to watch */
  int write_fd; /* the one to signal; equal to read_fd for an eventfd */
} afdio__wakefd_t;

/* Opens a non-blocking, close-on-exec wake descriptor.
 * Errors: AFDIO_EMFILE; AFDIO_ENOMEM; AFDIO_EIO. */
int afdio__wakefd_open(afdio__wakefd_t *wakefd);

/* Makes read_fd readable, and a new edge. Any thread, concurrently.
 * Errors: AFDIO_EIO. */
int afdio__wakefd_signal(const afdio__wakefd_t *wakefd);

/* Empties read_fd without blocking: 1 when a signal was pending, else 0.
 * For the poll(2) backend, which watches read_fd level-triggered and
 * reports a wake only to the thread whose drain found it. */
int afdio__wakefd_drain(const afdio__wakefd_t *wakefd);

/* Closes both ends. */
void afdio__wakefd_close(afdio__wakefd_t *wakefd);

#endif
