/* The registration table: a growable array indexed by descriptor number.
 * Descriptors are small, dense integers, so an array beats a hash here; it
 * grows by doubling and never shrinks until the poller is deleted. */
#include "unix/fdtable.h"

#include <stdlib.h>
#include <string.h>

#include "afdio.h"

typedef struct fdtable__entry {
  uint64_t token;
  uint32_t interest; /* 0: not registered */
} fdtable__entry_t;

struct afdio__fdtable {
  fdtable__entry_t *entries;
  size_t size;
};

int afdio__fdtable_new(afdio__fdtable_t **out) {
  *out = calloc(1, sizeof **out);
  return *out == NULL ? AFDIO_ENOMEM : 0;
}

void afdio__fdtable_delete(afdio__fdtable_t *table) {
  if (table == NULL)
    return;
  free(table->entries);
  free(table);
}

int afdio__fdtable_reserve(afdio__fdtable_t *table, int fd) {
  size_t want = (size_t)fd + 1;
  if (want <= table->size)
    return 0;
  size_t size = table->size < 64 ? 64 : table->size;
  while (size < want)
    size *= 2;
  fdtable__entry_t *grown = realloc(table->entries, size * sizeof *grown);
  if (grown == NULL)
    return AFDIO_ENOMEM;
  memset(grown + table->size, 0, (size - table->size) * sizeof *grown);
  table->entries = grown;
  table->size = size;
  return 0;
}

void afdio__fdtable_set(afdio__fdtable_t *table, int fd, uint32_t interest,
                        uint64_t token) {
  if (fd < 0 || (size_t)fd >= table->size)
    return;
  table->entries[fd].token = token;
  table->entries[fd].interest = interest;
}

uint32_t afdio__fdtable_get(const afdio__fdtable_t *table, int fd,
                            uint64_t *token) {
  if (fd < 0 || (size_t)fd >= table->size)
    return 0;
  if (token != NULL)
    *token = table->entries[fd].token;
  return table->entries[fd].interest;
}

void afdio__fdtable_clear(afdio__fdtable_t *table, int fd) {
  if (fd >= 0 && (size_t)fd < table->size)
    table->entries[fd].interest = 0;
}

int afdio__fdtable_registered(const afdio__fdtable_t *table, int fd) {
  return afdio__fdtable_get(table, fd, NULL) == 0 ? AFDIO_ENOENT : 0;
}
