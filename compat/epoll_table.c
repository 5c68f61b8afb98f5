/* Records by index (a free list) and by socket value (linear probing with
 * backward-shift deletion, so no tombstones build up under churn). */
#include "compat/epoll_table.h"

#include <stdlib.h>
#include <string.h>

#include "afdio.h"

void afdio__epoll_table_init(afdio__epoll_table_t *t) {
  memset(t, 0, sizeof *t);
  t->free_head = AFDIO__EPOLL_NONE;
}

void afdio__epoll_table_cleanup(afdio__epoll_table_t *t) {
  free(t->recs);
  free(t->slots);
  afdio__epoll_table_init(t);
}

/* SOCKET values are multiples of 4; mix the rest (Fibonacci hashing). */
static uint32_t epoll_table__home(uintptr_t socket, uint32_t slot_cap) {
  uint64_t h = ((uint64_t)socket >> 2) * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(h >> 32) & (slot_cap - 1);
}

static void epoll_table__place(afdio__epoll_table_t *t, int32_t index) {
  uint32_t i = epoll_table__home(t->recs[index].socket, t->slot_cap);
  while (t->slots[i] != AFDIO__EPOLL_NONE)
    i = (i + 1) & (t->slot_cap - 1);
  t->slots[i] = index;
}

static int epoll_table__grow_slots(afdio__epoll_table_t *t) {
  uint32_t cap = t->slot_cap ? t->slot_cap * 2 : 64;
  int32_t *old = t->slots;
  uint32_t old_cap = t->slot_cap;
  int32_t *slots = malloc(cap * sizeof *slots);
  if (slots == NULL)
    return AFDIO_ENOMEM;
  for (uint32_t i = 0; i < cap; i++)
    slots[i] = AFDIO__EPOLL_NONE;
  t->slots = slots;
  t->slot_cap = cap;
  for (uint32_t i = 0; i < old_cap; i++)
    if (old[i] != AFDIO__EPOLL_NONE)
      epoll_table__place(t, old[i]);
  free(old);
  return 0;
}

static int epoll_table__grow_recs(afdio__epoll_table_t *t) {
  uint32_t cap = t->cap ? t->cap * 2 : 32;
  afdio__epoll_rec_t *recs = realloc(t->recs, cap * sizeof *recs);
  if (recs == NULL)
    return AFDIO_ENOMEM;
  memset(recs + t->cap, 0, (cap - t->cap) * sizeof *recs);
  /* New slots go on the free list, lowest index first. */
  for (uint32_t i = cap; i-- > t->cap;) {
    recs[i].next = t->free_head;
    t->free_head = (int32_t)i;
  }
  t->recs = recs;
  t->cap = cap;
  return 0;
}

int afdio__epoll_table_alloc(afdio__epoll_table_t *t, uintptr_t socket,
                             int32_t *out) {
  afdio__epoll_rec_t *r;
  int32_t index;
  /* Keep the hash at most half full, counting this record. */
  if ((t->count + 1) * 2 > t->slot_cap && epoll_table__grow_slots(t) < 0)
    return AFDIO_ENOMEM;
  if (t->free_head == AFDIO__EPOLL_NONE && epoll_table__grow_recs(t) < 0)
    return AFDIO_ENOMEM;
  index = t->free_head;
  r = &t->recs[index];
  t->free_head = r->next;
  r->socket = socket;
  r->data = 0;
  r->events = r->native = r->rearm = 0;
  r->prev = r->next = AFDIO__EPOLL_NONE;
  r->used = 1;
  r->listed = r->disarmed = 0;
  t->count++;
  *out = index;
  return 0;
}

void afdio__epoll_table_insert(afdio__epoll_table_t *t, int32_t index) {
  epoll_table__place(t, index);
}

int32_t afdio__epoll_table_find(const afdio__epoll_table_t *t,
                                uintptr_t socket) {
  uint32_t i;
  if (t->slot_cap == 0)
    return AFDIO__EPOLL_NONE;
  for (i = epoll_table__home(socket, t->slot_cap);
       t->slots[i] != AFDIO__EPOLL_NONE; i = (i + 1) & (t->slot_cap - 1))
    if (t->recs[t->slots[i]].socket == socket)
      return t->slots[i];
  return AFDIO__EPOLL_NONE;
}

/* Removes index from the hash if it is there, shifting later entries of
 * the same run back into the gap. */
static void epoll_table__unplace(afdio__epoll_table_t *t, int32_t index) {
  uint32_t mask = t->slot_cap - 1, i, j;
  if (t->slot_cap == 0)
    return;
  for (i = epoll_table__home(t->recs[index].socket, t->slot_cap);
       t->slots[i] != index; i = (i + 1) & mask)
    if (t->slots[i] == AFDIO__EPOLL_NONE)
      return; /* allocated, never inserted */
  for (j = (i + 1) & mask; t->slots[j] != AFDIO__EPOLL_NONE; j = (j + 1) & mask) {
    uint32_t home = epoll_table__home(t->recs[t->slots[j]].socket, t->slot_cap);
    /* j's entry may move to i if its home is not in (i, j] cyclically. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      t->slots[i] = t->slots[j];
      i = j;
    }
  }
  t->slots[i] = AFDIO__EPOLL_NONE;
}

void afdio__epoll_table_free(afdio__epoll_table_t *t, int32_t index) {
  afdio__epoll_rec_t *r = &t->recs[index];
  epoll_table__unplace(t, index);
  r->used = 0;
  r->gen++;
  r->next = t->free_head;
  t->free_head = index;
  t->count--;
}
