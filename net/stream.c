/* Streams: TCP or Unix-domain, connected or accepted. Every I/O result goes
 * through afdio__net_result(), which re-arms the edge registration on
 * "would block", or, for read and write, afdio__net_stream_result(), which
 * also re-arms on a short count. */
#include "net/net.h"

#include <stdlib.h>

struct afdio_stream {
  struct afdio__net net;
};

int afdio__stream_adopt(afdio_stream_t **out, afdio_socket_t sock,
                        int family) {
  afdio_stream_t *s = malloc(sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  afdio__net_adopt(&s->net, sock, family, AFDIO__NET_STREAM);
  *out = s;
  return 0;
}

int afdio_stream_connect(afdio_stream_t **out, const afdio_addr_t *addr) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (afdio__addr_check(addr) < 0)
    return AFDIO_EINVAL;
  afdio_stream_t *s = malloc(sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  int rc = afdio__net_open(&s->net, addr, SOCK_STREAM, AFDIO__NET_STREAM);
  if (rc < 0)
    goto fail_free;
  rc = afdio__sys_connect(s->net.sock, afdio__addr_sa(addr),
                          afdio__addr_salen(addr));
  if (rc < 0)
    goto fail_close;
  *out = s;
  return 0;
fail_close:
  (void)afdio__sys_close(s->net.sock);
fail_free:
  free(s);
  return rc;
}

int afdio_stream_pair(afdio_stream_t **a, afdio_stream_t **b) {
  if (a == NULL || b == NULL)
    return AFDIO_EINVAL;
  *a = *b = NULL;
  afdio_socket_t sv[2];
  int rc = afdio__sys_socketpair(SOCK_STREAM, sv);
  if (rc < 0)
    return rc;
  rc = afdio__stream_adopt(a, sv[0], AF_UNIX);
  if (rc == 0 && (rc = afdio__stream_adopt(b, sv[1], AF_UNIX)) < 0) {
    free(*a);
    *a = NULL;
  }
  if (rc < 0) {
    (void)afdio__sys_close(sv[0]);
    (void)afdio__sys_close(sv[1]);
  }
  return rc;
}

/* A transfer of nothing is 0 at once on every OS (the systems differ:
 * some say 0, some EAGAIN on an empty socket), and re-arms nothing. */
static size_t stream__total(const afdio_buf_t *bufs, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count && i < AFDIO__SYS_IOV_MAX && total == 0; i++)
    total += bufs[i].len;
  return total;
}

