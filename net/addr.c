/* Socket addresses: parsing and formatting done here, byte by byte, so the
 * text forms are identical on every OS (inet_pton/inet_ntop differ in what
 * they accept and in how they write IPv6) and no name lookup can happen. */
#include "net/net.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct sockaddr_storage) <= sizeof(((afdio_addr_t *)0)->storage_),
               "afdio_addr_t must hold any socket address");
_Static_assert(sizeof(struct sockaddr_un) <= sizeof(((afdio_addr_t *)0)->storage_),
               "afdio_addr_t must hold a Unix-domain address");

#define ADDR__SUN_PATH_OFF offsetof(struct sockaddr_un, sun_path)
#define ADDR__SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

static int addr__family(const afdio_addr_t *addr) {
  struct sockaddr sa;
  memcpy(&sa, addr->storage_.bytes_, sizeof sa);
  return sa.sa_family;
}

static void addr__store(afdio_addr_t *addr, const void *sa, size_t len) {
  memset(addr, 0, sizeof *addr);
  memcpy(addr->storage_.bytes_, sa, len);
  addr->len_ = (uint32_t)len;
}

int afdio__addr_check(const afdio_addr_t *addr) {
  if (addr == NULL || addr->len_ < 2 || addr->len_ > sizeof addr->storage_)
    return AFDIO_EINVAL;
  int family = addr__family(addr);
  if (family == AF_INET && addr->len_ == sizeof(struct sockaddr_in))
    return AF_INET;
  if (family == AF_INET6 && addr->len_ == sizeof(struct sockaddr_in6))
    return AF_INET6;
  if (family == AF_UNIX && addr->len_ >= ADDR__SUN_PATH_OFF &&
      addr->len_ <= sizeof(struct sockaddr_un))
    return AF_UNIX;
  return AFDIO_EINVAL;
}

int afdio__addr_is_abstract(const afdio_addr_t *addr) {
  return addr->len_ > ADDR__SUN_PATH_OFF &&
         addr->storage_.bytes_[ADDR__SUN_PATH_OFF] == 0;
}

const struct sockaddr *afdio__addr_sa(const afdio_addr_t *addr) {
  return (const struct sockaddr *)(const void *)addr->storage_.bytes_;
}

struct sockaddr *afdio__addr_sa_mut(afdio_addr_t *addr) {
  return (struct sockaddr *)(void *)addr->storage_.bytes_;
}

afdio__socklen_t afdio__addr_salen(const afdio_addr_t *addr) {
  return (afdio__socklen_t)addr->len_;
}

/* ------------------------------------------------------------------------ */
/* Construction                                                              */

int afdio_addr_ipv4(afdio_addr_t *addr, const uint8_t ip[4], uint16_t port) {
  if (addr == NULL || ip == NULL)
    return AFDIO_EINVAL;
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  memcpy(&sin.sin_addr, ip, 4);
  addr__store(addr, &sin, sizeof sin);
  return 0;
}

int afdio_addr_ipv6(afdio_addr_t *addr, const uint8_t ip[16], uint16_t port,
                    uint32_t scope_id) {
  if (addr == NULL || ip == NULL)
    return AFDIO_EINVAL;
  struct sockaddr_in6 sin6;
  memset(&sin6, 0, sizeof sin6);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_scope_id = scope_id;
  memcpy(sin6.sin6_addr.s6_addr, ip, 16);
  addr__store(addr, &sin6, sizeof sin6);
  return 0;
}

int afdio_addr_unix(afdio_addr_t *addr, const char *path) {
  if (addr == NULL)
    return AFDIO_EINVAL;
  memset(addr, 0, sizeof *addr);
  if (path == NULL || path[0] == '\0')
    return AFDIO_EINVAL;
  size_t n = strlen(path);
  if (n >= ADDR__SUN_PATH_MAX)
    return AFDIO_EINVAL;
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, path, n);
  /* A Linux abstract name: leading NUL, and the length counts exactly the
   * name's bytes (no terminating NUL), or it would be a different name. */
  size_t len = ADDR__SUN_PATH_OFF + n + 1;
  if (path[0] == '@') {
    sun.sun_path[0] = '\0';
    len = ADDR__SUN_PATH_OFF + n;
  }
  addr__store(addr, &sun, len);
  return 0;
}

