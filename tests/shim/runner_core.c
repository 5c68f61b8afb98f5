/*
 * The runner behind the Criterion-compatible shim, the same on every
 * platform. Each test runs on a thread of its own so a hung test is caught
 * by its timeout: the runner then reports it, prints the summary and exits
 * non-zero rather than hanging. A fatal assertion longjmps back to the test
 * thread's entry; a failure on another thread is recorded and that thread
 * carries on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "criterion/criterion.h"
#include "runner.h"

#define RUNNER__DEFAULT_TIMEOUT_S 30.0

static struct cr__test *runner__head, **runner__tail = &runner__head;
static _Thread_local int runner__on_test_thread;
static jmp_buf runner__jump;
static int runner__failed, runner__skipped; /* set from any thread */

void cr__register(struct cr__test *test) {
  test->next = NULL;
  *runner__tail = test;
  runner__tail = &test->next;
}

static void runner__leave_test(void) {
  if (runner__on_test_thread)
    longjmp(runner__jump, 1);
}

static void runner__vprint(const char *prefix, const char *fmt, va_list ap) {
  fputs(prefix, stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
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
    runner__vprint("    ", fmt, ap);
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
    runner__vprint("  skipped: ", fmt, ap);
    va_end(ap);
  }
  runner__leave_test();
}

void cr__log(const char *level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "  [%s] ", level);
  runner__vprint("", fmt, ap);
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
    return runner__match(pat + 1, s) ||
           (*s != '\0' && runner__match(pat, s + 1));
  if (*s != '\0' && (*pat == '?' || *pat == *s))
    return runner__match(pat + 1, s + 1);
  return 0;
}

static void runner__entry(void *arg) {
  struct cr__test *t = arg;
  runner__on_test_thread = 1;
  if (setjmp(runner__jump) == 0) {
    if (t->init != NULL)
      t->init();
    t->fn();
  }
  /* fini runs after a failure too, as in Criterion; a fatal failure inside
   * fini itself must not jump back into it. */
  if (setjmp(runner__jump) == 0 && t->fini != NULL)
    t->fini();
}

static void runner__summary(int passed, int failed, int skipped) {
  if (skipped > 0)
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  else
    printf("%d passed, %d failed\n", passed, failed);
  fflush(stdout);
}

typedef enum { RUNNER__PASS, RUNNER__FAIL, RUNNER__SKIP } runner__result_t;

/* Runs one test on its own thread; a hang ends the process. */
static runner__result_t runner__run(struct cr__test *t, const char *full,
                                    int passed, int failed, int skipped) {
  double timeout = t->timeout > 0 ? t->timeout : RUNNER__DEFAULT_TIMEOUT_S;
  __atomic_store_n(&runner__failed, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&runner__skipped, 0, __ATOMIC_SEQ_CST);
  if (runner__start(runner__entry, t) != 0) {
    printf("[FAIL] %s: cannot create thread\n", full);
    return RUNNER__FAIL;
  }
  if (!runner__wait(timeout)) {
    printf("[FAIL] %s: timed out after %.1f s\n", full, timeout);
    printf("shim: the rest is not run after a timeout\n");
    runner__summary(passed, failed + 1, skipped);
    runner__exit_now(1); /* the hung thread may hold anything: stop here */
  }
  if (__atomic_load_n(&runner__failed, __ATOMIC_SEQ_CST)) {
    printf("[FAIL] %s\n", full);
    return RUNNER__FAIL;
  }
  if (__atomic_load_n(&runner__skipped, __ATOMIC_SEQ_CST)) {
    printf("[SKIP] %s\n", full);
    return RUNNER__SKIP;
  }
  return RUNNER__PASS;
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
      fprintf(stderr, "usage: %s [--filter suite/name-glob] [--list]\n",
              argv[0]);
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
    switch (runner__run(t, full, passed, failed, skipped)) {
    case RUNNER__PASS:
      passed++;
      break;
    case RUNNER__FAIL:
      failed++;
      break;
    case RUNNER__SKIP:
      skipped++;
      break;
    }
  }
  if (list)
    return 0;
  runner__summary(passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
