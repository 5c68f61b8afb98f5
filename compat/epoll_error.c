/* errno + GetLastError() for the epoll API, from one table. */
#include "compat/epoll_error.h"

#include <errno.h>

#include "afdio.h"

/* Win32 error -> errno, for every error the epoll API sets. */
#define EPOLL_ERROR__TABLE(XX)                                                 \
  XX(ERROR_INVALID_HANDLE, EBADF)                                              \
  XX(ERROR_INVALID_PARAMETER, EINVAL)                                          \
  XX(ERROR_ALREADY_EXISTS, EEXIST)                                             \
  XX(ERROR_NOT_FOUND, ENOENT)                                                  \
  XX(ERROR_NOT_ENOUGH_MEMORY, ENOMEM)                                          \
  XX(ERROR_NOACCESS, EFAULT)                                                   \
  XX(ERROR_TOO_MANY_OPEN_FILES, EMFILE)                                        \
  XX(ERROR_NOT_SUPPORTED, ENOSYS)                                              \
  XX(WSAENOTSOCK, ENOTSOCK)

static int epoll_error__errno(DWORD win_error) {
  switch (win_error) {
#define EPOLL_ERROR__CASE(w, e)                                                \
  case w:                                                                      \
    return e;
    EPOLL_ERROR__TABLE(EPOLL_ERROR__CASE)
#undef EPOLL_ERROR__CASE
  }
  return EIO;
}

int afdio__epoll_error_set(DWORD win_error) {
  SetLastError(win_error);
  errno = epoll_error__errno(win_error);
  return -1;
}

int afdio__epoll_error_from_afdio(int err) {
  switch (err) {
  case AFDIO_EINVAL:
    return afdio__epoll_error_set(ERROR_INVALID_PARAMETER);
  case AFDIO_ENOMEM:
    return afdio__epoll_error_set(ERROR_NOT_ENOUGH_MEMORY);
  case AFDIO_EEXIST:
    return afdio__epoll_error_set(ERROR_ALREADY_EXISTS);
  case AFDIO_ENOENT:
    return afdio__epoll_error_set(ERROR_NOT_FOUND);
  case AFDIO_EBADF:
    return afdio__epoll_error_set(ERROR_INVALID_HANDLE);
  case AFDIO_ENOTSOCK:
    return afdio__epoll_error_set(WSAENOTSOCK);
  case AFDIO_EMFILE:
    return afdio__epoll_error_set(ERROR_TOO_MANY_OPEN_FILES);
  case AFDIO_ENOSYS:
    return afdio__epoll_error_set(ERROR_NOT_SUPPORTED);
  default:
    /* Anything else is a system failure without an epoll meaning. */
    SetLastError(ERROR_GEN_FAILURE);
    errno = EIO;
    return -1;
  }
}

int afdio__epoll_error_check_handle(HANDLE h) {
  DWORD flags;
  if (h == INVALID_HANDLE_VALUE || !GetHandleInformation(h, &flags)) {
    afdio__epoll_error_set(ERROR_INVALID_HANDLE);
    return 0;
  }
  return 1;
}