ptrdiff_t afdio_stream_read(afdio_stream_t *stream, void *buf, size_t len) {
  if (stream == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (len == 0)
    return 0;
  return afdio__net_stream_result(
      &stream->net, afdio__sys_recv(stream->net.sock, buf, len, 0), len,
      AFDIO_READABLE);
}

ptrdiff_t afdio_stream_peek(afdio_stream_t *stream, void *buf, size_t len) {
  if (stream == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (len == 0)
    return 0;
  return afdio__net_result(
      &stream->net,
      afdio__sys_recv(stream->net.sock, buf, len, AFDIO__SYS_PEEK),
      AFDIO_READABLE);
}

ptrdiff_t afdio_stream_readv(afdio_stream_t *stream, const afdio_buf_t *bufs,
                             size_t count) {
  if (stream == NULL || (bufs == NULL && count > 0))
    return AFDIO_EINVAL;
  if (stream__total(bufs, count) == 0)
    return 0;
  return afdio__net_result(&stream->net,
                           afdio__sys_recvv(stream->net.sock, bufs, count),
                           AFDIO_READABLE);
}

ptrdiff_t afdio_stream_write(afdio_stream_t *stream, const void *buf,
                             size_t len) {
  if (stream == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (len == 0)
    return 0;
  return afdio__net_stream_result(&stream->net,
                                  afdio__sys_send(stream->net.sock, buf, len),
                                  len, AFDIO_WRITABLE);
}

ptrdiff_t afdio_stream_writev(afdio_stream_t *stream, const afdio_buf_t *bufs,
                              size_t count) {
  if (stream == NULL || (bufs == NULL && count > 0))
    return AFDIO_EINVAL;
  if (stream__total(bufs, count) == 0)
    return 0;
  return afdio__net_result(&stream->net,
                           afdio__sys_sendv(stream->net.sock, bufs, count),
                           AFDIO_WRITABLE);
}

int afdio_stream_shutdown(afdio_stream_t *stream, int how) {
  static const int map[] = {0, AFDIO__SHUT_RD, AFDIO__SHUT_WR,
                            AFDIO__SHUT_RDWR};
  if (stream == NULL || how < AFDIO_SHUT_RD || how > AFDIO_SHUT_RDWR)
    return AFDIO_EINVAL;
  if (shutdown(stream->net.sock, map[how]) != 0)
    return afdio__sys_error();
  return 0;
}

int afdio_stream_local_addr(const afdio_stream_t *stream, afdio_addr_t *addr) {
  return stream == NULL ? AFDIO_EINVAL
                        : afdio__net_local_addr(&stream->net, addr);
}

int afdio_stream_peer_addr(const afdio_stream_t *stream, afdio_addr_t *addr) {
  return stream == NULL ? AFDIO_EINVAL
                        : afdio__net_peer_addr(&stream->net, addr);
}

int afdio_stream_take_error(afdio_stream_t *stream) {
  return stream == NULL ? AFDIO_EINVAL : afdio__net_take_error(&stream->net);
}

int afdio_stream_setopt(afdio_stream_t *stream, afdio_option_t option,
                        int value) {
  return stream == NULL ? AFDIO_EINVAL
                        : afdio__net_setopt(&stream->net, option, value);
}

int afdio_stream_getopt(const afdio_stream_t *stream, afdio_option_t option,
                        int *value) {
  return stream == NULL ? AFDIO_EINVAL
                        : afdio__net_getopt(&stream->net, option, value);
}

int afdio_stream_register(afdio_stream_t *stream, afdio_poller_t *poller,
                          uint64_t token, uint32_t interest) {
  return stream == NULL
             ? AFDIO_EINVAL
             : afdio__net_register(&stream->net, poller, token, interest);
}

int afdio_stream_reregister(afdio_stream_t *stream, uint64_t token,
                            uint32_t interest) {
  return stream == NULL ? AFDIO_EINVAL
                        : afdio__net_reregister(&stream->net, token, interest);
}

int afdio_stream_deregister(afdio_stream_t *stream) {
  return stream == NULL ? AFDIO_EINVAL : afdio__net_deregister(&stream->net);
}

afdio_socket_t afdio_stream_socket(const afdio_stream_t *stream) {
  return stream == NULL ? AFDIO_INVALID_SOCKET : stream->net.sock;
}

int afdio_stream_close(afdio_stream_t *stream) {
  if (stream == NULL)
    return AFDIO_EINVAL;
  int rc = afdio__net_close(&stream->net);
  free(stream);
  return rc;
}

int afdio_stream_adopt(afdio_stream_t **out, afdio_socket_t sock) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  struct afdio__net *n = NULL;
  int rc = afdio__net_adopt_object(&n, sizeof **out, sock, AFDIO__NET_STREAM);
  if (rc == 0) /* the net part is the object's first member */
    *out = (afdio_stream_t *)(void *)n;
  return rc;
}

int afdio_stream_release(afdio_stream_t *stream, afdio_socket_t *out) {
  return stream == NULL ? AFDIO_EINVAL : afdio__net_release(&stream->net, out);
}

void afdio__stream_detach(afdio_stream_t *s) { afdio__net_detach(&s->net); }

afdio_poller_t *afdio__stream_poller(const afdio_stream_t *s) {
  return s->net.poller;
}