int afdio_addr_from_sockaddr(afdio_addr_t *addr, const void *sa, size_t len) {
  if (addr == NULL)
    return AFDIO_EINVAL;
  memset(addr, 0, sizeof *addr);
  if (sa == NULL || len < 2 || len > sizeof addr->storage_)
    return AFDIO_EINVAL;
  afdio_addr_t tmp;
  memset(&tmp, 0, sizeof tmp);
  memcpy(tmp.storage_.bytes_, sa, len);
  /* Keep exactly the family's length for IP, so equal addresses compare
   * and format equally whatever length the caller or the kernel gave. */
  switch (addr__family(&tmp)) {
  case AF_INET:
    tmp.len_ = sizeof(struct sockaddr_in);
    break;
  case AF_INET6:
    tmp.len_ = sizeof(struct sockaddr_in6);
    break;
  default:
    tmp.len_ = (uint32_t)len;
    break;
  }
  if (len < tmp.len_ || afdio__addr_check(&tmp) < 0)
    return AFDIO_EINVAL;
  memset(tmp.storage_.bytes_ + tmp.len_, 0, sizeof tmp.storage_ - tmp.len_);
  *addr = tmp;
  return 0;
}

int afdio_addr_to_sockaddr(const afdio_addr_t *addr, void *sa,
                           size_t capacity) {
  if (sa == NULL || afdio__addr_check(addr) < 0)
    return AFDIO_EINVAL;
  if (capacity < addr->len_)
    return AFDIO_ENOBUFS;
  memcpy(sa, addr->storage_.bytes_, addr->len_);
  return (int)addr->len_;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */

int afdio_addr_family(const afdio_addr_t *addr) {
  switch (afdio__addr_check(addr)) {
  case AF_INET:
    return AFDIO_AF_INET;
  case AF_INET6:
    return AFDIO_AF_INET6;
  case AF_UNIX:
    return AFDIO_AF_UNIX;
  default:
    return AFDIO_EINVAL;
  }
}

/* sin_port and sin6_port sit at the same offset on every platform, but
 * going through the real structs costs nothing and assumes nothing. */
int afdio_addr_port(const afdio_addr_t *addr) {
  int family = afdio__addr_check(addr);
  if (family == AF_INET) {
    struct sockaddr_in sin;
    memcpy(&sin, addr->storage_.bytes_, sizeof sin);
    return ntohs(sin.sin_port);
  }
  if (family == AF_INET6) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, addr->storage_.bytes_, sizeof sin6);
    return ntohs(sin6.sin6_port);
  }
  return AFDIO_EINVAL;
}

int afdio_addr_set_port(afdio_addr_t *addr, uint16_t port) {
  int family = afdio__addr_check(addr);
  if (family == AF_INET) {
    struct sockaddr_in sin;
    memcpy(&sin, addr->storage_.bytes_, sizeof sin);
    sin.sin_port = htons(port);
    memcpy(addr->storage_.bytes_, &sin, sizeof sin);
    return 0;
  }
  if (family == AF_INET6) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, addr->storage_.bytes_, sizeof sin6);
    sin6.sin6_port = htons(port);
    memcpy(addr->storage_.bytes_, &sin6, sizeof sin6);
    return 0;
  }
  return AFDIO_EINVAL;
}

int afdio_addr_equal(const afdio_addr_t *a, const afdio_addr_t *b) {
  if (a == NULL || b == NULL)
    return AFDIO_EINVAL;
  int family = afdio__addr_check(a);
  if (family < 0 || family != afdio__addr_check(b))
    return 0;
  if (family == AF_INET) {
    struct sockaddr_in x, y;
    memcpy(&x, a->storage_.bytes_, sizeof x);
    memcpy(&y, b->storage_.bytes_, sizeof y);
    return x.sin_port == y.sin_port &&
           memcmp(&x.sin_addr, &y.sin_addr, sizeof x.sin_addr) == 0;
  }
  if (family == AF_INET6) {
    struct sockaddr_in6 x, y;
    memcpy(&x, a->storage_.bytes_, sizeof x);
    memcpy(&y, b->storage_.bytes_, sizeof y);
    return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
           memcmp(x.sin6_addr.s6_addr, y.sin6_addr.s6_addr, 16) == 0;
  }
  return a->len_ == b->len_ &&
         memcmp(a->storage_.bytes_ + ADDR__SUN_PATH_OFF,
                b->storage_.bytes_ + ADDR__SUN_PATH_OFF,
                a->len_ - ADDR__SUN_PATH_OFF) == 0;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */

static int addr__digit(char c) { return c >= '0' && c <= '9' ? c - '0' : -1; }

static int addr__hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A decimal number of 1 to max_digits digits, no sign, value <= limit,
 * filling exactly s[0..n). Leading zeros are refused when strict. */
static int addr__decimal(const char *s, size_t n, size_t max_digits,
                         uint32_t limit, int strict, uint32_t *out) {
  if (n == 0 || n > max_digits || (strict && n > 1 && s[0] == '0'))
    return AFDIO_EINVAL;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = addr__digit(s[i]);
    if (d < 0)
      return AFDIO_EINVAL;
    v = v * 10 + (uint64_t)d;
  }
  if (v > limit)
    return AFDIO_EINVAL;
  *out = (uint32_t)v;
  return 0;
}

