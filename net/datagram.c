/* Datagram sockets: UDP, or Unix-domain datagrams, by the bound address. */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

struct afdio_datagram {
  struct afdio__net net;
};

/* A new datagram socket of addr's family, bound to addr when bind_it. */
static int datagram__new(afdio_datagram_t **out, const afdio_addr_t *addr,
                         unsigned flags, int bind_it) {
  afdio_datagram_t *d = malloc(sizeof *d);
  if (d == NULL)
    return AFDIO_ENOMEM;
  int rc = afdio__net_open(&d->net, addr, SOCK_DGRAM, AFDIO__NET_DATAGRAM);
  if (rc < 0) {
    free(d);
    return rc;
  }
  /* Windows would otherwise fail the next receive after any ICMP port
   * unreachable (tokio#2017); see AFDIO_OPT_UDP_CONNRESET. */
  if (d->net.family != AF_UNIX)
    rc = afdio__sys_udp_connreset(d->net.sock, 0);
  if (rc == 0 && bind_it)
    rc = afdio__net_bind(&d->net, addr, flags);
  if (rc < 0) {
    (void)afdio__sys_close(d->net.sock);
    free(d);
    return rc;
  }
  *out = d;
  return 0;
}

int afdio_datagram_bind(afdio_datagram_t **out, const afdio_addr_t *addr,
                        unsigned flags) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (afdio__addr_check(addr) < 0 || (flags & ~AFDIO_DUAL_STACK) != 0)
    return AFDIO_EINVAL;
  return datagram__new(out, addr, flags, 1);
}

int afdio_datagram_unbound(afdio_datagram_t **out, int family) {
  static const uint8_t any[16] = {0};
  afdio_addr_t a;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  /* Only the address's family is used: it picks the socket's. */
  if (family == AFDIO_AF_INET)
    (void)afdio_addr_ipv4(&a, any, 0);
  else if (family == AFDIO_AF_INET6)
    (void)afdio_addr_ipv6(&a, any, 0, 0);
  else if (family == AFDIO_AF_UNIX)
    (void)afdio_addr_unix(&a, "unbound");
  else
    return AFDIO_EINVAL;
  return datagram__new(out, &a, 0, 0);
}

static int datagram__adopt(afdio_datagram_t **out, afdio_socket_t sock) {
  afdio_datagram_t *d = malloc(sizeof *d);
  if (d == NULL)
    return AFDIO_ENOMEM;
  afdio__net_adopt(&d->net, sock, AF_UNIX, AFDIO__NET_DATAGRAM);
  d->net.connected = 1;
  *out = d;
  return 0;
}

int afdio_datagram_pair(afdio_datagram_t **a, afdio_datagram_t **b) {
  if (a == NULL || b == NULL)
    return AFDIO_EINVAL;
  *a = *b = NULL;
  afdio_socket_t sv[2];
  int rc = afdio__sys_socketpair(SOCK_DGRAM, sv);
  if (rc < 0)
    return rc;
  rc = datagram__adopt(a, sv[0]);
  if (rc == 0 && (rc = datagram__adopt(b, sv[1])) < 0) {
    free(*a);
    *a = NULL;
  }
  if (rc < 0) {
    (void)afdio__sys_close(sv[0]);
    (void)afdio__sys_close(sv[1]);
  }
  return rc;
}

/* The address must be of the socket's own family. */
static int datagram__peer_ok(const afdio_datagram_t *d,
                             const afdio_addr_t *addr) {
  return d != NULL && afdio__addr_check(addr) == d->net.family;
}

int afdio_datagram_connect(afdio_datagram_t *dgram, const afdio_addr_t *addr) {
  if (!datagram__peer_ok(dgram, addr))
    return AFDIO_EINVAL;
  int rc = afdio__sys_connect(dgram->net.sock, afdio__addr_sa(addr),
                              afdio__addr_salen(addr));
  if (rc == 0)
    dgram->net.connected = 1;
  return rc;
}

