/*
 * The Windows half of the benchmark platform: Winsock, the performance
 * counter, and the handle count from NtQuerySystemInformation (Wine 8's
 * GetProcessHandleCount is a stub that returns 0).
 */
#include "bench.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plat__wsa(void) {
  switch (WSAGetLastError()) {
  case WSAEWOULDBLOCK:
    return AFDIO_EAGAIN;
  case WSAEINPROGRESS:
    return AFDIO_EINPROGRESS;
  case WSAECONNRESET:
    return AFDIO_ECONNRESET;
  case WSAECONNABORTED:
    return AFDIO_ECONNABORTED;
  case WSAEMFILE:
    return AFDIO_EMFILE;
  case WSAENOBUFS:
    return AFDIO_ENOBUFS;
  case WSAENOTSOCK:
    return AFDIO_ENOTSOCK;
  default:
    return AFDIO_EIO;
  }
}

static double plat__freq;

int bench_platform_init(void) {
  WSADATA wsa;
  LARGE_INTEGER f;
  QueryPerformanceFrequency(&f);
  plat__freq = (double)f.QuadPart;
  return WSAStartup(MAKEWORD(2, 2), &wsa) == 0 ? 0 : AFDIO_EIO;
}

const char *bench_platform_name(void) {
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  int wine = ntdll != NULL && GetProcAddress(ntdll, "wine_get_version");
  return wine ? "wine" : "windows";
}

double bench_now(void) {
  LARGE_INTEGER c;
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / plat__freq;
}

static int plat__prepare(SOCKET s) {
  u_long one = 1;
  if (ioctlsocket(s, FIONBIO, &one) != 0)
    return plat__wsa();
  SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  return 0;
}

int bench_tcp_socket(afdio_socket_t *out) {
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET)
    return plat__wsa();
  int rc = plat__prepare(s);
  if (rc < 0) {
    closesocket(s);
    return rc;
  }
  *out = (afdio_socket_t)s;
  return 0;
}

static void plat__loopback(struct sockaddr_in *a, u_short port_be) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->sin_port = port_be;
}

int bench_listener(afdio_socket_t *out) {
  struct sockaddr_in a;
  int rc = bench_tcp_socket(out);
  if (rc < 0)
    return rc;
  plat__loopback(&a, 0);
  if (bind((SOCKET)*out, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen((SOCKET)*out, SOMAXCONN) != 0) {
    rc = plat__wsa();
    closesocket((SOCKET)*out);
    return rc;
  }
  return 0;
}

static int plat__accept(SOCKET listener, afdio_socket_t *out) {
  for (int tries = 0; tries < 2000; tries++) {
    SOCKET s = accept(listener, NULL, NULL);
    if (s != INVALID_SOCKET) {
      *out = (afdio_socket_t)s;
      return plat__prepare(s);
    }
    if (WSAGetLastError() != WSAEWOULDBLOCK)
      return plat__wsa();
    Sleep(1);
  }
  return AFDIO_ETIMEDOUT;
}

static int plat__nodelay(afdio_socket_t s) {
  BOOL one = TRUE;
  return setsockopt((SOCKET)s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one,
                    sizeof one) == 0
             ? 0
             : plat__wsa();
}

static int plat__batch(SOCKET listener, const struct sockaddr_in *to,
                       afdio_socket_t *a, afdio_socket_t *b, size_t n) {
  int rc;
  for (size_t i = 0; i < n; i++) {
    if ((rc = bench_tcp_socket(&a[i])) < 0)
      return rc;
    if (connect((SOCKET)a[i], (const struct sockaddr *)to, sizeof *to) != 0 &&
        WSAGetLastError() != WSAEWOULDBLOCK)
      return plat__wsa();
  }
  for (size_t i = 0; i < n; i++) {
    if ((rc = plat__accept(listener, &b[i])) < 0)
      return rc;
    if ((rc = plat__nodelay(a[i])) < 0 || (rc = plat__nodelay(b[i])) < 0)
      return rc;
  }
  return 0;
}

int bench_tcp_pairs(afdio_socket_t listener, afdio_socket_t *a,
                    afdio_socket_t *b, size_t count) {
  struct sockaddr_in to;
  int len = sizeof to;
  if (getsockname((SOCKET)listener, (struct sockaddr *)&to, &len) != 0)
    return plat__wsa();
  plat__loopback(&to, to.sin_port);
  for (size_t i = 0; i < count; i += 64) {
    size_t n = count - i < 64 ? count - i : 64;
    int rc = plat__batch((SOCKET)listener, &to, a + i, b + i, n);
    if (rc < 0)
      return rc;
  }
  return 0;
}

long bench_recv(afdio_socket_t s, void *buf, size_t len) {
  int n = recv((SOCKET)s, (char *)buf, (int)len, 0);
  return n >= 0 ? (long)n : plat__wsa();
}

long bench_send(afdio_socket_t s, const void *buf, size_t len) {
  int n = send((SOCKET)s, (const char *)buf, (int)len, 0);
  return n >= 0 ? (long)n : plat__wsa();
}

void bench_close(afdio_socket_t s) { closesocket((SOCKET)s); }

/* SystemExtendedHandleInformation (64): the layout is the one every
 * handle-listing tool uses (Process Hacker's phnt ntexapi.h). */
typedef struct plat_handle_entry {
  PVOID object;
  ULONG_PTR pid;
  ULONG_PTR handle;
  ULONG access;
  USHORT backtrace;
  USHORT type;
  ULONG attributes;
  ULONG reserved;
} plat_handle_entry_t;

typedef struct plat_handle_info {
  ULONG_PTR count;
  ULONG_PTR reserved;
  plat_handle_entry_t entries[1];
} plat_handle_info_t;

typedef LONG(NTAPI *plat_query_fn)(ULONG, PVOID, ULONG, PULONG);

long bench_handle_count(void) {
  plat_query_fn query = (plat_query_fn)(void (*)(void))GetProcAddress(
      GetModuleHandleA("ntdll.dll"), "NtQuerySystemInformation");
  if (query == NULL)
    return -1;
  ULONG size = 1 << 20;
  for (int tries = 0; tries < 8; tries++, size *= 2) {
    plat_handle_info_t *info = malloc(size);
    ULONG need = 0;
    if (info == NULL)
      return -1;
    LONG st = query(64, info, size, &need);
    if (st == (LONG)0xC0000004L) { /* STATUS_INFO_LENGTH_MISMATCH */
      free(info);
      continue;
    }
    long n = -1;
    if (st >= 0) {
      ULONG_PTR me = GetCurrentProcessId();
      n = 0;
      for (ULONG_PTR i = 0; i < info->count; i++)
        n += info->entries[i].pid == me;
    }
    free(info);
    return n;
  }
  return -1;
}

void bench_mark(const char *label) {
  static int enabled = -1;
  char name[160];
  if (enabled < 0) {
    const char *env = getenv("AFDIO_BENCH_MARKS");
    enabled = env != NULL && strcmp(env, "1") == 0;
  }
  if (!enabled)
    return;
  snprintf(name, sizeof name, "afdio-bench-mark:%s", label);
  HANDLE ev = CreateEventA(NULL, FALSE, FALSE, name);
  if (ev != NULL)
    CloseHandle(ev);
}
