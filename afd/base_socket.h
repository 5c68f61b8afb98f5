/* The base (provider) socket under a possibly layered socket: AFD polls
 * only work on the base socket (AFD-NOTES 16). */
#ifndef AFDIO_AFD_BASE_SOCKET_H
#define AFDIO_AFD_BASE_SOCKET_H

#include <stdint.h>

/* Checks that socket is an open socket and finds its base socket.
 * Returns 0 and *base, or AFDIO_ENOTSOCK (a handle that is no socket),
 * AFDIO_EBADF (closed or invalid value), AFDIO_EINVAL, or AFDIO_E*. */
int afdio__base_socket_get(uintptr_t socket, uintptr_t *base);

#endif
