/*
 * The Windows half of the test helpers: Winsock sockets (created with
 * WSA_FLAG_NO_HANDLE_INHERIT), QueryPerformanceCounter, CreateThread.
 */
#include "util.h"
#include "afd/error.h"
#include "iocp/winsock.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

/* WSA/Win32 error to AFDIO_E*: the library's own table, so tests and
 * backend agree. */
static int util__error(unsigned long e) {
  return e == 0 ? 0 : afdio__win_error(e);
}

static int util__wsa(void) { return util__error((unsigned long)WSAGetLastError()); }

int util__platform_init(void) {
  return afdio__winsock_init();
}

int util__close_raw(afdio_socket_t s) {
  return closesocket((SOCKET)s) == 0 ? 0 : util__wsa();
}

static int util__nonblocking(SOCKET s) {
  u_long one = 1;
  return ioctlsocket(s, FIONBIO, &one) == 0 ? 0 : util__wsa();
}

static int util__socket(int family, afdio_socket_t *out) {
  int rc = util_init();
  if (rc != 0)
    return rc;
  SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET)
    return util__wsa();
  rc = util__nonblocking(s);
  if (rc != 0) {
    closesocket(s);
    return rc;
  }
  util__track((afdio_socket_t)s);
  *out = (afdio_socket_t)s;
  return 0;
}

int util_tcp_socket(afdio_socket_t *out) { return util__socket(AF_INET, out); }

static int util__loopback(int family, uint16_t port,
                          struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons(port);
    return (int)sizeof *a;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->sin_port = htons(port);
  return (int)sizeof *a;
}

static int util__listener(int family, afdio_socket_t *out, uint16_t *port) {
  struct sockaddr_storage ss;
  int len = util__loopback(family, 0, &ss);
  afdio_socket_t s;
  int rc = util__socket(family, &s);
  if (rc != 0)
    return rc;
  if (bind((SOCKET)s, (struct sockaddr *)&ss, len) != 0 ||
      listen((SOCKET)s, 128) != 0 ||
      getsockname((SOCKET)s, (struct sockaddr *)&ss, &len) != 0) {
    rc = util__wsa();
    util_close(s);
    return rc;
  }
  *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                   : ((struct sockaddr_in *)&ss)->sin_port);
  *out = s;
  return 0;
}

int util_listener(afdio_socket_t *out, uint16_t *port) {
  return util__listener(AF_INET, out, port);
}

int util_accept(afdio_socket_t listener, afdio_socket_t *out) {
  SOCKET s = accept((SOCKET)listener, NULL, NULL);
  if (s == INVALID_SOCKET)
    return util__wsa();
  /* An accepted socket copies the listener's flags; make sure anyway. */
  SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  int rc = util__nonblocking(s);
  if (rc != 0) {
    closesocket(s);
    return rc;
  }
  util__track((afdio_socket_t)s);
  *out = (afdio_socket_t)s;
  return 0;
}

static int util__connect_start(afdio_socket_t s, int family, uint16_t port) {
  struct sockaddr_storage ss;
  int len = util__loopback(family, port, &ss);
  if (connect((SOCKET)s, (struct sockaddr *)&ss, len) != 0 &&
      WSAGetLastError() != WSAEWOULDBLOCK)
    return util__wsa();
  return 0;
}

int util_connect(afdio_socket_t s, uint16_t port) {
  return util__connect_start(s, AF_INET, port);
}