ptrdiff_t afdio_datagram_send(afdio_datagram_t *dgram, const void *buf,
                              size_t len) {
  if (dgram == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  /* Decided here: the systems disagree (EDESTADDRREQ, WSAENOTCONN, and
   * WSAEINVAL under Wine). */
  if (!dgram->net.connected)
    return AFDIO_ENOTCONN;
  return afdio__net_result(&dgram->net,
                           afdio__sys_send(dgram->net.sock, buf, len),
                           AFDIO_WRITABLE);
}

ptrdiff_t afdio_datagram_send_to(afdio_datagram_t *dgram, const void *buf,
                                 size_t len, const afdio_addr_t *addr) {
  if (!datagram__peer_ok(dgram, addr) || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  ptrdiff_t rc = afdio__sys_sendto(dgram->net.sock, buf, len,
                                   afdio__addr_sa(addr),
                                   afdio__addr_salen(addr));
  return afdio__net_result(&dgram->net, rc, AFDIO_WRITABLE);
}

/* recv and peek, with or without the sender. */
static ptrdiff_t datagram__recv(afdio_datagram_t *dgram, void *buf, size_t len,
                                afdio_addr_t *from, int flags) {
  if (dgram == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (from == NULL)
    return afdio__net_result(&dgram->net,
                             afdio__sys_recv(dgram->net.sock, buf, len, flags),
                             AFDIO_READABLE);
  afdio_addr_t raw;
  memset(&raw, 0, sizeof raw);
  afdio__socklen_t salen = (afdio__socklen_t)sizeof raw.storage_;
  ptrdiff_t rc = afdio__sys_recvfrom(dgram->net.sock, buf, len, flags,
                                     afdio__addr_sa_mut(&raw), &salen);
  if (rc >= 0) /* zeroed for an unnamed sender */
    (void)afdio_addr_from_sockaddr(from, raw.storage_.bytes_, (size_t)salen);
  return afdio__net_result(&dgram->net, rc, AFDIO_READABLE);
}

ptrdiff_t afdio_datagram_recv(afdio_datagram_t *dgram, void *buf, size_t len) {
  return datagram__recv(dgram, buf, len, NULL, 0);
}

ptrdiff_t afdio_datagram_recv_from(afdio_datagram_t *dgram, void *buf,
                                   size_t len, afdio_addr_t *from) {
  afdio_addr_t ignored;
  return datagram__recv(dgram, buf, len, from != NULL ? from : &ignored, 0);
}

ptrdiff_t afdio_datagram_peek(afdio_datagram_t *dgram, void *buf, size_t len) {
  return datagram__recv(dgram, buf, len, NULL, AFDIO__SYS_PEEK);
}

ptrdiff_t afdio_datagram_peek_from(afdio_datagram_t *dgram, void *buf,
                                   size_t len, afdio_addr_t *from) {
  afdio_addr_t ignored;
  return datagram__recv(dgram, buf, len, from != NULL ? from : &ignored,
                        AFDIO__SYS_PEEK);
}

/* IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP and their opposites. */
static int datagram__membership(afdio_datagram_t *d, const afdio_addr_t *group,
                                const afdio_addr_t *iface, int join) {
  int rc = AFDIO_EINVAL;
  if (!datagram__peer_ok(d, group) ||
      (iface != NULL && afdio__addr_check(iface) != d->net.family))
    return AFDIO_EINVAL;
  if (d->net.family == AF_INET) {
    struct sockaddr_in g, i;
    struct ip_mreq m;
    memcpy(&g, afdio__addr_sa(group), sizeof g);
    memset(&i, 0, sizeof i); /* INADDR_ANY when no interface is given */
    if (iface != NULL)
      memcpy(&i, afdio__addr_sa(iface), sizeof i);
    if ((((const uint8_t *)&g.sin_addr)[0] & 0xf0) != 0xe0)
      return AFDIO_EINVAL;
    m.imr_multiaddr = g.sin_addr;
    m.imr_interface = i.sin_addr;
    rc = setsockopt(d->net.sock, IPPROTO_IP,
                    join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
                    (const char *)&m, (afdio__socklen_t)sizeof m);
  } else if (d->net.family == AF_INET6) {
    struct sockaddr_in6 g, i;
    struct ipv6_mreq m;
    memcpy(&g, afdio__addr_sa(group), sizeof g);
    memset(&i, 0, sizeof i);
    if (iface != NULL)
      memcpy(&i, afdio__addr_sa(iface), sizeof i);
    if (g.sin6_addr.s6_addr[0] != 0xff)
      return AFDIO_EINVAL;
    m.ipv6mr_multiaddr = g.sin6_addr;
    m.ipv6mr_interface = i.sin6_scope_id;
    rc = setsockopt(d->net.sock, IPPROTO_IPV6,
                    join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP,
                    (const char *)&m, (afdio__socklen_t)sizeof m);
  } else {
    return AFDIO_ENOTSUP;
  }
  return rc != 0 ? afdio__sys_error() : 0;
}

int afdio_datagram_join_multicast(afdio_datagram_t *dgram,
                                  const afdio_addr_t *group,
                                  const afdio_addr_t *iface) {
  return datagram__membership(dgram, group, iface, 1);
}

int afdio_datagram_leave_multicast(afdio_datagram_t *dgram,
                                   const afdio_addr_t *group,
                                   const afdio_addr_t *iface) {
  return datagram__membership(dgram, group, iface, 0);
}

int afdio_datagram_local_addr(const afdio_datagram_t *dgram,
                              afdio_addr_t *addr) {
  return dgram == NULL ? AFDIO_EINVAL : afdio__net_local_addr(&dgram->net, addr);
}

int afdio_datagram_peer_addr(const afdio_datagram_t *dgram,
                             afdio_addr_t *addr) {
  return dgram == NULL ? AFDIO_EINVAL : afdio__net_peer_addr(&dgram->net, addr);
}

int afdio_datagram_take_error(afdio_datagram_t *dgram) {
  return dgram == NULL ? AFDIO_EINVAL : afdio__net_take_error(&dgram->net);
}

int afdio_datagram_setopt(afdio_datagram_t *dgram, afdio_option_t option,
                          int value) {
  return dgram == NULL ? AFDIO_EINVAL
                       : afdio__net_setopt(&dgram->net, option, value);
}

int afdio_datagram_getopt(const afdio_datagram_t *dgram, afdio_option_t option,
                          int *value) {
  return dgram == NULL ? AFDIO_EINVAL
                       : afdio__net_getopt(&dgram->net, option, value);
}

int afdio_datagram_register(afdio_datagram_t *dgram, afdio_poller_t *poller,
                            uint64_t token, uint32_t interest) {
  return dgram == NULL
             ? AFDIO_EINVAL
             : afdio__net_register(&dgram->net, poller, token, interest);
}

int afdio_datagram_reregister(afdio_datagram_t *dgram, uint64_t token,
                              uint32_t interest) {
  return dgram == NULL ? AFDIO_EINVAL
                       : afdio__net_reregister(&dgram->net, token, interest);
}

int afdio_datagram_deregister(afdio_datagram_t *dgram) {
  return dgram == NULL ? AFDIO_EINVAL : afdio__net_deregister(&dgram->net);
}

afdio_socket_t afdio_datagram_socket(const afdio_datagram_t *dgram) {
  return dgram == NULL ? AFDIO_INVALID_SOCKET : dgram->net.sock;
}

int afdio_datagram_close(afdio_datagram_t *dgram) {
  if (dgram == NULL)
    return AFDIO_EINVAL;
  int rc = afdio__net_close(&dgram->net);
  free(dgram);
  return rc;
}

int afdio_datagram_adopt(afdio_datagram_t **out, afdio_socket_t sock) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  struct afdio__net *n = NULL;
  int rc = afdio__net_adopt_object(&n, sizeof **out, sock, AFDIO__NET_DATAGRAM);
  if (rc == 0) /* the net part is the object's first member */
    *out = (afdio_datagram_t *)(void *)n;
  return rc;
}

int afdio_datagram_release(afdio_datagram_t *dgram, afdio_socket_t *out) {
  return dgram == NULL ? AFDIO_EINVAL : afdio__net_release(&dgram->net, out);
}
