/* The socket map. */
#include "iocp/sock_map.h"

#include <stdlib.h>

#include "afdio.h"

/* SOCKET values are multiples of 4: mix the bits so they spread. */
static size_t sock_map__hash(uintptr_t key) {
  uint64_t x = (uint64_t)key;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

void afdio__sock_map_init(afdio__sock_map_t *map) {
  map->slots = NULL;
  map->mask = 0;
  map->count = 0;
}

void afdio__sock_map_cleanup(afdio__sock_map_t *map) {
  free(map->slots);
  afdio__sock_map_init(map);
}

void *afdio__sock_map_get(const afdio__sock_map_t *map, uintptr_t key) {
  size_t i;
  if (map->slots == NULL)
    return NULL;
  for (i = sock_map__hash(key) & map->mask; map->slots[i].value != NULL;
       i = (i + 1) & map->mask) {
    if (map->slots[i].key == key)
      return map->slots[i].value;
  }
  return NULL;
}

static void sock_map__insert(afdio__sock_map_slot_t *slots, size_t mask,
                             uintptr_t key, void *value) {
  size_t i = sock_map__hash(key) & mask;
  while (slots[i].value != NULL)
    i = (i + 1) & mask;
  slots[i].key = key;
  slots[i].value = value;
}

static int sock_map__grow(afdio__sock_map_t *map) {
  size_t cap = map->slots == NULL ? 64 : (map->mask + 1) * 2;
  afdio__sock_map_slot_t *slots = calloc(cap, sizeof *slots);
  size_t i;
  if (slots == NULL)
    return AFDIO_ENOMEM;
  for (i = 0; map->slots != NULL && i <= map->mask; i++) {
    if (map->slots[i].value != NULL)
      sock_map__insert(slots, cap - 1, map->slots[i].key, map->slots[i].value);
  }
  free(map->slots);
  map->slots = slots;
  map->mask = cap - 1;
  return 0;
}

int afdio__sock_map_put(afdio__sock_map_t *map, uintptr_t key, void *value) {
  /* Keep the load under one half, so probe runs stay short. */
  if (map->slots == NULL || (map->count + 1) * 2 > map->mask + 1) {
    int err = sock_map__grow(map);
    if (err < 0)
      return err;
  }
  sock_map__insert(map->slots, map->mask, key, value);
  map->count++;
  return 0;
}

void afdio__sock_map_set(afdio__sock_map_t *map, uintptr_t key, void *value) {
  size_t i;
  if (map->slots == NULL)
    return;
  for (i = sock_map__hash(key) & map->mask; map->slots[i].value != NULL;
       i = (i + 1) & map->mask) {
    if (map->slots[i].key == key) {
      map->slots[i].value = value;
      return;
    }
  }
}

void afdio__sock_map_remove(afdio__sock_map_t *map, uintptr_t key) {
  size_t i, j, home;
  if (map->slots == NULL)
    return;
  for (i = sock_map__hash(key) & map->mask; map->slots[i].key != key;
       i = (i + 1) & map->mask) {
    if (map->slots[i].value == NULL)
      return;
  }
  if (map->slots[i].value == NULL)
    return;
  /* Backward shift: move later entries of the run into the hole when their
   * home slot does not lie between the hole and themselves. */
  for (j = (i + 1) & map->mask; map->slots[j].value != NULL;
       j = (j + 1) & map->mask) {
    home = sock_map__hash(map->slots[j].key) & map->mask;
    if (((j - home) & map->mask) >= ((j - i) & map->mask)) {
      map->slots[i] = map->slots[j];
      i = j;
    }
  }
  map->slots[i].value = NULL;
  map->slots[i].key = 0;
  map->count--;
}

size_t afdio__sock_map_capacity(const afdio__sock_map_t *map) {
  return map->slots == NULL ? 0 : map->mask + 1;
}

void *afdio__sock_map_at(const afdio__sock_map_t *map, size_t i) {
  return map->slots[i].value;
}
