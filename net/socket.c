/* The part every net object shares: the socket's life (open, bind, close)
 * and its poller registration, including the edge re-arm after "would
 * block" that makes edge mode work on Windows (mio's do_io). */
#include "core/interest.h"
#include "net/net.h"

#include "core/pipe_name.h"

#include <stdlib.h>
#include <string.h>

/* Every registered net object, so that afdio_poller_delete() can make those
 * still registered with it forget it (net__poller_gone, called through
 * core's poller-gone hook): closing, deregistering or doing I/O on such an
 * object afterwards then never touches the freed poller. One lock for all,
 * taken only when an object is registered or deregistered. */
static afdio__lock_t net__lock = AFDIO__LOCK_INITIALIZER;
static struct afdio__net net__registered = {.reg_prev = &net__registered,
                                            .reg_next = &net__registered};

static void net__poller_gone(afdio_poller_t *poller) {
  afdio__lock(&net__lock);
  struct afdio__net *n = net__registered.reg_next;
  while (n != &net__registered) {
    struct afdio__net *next = n->reg_next;
    if (n->poller == poller) {
      n->reg_prev->reg_next = n->reg_next;
      n->reg_next->reg_prev = n->reg_prev;
      n->reg_prev = n->reg_next = NULL;
      n->poller = NULL;
    }
    n = next;
  }
  afdio__unlock(&net__lock);
}

static void net__attach(struct afdio__net *n, afdio_poller_t *poller) {
  afdio__poller_gone_set(net__poller_gone);
  afdio__lock(&net__lock);
  n->poller = poller;
  n->reg_next = &net__registered;
  n->reg_prev = net__registered.reg_prev;
  net__registered.reg_prev->reg_next = n;
  net__registered.reg_prev = n;
  afdio__unlock(&net__lock);
}

/* Forgets the poller; returns the one it had (NULL: none, or deleted). */
static afdio_poller_t *net__detach(struct afdio__net *n) {
  afdio__lock(&net__lock);
  afdio_poller_t *poller = n->poller;
  if (n->reg_next != NULL) {
    n->reg_prev->reg_next = n->reg_next;
    n->reg_next->reg_prev = n->reg_prev;
    n->reg_prev = n->reg_next = NULL;
  }
  n->poller = NULL;
  afdio__unlock(&net__lock);
  return poller;
}

void afdio__net_detach(struct afdio__net *n) { (void)net__detach(n); }

int afdio__net_open(struct afdio__net *n, const afdio_addr_t *addr, int type,
                    int kind) {
  int family = afdio__addr_check(addr);
  if (family < 0 || (family == AF_UNIX && !AFDIO__SYS_UNIX_ABSTRACT &&
                     afdio__addr_is_abstract(addr)))
    return AFDIO_EINVAL;
  afdio_socket_t sock;
  int rc = afdio__sys_socket(family, type, 0, &sock);
  if (rc < 0)
    return rc;
  afdio__net_adopt(n, sock, family, kind);
  return 0;
}

void afdio__net_adopt(struct afdio__net *n, afdio_socket_t sock, int family,
                      int kind) {
  memset(n, 0, sizeof *n);
  n->sock = sock;
  n->poller = NULL;
  n->family = family;
  n->kind = kind;
}

int afdio__net_adopt_check(afdio_socket_t sock, int kind) {
  int type = 0, family = 0, listening = 0;
  if (sock == AFDIO_INVALID_SOCKET)
    return AFDIO_EINVAL;
  int rc = afdio__sys_socket_info(sock, &type, &family, &listening);
  if (rc < 0)
    return rc;
  if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
    return AFDIO_EAFNOSUPPORT;
  int want = kind == AFDIO__NET_DATAGRAM ? SOCK_DGRAM : SOCK_STREAM;
  if (type != want || listening != (kind == AFDIO__NET_LISTENER))
    return AFDIO_EINVAL;
  return family;
}

/* The object is allocated here, so that nothing about the socket changes
 * when memory runs out. */
int afdio__net_adopt_object(struct afdio__net **out, size_t size,
                            afdio_socket_t sock, int kind) {
  int family = afdio__net_adopt_check(sock, kind);
  if (family < 0)
    return family;
  struct afdio__net *n = malloc(size);
  if (n == NULL)
    return AFDIO_ENOMEM;
  int rc = afdio__sys_socket_setup(sock);
  /* The same defaults as a socket afdio makes itself. */
  if (rc == 0 && kind == AFDIO__NET_DATAGRAM && family != AF_UNIX)
    rc = afdio__sys_udp_connreset(sock, 0);
  if (rc < 0) {
    free(n);
    return rc;
  }
  afdio__net_adopt(n, sock, family, kind);
  if (kind == AFDIO__NET_DATAGRAM) {
    afdio_addr_t peer;
    n->connected = afdio__net_peer_addr(n, &peer) == 0;
  }
  *out = n;
  return 0;
}

