/* Winsock start-up. */
#include "iocp/winsock.h"

#include <winsock2.h>
#include <windows.h>

#include "afd/error.h"
#include "afdio.h"

static INIT_ONCE winsock__once = INIT_ONCE_STATIC_INIT;
static int winsock__result;

static BOOL CALLBACK winsock__startup(PINIT_ONCE once, PVOID param,
                                      PVOID *context) {
  WSADATA data;
  int rc;
  (void)once, (void)param, (void)context;
  /* Explicit start-up: Wine's CI showed WSANOTINITIALISED without it
   * (mio#1980). The matching WSACleanup is never called, on purpose: a
   * library cannot know when the process's last socket user is done. */
  rc = WSAStartup(MAKEWORD(2, 2), &data);
  winsock__result = rc == 0 ? 0 : afdio__win_error((unsigned long)rc);
  return TRUE;
}

int afdio__winsock_init(void) {
  if (!InitOnceExecuteOnce(&winsock__once, winsock__startup, NULL, NULL))
    return AFDIO_EIO;
  return winsock__result;
}
