/* One epoll port: an afdio poller, its registrations (epoll_table.h), and
 * the re-arm list that gives level-triggered and EPOLLET registrations
 * their events again. Every function returns 0 (or a count) or an AFDIO_E*
 * code; compat/epoll.c turns those into errno and the last error. */
#ifndef AFDIO_COMPAT_EPOLL_PORT_H
#define AFDIO_COMPAT_EPOLL_PORT_H

#include <winsock2.h>
#include <windows.h>

#include "afdio_epoll.h"

typedef struct afdio__epoll_port afdio__epoll_port_t;

/* A new port and the handle that names it (an event object). */
int afdio__epoll_port_new(afdio__epoll_port_t **out, HANDLE *handle);

/* References, taken by the registry's lookup. */
void afdio__epoll_port_ref(afdio__epoll_port_t *port);
void afdio__epoll_port_release(afdio__epoll_port_t *port);

/* After the registry dropped it: wakes its waiters (they fail with
 * AFDIO_EBADF), waits until no call uses it, then frees everything. */
void afdio__epoll_port_close(afdio__epoll_port_t *port);

int afdio__epoll_port_add(afdio__epoll_port_t *port, SOCKET sock,
                          const struct epoll_event *ev);
int afdio__epoll_port_mod(afdio__epoll_port_t *port, SOCKET sock,
                          const struct epoll_event *ev);
int afdio__epoll_port_del(afdio__epoll_port_t *port, SOCKET sock);
int afdio__epoll_port_rearm(afdio__epoll_port_t *port, SOCKET sock,
                            uint32_t events);
int afdio__epoll_port_wait(afdio__epoll_port_t *port,
                           struct epoll_event *events, int maxevents,
                           int timeout);

#endif