static int util__connect(int family, uint16_t port, afdio_socket_t *out) {
  afdio_socket_t s;
  int rc = util__socket(family, &s);
  if (rc != 0)
    return rc;
  rc = util__connect_start(s, family, port);
  if (rc != 0) {
    util_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

int util_dup(afdio_socket_t s, afdio_socket_t *out) {
  WSAPROTOCOL_INFOW info;
  if (WSADuplicateSocketW((SOCKET)s, GetCurrentProcessId(), &info) != 0)
    return util__wsa();
  SOCKET d = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                        FROM_PROTOCOL_INFO, &info, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (d == INVALID_SOCKET)
    return util__wsa();
  util__track((afdio_socket_t)d);
  *out = (afdio_socket_t)d;
  return 0;
}

int util_connect_start(uint16_t port, afdio_socket_t *out) {
  return util__connect(AF_INET, port, out);
}

/* Waits (bounded) until the in-progress connect of c finished. */
static int util__connect_wait(afdio_socket_t c) {
  fd_set w, e;
  FD_ZERO(&w);
  FD_ZERO(&e);
  FD_SET((SOCKET)c, &w);
  FD_SET((SOCKET)c, &e);
  struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
  int n = select(0, NULL, &w, &e, &tv);
  if (n < 0)
    return util__wsa();
  if (n == 0)
    return AFDIO_ETIMEDOUT;
  return FD_ISSET((SOCKET)c, &e) ? util_socket_error(c) : 0;
}

static int util__pair(int family, afdio_socket_t *client,
                      afdio_socket_t *server) {
  afdio_socket_t l, c, s = AFDIO_INVALID_SOCKET;
  uint16_t port;
  int rc = util__listener(family, &l, &port);
  if (rc != 0)
    return rc;
  rc = util__connect(family, port, &c);
  if (rc == 0)
    rc = util__connect_wait(c);
  for (int i = 0; rc == 0 && i < 2000; i++) {
    rc = util_accept(l, &s);
    if (rc != AFDIO_EAGAIN)
      break;
    rc = 0;
    Sleep(1);
  }
  util_close(l);
  if (rc != 0 || s == AFDIO_INVALID_SOCKET) {
    util_close(c);
    return rc != 0 ? rc : AFDIO_ETIMEDOUT;
  }
  BOOL one = TRUE;
  setsockopt((SOCKET)c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
  setsockopt((SOCKET)s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
  *client = c;
  *server = s;
  return 0;
}

int util_tcp_pair(afdio_socket_t *client, afdio_socket_t *server) {
  return util__pair(AF_INET, client, server);
}

int util_tcp_pair6(afdio_socket_t *client, afdio_socket_t *server) {
  return util__pair(AF_INET6, client, server);
}

int util_closed_port(uint16_t *port) {
  afdio_socket_t s;
  struct sockaddr_storage ss;
  int len = util__loopback(AF_INET, 0, &ss);
  int rc = util__socket(AF_INET, &s);
  if (rc != 0)
    return rc;
  if (bind((SOCKET)s, (struct sockaddr *)&ss, len) != 0 ||
      getsockname((SOCKET)s, (struct sockaddr *)&ss, &len) != 0)
    rc = util__wsa();
  *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  util_close(s);
  return rc;
}

long util_send(afdio_socket_t s, const void *buf, size_t len) {
  int n = send((SOCKET)s, (const char *)buf, (int)len, 0);
  return n != SOCKET_ERROR ? (long)n : util__wsa();
}

long util_recv(afdio_socket_t s, void *buf, size_t len) {
  int n = recv((SOCKET)s, (char *)buf, (int)len, 0);
  return n != SOCKET_ERROR ? (long)n : util__wsa();
}

int util_send_oob(afdio_socket_t s, char byte) {
  int n = send((SOCKET)s, &byte, 1, MSG_OOB);
  return n == 1 ? 0 : n == SOCKET_ERROR ? util__wsa() : AFDIO_EIO;
}

int util_close(afdio_socket_t s) {
  util__untrack(s);
  return util__close_raw(s);
}

int util_close_abortive(afdio_socket_t s) {
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  if (setsockopt((SOCKET)s, SOL_SOCKET, SO_LINGER, (const char *)&lg,
                 sizeof lg) != 0)
    return util__wsa();
  return util_close(s);
}

int util_shutdown_write(afdio_socket_t s) {
  return shutdown((SOCKET)s, SD_SEND) == 0 ? 0 : util__wsa();
}

int util_socket_error(afdio_socket_t s) {
  int err = 0;
  int len = sizeof err;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
    return util__wsa();
  return util__error((unsigned long)err);
}

int util_plain_socket(int type, afdio_socket_t *out) {
  int rc = util_init();
  if (rc != 0)
    return rc;
  SOCKET s = type == UTIL_DGRAM ? socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
                                : socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET)
    return util__wsa();
  *out = (afdio_socket_t)s;
  return 0;
}

int util_plain_listen(afdio_socket_t s, int type, uint16_t *port) {
  struct sockaddr_storage ss;
  int len = util__loopback(AF_INET, 0, &ss);
  if (bind((SOCKET)s, (struct sockaddr *)&ss, len) != 0 ||
      (type == UTIL_STREAM && listen((SOCKET)s, 16) != 0) ||
      getsockname((SOCKET)s, (struct sockaddr *)&ss, &len) != 0)
    return util__wsa();
  *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return 0;
}

int util_plain_accept(afdio_socket_t listener, afdio_socket_t *out) {
  SOCKET s = accept((SOCKET)listener, NULL, NULL);
  if (s == INVALID_SOCKET)
    return util__wsa();
  *out = (afdio_socket_t)s;
  return 0;
}

int util_socket_type(afdio_socket_t s) {
  int type = 0, len = (int)sizeof type;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0)
    return util__wsa();
  return type == SOCK_STREAM  ? UTIL_STREAM
         : type == SOCK_DGRAM ? UTIL_DGRAM
                              : 100 + type;
}

int util_is_inheritable(afdio_socket_t s) {
  DWORD flags = 0;
  if (!GetHandleInformation((HANDLE)s, &flags))
    return util__error(GetLastError());
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

const char *util_socket_path(char *buf, size_t size, int n) {
  char dir[MAX_PATH + 1];
  DWORD len = GetTempPathA(sizeof dir, dir);
  if (len == 0 || len > 60) /* keep well inside sun_path's 108 bytes */
    strcpy(dir, "C:\\");
  snprintf(buf, size, "%safdio-net-%lu-%d.sock", dir,
           (unsigned long)GetCurrentProcessId(), n);
  DeleteFileA(buf);
  return buf;
}

void util_remove_path(const char *path) {
  DeleteFileA(path);
}

int util_non_socket(afdio_socket_t *out) {
  /* An event handle: a valid kernel handle that is not a socket. */
  HANDLE h = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (h == NULL)
    return util__error(GetLastError());
  *out = (afdio_socket_t)h;
  return 0;
}

void util_non_socket_close(afdio_socket_t s) { CloseHandle((HANDLE)s); }

int util_wait_readable(afdio_socket_t s, int timeout_ms) {
  fd_set r;
  FD_ZERO(&r);
  FD_SET((SOCKET)s, &r);
  struct timeval tv = {.tv_sec = timeout_ms / 1000,
                       .tv_usec = (timeout_ms % 1000) * 1000};
  int n = select(0, &r, NULL, NULL, &tv);
  return n == SOCKET_ERROR ? util__wsa() : n > 0;
}

long util_pid(void) { return (long)GetCurrentProcessId(); }

int util_is_wine(void) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

int util_is_linux(void) { return 0; }

double util_now_ms(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER now;
  if (freq.QuadPart == 0)
    QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  return (double)now.QuadPart * 1e3 / (double)freq.QuadPart;
}

void util_sleep_ms(int ms) {
  /* Sleep may end a little early with the default timer resolution. */
  double end = util_now_ms() + ms;
  while (util_now_ms() < end)
    Sleep(1);
}

struct util_thread {
  HANDLE handle;
  void (*fn)(void *);
  void *arg;
};

static DWORD WINAPI util__thread_main(LPVOID p) {
  struct util_thread *t = p;
  t->fn(t->arg);
  return 0;
}

int util_thread_start(util_thread_t **out, void (*fn)(void *), void *arg) {
  struct util_thread *t = malloc(sizeof *t);
  if (t == NULL)
    return AFDIO_ENOMEM;
  t->fn = fn;
  t->arg = arg;
  t->handle = CreateThread(NULL, 0, util__thread_main, t, 0, NULL);
  if (t->handle == NULL) {
    int rc = util__error(GetLastError());
    free(t);
    return rc;
  }
  *out = t;
  return 0;
}

int util_thread_join(util_thread_t *thread) {
  DWORD rc = WaitForSingleObject(thread->handle, INFINITE);
  CloseHandle(thread->handle);
  free(thread);
  return rc == WAIT_OBJECT_0 ? 0 : AFDIO_EIO;
}

/* SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX and SYSTEM_HANDLE_INFORMATION_EX, as in
 * the Windows SDK; Windows and Wine both implement class 64. */
typedef struct util__handle_entry {
  PVOID object;
  ULONG_PTR pid;
  ULONG_PTR value;
  ULONG access;
  USHORT creator_backtrace;
  USHORT type_index;
  ULONG attributes;
  ULONG reserved;
} util__handle_entry_t;

typedef struct util__handle_info {
  ULONG_PTR count;
  ULONG_PTR reserved;
  util__handle_entry_t entries[1];
} util__handle_info_t;

typedef LONG(NTAPI *util__query_fn)(ULONG, PVOID, ULONG, PULONG);

long util_handle_count(void) {
  FARPROC proc = GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                "NtQuerySystemInformation");
  util__query_fn query;
  ULONG size = 1 << 16;
  if (proc == NULL)
    return -1;
  memcpy(&query, &proc, sizeof query);
  for (int i = 0; i < 12; i++, size *= 2) {
    util__handle_info_t *info = malloc(size);
    ULONG need = 0;
    if (info == NULL)
      return -1;
    LONG st = query(64 /* SystemExtendedHandleInformation */, info, size, &need);
    if (st == 0) {
      ULONG_PTR pid = GetCurrentProcessId();
      long count = 0;
      for (ULONG_PTR k = 0; k < info->count; k++)
        count += info->entries[k].pid == pid;
      free(info);
      return count;
    }
    free(info);
    if (st != (LONG)0xC0000004L) /* STATUS_INFO_LENGTH_MISMATCH */
      return -1;
  }
  return -1;
}
