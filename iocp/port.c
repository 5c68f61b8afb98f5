/* Completion port calls. */
#include "iocp/port.h"

#include "afdio.h"
#include "iocp/winsock.h"

int afdio__port_new(HANDLE *out) {
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
  if (port == NULL)
    return afdio__win_error(GetLastError());
  *out = port;
  return 0;
}

int afdio__port_get_many(HANDLE port, OVERLAPPED_ENTRY *entries, ULONG count,
                         DWORD timeout_ms) {
  ULONG got = 0;
  DWORD err;
  if (GetQueuedCompletionStatusEx(port, entries, count, &got, timeout_ms,
                                  FALSE))
    return (int)got;
  err = GetLastError();
  /* WAIT_TIMEOUT is how the call reports "nothing within the timeout". */
  if (err == WAIT_TIMEOUT)
    return 0;
  return afdio__win_error(err);
}

int afdio__port_post(HANDLE port, afdio__op_t *op) {
  if (!PostQueuedCompletionStatus(port, 0, 0, (OVERLAPPED *)(void *)op))
    return afdio__win_error(GetLastError());
  return 0;
}
