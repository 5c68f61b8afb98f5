/*
 * The POSIX twin of runner.c: the same runner behind the Criterion-compatible
 * shim, on pthreads, for native builds where Criterion itself cannot run
 * (under ThreadSanitizer Criterion fails with "Could not initialize
 * inheritable arena"; the fuzz replay programs link no Criterion).
 * Each test runs on a thread of its own so a hung test is caught by its
 * timeout: the runner then reports it, prints the summary and exits non-zero
 * rather than hanging. A fatal assertion longjmps back to the test thread's
 * entry; a failure on another thread is recorded and that thread carries on.
 */
#include <pthread.h>
#include <time.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "criterion/criterion.h"

#define RUNNER__DEFAULT_TIMEOUT_S 30.0

static struct cr__test *runner__head, **runner__tail = &runner__head;
static pthread_t runner__test_thread;
static pthread_mutex_t runner__lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t runner__cond = PTHREAD_COND_INITIALIZER;
static int runner__done;
static jmp_buf runner__jump;
static int runner__failed, runner__skipped; /* atomics */

void cr__register(struct cr__test *test) {
  test->next = NULL;
  *runner__tail = test;
  runner__tail = &test->next;
}

static void runner__leave_test(void) {
  if (pthread_equal(pthread_self(), runner__test_thread))
    longjmp(runner__jump, 1);
}

void cr__fail(bool fatal, const char *file, int line, const char *expr,
              const char *left, const char *right, const char *fmt, ...) {
  __atomic_store_n(&runner__failed, 1, __ATOMIC_SEQ_CST);
  fprintf(stderr, "  %s:%d: %s failed: %s\n", file, line,
          fatal ? "assertion" : "expectation", expr);
  if (left != NULL && right != NULL)
    fprintf(stderr, "    left:  %s\n    right: %s\n", left, right);
  if (fmt != NULL && fmt[0] != '\0') {
    va_list ap;
    va_start(ap, fmt);
    fputs("    ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }
  fflush(stderr);
  if (fatal)
    runner__leave_test();
}

void cr__skip(const char *fmt, ...) {
  __atomic_store_n(&runner__skipped, 1, __ATOMIC_SEQ_CST);
  if (fmt != NULL && fmt[0] != '\0') {
    va_list ap;
    va_start(ap, fmt);
    fputs("  skipped: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }
  runner__leave_test();
}

void cr__log(const char *level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "  [%s] ", level);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void cr__fmt_i(char *buf, long long v) { snprintf(buf, 48, "%lld", v); }
void cr__fmt_u(char *buf, unsigned long long v) {
  snprintf(buf, 48, "%llu (0x%llx)", v, v);
}
void cr__fmt_f(char *buf, double v) { snprintf(buf, 48, "%g", v); }
void cr__fmt_p(char *buf, const volatile void *v) {
  snprintf(buf, 48, "%p", (const void *)v);
}

/* Glob match with '*' and '?', as Criterion's --filter. */
static int runner__match(const char *pat, const char *s) {
  if (*pat == '\0')
    return *s == '\0';
  if (*pat == '*')
    return runner__match(pat + 1, s) || (*s != '\0' && runner__match(pat, s + 1));
  if (*s != '\0' && (*pat == '?' || *pat == *s))
    return runner__match(pat + 1, s + 1);
  return 0;
}

static void *runner__thread(void *arg) {
  struct cr__test *t = arg;
  if (setjmp(runner__jump) == 0) {
    if (t->init != NULL)
      t->init();
    t->fn();
  }
  /* fini runs after a failure too, as in Criterion; a fatal failure inside
   * fini itself must not jump back into it. */
  if (setjmp(runner__jump) == 0 && t->fini != NULL)
    t->fini();
  pthread_mutex_lock(&runner__lock);
  runner__done = 1;
  pthread_cond_signal(&runner__cond);
  pthread_mutex_unlock(&runner__lock);
  return NULL;
}

/* Waits for the test thread until timeout seconds passed. 1 if it ended. */
static int runner__wait(double timeout) {
  struct timespec until;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)timeout;
  until.tv_nsec += (long)((timeout - (double)(time_t)timeout) * 1e9);
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&runner__lock);
  while (!runner__done && rc == 0)
    rc = pthread_cond_timedwait(&runner__cond, &runner__lock, &until);
  int done = runner__done;
  pthread_mutex_unlock(&runner__lock);
  return done;
}

int main(int argc, char **argv) {
  const char *filter = NULL;
  int list = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
      filter = argv[++i];
    else if (strncmp(argv[i], "--filter=", 9) == 0)
      filter = argv[i] + 9;
    else if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "-l") == 0)
      list = 1;
    else {
      fprintf(stderr, "usage: %s [--filter suite/name-glob] [--list]\n", argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  int passed = 0, failed = 0, skipped = 0;
  char full[256];
  for (struct cr__test *t = runner__head; t != NULL; t = t->next) {
    snprintf(full, sizeof full, "%s/%s", t->suite, t->name);
    if (filter != NULL && !runner__match(filter, full))
      continue;
    if (list) {
      printf("%s\n", full);
      continue;
    }
    if (t->disabled) {
      skipped++;
      continue;
    }
    __atomic_store_n(&runner__failed, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&runner__skipped, 0, __ATOMIC_SEQ_CST);
    runner__done = 0;
    double timeout = t->timeout > 0 ? t->timeout : RUNNER__DEFAULT_TIMEOUT_S;
    if (pthread_create(&runner__test_thread, NULL, runner__thread, t) != 0) {
      fprintf(stderr, "[FAIL] %s: cannot create thread\n", full);
      failed++;
      continue;
    }
    if (!runner__wait(timeout)) {
      printf("[FAIL] %s: timed out after %.1f s\n", full, timeout);
      failed++;
      printf("shim: the rest is not run after a timeout\n");
      printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
      fflush(stdout);
      _exit(1); /* the hung thread may hold anything: stop here */
    }
    pthread_join(runner__test_thread, NULL);
    if (__atomic_load_n(&runner__failed, __ATOMIC_SEQ_CST)) {
      printf("[FAIL] %s\n", full);
      failed++;
    } else if (__atomic_load_n(&runner__skipped, __ATOMIC_SEQ_CST)) {
      printf("[SKIP] %s\n", full);
      skipped++;
    } else {
      passed++;
    }
  }
  if (list)
    return 0;
  if (skipped > 0)
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  else
    printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
