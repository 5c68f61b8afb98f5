/* The registrations of one epoll port: what afdio's token cannot carry.
 * An epoll registration has 64 bits of user data *and* an event mask, and
 * epoll_wait must drop an event whose registration was deleted while the
 * event was on its way; afdio's token is 64 bits. So the token is a record
 * index plus a generation, and the record holds data, mask and mode. A hash
 * from socket value to record serves EPOLL_CTL_MOD and EPOLL_CTL_DEL.
 * Not thread safe: the port's lock covers it. */
#ifndef AFDIO_COMPAT_EPOLL_TABLE_H
#define AFDIO_COMPAT_EPOLL_TABLE_H

#include <stdint.h>

typedef struct afdio__epoll_rec {
  uintptr_t socket;
  uint64_t data;   /* epoll_data_t, given back with each event */
  uint32_t events; /* the user's epoll mask, with EPOLLERR | EPOLLHUP */
  uint32_t native; /* the afdio interest registered for it */
  uint32_t rearm;  /* afdio bits to re-arm at the next wait */
  uint32_t gen;    /* changes whenever the slot is freed */
  int32_t prev, next; /* the free list, or the port's re-arm list */
  uint8_t used;
  uint8_t listed;   /* on the re-arm list */
  uint8_t disarmed; /* oneshot: reported, waits for EPOLL_CTL_MOD */
} afdio__epoll_rec_t;

typedef struct afdio__epoll_table {
  afdio__epoll_rec_t *recs;
  uint32_t cap, count;
  int32_t free_head;
  int32_t *slots; /* open addressing: record index or -1 */
  uint32_t slot_cap;
} afdio__epoll_table_t;

#define AFDIO__EPOLL_NONE (-1)

void afdio__epoll_table_init(afdio__epoll_table_t *t);
void afdio__epoll_table_cleanup(afdio__epoll_table_t *t);

/* A free record for socket (not yet findable), its index in *out; room
 * for it in the hash is reserved, so afdio__epoll_table_insert cannot
 * fail. 0 or AFDIO_ENOMEM. The record array may move: pointers to records
 * are invalid after this call. */
int afdio__epoll_table_alloc(afdio__epoll_table_t *t, uintptr_t socket,
                             int32_t *out);

/* Makes a record allocated above findable by its socket. */
void afdio__epoll_table_insert(afdio__epoll_table_t *t, int32_t index);

/* The record of socket, or AFDIO__EPOLL_NONE. */
int32_t afdio__epoll_table_find(const afdio__epoll_table_t *t,
                                uintptr_t socket);

/* Frees a record (findable or not); the caller unlinks it from any list. */
void afdio__epoll_table_free(afdio__epoll_table_t *t, int32_t index);

static inline afdio__epoll_rec_t *afdio__epoll_table_rec(afdio__epoll_table_t *t,
                                                        int32_t index) {
  return &t->recs[index];
}

/* The token afdio carries for a record, and back: NULL for a record freed
 * (or freed and reused) since the token was made. */
static inline uint64_t afdio__epoll_table_token(const afdio__epoll_table_t *t,
                                                int32_t index) {
  return ((uint64_t)t->recs[index].gen << 32) | (uint32_t)index;
}

static inline afdio__epoll_rec_t *
afdio__epoll_table_by_token(afdio__epoll_table_t *t, uint64_t token) {
  uint32_t index = (uint32_t)token;
  afdio__epoll_rec_t *r;
  if (index >= t->cap)
    return 0;
  r = &t->recs[index];
  return r->used && r->gen == (uint32_t)(token >> 32) ? r : 0;
}

#endif
