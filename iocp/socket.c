/* The socket contract of core/sys.h for Windows. Sockets are created
 * overlapped (the AFD poll needs nothing else, and overlapped sockets still
 * take plain send/recv), non-inheritable, and switched to non-blocking with
 * FIONBIO. Errors come from WSAGetLastError() through afdio__win_error(). */
#include "core/sys.h"

#include <limits.h>

#include "afd/error.h"
#include "iocp/winsock.h"

int afdio__sys_init(void) { return afdio__winsock_init(); }

int afdio__sys_error(void) {
  int e = WSAGetLastError();
  return e == 0 ? AFDIO_EIO : afdio__win_error((unsigned long)e);
}

int afdio__sys_error_from(int code) {
  return code == 0 ? 0 : afdio__win_error((unsigned long)code);
}

static int socket__clamp(size_t len) {
  return len > (size_t)INT_MAX ? INT_MAX : (int)len;
}

/* Non-blocking, and not inherited: WSA_FLAG_NO_HANDLE_INHERIT covers new
 * sockets on Windows 7 SP1 and later, this covers accepted ones (libuv does
 * the same in src/win/tcp.c). */
static int socket__setup(SOCKET s) {
  u_long on = 1;
  (void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  if (ioctlsocket(s, FIONBIO, &on) != 0)
    return afdio__sys_error();
  return 0;
}

int afdio__sys_socket_setup(afdio_socket_t s) {
  return socket__setup(s);
}

int afdio__sys_socket_info(afdio_socket_t s, int *type, int *family,
                           int *listening) {
  int rc = afdio__winsock_init();
  if (rc < 0)
    return rc;
  /* SO_TYPE is what rejects a handle that is no socket (SIO_BASE_HANDLE
   * does not under Wine: AFD-NOTES). The family comes from the protocol
   * info, since getsockname fails on an unbound socket (libuv's
   * uv_tcp_open reads it the same way, src/win/tcp.c). */
  WSAPROTOCOL_INFOW info;
  BOOL acceptconn = FALSE;
  int len = (int)sizeof *type;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_TYPE, (char *)type, &len) != 0)
    return afdio__sys_error();
  len = (int)sizeof info;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info,
                 &len) != 0)
    return afdio__sys_error();
  len = (int)sizeof acceptconn;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&acceptconn,
                 &len) != 0)
    return afdio__sys_error();
  *family = info.iAddressFamily;
  *listening = acceptconn != FALSE;
  return 0;
}

int afdio__sys_socket(int family, int type, int protocol, afdio_socket_t *out) {
  *out = AFDIO_INVALID_SOCKET;
  /* Windows' AF_UNIX (10 1803 and later) has stream sockets only; where it
   * is missing (older systems, Wine 8) WSASocketW says WSAEAFNOSUPPORT. */
  if (family == AF_UNIX && type != SOCK_STREAM)
    return AFDIO_ENOSYS;
  int rc = afdio__winsock_init();
  if (rc < 0)
    return rc;
  SOCKET s = WSASocketW(family, type, protocol, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  /* Windows 7 without SP1 refuses the flag: socket__setup covers it. */
  if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL)
    s = WSASocketW(family, type, protocol, NULL, 0, WSA_FLAG_OVERLAPPED);
  if (s == INVALID_SOCKET)
    return afdio__sys_error();
  rc = socket__setup(s);
  if (rc < 0) {
    (void)closesocket(s);
    return rc;
  }
  *out = (afdio_socket_t)s;
  return 0;
}

int afdio__sys_socketpair(int type, afdio_socket_t out[2]) {
  (void)type;
  out[0] = out[1] = AFDIO_INVALID_SOCKET;
  return AFDIO_ENOSYS;
}

int afdio__sys_close(afdio_socket_t s) {
  return closesocket((SOCKET)s) != 0 ? afdio__sys_error() : 0;
}

int afdio__sys_accept(afdio_socket_t listener, afdio_socket_t *out,
                      struct sockaddr *sa, afdio__socklen_t *len) {
  *out = AFDIO_INVALID_SOCKET;
  SOCKET s = accept((SOCKET)listener, sa, len);
  if (s == INVALID_SOCKET) {
    /* A connection reset while queued: Unix says ECONNABORTED. */
    if (WSAGetLastError() == WSAECONNRESET)
      return AFDIO_ECONNABORTED;
    return afdio__sys_error();
  }
  int rc = socket__setup(s);
  if (rc < 0) {
    (void)closesocket(s);
    return rc;
  }
  *out = (afdio_socket_t)s;
  return 0;
}

