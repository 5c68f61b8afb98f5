/* Socket options as integers: each AFDIO_OPT_* maps to one level/name pair
 * by family, with its object kind and value range checked here, so every
 * OS gives the same answer to the same bad request. */
#include "net/net.h"

#include <limits.h>

/* Where an option applies and what it becomes for one socket. */
struct option__spec {
  int level;
  int name;
  int min, max; /* accepted values for set */
};

static int option__ip(const struct afdio__net *n) {
  return n->family == AF_INET || n->family == AF_INET6;
}

/* Fills spec for the option on n, or says why it cannot apply. */
static int option__lookup(const struct afdio__net *n, afdio_option_t option,
                          struct option__spec *spec) {
  int v6 = n->family == AF_INET6;
  int stream = n->kind == AFDIO__NET_STREAM;
  int dgram = n->kind == AFDIO__NET_DATAGRAM;
  struct option__spec s = {SOL_SOCKET, 0, 0, 1};
  switch (option) {
  case AFDIO_OPT_NODELAY:
    s = (struct option__spec){IPPROTO_TCP, TCP_NODELAY, 0, 1};
    if (!stream)
      return AFDIO_EINVAL;
    break;
  case AFDIO_OPT_KEEPALIVE:
    s.name = SO_KEEPALIVE;
    if (!stream)
      return AFDIO_EINVAL;
    break;
  case AFDIO_OPT_TTL:
    s = v6 ? (struct option__spec){IPPROTO_IPV6, IPV6_UNICAST_HOPS, 1, 255}
           : (struct option__spec){IPPROTO_IP, IP_TTL, 1, 255};
    break;
  case AFDIO_OPT_SNDBUF:
  case AFDIO_OPT_RCVBUF:
    s = (struct option__spec){SOL_SOCKET,
                              option == AFDIO_OPT_SNDBUF ? SO_SNDBUF
                                                         : SO_RCVBUF,
                              1, INT_MAX};
    return *spec = s, 0; /* every family */
  case AFDIO_OPT_V6ONLY:
    s = (struct option__spec){IPPROTO_IPV6, IPV6_V6ONLY, 1, 0}; /* no set */
    if (option__ip(n) && !v6)
      return AFDIO_ENOTSUP;
    break;
  case AFDIO_OPT_BROADCAST:
    s.name = SO_BROADCAST;
    if (!dgram)
      return AFDIO_EINVAL;
    break;
  case AFDIO_OPT_MULTICAST_TTL:
    s = v6 ? (struct option__spec){IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 0, 255}
           : (struct option__spec){IPPROTO_IP, IP_MULTICAST_TTL, 0, 255};
    if (!dgram)
      return AFDIO_EINVAL;
    break;
  case AFDIO_OPT_MULTICAST_LOOP:
    s = v6 ? (struct option__spec){IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, 1}
           : (struct option__spec){IPPROTO_IP, IP_MULTICAST_LOOP, 0, 1};
    if (!dgram)
      return AFDIO_EINVAL;
    break;
  default:
    return AFDIO_EINVAL;
  }
  if (!option__ip(n))
    return AFDIO_ENOTSUP;
  *spec = s;
  return 0;
}

/* SO_LINGER: -1 off, else on with that many seconds. */
static int option__set_linger(const struct afdio__net *n, int value) {
  struct linger l;
  if (n->kind != AFDIO__NET_STREAM || value < -1 || value > 65535)
    return AFDIO_EINVAL;
  l.l_onoff = value >= 0;
  l.l_linger = value >= 0 ? value : 0;
  if (setsockopt(n->sock, SOL_SOCKET, SO_LINGER, (const char *)&l,
                 (afdio__socklen_t)sizeof l) != 0)
    return afdio__sys_error();
  return 0;
}

static int option__get_linger(const struct afdio__net *n, int *value) {
  struct linger l;
  afdio__socklen_t len = (afdio__socklen_t)sizeof l;
  if (n->kind != AFDIO__NET_STREAM)
    return AFDIO_EINVAL;
  if (getsockopt(n->sock, SOL_SOCKET, SO_LINGER, (char *)&l, &len) != 0)
    return afdio__sys_error();
  *value = l.l_onoff ? (int)l.l_linger : -1;
  return 0;
}

/* The one option with no socket option behind it (an ioctl on Windows). */
static int option__connreset(struct afdio__net *n, int set, int *value) {
  if (n->kind != AFDIO__NET_DATAGRAM)
    return AFDIO_EINVAL;
  if (!option__ip(n))
    return AFDIO_ENOTSUP;
  if (!set) {
    *value = n->udp_connreset;
    return 0;
  }
  if (*value != 0 && *value != 1)
    return AFDIO_EINVAL;
  int rc = afdio__sys_udp_connreset(n->sock, *value);
  if (rc == 0)
    n->udp_connreset = *value;
  return rc;
}

int afdio__net_setopt(struct afdio__net *n, afdio_option_t option,
                      int value) {
  struct option__spec s;
  if (option == AFDIO_OPT_LINGER)
    return option__set_linger(n, value);
  if (option == AFDIO_OPT_UDP_CONNRESET)
    return option__connreset(n, 1, &value);
  int rc = option__lookup(n, option, &s);
  if (rc < 0)
    return rc;
  if (value < s.min || value > s.max)
    return AFDIO_EINVAL;
  if (setsockopt(n->sock, s.level, s.name, (const char *)&value,
                 (afdio__socklen_t)sizeof value) != 0)
    return afdio__sys_error();
  return 0;
}

int afdio__net_getopt(const struct afdio__net *n, afdio_option_t option,
                      int *value) {
  struct option__spec s;
  if (value == NULL)
    return AFDIO_EINVAL;
  if (option == AFDIO_OPT_LINGER)
    return option__get_linger(n, value);
  if (option == AFDIO_OPT_UDP_CONNRESET)
    return option__connreset((struct afdio__net *)n, 0, value);
  int rc = option__lookup(n, option, &s);
  if (rc < 0)
    return rc;
  /* Zeroed first: some systems write fewer bytes for flags (Windows writes
   * one byte for TCP_NODELAY, BSDs one for the IPv4 multicast options). */
  int v = 0;
  afdio__socklen_t len = (afdio__socklen_t)sizeof v;
  if (getsockopt(n->sock, s.level, s.name, (char *)&v, &len) != 0)
    return afdio__sys_error();
  if (len == 1)
    v = *(unsigned char *)&v;
  *value = s.max == 1 ? v != 0 : v;
  return 0;
}