int afdio__net_release(struct afdio__net *n, afdio_socket_t *out) {
  if (out == NULL)
    return AFDIO_EINVAL;
  afdio_poller_t *poller = net__detach(n);
  if (poller != NULL)
    (void)afdio_poller_deregister(poller, n->sock);
  *out = n->sock;
  free(n);
  return 0;
}

int afdio__net_bind(struct afdio__net *n, const afdio_addr_t *addr,
                    unsigned flags) {
  if (n->family == AF_INET6) {
    /* Set explicitly both ways: the systems' defaults differ. */
    int v6only = (flags & AFDIO_DUAL_STACK) ? 0 : 1;
    if (setsockopt(n->sock, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&v6only,
                   (afdio__socklen_t)sizeof v6only) != 0)
      return afdio__sys_error();
  }
  if (bind(n->sock, afdio__addr_sa(addr), afdio__addr_salen(addr)) != 0)
    return afdio__sys_error();
  return 0;
}

int afdio__net_close(struct afdio__net *n) {
  /* Deregister while the socket still exists: afterwards its value may
   * already belong to a new socket. */
  afdio_poller_t *poller = net__detach(n);
  if (poller != NULL)
    (void)afdio_poller_deregister(poller, n->sock);
  return afdio__sys_close(n->sock);
}

int afdio__net_register(struct afdio__net *n, afdio_poller_t *poller,
                        uint64_t token, uint32_t interest) {
  /* Arguments before state, as afdio_poller_register() checks them. */
  if (poller == NULL || afdio__interest_check(interest) != 0)
    return AFDIO_EINVAL;
  if (n->poller != NULL)
    return AFDIO_EEXIST;
  int rc = afdio_poller_register(poller, n->sock, token, interest);
  if (rc == 0)
    net__attach(n, poller);
  return rc;
}

int afdio__net_reregister(struct afdio__net *n, uint64_t token,
                          uint32_t interest) {
  if (n->poller == NULL)
    return AFDIO_ENOENT;
  return afdio_poller_reregister(n->poller, n->sock, token, interest);
}

int afdio__net_deregister(struct afdio__net *n) {
  afdio_poller_t *poller = net__detach(n);
  if (poller == NULL)
    return AFDIO_ENOENT;
  return afdio_poller_deregister(poller, n->sock);
}

ptrdiff_t afdio__net_result(const struct afdio__net *n, ptrdiff_t result,
                            uint32_t events) {
  /* A failed rearm (the caller deregistered behind our back) changes
   * nothing for the caller: the I/O result stands. */
  if (result == AFDIO_EAGAIN && n->poller != NULL)
    (void)afdio_poller_rearm(n->poller, n->sock, events);
  return result;
}

ptrdiff_t afdio__net_stream_result(const struct afdio__net *n,
                                   ptrdiff_t result, size_t asked,
                                   uint32_t events) {
  /* A stream read or write that moved fewer bytes than asked found the
   * receive queue empty or the send buffer full: as good as would-block,
   * so it re-arms too (tokio does the same), and a caller may wait instead
   * of making the call that would block. Nothing is lost: on Windows the
   * next poll checks readiness when it is armed, and epoll and kqueue
   * report data or room that comes later as a new edge. A re-arm that was
   * not needed costs at most one extra event. (mio#1131 re-arms only on
   * would-block because its re-arm costs a cancel; ours costs nothing.) */
  if (result > 0 && (size_t)result < asked && n->poller != NULL) {
    (void)afdio_poller_rearm(n->poller, n->sock, events);
    return result;
  }
  return afdio__net_result(n, result, events);
}

int afdio__net_local_addr(const struct afdio__net *n, afdio_addr_t *addr) {
  if (addr == NULL)
    return AFDIO_EINVAL;
  afdio_addr_t raw;
  memset(&raw, 0, sizeof raw);
  afdio__socklen_t len = (afdio__socklen_t)sizeof raw.storage_;
  if (getsockname(n->sock, afdio__addr_sa_mut(&raw), &len) != 0)
    return afdio__sys_error();
  return afdio_addr_from_sockaddr(addr, raw.storage_.bytes_, (size_t)len);
}

int afdio__net_peer_addr(const struct afdio__net *n, afdio_addr_t *addr) {
  if (addr == NULL)
    return AFDIO_EINVAL;
  afdio_addr_t raw;
  memset(&raw, 0, sizeof raw);
  afdio__socklen_t len = (afdio__socklen_t)sizeof raw.storage_;
  if (getpeername(n->sock, afdio__addr_sa_mut(&raw), &len) != 0)
    return afdio__sys_error();
  return afdio_addr_from_sockaddr(addr, raw.storage_.bytes_, (size_t)len);
}

int afdio__net_take_error(const struct afdio__net *n) {
  int err = 0;
  afdio__socklen_t len = (afdio__socklen_t)sizeof err;
  if (getsockopt(n->sock, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
    return afdio__sys_error();
  return afdio__sys_error_from(err);
}
