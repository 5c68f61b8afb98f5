/* The error table: values fixed on every platform, every code named and
 * described, unknown codes handled. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "afdio.h"

/* build.zig.zon's .version, passed by build.zig: the one place the version
 * is written. The header's macros are a copy that this file checks. */
#ifndef AFDIO_TEST_ZON_VERSION
#error "build AFDIO's tests with zig build: it defines AFDIO_TEST_ZON_VERSION"
#endif

Test(errors_table, values_are_fixed_on_every_platform) {
  cr_assert_eq(AFDIO_EINVAL, -1);
  cr_assert_eq(AFDIO_EAGAIN, -3);
  cr_assert_eq(AFDIO_EEXIST, -4);
  cr_assert_eq(AFDIO_ENOENT, -5);
  cr_assert_eq(AFDIO_ENOSYS, -8);
  cr_assert_eq(AFDIO_ECONNREFUSED, -12);
  cr_assert_eq(AFDIO_EIO, -34);
}

Test(errors_table, every_code_has_its_name_and_message) {
  int count = 0;
#define CHECK(name, value, msg)                                                \
  cr_assert_str_eq(afdio_err_name(value), "AFDIO_" #name);                     \
  cr_assert_str_eq(afdio_strerror(value), msg);                                \
  cr_assert_lt(value, 0);                                                      \
  count++;
  AFDIO_ERROR_TABLE(CHECK)
#undef CHECK
  cr_assert_eq(count, 34);
}

Test(errors_table, codes_are_distinct_and_dense) {
  /* Dense from -1 down: a gap or a duplicate would show as a missing name. */
  for (int code = -1; code >= AFDIO_EIO; code--)
    cr_assert_str_neq(afdio_err_name(code), "AFDIO_EUNKNOWN", "code %d", code);
}

Test(errors_table, zero_is_success) {
  cr_assert_str_eq(afdio_err_name(0), "AFDIO_OK");
  cr_assert_str_eq(afdio_strerror(0), "success");
}

Test(errors_table, unknown_codes_are_named_unknown) {
  const int unknown[] = {1, 42, AFDIO_EIO - 1, -1000, -2147483647 - 1, 2147483647};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    cr_assert_str_eq(afdio_err_name(unknown[i]), "AFDIO_EUNKNOWN");
    cr_assert_str_eq(afdio_strerror(unknown[i]), "unknown error");
  }
}

Test(errors_table, version_matches_header) {
  cr_assert_eq(afdio_version(), (unsigned)AFDIO_VERSION_HEX);
  cr_assert_str_eq(afdio_version_string(), AFDIO_VERSION_STRING);
  cr_assert_not_null(afdio_backend());
  cr_assert_gt(strlen(afdio_backend()), 0u);
}

Test(errors_table, header_version_is_build_zig_zon_version) {
  unsigned major, minor, patch;
  cr_assert_eq(sscanf(AFDIO_TEST_ZON_VERSION, "%u.%u.%u", &major, &minor, &patch), 3);
  cr_assert_str_eq(AFDIO_VERSION_STRING, AFDIO_TEST_ZON_VERSION,
                   "include/afdio.h has drifted from build.zig.zon's .version");
  cr_assert_eq(AFDIO_VERSION_MAJOR, major);
  cr_assert_eq(AFDIO_VERSION_MINOR, minor);
  cr_assert_eq(AFDIO_VERSION_PATCH, patch);
  cr_assert_str_eq(afdio_version_string(), AFDIO_TEST_ZON_VERSION);
}
