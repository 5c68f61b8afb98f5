/* The epoll API (include/afdio_epoll.h): argument checks in wepoll's order
 * (wepoll src/api.c, test/test-error.c), then the port. On any failure of
 * epoll_ctl a bad port handle, then a bad socket handle, takes precedence
 * and gives EBADF, as wepoll does after Linux (for EPOLL_CTL_MOD, Linux
 * checks the descriptors before anything else). */
#include <winsock2.h>
#include <windows.h>

#include "afdio.h"
#include "afdio_epoll.h"
#include "compat/epoll_error.h"
#include "compat/epoll_port.h"
#include "compat/epoll_registry.h"

static HANDLE epoll__create(void) {
  afdio__epoll_port_t *port;
  HANDLE handle;
  int rc = afdio__epoll_port_new(&port, &handle);
  if (rc < 0) {
    afdio__epoll_error_from_afdio(rc);
    return NULL;
  }
  if ((rc = afdio__epoll_registry_add(handle, port)) < 0) {
    afdio__epoll_port_close(port);
    afdio__epoll_error_from_afdio(rc);
    return NULL;
  }
  return handle;
}

HANDLE epoll_create(int size) {
  if (size <= 0) {
    afdio__epoll_error_set(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  return epoll__create();
}

HANDLE epoll_create1(int flags) {
  if (flags != 0) {
    afdio__epoll_error_set(ERROR_INVALID_PARAMETER);
    return NULL;
  }
  return epoll__create();
}

int epoll_close(HANDLE ephnd) {
  afdio__epoll_port_t *port = afdio__epoll_registry_remove(ephnd);
  if (port == NULL) {
    if (afdio__epoll_error_check_handle(ephnd))
      afdio__epoll_error_set(ERROR_INVALID_PARAMETER);
    return -1;
  }
  afdio__epoll_port_close(port);
  return 0;
}

/* Sets the error of a failed epoll_ctl or afdio_epoll_rearm: EBADF for a
 * bad ephnd, then for a bad sock, else err (an AFDIO_E* code, or 1 for
 * EFAULT). */
static int epoll__ctl_fail(HANDLE ephnd, SOCKET sock, int err) {
  if (!afdio__epoll_error_check_handle(ephnd) ||
      !afdio__epoll_error_check_handle((HANDLE)sock))
    return -1;
  if (err == 1)
    return afdio__epoll_error_set(ERROR_NOACCESS);
  return afdio__epoll_error_from_afdio(err);
}

static int epoll__ctl_op(afdio__epoll_port_t *port, int op, SOCKET sock,
                         struct epoll_event *ev) {
  switch (op) {
  case EPOLL_CTL_ADD:
    return ev == NULL ? 1 : afdio__epoll_port_add(port, sock, ev);
  case EPOLL_CTL_MOD:
    return ev == NULL ? 1 : afdio__epoll_port_mod(port, sock, ev);
  case EPOLL_CTL_DEL:
    return afdio__epoll_port_del(port, sock);
  default:
    return AFDIO_EINVAL;
  }
}

int epoll_ctl(HANDLE ephnd, int op, SOCKET sock, struct epoll_event *ev) {
  afdio__epoll_port_t *port = afdio__epoll_registry_acquire(ephnd);
  int rc;
  if (port == NULL)
    return epoll__ctl_fail(ephnd, sock, AFDIO_EINVAL);
  rc = epoll__ctl_op(port, op, sock, ev);
  afdio__epoll_port_release(port);
  return rc == 0 ? 0 : epoll__ctl_fail(ephnd, sock, rc);
}

int afdio_epoll_rearm(HANDLE ephnd, SOCKET sock, uint32_t events) {
  afdio__epoll_port_t *port = afdio__epoll_registry_acquire(ephnd);
  int rc;
  if (port == NULL)
    return epoll__ctl_fail(ephnd, sock, AFDIO_EINVAL);
  rc = afdio__epoll_port_rearm(port, sock, events);
  afdio__epoll_port_release(port);
  return rc == 0 ? 0 : epoll__ctl_fail(ephnd, sock, rc);
}

int epoll_wait(HANDLE ephnd, struct epoll_event *events, int maxevents,
               int timeout) {
  afdio__epoll_port_t *port;
  int rc;
  if (maxevents <= 0)
    return afdio__epoll_error_set(ERROR_INVALID_PARAMETER);
  if (events == NULL)
    return afdio__epoll_error_set(ERROR_NOACCESS);
  if ((port = afdio__epoll_registry_acquire(ephnd)) == NULL) {
    if (afdio__epoll_error_check_handle(ephnd))
      afdio__epoll_error_set(ERROR_INVALID_PARAMETER);
    return -1;
  }
  rc = afdio__epoll_port_wait(port, events, maxevents, timeout);
  afdio__epoll_port_release(port);
  return rc >= 0 ? rc : afdio__epoll_error_from_afdio(rc);
}
