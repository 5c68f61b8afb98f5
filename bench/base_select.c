/*
 * select() as a baseline (Windows). Winsock's fd_set is an array with a
 * count, sized by FD_SETSIZE at compile time: it is raised here so that
 * 10,000 idle sockets fit. The set is copied whole before each call (FD_SET
 * would search the array for duplicates on every insert), and the ready
 * sockets that select leaves in it are mapped back to slots by a hash table.
 */
#define FD_SETSIZE 16384
#include <winsock2.h>

#include "bench.h"

#include <stdlib.h>
#include <string.h>

typedef struct select_bench {
  fd_set *master;
  fd_set *work;
  SOCKET *keys; /* open addressing: socket -> slot */
  size_t *slots;
  size_t mask;
} select_bench_t;

static size_t select__hash(SOCKET s, size_t mask) {
  return (size_t)(((uint64_t)s * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static void select__put(select_bench_t *s, SOCKET k, size_t slot) {
  size_t i = select__hash(k, s->mask);
  while (s->keys[i] != INVALID_SOCKET)
    i = (i + 1) & s->mask;
  s->keys[i] = k;
  s->slots[i] = slot;
}

static size_t select__get(const select_bench_t *s, SOCKET k) {
  for (size_t i = select__hash(k, s->mask);; i = (i + 1) & s->mask) {
    if (s->keys[i] == k)
      return s->slots[i];
    if (s->keys[i] == INVALID_SOCKET)
      return (size_t)-1;
  }
}

static void select__free(select_bench_t *s) {
  free(s->master);
  free(s->work);
  free(s->keys);
  free(s->slots);
  free(s);
}

static int select__open(bench_pp_t *pp, void **state) {
  select_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  size_t cap = 16;
  while (cap < 2 * pp->count)
    cap *= 2;
  s->mask = cap - 1;
  s->master = malloc(sizeof *s->master);
  s->work = malloc(sizeof *s->work);
  s->keys = malloc(cap * sizeof *s->keys);
  s->slots = malloc(cap * sizeof *s->slots);
  if (!s->master || !s->work || !s->keys || !s->slots) {
    select__free(s);
    return AFDIO_ENOMEM;
  }
  for (size_t i = 0; i < cap; i++)
    s->keys[i] = INVALID_SOCKET;
  s->master->fd_count = (u_int)pp->count;
  for (size_t i = 0; i < pp->count; i++) {
    s->master->fd_array[i] = (SOCKET)pp->socks[i];
    select__put(s, (SOCKET)pp->socks[i], i);
  }
  *state = s;
  return 0;
}

static int select__run(bench_pp_t *pp, void *state, double stop_at) {
  select_bench_t *s = state;
  size_t bytes = offsetof(fd_set, fd_array) +
                 s->master->fd_count * sizeof(SOCKET);
  while (bench_now() < stop_at) {
    struct timeval tv = {1, 0};
    memcpy(s->work, s->master, bytes);
    int n = select(0, s->work, NULL, NULL, &tv);
    if (n < 0)
      return AFDIO_EIO;
    pp->waits++;
    for (u_int i = 0; i < s->work->fd_count; i++) {
      size_t slot = select__get(s, s->work->fd_array[i]);
      if (slot == (size_t)-1)
        return AFDIO_EIO;
      int rc = bench_pp_readable(pp, slot, 0);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}

static void select__close(bench_pp_t *pp, void *state) {
  (void)pp;
  select__free(state);
}

const bench_backend_t bench_select = {
    .name = "select",
    .open = select__open,
    .run = select__run,
    .close = select__close,
    .max_sockets = FD_SETSIZE,
};
