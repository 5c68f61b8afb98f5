/* Socket addresses: text parsing and formatting (IPv4, IPv6, Unix paths),
 * construction, comparison and the sockaddr round trip. No socket and no
 * poller is needed: this runs first and everywhere. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "afdio.h"

/* Parses text, formats it back and compares with want (text when NULL). */
static void roundtrip(const char *text, const char *want) {
  afdio_addr_t a, b;
  char buf[AFDIO_ADDR_STRLEN];
  cr_assert_eq(afdio_addr_parse(&a, text), 0, "parse %s", text);
  int n = afdio_addr_format(&a, buf, sizeof buf);
  cr_assert_gt(n, 0, "format %s", text);
  cr_assert_eq((size_t)n, strlen(buf));
  cr_assert_str_eq(buf, want != NULL ? want : text);
  cr_assert_eq(afdio_addr_parse(&b, buf), 0, "reparse %s", buf);
  cr_assert_eq(afdio_addr_equal(&a, &b), 1, "%s", buf);
}

Test(addr, ipv4_text_round_trips, .timeout = 10) {
  roundtrip("127.0.0.1:8080", NULL);
  roundtrip("0.0.0.0:0", NULL);
  roundtrip("255.255.255.255:65535", NULL);
  roundtrip("10.0.0.1:00080", "10.0.0.1:80");
}

Test(addr, ipv6_text_is_formatted_as_rfc_5952, .timeout = 10) {
  roundtrip("[::1]:8080", NULL);
  roundtrip("[::]:0", NULL);
  roundtrip("[2001:db8::1]:443", NULL);
  roundtrip("[2001:0DB8:0000:0000:0001:0000:0000:0001]:1", "[2001:db8::1:0:0:1]:1");
  roundtrip("[2001:db8:0:1:1:1:1:1]:1", NULL); /* one zero group stays */
  roundtrip("[1:0:0:2:0:0:0:3]:1", "[1:0:0:2::3]:1"); /* longest run wins */
  roundtrip("[1:0:0:2:3:0:0:4]:1", "[1::2:3:0:0:4]:1"); /* first on a tie */
  roundtrip("[1:2:3:4:5:6:7:8]:9", NULL);
  roundtrip("[1:2:3:4:5:6:7::]:9", "[1:2:3:4:5:6:7:0]:9");
  roundtrip("[::2:3:4:5:6:7:8]:9", "[0:2:3:4:5:6:7:8]:9");
  roundtrip("[fe80::1%3]:1", NULL);
  roundtrip("[::ffff:1.2.3.4]:80", NULL);
  roundtrip("[::ffff:0102:0304]:80", "[::ffff:1.2.3.4]:80");
  roundtrip("[64:ff9b::192.0.2.33]:80", "[64:ff9b::c000:221]:80");
}

