/* socket value -> state, an open-addressing hash table (linear probing,
 * backward-shift deletion): lookups allocate nothing; the table grows on
 * insert only. Not thread-safe: the poller's lock guards it. */
#ifndef AFDIO_IOCP_SOCK_MAP_H
#define AFDIO_IOCP_SOCK_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct afdio__sock_map_slot {
  uintptr_t key;
  void *value; /* NULL: empty slot */
} afdio__sock_map_slot_t;

typedef struct afdio__sock_map {
  afdio__sock_map_slot_t *slots;
  size_t mask; /* capacity - 1, capacity a power of two */
  size_t count;
} afdio__sock_map_t;

void afdio__sock_map_init(afdio__sock_map_t *map);
void afdio__sock_map_cleanup(afdio__sock_map_t *map);
void *afdio__sock_map_get(const afdio__sock_map_t *map, uintptr_t key);
/* Adds key (absent) -> value (not NULL). Returns 0 or AFDIO_ENOMEM. */
int afdio__sock_map_put(afdio__sock_map_t *map, uintptr_t key, void *value);
/* Replaces the value of a present key (no allocation). */
void afdio__sock_map_set(afdio__sock_map_t *map, uintptr_t key, void *value);
/* Removes key if present. */
void afdio__sock_map_remove(afdio__sock_map_t *map, uintptr_t key);
/* The value in slot i (NULL when empty), for i < capacity; for teardown. */
size_t afdio__sock_map_capacity(const afdio__sock_map_t *map);
void *afdio__sock_map_at(const afdio__sock_map_t *map, size_t i);

#endif
