/*
 * Allocation counting on Windows: this executable defines malloc, calloc,
 * realloc and free, counts the allocating calls, and forwards all four to
 * the C runtime DLL's own entry points, found once with GetProcAddress. The
 * static afdio library links against these definitions (an object file's
 * symbol wins over the import library's), so its heap allocations are
 * counted; allocations made inside system DLLs (Wine's own, for instance)
 * are not, and need not be: the promise is about afdio's code.
 */
#include "bench.h"

#include <windows.h>

#include <stdlib.h>

typedef void *(*alloc_malloc_fn)(size_t);
typedef void *(*alloc_calloc_fn)(size_t, size_t);
typedef void *(*alloc_realloc_fn)(void *, size_t);
typedef void (*alloc_free_fn)(void *);

static alloc_malloc_fn alloc__malloc;
static alloc_calloc_fn alloc__calloc;
static alloc_realloc_fn alloc__realloc;
static alloc_free_fn alloc__free;
static volatile LONG64 alloc__count;

static FARPROC alloc__find(const char *name) {
  static const char *const dlls[] = {"ucrtbase.dll", "msvcrt.dll"};
  for (size_t i = 0; i < sizeof dlls / sizeof dlls[0]; i++) {
    HMODULE m = GetModuleHandleA(dlls[i]);
    FARPROC f = m != NULL ? GetProcAddress(m, name) : NULL;
    if (f != NULL)
      return f;
  }
  return NULL;
}

/* Called before the first allocation: a DLL load cannot allocate through
 * us, as only this executable's code calls these functions. */
static void alloc__init(void) {
  if (alloc__malloc != NULL)
    return;
  alloc__calloc = (alloc_calloc_fn)(void (*)(void))alloc__find("calloc");
  alloc__realloc = (alloc_realloc_fn)(void (*)(void))alloc__find("realloc");
  alloc__free = (alloc_free_fn)(void (*)(void))alloc__find("free");
  alloc__malloc = (alloc_malloc_fn)(void (*)(void))alloc__find("malloc");
  if (alloc__malloc == NULL || alloc__calloc == NULL ||
      alloc__realloc == NULL || alloc__free == NULL)
    ExitProcess(99);
}

long long bench_allocs(void) { return (long long)alloc__count; }

void *malloc(size_t size) {
  alloc__init();
  InterlockedIncrement64(&alloc__count);
  return alloc__malloc(size);
}

void *calloc(size_t n, size_t size) {
  alloc__init();
  InterlockedIncrement64(&alloc__count);
  return alloc__calloc(n, size);
}

void *realloc(void *p, size_t size) {
  alloc__init();
  InterlockedIncrement64(&alloc__count);
  return alloc__realloc(p, size);
}

void free(void *p) {
  alloc__init();
  alloc__free(p);
}