Test(addr, malformed_text_gives_einval_and_a_zeroed_address, .timeout = 10) {
  static const char *bad[] = {
      "", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
      "127.0.0.1:+1", "127.0.0.1:1x", "127.0.0.1:123456", "127.0.0.256:1",
      "127.0.0:1", "127.0.0.1.1:1", "127.0.0.01:1", "127..0.1:1", ".1.2.3:1",
      " 127.0.0.1:1", "127.0.0.1:1 ", "localhost:80", "::1:80", "[::1]",
      "[::1]:", "[::1]80", "[::1:80", "::1]:80", "[]:80", "[:::]:1",
      "[1::2::3]:1", "[1:2:3:4:5:6:7:8:9]:1", "[1:2:3:4:5:6:7]:1",
      "[1:2:3:4:5:6:7:8::]:1", "[12345::]:1", "[g::]:1", "[:1::]:1",
      "[1:]:1", "[::1%]:1", "[::1%x]:1", "[::1%4294967296]:1",
      "[::1.2.3]:1", "[1.2.3.4::]:1", "[::1.2.3.4:5]:1",
      "[1:2:3:4:5:6:7:1.2.3.4]:1", "[::1]:1]:1", "[[::1]]:1",
      "1.2.3.4:8080\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    afdio_addr_t a;
    memset(&a, 0xab, sizeof a);
    cr_expect_eq(afdio_addr_parse(&a, bad[i]), AFDIO_EINVAL, "'%s'", bad[i]);
    cr_expect_eq(afdio_addr_family(&a), AFDIO_EINVAL, "'%s'", bad[i]);
  }
  afdio_addr_t a;
  cr_assert_eq(afdio_addr_parse(&a, NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_parse(NULL, "1.2.3.4:5"), AFDIO_EINVAL);
}

Test(addr, constructors_set_family_port_and_bytes, .timeout = 10) {
  static const uint8_t v4[4] = {192, 168, 1, 2};
  static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 5};
  afdio_addr_t a, b;
  char buf[AFDIO_ADDR_STRLEN];
  cr_assert_eq(afdio_addr_ipv4(&a, v4, 4000), 0);
  cr_assert_eq(afdio_addr_family(&a), AFDIO_AF_INET);
  cr_assert_eq(afdio_addr_port(&a), 4000);
  cr_assert_eq(afdio_addr_set_port(&a, 65535), 0);
  cr_assert_eq(afdio_addr_format(&a, buf, sizeof buf), 17);
  cr_assert_str_eq(buf, "192.168.1.2:65535");
  cr_assert_eq(afdio_addr_ipv6(&b, v6, 7, 9), 0);
  cr_assert_eq(afdio_addr_family(&b), AFDIO_AF_INET6);
  cr_assert_eq(afdio_addr_port(&b), 7);
  cr_assert_geq(afdio_addr_format(&b, buf, sizeof buf), 0);
  cr_assert_str_eq(buf, "[2001:db8::5%9]:7");
  cr_assert_eq(afdio_addr_equal(&a, &b), 0);
  cr_assert_eq(afdio_addr_ipv4(NULL, v4, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_ipv6(&a, NULL, 1, 0), AFDIO_EINVAL);
}

Test(addr, equality_compares_address_port_and_scope, .timeout = 10) {
  afdio_addr_t a, b;
  cr_assert_eq(afdio_addr_parse(&a, "[fe80::1%1]:5"), 0);
  cr_assert_eq(afdio_addr_parse(&b, "[fe80::1%2]:5"), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 0);
  cr_assert_eq(afdio_addr_parse(&b, "[fe80::1%1]:6"), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 0);
  cr_assert_eq(afdio_addr_set_port(&b, 5), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 1);
  cr_assert_eq(afdio_addr_parse(&b, "0.0.0.0:5"), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 0);
  cr_assert_eq(afdio_addr_equal(&a, NULL), AFDIO_EINVAL);
}

Test(addr, sockaddr_round_trip_keeps_the_address, .timeout = 10) {
  afdio_addr_t a, b;
  unsigned char sa[128];
  cr_assert_eq(afdio_addr_parse(&a, "[2001:db8::7%4]:1234"), 0);
  int len = afdio_addr_to_sockaddr(&a, sa, sizeof sa);
  cr_assert_gt(len, 0);
  cr_assert_eq(afdio_addr_to_sockaddr(&a, sa, (size_t)len - 1), AFDIO_ENOBUFS);
  cr_assert_eq(afdio_addr_from_sockaddr(&b, sa, (size_t)len), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 1);
  /* A longer length (a whole sockaddr_storage) is fine, a shorter is not. */
  cr_assert_eq(afdio_addr_from_sockaddr(&b, sa, sizeof sa), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 1);
  cr_assert_eq(afdio_addr_from_sockaddr(&b, sa, (size_t)len - 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_from_sockaddr(&b, sa, 129), AFDIO_EINVAL);
  memset(sa, 0, sizeof sa); /* family 0 (AF_UNSPEC) */
  cr_assert_eq(afdio_addr_from_sockaddr(&b, sa, sizeof sa), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_to_sockaddr(&b, sa, sizeof sa), AFDIO_EINVAL);
}

Test(addr, unix_paths_format_as_themselves, .timeout = 10) {
  afdio_addr_t a, b;
  char buf[AFDIO_ADDR_STRLEN], path[200];
  cr_assert_eq(afdio_addr_unix(&a, "/tmp/afdio.sock"), 0);
  cr_assert_eq(afdio_addr_family(&a), AFDIO_AF_UNIX);
  cr_assert_eq(afdio_addr_port(&a), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_set_port(&a, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_format(&a, buf, sizeof buf), 15);
  cr_assert_str_eq(buf, "/tmp/afdio.sock");
  cr_assert_eq(afdio_addr_unix(&b, "@abstract"), 0);
  cr_assert_geq(afdio_addr_format(&b, buf, sizeof buf), 0);
  cr_assert_str_eq(buf, "@abstract");
  cr_assert_eq(afdio_addr_equal(&a, &b), 0);
  cr_assert_eq(afdio_addr_unix(&b, "/tmp/afdio.sock"), 0);
  cr_assert_eq(afdio_addr_equal(&a, &b), 1);
  cr_assert_eq(afdio_addr_unix(&a, ""), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_unix(&a, NULL), AFDIO_EINVAL);
  memset(path, 'p', sizeof path - 1);
  path[sizeof path - 1] = '\0';
  cr_assert_eq(afdio_addr_unix(&a, path), AFDIO_EINVAL);
  path[103] = '\0'; /* fits everywhere: sun_path is 104 bytes or more */
  cr_assert_eq(afdio_addr_unix(&a, path), 0);
  cr_assert_eq(afdio_addr_format(&a, buf, sizeof buf), 103);
}

Test(addr, format_reports_a_short_buffer, .timeout = 10) {
  afdio_addr_t a;
  char buf[AFDIO_ADDR_STRLEN];
  cr_assert_eq(afdio_addr_parse(&a, "1.2.3.4:5"), 0);
  cr_assert_eq(afdio_addr_format(&a, buf, 9), AFDIO_ENOBUFS);
  cr_assert_eq(afdio_addr_format(&a, buf, 10), 9);
  cr_assert_eq(afdio_addr_format(&a, buf, 0), AFDIO_ENOBUFS);
  cr_assert_eq(afdio_addr_format(&a, NULL, 10), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_format(NULL, buf, 10), AFDIO_EINVAL);
  /* The longest form fits AFDIO_ADDR_STRLEN. */
  cr_assert_eq(afdio_addr_parse(&a, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535"), 0);
  cr_assert_gt(afdio_addr_format(&a, buf, sizeof buf), 0);
  memset(&a, 0, sizeof a);
  cr_assert_eq(afdio_addr_format(&a, buf, sizeof buf), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_family(&a), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_family(NULL), AFDIO_EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Fuzz: deterministic, bounded                                              */

static uint32_t fuzz__next(uint32_t *state) {
  uint32_t x = *state; /* xorshift32: same sequence on every platform */
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* Mostly address characters, sometimes any byte but NUL. */
static char fuzz__char(uint32_t *state) {
  static const char alphabet[] = "0123456789abcdefABCDEF:.[]%";
  uint32_t r = fuzz__next(state);
  if (r % 8 == 0)
    return (char)(1 + r / 8 % 255);
  return alphabet[r / 8 % (sizeof alphabet - 1)];
}

static void fuzz__mutate(char *s, size_t cap, uint32_t *state) {
  int edits = 1 + (int)(fuzz__next(state) % 3);
  for (int e = 0; e < edits; e++) {
    size_t n = strlen(s);
    size_t at = n == 0 ? 0 : fuzz__next(state) % (n + 1);
    switch (fuzz__next(state) % 3) {
    case 0: /* insert */
      if (n + 1 < cap) {
        memmove(s + at + 1, s + at, n - at + 1);
        s[at] = fuzz__char(state);
      }
      break;
    case 1: /* delete */
      if (at < n)
        memmove(s + at, s + at + 1, n - at);
      break;
    default: /* replace */
      if (at < n)
        s[at] = fuzz__char(state);
      break;
    }
  }
}

/* Either the text parses and then formats to a text that parses back to
 * the same address and formats identically, or it is AFDIO_EINVAL. */
static int fuzz__check(const char *text) {
  afdio_addr_t a, b;
  char out[AFDIO_ADDR_STRLEN], again[AFDIO_ADDR_STRLEN];
  int rc = afdio_addr_parse(&a, text);
  if (rc != 0) {
    cr_assert_eq(rc, AFDIO_EINVAL, "'%s'", text);
    cr_assert_eq(afdio_addr_family(&a), AFDIO_EINVAL, "'%s'", text);
    return 0;
  }
  cr_assert_gt(afdio_addr_format(&a, out, sizeof out), 0, "'%s'", text);
  cr_assert_eq(afdio_addr_parse(&b, out), 0, "'%s' -> '%s'", text, out);
  cr_assert_eq(afdio_addr_equal(&a, &b), 1, "'%s' -> '%s'", text, out);
  cr_assert_gt(afdio_addr_format(&b, again, sizeof again), 0);
  cr_assert_str_eq(out, again);
  return 1;
}

Test(addr, random_and_mutated_text_never_crashes, .timeout = 30) {
  static const char *seeds[] = {
      "127.0.0.1:8080", "[::1]:8080", "[2001:db8::1:0:0:1]:443",
      "[::ffff:10.0.0.1]:1", "[fe80::1%12]:65535", "0.0.0.0:0",
      "[1:2:3:4:5:6:7:8]:9",
  };
  uint32_t state = 0x2545f491u;
  int parsed = 0;
  char s[96];
  for (int i = 0; i < 30000; i++) {
    if (i % 2 == 0) {
      snprintf(s, sizeof s, "%s", seeds[fuzz__next(&state) % 7]);
      fuzz__mutate(s, sizeof s, &state);
    } else {
      size_t n = fuzz__next(&state) % 40;
      for (size_t k = 0; k < n; k++)
        s[k] = fuzz__char(&state);
      s[n] = '\0';
    }
    parsed += fuzz__check(s);
  }
  /* Mutations keep some inputs valid: both outcomes were exercised. */
  cr_assert_gt(parsed, 100);
  cr_assert_lt(parsed, 30000);
}
