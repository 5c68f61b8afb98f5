/* Which HANDLE is which epoll port, process-wide. A port is found and
 * referenced in one step, so epoll_close() can wait until no call still
 * uses it (wepoll keeps the same kind of tree of ports, src/api.c). */
#ifndef AFDIO_COMPAT_EPOLL_REGISTRY_H
#define AFDIO_COMPAT_EPOLL_REGISTRY_H

#include <windows.h>

typedef struct afdio__epoll_port afdio__epoll_port_t;

/* Adds the port under handle. 0 or AFDIO_ENOMEM. */
int afdio__epoll_registry_add(HANDLE handle, afdio__epoll_port_t *port);

/* The port of handle with a reference taken (afdio__epoll_port_release),
 * or NULL. */
afdio__epoll_port_t *afdio__epoll_registry_acquire(HANDLE handle);

/* Removes handle and returns its port (no reference taken), or NULL. Once
 * it returns, no acquire finds the port. */
afdio__epoll_port_t *afdio__epoll_registry_remove(HANDLE handle);

#endif
