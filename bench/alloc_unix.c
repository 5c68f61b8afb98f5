/*
 * Allocation counting on glibc: this executable defines malloc, calloc,
 * realloc and the aligned variants, counts each call, and forwards to
 * glibc's own entry points (__libc_malloc, ...). The static library and the
 * shared baselines (libuv, libevent) resolve malloc to these definitions,
 * so every heap allocation they make is counted. free is forwarded as is.
 */
#include "bench.h"

#include <stdlib.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static long long alloc__count;

static void alloc__note(void) {
  __atomic_fetch_add(&alloc__count, 1, __ATOMIC_RELAXED);
}

long long bench_allocs(void) {
  return __atomic_load_n(&alloc__count, __ATOMIC_RELAXED);
}

void *malloc(size_t size) {
  alloc__note();
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  alloc__note();
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
  alloc__note();
  return __libc_realloc(p, size);
}

void free(void *p) { __libc_free(p); }

void *aligned_alloc(size_t align, size_t size) {
  alloc__note();
  return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size) {
  alloc__note();
  void *p = __libc_memalign(align, size);
  if (p == NULL)
    return 12; /* ENOMEM */
  *out = p;
  return 0;
}
