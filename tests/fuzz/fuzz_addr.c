/* Fuzz target: the address parser and formatter. For any text,
 * afdio_addr_parse either fails with AFDIO_EINVAL and a zeroed address, or
 * succeeds and then format succeeds, and parsing the formatted text gives
 * the same address (the round trip afdio.h promises) and the same text
 * again. Raw bytes given to afdio_addr_from_sockaddr never crash, and an
 * accepted one formats and converts back. libFuzzer entry point; replay.c
 * runs the corpus without the fuzzer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "afdio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond) {
  if (!cond)
    abort();
}

static void round_trip(const uint8_t *data, size_t size) {
  char text[512], out[AFDIO_ADDR_STRLEN], again[AFDIO_ADDR_STRLEN];
  afdio_addr_t a, b, zero;
  size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
  memcpy(text, data, n);
  text[n] = '\0';
  memset(&zero, 0, sizeof zero);
  int rc = afdio_addr_parse(&a, text);
  if (rc != 0) {
    check(rc == AFDIO_EINVAL);
    check(memcmp(&a, &zero, sizeof a) == 0);
    return;
  }
  int fam = afdio_addr_family(&a);
  check(fam == AFDIO_AF_INET || fam == AFDIO_AF_INET6);
  int len = afdio_addr_format(&a, out, sizeof out);
  check(len > 0 && (size_t)len < sizeof out && strlen(out) == (size_t)len);
  check(afdio_addr_parse(&b, out) == 0);
  check(afdio_addr_equal(&a, &b) == 1);
  check(afdio_addr_format(&b, again, sizeof again) == len);
  check(strcmp(out, again) == 0);
  check(afdio_addr_port(&a) >= 0 && afdio_addr_port(&a) <= 65535);
  /* Every buffer size below the length reports ENOBUFS, never overflows. */
  for (int k = 0; k <= len; k++) {
    char *small = malloc((size_t)k + 1);
    check(small != NULL);
    int r = afdio_addr_format(&a, small, (size_t)k);
    check(r == AFDIO_ENOBUFS);
    free(small);
  }
}

static void from_raw(const uint8_t *data, size_t size) {
  unsigned char sa[160];
  char out[AFDIO_ADDR_STRLEN];
  afdio_addr_t a, b;
  size_t n = size < sizeof sa ? size : sizeof sa;
  memcpy(sa, data, n);
  if (afdio_addr_from_sockaddr(&a, sa, n) != 0)
    return;
  check(afdio_addr_family(&a) > 0);
  int len = afdio_addr_format(&a, out, sizeof out);
  check(len >= 0 && (size_t)len < sizeof out);
  int sl = afdio_addr_to_sockaddr(&a, sa, sizeof sa);
  check(sl > 0);
  check(afdio_addr_from_sockaddr(&b, sa, (size_t)sl) == 0);
  check(afdio_addr_equal(&a, &b) == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  round_trip(data, size);
  from_raw(data, size);
  return 0;
}
