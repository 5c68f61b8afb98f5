/* Completion port calls. */
#include "iocp/port.h"

#include <stdio.h>
#include <stdlib.h>

#include "afdio.h"
#include "afd/error.h"

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

int afdio__op_check(const afdio__op_t *op) {
  switch (op->kind) {
  case AFDIO__OP_POLL:
  case AFDIO__OP_WAKER:
  case AFDIO__OP_PROBE:
  case AFDIO__OP_STASH:
  case AFDIO__OP_CLOSE:
  case AFDIO__OP_PIPE_READ:
  case AFDIO__OP_PIPE_WRITE:
  case AFDIO__OP_PIPE_CONNECT:
  case AFDIO__OP_PIPE_EVENT:
    return 1;
  default:
#ifndef NDEBUG
    fprintf(stderr, "afdio: completion packet for an unknown op %p (kind 0x%x)\n",
            (const void *)op, (unsigned)op->kind);
    abort();
#else
    return 0;
#endif
  }
}
