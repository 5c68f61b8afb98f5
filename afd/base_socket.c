/* Base socket lookup. */
#include "afd/base_socket.h"

#include <winsock2.h>
#include <windows.h>

#include "afdio.h"
#include "afd/error.h"

/* WSAIoctl codes, as in wepoll src/ws.c and mio src/sys/windows/afd.rs:
 * SIO_BASE_HANDLE = _WSAIOR(IOC_WS2, 34), SIO_BSP_HANDLE_POLL =
 * _WSAIOR(IOC_WS2, 29). Spelled out because older MinGW headers lack them. */
#define BASE_SOCKET__SIO_BASE_HANDLE 0x48000022u
#define BASE_SOCKET__SIO_BSP_HANDLE_POLL 0x4800001Du

/* Rejects what is not an open socket. SIO_BASE_HANDLE cannot do it: under
 * Wine 8 it succeeds for any handle value (AFD-NOTES, Wine). getsockopt
 * fails with WSAENOTSOCK for a non-socket handle on Windows and Wine. */
static int base_socket__check(SOCKET s) {
  int type = 0;
  int len = sizeof type;
  int err;
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0)
    return 0;
  err = WSAGetLastError();
  if (err != WSAENOTSOCK)
    return afdio__win_error((unsigned long)err);
  /* WSAENOTSOCK covers both "a handle that is no socket" and "no handle at
   * all": a closed or bogus value has no handle information. */
  {
    DWORD flags;
    if (!GetHandleInformation((HANDLE)s, &flags))
      return AFDIO_EBADF;
  }
  return AFDIO_ENOTSOCK;
}

static int base_socket__ioctl(SOCKET s, DWORD code, SOCKET *out) {
  DWORD bytes = 0;
  *out = INVALID_SOCKET;
  if (WSAIoctl(s, code, NULL, 0, out, sizeof *out, &bytes, NULL, NULL) != 0)
    return afdio__win_error((unsigned long)WSAGetLastError());
  return *out == INVALID_SOCKET ? AFDIO_EIO : 0;
}

int afdio__base_socket_get(uintptr_t socket, uintptr_t *base) {
  SOCKET s = (SOCKET)socket;
  SOCKET b;
  int err;

  if (s == INVALID_SOCKET)
    return AFDIO_EINVAL;
  err = base_socket__check(s);
  if (err < 0)
    return err;
  err = base_socket__ioctl(s, BASE_SOCKET__SIO_BASE_HANDLE, &b);
  if (err == AFDIO_ENOTSOCK)
    return err;
  /* Some layered providers (Komodia-based) fail SIO_BASE_HANDLE but answer
   * SIO_BSP_HANDLE_POLL (wepoll src/ws.c, trio _get_base_socket). */
  if (err < 0 && base_socket__ioctl(s, BASE_SOCKET__SIO_BSP_HANDLE_POLL, &b) < 0)
    return err;
  *base = (uintptr_t)b;
  return 0;
}
