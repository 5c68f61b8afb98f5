/* A sorted array of (handle, port) under one reader-writer lock: ports are
 * few and made rarely; lookups, one per call, are a binary search. */
#include "compat/epoll_registry.h"

#include <stdlib.h>

#include "afdio.h"
#include "compat/epoll_port.h"

typedef struct epoll_registry__entry {
  HANDLE handle;
  afdio__epoll_port_t *port;
} epoll_registry__entry_t;

static SRWLOCK epoll_registry__lock = SRWLOCK_INIT;
static epoll_registry__entry_t *epoll_registry__entries;
static size_t epoll_registry__count, epoll_registry__cap;

/* The index of handle, or where it would go; *found says which. */
static size_t epoll_registry__search(HANDLE handle, int *found) {
  size_t lo = 0, hi = epoll_registry__count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if ((uintptr_t)epoll_registry__entries[mid].handle < (uintptr_t)handle)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = lo < epoll_registry__count && epoll_registry__entries[lo].handle == handle;
  return lo;
}

int afdio__epoll_registry_add(HANDLE handle, afdio__epoll_port_t *port) {
  int found, rc = 0;
  size_t at;
  AcquireSRWLockExclusive(&epoll_registry__lock);
  if (epoll_registry__count == epoll_registry__cap) {
    size_t cap = epoll_registry__cap ? epoll_registry__cap * 2 : 8;
    epoll_registry__entry_t *e = realloc(epoll_registry__entries, cap * sizeof *e);
    if (e == NULL) {
      rc = AFDIO_ENOMEM;
      goto out;
    }
    epoll_registry__entries = e;
    epoll_registry__cap = cap;
  }
  /* A handle value is unique while open, and the port owns it. */
  at = epoll_registry__search(handle, &found);
  for (size_t i = epoll_registry__count; i > at; i--)
    epoll_registry__entries[i] = epoll_registry__entries[i - 1];
  epoll_registry__entries[at].handle = handle;
  epoll_registry__entries[at].port = port;
  epoll_registry__count++;
out:
  ReleaseSRWLockExclusive(&epoll_registry__lock);
  return rc;
}

afdio__epoll_port_t *afdio__epoll_registry_acquire(HANDLE handle) {
  afdio__epoll_port_t *port = NULL;
  int found;
  size_t at;
  AcquireSRWLockShared(&epoll_registry__lock);
  at = epoll_registry__search(handle, &found);
  if (found) {
    port = epoll_registry__entries[at].port;
    /* Under the registry lock, so a concurrent remove cannot slip between
     * the lookup and the reference. */
    afdio__epoll_port_ref(port);
  }
  ReleaseSRWLockShared(&epoll_registry__lock);
  return port;
}

afdio__epoll_port_t *afdio__epoll_registry_remove(HANDLE handle) {
  afdio__epoll_port_t *port = NULL;
  int found;
  size_t at;
  AcquireSRWLockExclusive(&epoll_registry__lock);
  at = epoll_registry__search(handle, &found);
  if (found) {
    port = epoll_registry__entries[at].port;
    for (size_t i = at; i + 1 < epoll_registry__count; i++)
      epoll_registry__entries[i] = epoll_registry__entries[i + 1];
    /* Free the array with the last port, so a program that closes every
     * port leaves nothing behind. */
    if (--epoll_registry__count == 0) {
      free(epoll_registry__entries);
      epoll_registry__entries = NULL;
      epoll_registry__cap = 0;
    }
  }
  ReleaseSRWLockExclusive(&epoll_registry__lock);
  return port;
}
