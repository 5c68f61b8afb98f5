/* Whether a descriptor is a TCP socket that has never connected or
 * listened. Linux's tcp_poll() reports POLLHUP (EPOLLHUP) for a socket in
 * TCP_CLOSE, and a never-connected socket is in TCP_CLOSE, so epoll and
 * poll(2) would call it closed at once; AFD and kqueue report nothing for
 * it. The epoll backend parks such sockets (unix/epoll_parked.h), the
 * poll(2) backend leaves them out of its set (unix/poll.c). */
#ifndef AFDIO_UNIX_UNCONNECTED_H
#define AFDIO_UNIX_UNCONNECTED_H

/* 1 when fd is a TCP socket in TCP_CLOSE with neither direction shut
 * down; else 0 (any other descriptor, a failed query, or a system other
 * than Linux, where no poll reports such a socket closed). One
 * getsockopt(), plus a poll() for a socket in TCP_CLOSE. */
int afdio__tcp_unconnected(int fd);

#endif