/* "a.b.c.d" filling exactly s[0..n). */
static int addr__parse_v4(const char *s, size_t n, uint8_t out[4]) {
  size_t start = 0;
  for (int part = 0; part < 4; part++) {
    size_t end = start;
    while (end < n && s[end] != '.')
      end++;
    if ((part < 3) != (end < n))
      return AFDIO_EINVAL;
    uint32_t v;
    if (addr__decimal(s + start, end - start, 3, 255, 1, &v) < 0)
      return AFDIO_EINVAL;
    out[part] = (uint8_t)v;
    start = end + 1;
  }
  return 0;
}

/* One group of 1 to 4 hex digits, s[0..n). */
static int addr__parse_group(const char *s, size_t n, uint16_t *out) {
  if (n == 0 || n > 4)
    return AFDIO_EINVAL;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    int d = addr__hex(s[i]);
    if (d < 0)
      return AFDIO_EINVAL;
    v = v * 16 + (unsigned)d;
  }
  *out = (uint16_t)v;
  return 0;
}

/* Fills the groups around the "::" gap (gap < 0: none) into 16 bytes. */
static int addr__expand_v6(const uint16_t *groups, int count, int gap,
                           uint8_t out[16]) {
  if ((gap < 0 && count != 8) || (gap >= 0 && count > 7))
    return AFDIO_EINVAL;
  uint16_t full[8] = {0};
  int tail = gap < 0 ? 0 : count - gap;
  for (int i = 0; i < count - tail; i++)
    full[i] = groups[i];
  for (int i = 0; i < tail; i++)
    full[8 - tail + i] = groups[gap + i];
  for (int i = 0; i < 8; i++) {
    out[2 * i] = (uint8_t)(full[i] >> 8);
    out[2 * i + 1] = (uint8_t)(full[i] & 0xff);
  }
  return 0;
}

/* An IPv6 address filling exactly s[0..n): groups, at most one "::", and
 * an optional dotted IPv4 tail in place of the last two groups. */
static int addr__parse_v6(const char *s, size_t n, uint8_t out[16]) {
  uint16_t groups[8];
  int count = 0, gap = -1;
  size_t i = 0;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    size_t end = i;
    while (end < n && s[end] != ':')
      end++;
    if (memchr(s + i, '.', end - i) != NULL) {
      uint8_t v4[4];
      if (end != n || count > 6 || addr__parse_v4(s + i, end - i, v4) < 0)
        return AFDIO_EINVAL;
      groups[count++] = (uint16_t)(v4[0] << 8 | v4[1]);
      groups[count++] = (uint16_t)(v4[2] << 8 | v4[3]);
      break;
    }
    if (count == 8 || addr__parse_group(s + i, end - i, &groups[count]) < 0)
      return AFDIO_EINVAL;
    count++;
    i = end;
    if (i == n)
      break;
    i++; /* the ':' */
    if (i < n && s[i] == ':') {
      if (gap >= 0)
        return AFDIO_EINVAL;
      gap = count;
      i++;
    } else if (i == n) {
      return AFDIO_EINVAL; /* a lone trailing ':' */
    }
  }
  return addr__expand_v6(groups, count, gap, out);
}

static int addr__parse_port(const char *s, uint16_t *port) {
  uint32_t v;
  if (addr__decimal(s, strlen(s), 5, 65535, 0, &v) < 0)
    return AFDIO_EINVAL;
  *port = (uint16_t)v;
  return 0;
}

