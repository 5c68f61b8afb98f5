/*
 * The runner behind the Criterion-compatible shim (Windows test binaries).
 * Each test runs on a thread of its own so a hung test is caught by its
 * timeout: the runner then reports it, prints the summary and exits non-zero
 * rather than hanging. A fatal assertion longjmps back to the test thread's
 * entry; a failure on another thread is recorded and that thread carries on.
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "criterion/criterion.h"

#define RUNNER__DEFAULT_TIMEOUT_S 30.0

static struct cr__test *runner__head, **runner__tail = &runner__head;
static DWORD runner__test_thread_id;
static jmp_buf runner__jump;
static volatile LONG runner__failed, runner__skipped;

void cr__register(struct cr__test *test) {
  test->next = NULL;
  *runner__tail = test;
  runner__tail = &test->next;
}

static void runner__leave_test(void) {
  if (GetCurrentThreadId() == runner__test_thread_id)
    longjmp(runner__jump, 1);
}

void cr__fail(bool fatal, const char *file, int line, const char *expr,
              const char *left, const char *right, const char *fmt, ...) {
  InterlockedExchange(&runner__failed, 1);
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
  InterlockedExchange(&runner__skipped, 1);
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

static DWORD WINAPI runner__thread(LPVOID arg) {
  struct cr__test *t = arg;
  runner__test_thread_id = GetCurrentThreadId();
  if (setjmp(runner__jump) == 0) {
    if (t->init != NULL)
      t->init();
    t->fn();
  }
  /* fini runs after a failure too, as in Criterion; a fatal failure inside
   * fini itself must not jump back into it. */
  if (setjmp(runner__jump) == 0 && t->fini != NULL)
    t->fini();
  return 0;
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
    runner__failed = 0;
    runner__skipped = 0;
    double timeout = t->timeout > 0 ? t->timeout : RUNNER__DEFAULT_TIMEOUT_S;
    HANDLE th = CreateThread(NULL, 0, runner__thread, t, 0, NULL);
    if (th == NULL) {
      fprintf(stderr, "[FAIL] %s: cannot create thread\n", full);
      failed++;
      continue;
    }
    if (WaitForSingleObject(th, (DWORD)(timeout * 1000.0)) != WAIT_OBJECT_0) {
      printf("[FAIL] %s: timed out after %.1f s\n", full, timeout);
      failed++;
      printf("shim: the rest is not run after a timeout\n");
      printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
      fflush(stdout);
      ExitProcess(1); /* the hung thread may hold anything: stop here */
    }
    CloseHandle(th);
    if (runner__failed) {
      printf("[FAIL] %s\n", full);
      failed++;
    } else if (runner__skipped) {
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
