/* Listeners: TCP or Unix-domain, by the address they are bound to. */
#include "net/net.h"

#include <stdlib.h>

struct afdio_listener {
  struct afdio__net net;
};

static int listener__open(afdio_listener_t *l, const afdio_addr_t *addr,
                          int backlog, unsigned flags) {
  int rc = afdio__net_open(&l->net, addr, SOCK_STREAM, AFDIO__NET_LISTENER);
  if (rc < 0)
    return rc;
  if (l->net.family != AF_UNIX)
    rc = afdio__sys_listener_prepare(l->net.sock);
  if (rc == 0)
    rc = afdio__net_bind(&l->net, addr, flags);
  if (rc == 0 && listen(l->net.sock, backlog > 0 ? backlog : SOMAXCONN) != 0)
    rc = afdio__sys_error();
  if (rc < 0)
    (void)afdio__sys_close(l->net.sock);
  return rc;
}

int afdio_listener_bind(afdio_listener_t **out, const afdio_addr_t *addr,
                        int backlog, unsigned flags) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (afdio__addr_check(addr) < 0 || (flags & ~AFDIO_DUAL_STACK) != 0)
    return AFDIO_EINVAL;
  afdio_listener_t *l = malloc(sizeof *l);
  if (l == NULL)
    return AFDIO_ENOMEM;
  int rc = listener__open(l, addr, backlog, flags);
  if (rc < 0) {
    free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int afdio__listener_adopt(afdio_listener_t **out, afdio_socket_t sock,
                          int family) {
  afdio_listener_t *l = malloc(sizeof *l);
  if (l == NULL)
    return AFDIO_ENOMEM;
  afdio__net_adopt(&l->net, sock, family, AFDIO__NET_LISTENER);
  *out = l;
  return 0;
}

int afdio_listener_accept(afdio_listener_t *listener, afdio_stream_t **out,
                          afdio_addr_t *peer) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (listener == NULL)
    return AFDIO_EINVAL;
  afdio_addr_t raw = {0};
  afdio__socklen_t len = (afdio__socklen_t)sizeof raw.storage_;
  afdio_socket_t sock;
  int rc = afdio__sys_accept(listener->net.sock, &sock,
                             afdio__addr_sa_mut(&raw), &len);
  if (rc < 0)
    return (int)afdio__net_result(&listener->net, rc, AFDIO_READABLE);
  if (peer != NULL) /* zeroed when the system gave no usable address */
    (void)afdio_addr_from_sockaddr(peer, raw.storage_.bytes_, (size_t)len);
  rc = afdio__stream_adopt(out, sock, listener->net.family);
  if (rc < 0)
    (void)afdio__sys_close(sock);
  return rc;
}

int afdio_listener_local_addr(const afdio_listener_t *listener,
                              afdio_addr_t *addr) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio__net_local_addr(&listener->net, addr);
}

int afdio_listener_take_error(afdio_listener_t *listener) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio__net_take_error(&listener->net);
}

int afdio_listener_setopt(afdio_listener_t *listener, afdio_option_t option,
                          int value) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio__net_setopt(&listener->net, option, value);
}

int afdio_listener_getopt(const afdio_listener_t *listener,
                          afdio_option_t option, int *value) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio__net_getopt(&listener->net, option, value);
}

int afdio_listener_register(afdio_listener_t *listener, afdio_poller_t *poller,
                            uint64_t token, uint32_t interest) {
  return listener == NULL
             ? AFDIO_EINVAL
             : afdio__net_register(&listener->net, poller, token, interest);
}

int afdio_listener_reregister(afdio_listener_t *listener, uint64_t token,
                              uint32_t interest) {
  return listener == NULL
             ? AFDIO_EINVAL
             : afdio__net_reregister(&listener->net, token, interest);
}

int afdio_listener_deregister(afdio_listener_t *listener) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio__net_deregister(&listener->net);
}

afdio_socket_t afdio_listener_socket(const afdio_listener_t *listener) {
  return listener == NULL ? AFDIO_INVALID_SOCKET : listener->net.sock;
}

int afdio_listener_close(afdio_listener_t *listener) {
  if (listener == NULL)
    return AFDIO_EINVAL;
  int rc = afdio__net_close(&listener->net);
  free(listener);
  return rc;
}

int afdio_listener_adopt(afdio_listener_t **out, afdio_socket_t sock) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  struct afdio__net *n = NULL;
  int rc = afdio__net_adopt_object(&n, sizeof **out, sock, AFDIO__NET_LISTENER);
  if (rc == 0) /* the net part is the object's first member */
    *out = (afdio_listener_t *)(void *)n;
  return rc;
}

int afdio_listener_release(afdio_listener_t *listener, afdio_socket_t *out) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio__net_release(&listener->net, out);
}

void afdio__listener_detach(afdio_listener_t *l) { afdio__net_detach(&l->net); }

afdio_poller_t *afdio__listener_poller(const afdio_listener_t *l) {
  return l->net.poller;
}
