/* errno to AFDIO_E*, one table. Each case is guarded where POSIX leaves the
 * name optional or where two names may share a value (EAGAIN and
 * EWOULDBLOCK, ENOTSUP and EOPNOTSUPP), so a switch never sees a duplicate. */
#include "unix/error.h"

#include <errno.h>

#include "afdio.h"

/* The names every supported system defines with distinct values. */
#define UNIX_ERROR__TABLE(XX)                                                  \
  XX(EINVAL, EINVAL)                                                           \
  XX(ENOMEM, ENOMEM)                                                           \
  XX(EAGAIN, EAGAIN)                                                           \
  XX(EEXIST, EEXIST)                                                           \
  XX(ENOENT, ENOENT)                                                           \
  XX(EBADF, EBADF)                                                             \
  XX(ENOTSOCK, ENOTSOCK)                                                       \
  XX(ENOSYS, ENOSYS)                                                           \
  XX(EBUSY, EBUSY)                                                             \
  XX(EINTR, EINTR)                                                             \
  XX(ETIMEDOUT, ETIMEDOUT)                                                     \
  XX(ECONNREFUSED, ECONNREFUSED)                                               \
  XX(ECONNRESET, ECONNRESET)                                                   \
  XX(ECONNABORTED, ECONNABORTED)                                               \
  XX(ENOTCONN, ENOTCONN)                                                       \
  XX(EISCONN, EISCONN)                                                         \
  XX(EINPROGRESS, EINPROGRESS)                                                 \
  XX(EALREADY, EALREADY)                                                       \
  XX(EPIPE, EPIPE)                                                             \
  XX(EADDRINUSE, EADDRINUSE)                                                   \
  XX(EADDRNOTAVAIL, EADDRNOTAVAIL)                                             \
  XX(EAFNOSUPPORT, EAFNOSUPPORT)                                               \
  XX(ENETDOWN, ENETDOWN)                                                       \
  XX(ENETUNREACH, ENETUNREACH)                                                 \
  XX(EHOSTUNREACH, EHOSTUNREACH)                                               \
  XX(EMSGSIZE, EMSGSIZE)                                                       \
  XX(ENOBUFS, ENOBUFS)                                                         \
  XX(EMFILE, EMFILE)                                                           \
  XX(EMFILE, ENFILE)                                                           \
  XX(EACCES, EACCES)                                                           \
  XX(EPERM, EPERM)                                                             \
  XX(ENOTSUP, ENOTSUP)                                                         \
  XX(ECANCELED, ECANCELED)                                                     \
  XX(ENOTSUP, EPROTONOSUPPORT)                                                 \
  XX(EINVAL, ENOPROTOOPT)                                                      \
  XX(EINVAL, EFAULT)

int afdio__unix_error(int errnum) {
  switch (errnum) {
#define UNIX_ERROR__CASE(code, name)                                           \
  case name:                                                                   \
    return AFDIO_##code;
    UNIX_ERROR__TABLE(UNIX_ERROR__CASE)
#undef UNIX_ERROR__CASE
    /* Names not every system has (WASI has none of these). */
#if defined(ESHUTDOWN)
  case ESHUTDOWN:
    return AFDIO_ESHUTDOWN;
#endif
#if defined(EHOSTDOWN)
  case EHOSTDOWN:
    return AFDIO_EHOSTUNREACH;
#endif
#if defined(EPFNOSUPPORT)
  case EPFNOSUPPORT:
    return AFDIO_EAFNOSUPPORT;
#endif
#if defined(ESOCKTNOSUPPORT)
  case ESOCKTNOSUPPORT:
    return AFDIO_ENOTSUP;
#endif
  default:
    break;
  }
  /* Aliases that are distinct values on some systems only. */
#if defined(EWOULDBLOCK)
  if (errnum == EWOULDBLOCK)
    return AFDIO_EAGAIN;
#endif
#if defined(EOPNOTSUPP)
  if (errnum == EOPNOTSUPP)
    return AFDIO_ENOTSUP;
#endif
  return AFDIO_EIO;
}

int afdio__unix_create_error(int errnum) {
  int err = afdio__unix_error(errnum);
  return err == AFDIO_EMFILE || err == AFDIO_ENOMEM ? err : AFDIO_EIO;
}
