/*
 * A Criterion-compatible test API for targets where Criterion itself is not
 * built (Windows, run under Wine). It supports the subset afdio's tests use:
 * Test(suite, name, .init, .fini, .timeout, .disabled, .description),
 * cr_assert* / cr_expect* (failures print both operands and file:line),
 * cr_skip_test, cr_log_*. The runner (runner_core.c) gives each test its own
 * thread and a timeout (default 30 s), runs one test with
 * --filter suite/name (glob), and ends with "N passed, N failed".
 */
#ifndef AFDIO_TEST_SHIM_CRITERION_H
#define AFDIO_TEST_SHIM_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cr__test {
  const char *suite;
  const char *name;
  void (*fn)(void);
  void (*init)(void);
  void (*fini)(void);
  double timeout; /* seconds; 0 means the runner's default */
  bool disabled;
  const char *description;
  struct cr__test *next;
};

void cr__register(struct cr__test *test);
void cr__fail(bool fatal, const char *file, int line, const char *expr,
              const char *left, const char *right, const char *fmt, ...);
void cr__skip(const char *fmt, ...);
void cr__log(const char *level, const char *fmt, ...);

void cr__fmt_i(char *buf, long long v);
void cr__fmt_u(char *buf, unsigned long long v);
void cr__fmt_f(char *buf, double v);
void cr__fmt_p(char *buf, const volatile void *v);

#define CR__FMT(buf, v)                                                        \
  _Generic((v),                                                                \
      _Bool: cr__fmt_i,                                                        \
      char: cr__fmt_i,                                                         \
      signed char: cr__fmt_i,                                                  \
      short: cr__fmt_i,                                                        \
      int: cr__fmt_i,                                                          \
      long: cr__fmt_i,                                                         \
      long long: cr__fmt_i,                                                    \
      unsigned char: cr__fmt_u,                                                \
      unsigned short: cr__fmt_u,                                               \
      unsigned int: cr__fmt_u,                                                 \
      unsigned long: cr__fmt_u,                                                \
      unsigned long long: cr__fmt_u,                                           \
      float: cr__fmt_f,                                                        \
      double: cr__fmt_f,                                                       \
      default: cr__fmt_p)(buf, v)

#define Test(cr_suite_, cr_name_, ...)                                                 \
  static void cr__fn_##cr_suite_##_##cr_name_(void);                                   \
  static struct cr__test cr__desc_##cr_suite_##_##cr_name_ = {                         \
      .suite = #cr_suite_, .name = #cr_name_, .fn = cr__fn_##cr_suite_##_##cr_name_,           \
      __VA_ARGS__};                                                            \
  __attribute__((constructor)) static void cr__reg_##cr_suite_##_##cr_name_(void) {    \
    cr__register(&cr__desc_##cr_suite_##_##cr_name_);                                  \
  }                                                                            \
  static void cr__fn_##cr_suite_##_##cr_name_(void)

#define CR__BOOL(fatal, cond, text, ...)                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      cr__fail(fatal, __FILE__, __LINE__, text, NULL, NULL, "" __VA_ARGS__);   \
  } while (0)

/* Each operand is evaluated once, so an assertion on a call's result never
 * runs the call twice. */
#define CR__CMP(fatal, a, op, b, ...)                                          \
  do {                                                                         \
    __typeof__(a) cr__a = (a);                                                 \
    __typeof__(b) cr__b = (b);                                                 \
    if (!(cr__a op cr__b)) {                                                   \
      char cr__sa[48], cr__sb[48];                                             \
      CR__FMT(cr__sa, cr__a);                                                  \
      CR__FMT(cr__sb, cr__b);                                                  \
      cr__fail(fatal, __FILE__, __LINE__, #a " " #op " " #b, cr__sa, cr__sb,   \
               "" __VA_ARGS__);                                                \
    }                                                                          \
  } while (0)

#define CR__STR(fatal, a, eq, b, ...)                                          \
  do {                                                                         \
    const char *cr__a = (a), *cr__b = (b);                                     \
    if ((cr__a != NULL && cr__b != NULL && strcmp(cr__a, cr__b) == 0) != (eq)) \
      cr__fail(fatal, __FILE__, __LINE__,                                      \
               (eq) ? #a " equals " #b : #a " differs from " #b,               \
               cr__a ? cr__a : "(null)", cr__b ? cr__b : "(null)",             \
               "" __VA_ARGS__);                                                \
  } while (0)

#define cr_assert(cond, ...) CR__BOOL(true, cond, #cond, __VA_ARGS__)
#define cr_expect(cond, ...) CR__BOOL(false, cond, #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) CR__BOOL(true, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_expect_not(cond, ...) CR__BOOL(false, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_fail(...) CR__BOOL(true, 0, "cr_assert_fail", __VA_ARGS__)
#define cr_expect_fail(...) CR__BOOL(false, 0, "cr_expect_fail", __VA_ARGS__)
#define cr_assert_null(p, ...) CR__BOOL(true, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_null(p, ...) CR__BOOL(false, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) CR__BOOL(true, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) CR__BOOL(false, (p) != NULL, #p " != NULL", __VA_ARGS__)

#define cr_assert_eq(a, b, ...) CR__CMP(true, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) CR__CMP(true, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) CR__CMP(true, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) CR__CMP(true, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) CR__CMP(true, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) CR__CMP(true, a, >=, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) CR__CMP(false, a, ==, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) CR__CMP(false, a, !=, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) CR__CMP(false, a, <, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) CR__CMP(false, a, <=, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) CR__CMP(false, a, >, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) CR__CMP(false, a, >=, b, __VA_ARGS__)

#define cr_assert_str_eq(a, b, ...) CR__STR(true, a, true, b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) CR__STR(true, a, false, b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) CR__STR(false, a, true, b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) CR__STR(false, a, false, b, __VA_ARGS__)

#define cr_skip_test(...) cr__skip("" __VA_ARGS__)
#define cr_log_info(...) cr__log("info", __VA_ARGS__)
#define cr_log_warn(...) cr__log("warn", __VA_ARGS__)
#define cr_log_error(...) cr__log("error", __VA_ARGS__)

#endif
