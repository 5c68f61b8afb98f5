/* The Criterion shim's hooks for the fuzz and replay programs, which link
 * tests/util.c but run no Criterion tests: a failed assertion in a helper
 * aborts, so the fuzzer records the input. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "criterion/criterion.h"

void cr__register(struct cr__test *test) { (void)test; }

void cr__fail(bool fatal, const char *file, int line, const char *expr,
              const char *left, const char *right, const char *fmt, ...) {
  (void)fatal;
  fprintf(stderr, "%s:%d: assertion failed: %s (%s, %s)\n", file, line, expr,
          left != NULL ? left : "-", right != NULL ? right : "-");
  if (fmt != NULL && fmt[0] != '\0') {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
  }
  abort();
}

void cr__skip(const char *fmt, ...) { (void)fmt; }

void cr__log(const char *level, const char *fmt, ...) {
  (void)level;
  (void)fmt;
}

void cr__fmt_i(char *buf, long long v) { snprintf(buf, 48, "%lld", v); }
void cr__fmt_u(char *buf, unsigned long long v) { snprintf(buf, 48, "%llu", v); }
void cr__fmt_f(char *buf, double v) { snprintf(buf, 48, "%g", v); }
void cr__fmt_p(char *buf, const volatile void *v) {
  snprintf(buf, 48, "%p", (const void *)v);
}