int afdio__sys_connect(afdio_socket_t s, const struct sockaddr *sa,
                       afdio__socklen_t len) {
  /* Non-blocking connect says WSAEWOULDBLOCK where Unix says EINPROGRESS
   * (AFD-NOTES 25): both mean "started". */
  if (connect((SOCKET)s, sa, len) != 0) {
    int e = WSAGetLastError();
    if (e != WSAEWOULDBLOCK && e != WSAEINPROGRESS)
      return afdio__win_error((unsigned long)e);
  }
  return 0;
}

/* A datagram longer than the buffer: Windows fills the buffer and fails
 * with WSAEMSGSIZE; Unix returns the truncated count. Unix wins. */
static ptrdiff_t socket__result(int n, int len) {
  if (n != SOCKET_ERROR)
    return n;
  if (WSAGetLastError() == WSAEMSGSIZE)
    return len;
  return afdio__sys_error();
}

ptrdiff_t afdio__sys_recv(afdio_socket_t s, void *buf, size_t len, int flags) {
  int n = socket__clamp(len);
  int f = (flags & AFDIO__SYS_PEEK) ? MSG_PEEK : 0;
  return socket__result(recv((SOCKET)s, (char *)buf, n, f), n);
}

ptrdiff_t afdio__sys_send(afdio_socket_t s, const void *buf, size_t len) {
  int n = socket__clamp(len);
  int r = send((SOCKET)s, (const char *)buf, n, 0);
  return r == SOCKET_ERROR ? afdio__sys_error() : r;
}

ptrdiff_t afdio__sys_recvfrom(afdio_socket_t s, void *buf, size_t len,
                              int flags, struct sockaddr *sa,
                              afdio__socklen_t *salen) {
  int n = socket__clamp(len);
  int f = (flags & AFDIO__SYS_PEEK) ? MSG_PEEK : 0;
  return socket__result(recvfrom((SOCKET)s, (char *)buf, n, f, sa, salen), n);
}

ptrdiff_t afdio__sys_sendto(afdio_socket_t s, const void *buf, size_t len,
                            const struct sockaddr *sa, afdio__socklen_t salen) {
  int n = socket__clamp(len);
  int r = sendto((SOCKET)s, (const char *)buf, n, 0, sa, salen);
  return r == SOCKET_ERROR ? afdio__sys_error() : r;
}

/* The buffers as WSABUFs (a different layout: ULONG length first), at most
 * AFDIO__SYS_IOV_MAX, the total kept under INT_MAX. Returns the total. */
static DWORD socket__wsabufs(const afdio_buf_t *bufs, size_t count,
                             WSABUF *w, DWORD *n) {
  size_t room = INT_MAX;
  *n = (DWORD)(count < AFDIO__SYS_IOV_MAX ? count : AFDIO__SYS_IOV_MAX);
  for (DWORD i = 0; i < *n; i++) {
    size_t l = bufs[i].len < room ? bufs[i].len : room;
    w[i].buf = (char *)bufs[i].base;
    w[i].len = (ULONG)l;
    room -= l;
  }
  return (DWORD)(INT_MAX - room);
}

ptrdiff_t afdio__sys_recvv(afdio_socket_t s, const afdio_buf_t *bufs,
                           size_t count) {
  WSABUF w[AFDIO__SYS_IOV_MAX];
  DWORD n, got = 0, flags = 0;
  DWORD total = socket__wsabufs(bufs, count, w, &n);
  if (WSARecv((SOCKET)s, w, n, &got, &flags, NULL, NULL) != 0)
    return socket__result(SOCKET_ERROR, (int)total);
  return (ptrdiff_t)got;
}

ptrdiff_t afdio__sys_sendv(afdio_socket_t s, const afdio_buf_t *bufs,
                           size_t count) {
  WSABUF w[AFDIO__SYS_IOV_MAX];
  DWORD n, sent = 0;
  (void)socket__wsabufs(bufs, count, w, &n);
  if (WSASend((SOCKET)s, w, n, &sent, 0, NULL, NULL) != 0)
    return afdio__sys_error();
  return (ptrdiff_t)sent;
}

int afdio__sys_listener_prepare(afdio_socket_t s) {
  /* SO_REUSEADDR on Windows lets another socket bind the same port and
   * steal connections; exclusive use is the safe server default (and what
   * Unix SO_REUSEADDR semantics come closest to). */
  BOOL on = TRUE;
  if (setsockopt((SOCKET)s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on,
                 sizeof on) != 0)
    return afdio__sys_error();
  return 0;
}

int afdio__sys_udp_connreset(afdio_socket_t s, int on) {
  BOOL flag = on ? TRUE : FALSE;
  DWORD bytes = 0;
  if (WSAIoctl((SOCKET)s, SIO_UDP_CONNRESET, &flag, sizeof flag, NULL, 0,
               &bytes, NULL, NULL) != 0)
    return afdio__sys_error();
  return 0;
}
