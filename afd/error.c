/* The Windows error table: Win32, WSA and NTSTATUS codes as AFDIO_E*. */
#include "afd/error.h"

#include <winsock2.h>
#include <windows.h>

#include "afd/nt.h"
#include "afdio.h"

/* One entry per Windows code. The WSA_* aliases of Win32 codes
 * (WSA_IO_PENDING = ERROR_IO_PENDING, ...) are covered by their Win32 name. */
#define ERROR__ERRORS(XX)                                                    \
  XX(ERROR_SUCCESS, 0)                                                         \
  XX(WSAEWOULDBLOCK, AFDIO_EAGAIN)                                             \
  XX(ERROR_IO_PENDING, AFDIO_EAGAIN)                                           \
  XX(WSAEINPROGRESS, AFDIO_EINPROGRESS)                                        \
  XX(WSAEALREADY, AFDIO_EALREADY)                                              \
  XX(WSAENOTSOCK, AFDIO_ENOTSOCK)                                              \
  XX(ERROR_NOT_SUPPORTED, AFDIO_ENOTSUP)                                       \
  XX(WSAEBADF, AFDIO_EBADF)                                                    \
  XX(ERROR_INVALID_HANDLE, AFDIO_EBADF)                                        \
  XX(WSAEMFILE, AFDIO_EMFILE)                                                  \
  XX(ERROR_TOO_MANY_OPEN_FILES, AFDIO_EMFILE)                                  \
  XX(ERROR_NOT_ENOUGH_MEMORY, AFDIO_ENOMEM)                                    \
  XX(ERROR_OUTOFMEMORY, AFDIO_ENOMEM)                                          \
  XX(ERROR_NO_SYSTEM_RESOURCES, AFDIO_ENOMEM)                                  \
  XX(WSAENOBUFS, AFDIO_ENOBUFS)                                                \
  XX(WSAEINVAL, AFDIO_EINVAL)                                                  \
  XX(ERROR_INVALID_PARAMETER, AFDIO_EINVAL)                                    \
  XX(WSAEFAULT, AFDIO_EINVAL)                                                  \
  XX(WSAEINTR, AFDIO_EINTR)                                                    \
  XX(WSAETIMEDOUT, AFDIO_ETIMEDOUT)                                            \
  XX(ERROR_SEM_TIMEOUT, AFDIO_ETIMEDOUT)                                       \
  XX(WAIT_TIMEOUT, AFDIO_ETIMEDOUT)                                            \
  XX(WSAECONNREFUSED, AFDIO_ECONNREFUSED)                                      \
  XX(ERROR_CONNECTION_REFUSED, AFDIO_ECONNREFUSED)                             \
  XX(WSAECONNRESET, AFDIO_ECONNRESET)                                          \
  XX(ERROR_NETNAME_DELETED, AFDIO_ECONNRESET)                                  \
  XX(WSAENETRESET, AFDIO_ECONNRESET)                                           \
  XX(WSAECONNABORTED, AFDIO_ECONNABORTED)                                      \
  XX(ERROR_CONNECTION_ABORTED, AFDIO_ECONNABORTED)                             \
  XX(ERROR_REQUEST_ABORTED, AFDIO_ECONNABORTED)                                \
  XX(WSAENOTCONN, AFDIO_ENOTCONN)                                              \
  XX(WSAEISCONN, AFDIO_EISCONN)                                                \
  XX(ERROR_BROKEN_PIPE, AFDIO_EPIPE)                                           \
  XX(ERROR_NO_DATA, AFDIO_EPIPE)                                               \
  XX(WSAESHUTDOWN, AFDIO_ESHUTDOWN)                                            \
  XX(WSAEADDRINUSE, AFDIO_EADDRINUSE)                                          \
  XX(ERROR_ADDRESS_ALREADY_ASSOCIATED, AFDIO_EADDRINUSE)                       \
  XX(WSAEADDRNOTAVAIL, AFDIO_EADDRNOTAVAIL)                                    \
  XX(WSAEAFNOSUPPORT, AFDIO_EAFNOSUPPORT)                                      \
  XX(WSAEPFNOSUPPORT, AFDIO_EAFNOSUPPORT)                                      \
  XX(WSAENETDOWN, AFDIO_ENETDOWN)                                              \
  XX(WSAENETUNREACH, AFDIO_ENETUNREACH)                                        \
  XX(ERROR_NETWORK_UNREACHABLE, AFDIO_ENETUNREACH)                             \
  XX(WSAEHOSTUNREACH, AFDIO_EHOSTUNREACH)                                      \
  XX(WSAEHOSTDOWN, AFDIO_EHOSTUNREACH)                                         \
  XX(ERROR_HOST_UNREACHABLE, AFDIO_EHOSTUNREACH)                               \
  XX(WSAEMSGSIZE, AFDIO_EMSGSIZE)                                              \
  XX(ERROR_MORE_DATA, AFDIO_EMSGSIZE)                                          \
  XX(WSAEACCES, AFDIO_EACCES)                                                  \
  XX(ERROR_ACCESS_DENIED, AFDIO_EACCES)                                        \
  XX(ERROR_PRIVILEGE_NOT_HELD, AFDIO_EPERM)                                    \
  XX(WSAEOPNOTSUPP, AFDIO_ENOTSUP)                                             \
  XX(WSAEPROTONOSUPPORT, AFDIO_ENOTSUP)                                        \
  XX(WSAESOCKTNOSUPPORT, AFDIO_ENOTSUP)                                        \
  XX(WSAEPROTOTYPE, AFDIO_ENOTSUP)                                             \
  XX(WSAENOPROTOOPT, AFDIO_ENOTSUP)                                            \
  XX(WSAEDESTADDRREQ, AFDIO_ENOTCONN)                                          \
  XX(ERROR_OPERATION_ABORTED, AFDIO_ECANCELED)                                 \
  XX(WSAECANCELLED, AFDIO_ECANCELED)                                           \
  XX(ERROR_CANCELLED, AFDIO_ECANCELED)                                         \
  XX(ERROR_PROC_NOT_FOUND, AFDIO_ENOSYS)                                       \
  XX(ERROR_CALL_NOT_IMPLEMENTED, AFDIO_ENOSYS)                                 \
  XX(WSASYSNOTREADY, AFDIO_ENOSYS)                                             \
  XX(WSAVERNOTSUPPORTED, AFDIO_ENOSYS)                                         \
  XX(WSANOTINITIALISED, AFDIO_EIO)

int afdio__win_error(unsigned long code) {
  switch (code) {
#define ERROR__CASE(win, afdio)                                              \
  case win:                                                                    \
    return afdio;
    ERROR__ERRORS(ERROR__CASE)
#undef ERROR__CASE
  default:
    return AFDIO_EIO;
  }
}

int afdio__nt_error(long status) {
  if (status == 0)
    return 0;
  return afdio__win_error(afdio__nt_status_to_win32(status));
}
