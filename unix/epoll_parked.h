/* Parking for the epoll backend: a TCP socket registered before it has
 * connected or listened is watched in a second epoll instance until it
 * leaves that state.
 *
 * Why: Linux's tcp_poll() reports EPOLLHUP for a socket in TCP_CLOSE, and
 * a never-connected socket is in TCP_CLOSE, so epoll would report
 * READ_CLOSED|WRITE_CLOSED at once (on every wait in level mode, and in
 * oneshot mode that bogus event disarms the registration before the data
 * comes). AFD reports nothing for such a socket, and kqueue neither
 * (FreeBSD sys/kern/uipc_socket.c: filt_sowrite() is false for an
 * unconnected socket of a connection protocol, filt_soread() without data
 * or a shutdown).
 *
 * How: the parked socket is watched edge-triggered in the parking epoll,
 * which is itself watched by the poller's epoll with EPOLLRDNORM (and
 * EPOLLIN), a bit afdio never asks for on a user's descriptor, and epoll
 * reports only bits asked for: an event carrying it is the parking epoll's. A parked socket's first state change (a connect that
 * completes or fails, a connection on a listener) wakes the parking epoll;
 * the wait that sees it moves the socket into the poller's epoll with its
 * registration (unix/epoll.c). The edge trigger makes the bogus EPOLLHUP
 * come once, not on every wait. Sockets that were connected once (reset,
 * refused, shut down) are never parked: their EPOLLHUP is real. */
#ifndef AFDIO_UNIX_EPOLL_PARKED_H
#define AFDIO_UNIX_EPOLL_PARKED_H

#include <sys/epoll.h>

#include "unix/unconnected.h"

/* The bit that marks the parking epoll's events in the poller's epoll. */
#define AFDIO__PARKED_TAG EPOLLRDNORM

/* Creates the parking epoll and watches it from epfd; *out gets it.
 * Errors: AFDIO_EMFILE; AFDIO_ENOMEM; AFDIO_EIO. */
int afdio__parked_open(int epfd, int *out);

/* Parks fd. Errors: AFDIO_EEXIST (already parked); AFDIO_ENOMEM;
 * AFDIO_EIO. */
int afdio__parked_add(int parked, int fd);

/* 1 when fd (this open file under this number) is parked, else 0. */
int afdio__parked_has(int parked, int fd);

/* Unparks fd: 0, or AFDIO_ENOENT when it was not parked (closed since). */
int afdio__parked_remove(int parked, int fd);

/* Collects, without blocking, up to max parked descriptors that changed
 * state; returns how many. */
int afdio__parked_changed(int parked, int *fds, int max);

#endif