/* "[v6%scope]:port"; s starts after the '['. */
static int addr__parse_bracketed(afdio_addr_t *addr, const char *s) {
  const char *close = strchr(s, ']');
  if (close == NULL || close[1] != ':')
    return AFDIO_EINVAL;
  const char *pct = memchr(s, '%', (size_t)(close - s));
  const char *end = pct != NULL ? pct : close;
  uint8_t ip[16];
  uint32_t scope = 0;
  uint16_t port;
  if (addr__parse_v6(s, (size_t)(end - s), ip) < 0)
    return AFDIO_EINVAL;
  if (pct != NULL && addr__decimal(pct + 1, (size_t)(close - pct - 1), 10,
                                   UINT32_MAX, 0, &scope) < 0)
    return AFDIO_EINVAL;
  if (addr__parse_port(close + 2, &port) < 0)
    return AFDIO_EINVAL;
  return afdio_addr_ipv6(addr, ip, port, scope);
}

int afdio_addr_parse(afdio_addr_t *addr, const char *text) {
  if (addr == NULL)
    return AFDIO_EINVAL;
  memset(addr, 0, sizeof *addr);
  if (text == NULL)
    return AFDIO_EINVAL;
  int rc;
  if (text[0] == '[') {
    rc = addr__parse_bracketed(addr, text + 1);
  } else {
    const char *colon = strchr(text, ':');
    uint8_t ip[4];
    uint16_t port;
    rc = AFDIO_EINVAL;
    if (colon != NULL &&
        addr__parse_v4(text, (size_t)(colon - text), ip) == 0 &&
        addr__parse_port(colon + 1, &port) == 0)
      rc = afdio_addr_ipv4(addr, ip, port);
  }
  if (rc < 0)
    memset(addr, 0, sizeof *addr);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                                */

/* RFC 5952: lowercase hex without leading zeros, the longest run of two or
 * more zero groups (the first on a tie) as "::", IPv4-mapped in dotted form. */
static int addr__format_v6(char *out, size_t size, const uint8_t b[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(b, mapped, 12) == 0)
    return snprintf(out, size, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14],
                    b[15]);
  uint16_t g[8];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8; i++)
    g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0)
      j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  size_t used = 0;
  for (int i = 0; i < 8 && used < size;) {
    int w;
    if (i == best) {
      w = snprintf(out + used, size - used, "::");
      i += best_len;
    } else {
      int sep = i > 0 && i != best + best_len;
      w = snprintf(out + used, size - used, "%s%x", sep ? ":" : "", g[i]);
      i++;
    }
    used += (size_t)w;
  }
  return (int)used;
}

static int addr__format_unix(char *out, size_t size, const afdio_addr_t *addr) {
  const char *path = (const char *)addr->storage_.bytes_ + ADDR__SUN_PATH_OFF;
  size_t n = addr->len_ - ADDR__SUN_PATH_OFF;
  size_t zeros = 0;
  while (zeros < n && path[zeros] == '\0')
    zeros++;
  if (zeros == n) /* unnamed (also how macOS reports an unbound socket) */
    return snprintf(out, size, "%s", "");
  if (path[0] == '\0')
    return snprintf(out, size, "@%.*s", (int)(n - 1), path + 1);
  return snprintf(out, size, "%.*s", (int)strnlen(path, n), path);
}

int afdio_addr_format(const afdio_addr_t *addr, char *buf, size_t size) {
  int family = afdio__addr_check(addr);
  if (buf == NULL || family < 0)
    return AFDIO_EINVAL;
  char tmp[AFDIO_ADDR_STRLEN + 16];
  int n;
  if (family == AF_INET) {
    struct sockaddr_in sin;
    memcpy(&sin, addr->storage_.bytes_, sizeof sin);
    const uint8_t *b = (const uint8_t *)&sin.sin_addr;
    n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u:%u", b[0], b[1], b[2], b[3],
                 ntohs(sin.sin_port));
  } else if (family == AF_INET6) {
    struct sockaddr_in6 sin6;
    char ip[64], scope[16] = "";
    memcpy(&sin6, addr->storage_.bytes_, sizeof sin6);
    addr__format_v6(ip, sizeof ip, sin6.sin6_addr.s6_addr);
    if (sin6.sin6_scope_id != 0)
      snprintf(scope, sizeof scope, "%%%lu", (unsigned long)sin6.sin6_scope_id);
    n = snprintf(tmp, sizeof tmp, "[%s%s]:%u", ip, scope, ntohs(sin6.sin6_port));
  } else {
    n = addr__format_unix(tmp, sizeof tmp, addr);
  }
  if (n < 0 || (size_t)n >= sizeof tmp)
    return AFDIO_EIO;
  if ((size_t)n >= size)
    return AFDIO_ENOBUFS;
  memcpy(buf, tmp, (size_t)n + 1);
  return n;
}
