/* The bad-input matrix of the networking API (the poller and waker rows are
 * tests/poller_errors.c): every public function of addr, listener, stream
 * and datagram x each bad-input class (NULL pointers, zero and huge sizes,
 * out-of-range flags and options, wrong state: not registered, registered
 * with another poller, not connected, family mismatch) gives its documented
 * AFDIO_E* code on every backend; and afterwards a registration made
 * before the bad calls still delivers its events (nothing else changed). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "util.h"

#define T .timeout = 10, .fini = fini

#define EXPECT_CODE(call, code)                                                \
  do {                                                                         \
    long rc_ = (long)(call);                                                   \
    cr_expect_eq(rc_, (long)(code), "%s gave %s, want %s", #call,              \
                 afdio_err_name((int)rc_), afdio_err_name(code));              \
  } while (0)

/* Where systems differ and the header names the set. */
#define EXPECT_ONE_OF(call, c1, c2)                                            \
  do {                                                                         \
    long rc_ = (long)(call);                                                   \
    cr_expect(rc_ == (long)(c1) || rc_ == (long)(c2),                          \
              "%s gave %s, want %s or %s", #call, afdio_err_name((int)rc_),    \
              afdio_err_name(c1), afdio_err_name(c2));                         \
  } while (0)

static afdio_stream_t *streams[4];
static afdio_listener_t *listener;
static afdio_datagram_t *dgrams[2];

static void fini(void) {
  for (int i = 0; i < 4; i++)
    if (streams[i] != NULL)
      afdio_stream_close(streams[i]);
  for (int i = 0; i < 2; i++)
    if (dgrams[i] != NULL)
      afdio_datagram_close(dgrams[i]);
  if (listener != NULL)
    afdio_listener_close(listener);
  memset(streams, 0, sizeof streams);
  memset(dgrams, 0, sizeof dgrams);
  listener = NULL;
  util_fini();
}

static afdio_addr_t loopback(uint16_t port) {
  static const uint8_t ip[4] = {127, 0, 0, 1};
  afdio_addr_t a;
  cr_assert_eq(afdio_addr_ipv4(&a, ip, port), 0);
  return a;
}

/* A connected stream pair through a listener: streams[0] client, [1]
 * server. The listener stays in `listener`. */
static void stream_pair(afdio_poller_t *p) {
  afdio_addr_t any = loopback(0), to;
  cr_assert_eq(afdio_listener_bind(&listener, &any, 0, 0), 0);
  cr_assert_eq(afdio_listener_local_addr(listener, &to), 0);
  cr_assert_eq(afdio_listener_register(listener, p, 50, AFDIO_READABLE), 0);
  int rc = afdio_stream_connect(&streams[0], &to);
  cr_assert_eq(rc, 0, "connect: %s", afdio_err_name(rc));
  util_expect_event(p, 50, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_listener_accept(listener, &streams[1], NULL), 0);
}

/* A registration made before the bad calls must still work after them. */
static void expect_still_delivers(afdio_poller_t *p, uint64_t token) {
  char byte = 'x';
  cr_assert_eq(afdio_stream_write(streams[0], &byte, 1), 1);
  util_expect_event(p, token, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_stream_read(streams[1], &byte, 1), 1);
}

/* ------------------------------------------------------------------------ */
/* Addresses                                                                 */

Test(errors, addr_functions_refuse_null_and_invalid_addresses, T) {
  afdio_addr_t a, zero, un;
  char buf[AFDIO_ADDR_STRLEN];
  unsigned char sa[128];
  static const uint8_t ip4[4] = {127, 0, 0, 1}, ip6[16] = {0};
  memset(&zero, 0, sizeof zero);
  EXPECT_CODE(afdio_addr_parse(NULL, "1.2.3.4:5"), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_parse(&a, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_parse(&a, ""), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_parse(&a, "1.2.3.4:65536"), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_format(NULL, buf, sizeof buf), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_format(&zero, buf, sizeof buf), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_parse(&a, "1.2.3.4:5"), 0);
  EXPECT_CODE(afdio_addr_format(&a, NULL, sizeof buf), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_format(&a, buf, 0), AFDIO_ENOBUFS);
  EXPECT_CODE(afdio_addr_format(&a, buf, 3), AFDIO_ENOBUFS);
  EXPECT_CODE(afdio_addr_ipv4(NULL, ip4, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_ipv4(&a, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_ipv6(NULL, ip6, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_ipv6(&a, NULL, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_unix(NULL, "/tmp/x"), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_unix(&a, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_unix(&a, ""), AFDIO_EINVAL);
  char longpath[300];
  memset(longpath, 'p', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  EXPECT_CODE(afdio_addr_unix(&a, longpath), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_family(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_family(&zero), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_unix(&un, "/tmp/afdio-errors"), 0);
  EXPECT_CODE(afdio_addr_port(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_port(&zero), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_port(&un), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_set_port(NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_set_port(&zero, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_set_port(&un, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_equal(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_equal(&a, NULL), AFDIO_EINVAL);
  memset(sa, 0, sizeof sa);
  EXPECT_CODE(afdio_addr_from_sockaddr(NULL, sa, 16), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_from_sockaddr(&a, NULL, 16), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_from_sockaddr(&a, sa, 16), AFDIO_EINVAL); /* AF 0 */
  sa[0] = 99; /* an unknown family, whichever byte holds it */
  sa[1] = 99;
  EXPECT_CODE(afdio_addr_from_sockaddr(&a, sa, 16), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_parse(&a, "[::1]:80"), 0);
  int len = afdio_addr_to_sockaddr(&a, sa, sizeof sa);
  cr_assert_gt(len, 0);
  afdio_addr_t back;
  EXPECT_CODE(afdio_addr_from_sockaddr(&back, sa, 4), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_from_sockaddr(&back, sa, 129), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_from_sockaddr(&back, sa, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_to_sockaddr(NULL, sa, sizeof sa), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_to_sockaddr(&a, NULL, sizeof sa), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_to_sockaddr(&zero, sa, sizeof sa), AFDIO_EINVAL);
  EXPECT_CODE(afdio_addr_to_sockaddr(&a, sa, 0), AFDIO_ENOBUFS);
  EXPECT_CODE(afdio_addr_to_sockaddr(&a, sa, (size_t)len - 1), AFDIO_ENOBUFS);
}

/* ------------------------------------------------------------------------ */
/* NULL objects                                                              */

Test(errors, every_net_function_refuses_a_null_object, T) {
  afdio_poller_t *p = util_poller();
  afdio_addr_t a = loopback(9);
  char buf[8];
  int v;
  afdio_buf_t iov = {buf, sizeof buf};
  afdio_stream_t *s = (afdio_stream_t *)1;
  afdio_listener_t *l = (afdio_listener_t *)1;
  afdio_datagram_t *d = (afdio_datagram_t *)1;
  EXPECT_CODE(afdio_listener_bind(NULL, &a, 0, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_bind(&l, NULL, 0, 0), AFDIO_EINVAL);
  cr_expect_null(l, "*out is NULL on error");
  EXPECT_CODE(afdio_listener_accept(NULL, &s, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_local_addr(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_setopt(NULL, AFDIO_OPT_TTL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_getopt(NULL, AFDIO_OPT_TTL, &v), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_register(NULL, p, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_reregister(NULL, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_deregister(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_close(NULL), AFDIO_EINVAL);
  cr_expect_eq(afdio_listener_socket(NULL), AFDIO_INVALID_SOCKET);

  EXPECT_CODE(afdio_stream_connect(NULL, &a), AFDIO_EINVAL);
  s = (afdio_stream_t *)1;
  EXPECT_CODE(afdio_stream_connect(&s, NULL), AFDIO_EINVAL);
  cr_expect_null(s, "*out is NULL on error");
  EXPECT_CODE(afdio_stream_read(NULL, buf, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_readv(NULL, &iov, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_peek(NULL, buf, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_write(NULL, buf, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_writev(NULL, &iov, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_shutdown(NULL, AFDIO_SHUT_WR), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_local_addr(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_peer_addr(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_take_error(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(NULL, AFDIO_OPT_NODELAY, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_getopt(NULL, AFDIO_OPT_NODELAY, &v), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_register(NULL, p, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_reregister(NULL, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_deregister(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_close(NULL), AFDIO_EINVAL);
  cr_expect_eq(afdio_stream_socket(NULL), AFDIO_INVALID_SOCKET);
  /* Windows: NULL (EINVAL) and no Unix-domain sockets (ENOSYS) both hold. */
  /* Arguments before state (afdio.h): NULL is AFDIO_EINVAL on every OS,
   * also on Windows where the call itself is AFDIO_ENOSYS. */
  EXPECT_CODE(afdio_stream_pair(NULL, &s), AFDIO_EINVAL);

  EXPECT_CODE(afdio_datagram_bind(NULL, &a, 0), AFDIO_EINVAL);
  d = (afdio_datagram_t *)1;
  EXPECT_CODE(afdio_datagram_bind(&d, NULL, 0), AFDIO_EINVAL);
  cr_expect_null(d, "*out is NULL on error");
  EXPECT_CODE(afdio_datagram_connect(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_send(NULL, buf, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_send_to(NULL, buf, 1, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_recv(NULL, buf, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_recv_from(NULL, buf, 1, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_join_multicast(NULL, &a, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_leave_multicast(NULL, &a, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_local_addr(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_peer_addr(NULL, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_take_error(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(NULL, AFDIO_OPT_TTL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_getopt(NULL, AFDIO_OPT_TTL, &v), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_register(NULL, p, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_reregister(NULL, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_deregister(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_close(NULL), AFDIO_EINVAL);
  cr_expect_eq(afdio_datagram_socket(NULL), AFDIO_INVALID_SOCKET);

  afdio_socket_t raw = AFDIO_INVALID_SOCKET;
  EXPECT_CODE(afdio_listener_adopt(NULL, raw), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_adopt(NULL, raw), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_adopt(NULL, raw), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_adopt(&s, raw), AFDIO_EINVAL);
  cr_expect_null(s, "*out is NULL on error");
  EXPECT_CODE(afdio_listener_take_error(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_peek(NULL, buf, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_peek_from(NULL, buf, 1, &a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_unbound(NULL, AFDIO_AF_INET), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_release(NULL, &raw), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_release(NULL, &raw), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_release(NULL, &raw), AFDIO_EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Streams                                                                   */

Test(errors, stream_calls_refuse_bad_buffers_flags_and_options, T) {
  afdio_poller_t *p = util_poller();
  stream_pair(p);
  afdio_stream_t *c = streams[0], *s = streams[1];
  cr_assert_eq(afdio_stream_register(s, p, 7, AFDIO_READABLE | AFDIO_LEVEL), 0);
  char buf[16];
  int v;
  afdio_addr_t a;
  /* NULL buffers with a length; zero lengths are no-ops. */
  EXPECT_CODE(afdio_stream_read(s, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_peek(s, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_write(c, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_readv(s, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_writev(c, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_read(s, buf, 0), 0);
  EXPECT_CODE(afdio_stream_write(c, buf, 0), 0);
  EXPECT_CODE(afdio_stream_readv(s, NULL, 0), 0);
  EXPECT_CODE(afdio_stream_writev(c, NULL, 0), 0);
  EXPECT_CODE(afdio_stream_local_addr(c, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_peer_addr(c, NULL), AFDIO_EINVAL);
  /* Shutdown: how out of range. */
  EXPECT_CODE(afdio_stream_shutdown(c, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_shutdown(c, 4), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_shutdown(c, -1), AFDIO_EINVAL);
  /* Options: unknown, not for streams, out of range, NULL value. */
  EXPECT_CODE(afdio_stream_setopt(c, (afdio_option_t)0, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, (afdio_option_t)12, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, (afdio_option_t)-1, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_getopt(c, (afdio_option_t)999, &v), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_BROADCAST, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_MULTICAST_TTL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_MULTICAST_LOOP, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_UDP_CONNRESET, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_getopt(c, AFDIO_OPT_BROADCAST, &v), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_NODELAY, 2), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_NODELAY, -1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_KEEPALIVE, 2), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_LINGER, -2), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_LINGER, 65536), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_TTL, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_TTL, 256), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_SNDBUF, -1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_setopt(c, AFDIO_OPT_RCVBUF, -1), AFDIO_EINVAL);
  /* Read only, and an IPv4 socket has no such option: the header allows
   * both readings. */
  EXPECT_ONE_OF(afdio_stream_setopt(c, AFDIO_OPT_V6ONLY, 1), AFDIO_EINVAL,
                AFDIO_ENOTSUP);
  EXPECT_CODE(afdio_stream_getopt(c, AFDIO_OPT_NODELAY, NULL), AFDIO_EINVAL);
  /* V6ONLY on an IPv4 socket: the family lacks it. */
  EXPECT_CODE(afdio_stream_getopt(c, AFDIO_OPT_V6ONLY, &v), AFDIO_ENOTSUP);
  /* Registration: bad interest, state errors, another poller. */
  EXPECT_CODE(afdio_stream_register(c, p, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_register(c, p, 1, AFDIO_READABLE | 0x1000u),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_register(c, p, 1,
                                    AFDIO_READABLE | AFDIO_LEVEL | AFDIO_ONESHOT),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_register(c, NULL, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_reregister(c, 1, AFDIO_READABLE), AFDIO_ENOENT);
  EXPECT_CODE(afdio_stream_deregister(c), AFDIO_ENOENT);
  afdio_poller_t *other = util_poller();
  EXPECT_CODE(afdio_stream_register(s, other, 9, AFDIO_READABLE), AFDIO_EEXIST);
  EXPECT_CODE(afdio_stream_register(s, p, 9, AFDIO_READABLE), AFDIO_EEXIST);
  /* A bad interest is AFDIO_EINVAL even on a registered stream. */
  EXPECT_CODE(afdio_stream_register(s, p, 9, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_register(s, p, 9, AFDIO_ERROR), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_reregister(s, 7, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_stream_reregister(s, 7, AFDIO_ERROR), AFDIO_EINVAL);
  /* Nothing pending: EAGAIN, not an error; the failures changed nothing. */
  EXPECT_CODE(afdio_stream_read(s, buf, sizeof buf), AFDIO_EAGAIN);
  util_expect_no_event_for(other, 9, 50);
  (void)a;
  expect_still_delivers(p, 7);
}

Test(errors, more_than_64_buffers_are_a_short_count_not_an_error, T) {
  afdio_poller_t *p = util_poller();
  stream_pair(p);
  afdio_stream_t *c = streams[0], *s = streams[1];
  cr_assert_eq(afdio_stream_register(s, p, 7, AFDIO_READABLE), 0);
  /* 100 one-byte buffers: at most 64 are used per call. */
  char bytes[100];
  afdio_buf_t iov[100];
  for (int i = 0; i < 100; i++) {
    bytes[i] = (char)i;
    iov[i].base = &bytes[i];
    iov[i].len = 1;
  }
  ptrdiff_t n = afdio_stream_writev(c, iov, 100);
  cr_expect(n == 64, "writev of 100 buffers wrote %ld, want 64 (the documented "
            "limit)", (long)n);
  util_expect_event(p, 7, AFDIO_READABLE, 2000);
  char buf[128];
  ptrdiff_t got = 0;
  for (int i = 0; i < 50 && got < n; i++) {
    ptrdiff_t r = afdio_stream_read(s, buf + got, sizeof buf - (size_t)got);
    if (r == AFDIO_EAGAIN) {
      util_expect_event(p, 7, AFDIO_READABLE, 2000);
      continue;
    }
    cr_assert_gt(r, 0, "read: %s",
                 afdio_err_name((int)r));
    got += r;
  }
  cr_expect_eq(got, n);
}

/* ------------------------------------------------------------------------ */
/* Listeners                                                                 */

Test(errors, listener_calls_refuse_bad_flags_options_and_state, T) {
  afdio_poller_t *p = util_poller();
  stream_pair(p); /* listener registered on p with token 50 */
  cr_assert_eq(afdio_stream_register(streams[1], p, 7, AFDIO_READABLE), 0);
  afdio_addr_t any = loopback(0), six, un;
  afdio_listener_t *l = (afdio_listener_t *)1;
  afdio_stream_t *s = (afdio_stream_t *)1;
  int v;
  EXPECT_CODE(afdio_listener_bind(&l, &any, 0, 0x2u), AFDIO_EINVAL);
  cr_expect_null(l);
  l = (afdio_listener_t *)1;
  EXPECT_CODE(afdio_listener_bind(&l, &any, 0, 0x80000000u), AFDIO_EINVAL);
  cr_expect_null(l);
  afdio_addr_t zero;
  memset(&zero, 0, sizeof zero);
  EXPECT_CODE(afdio_listener_bind(&l, &zero, 0, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_unix(&un, "afdio-errors-no-such-dir/x/y.sock"), 0);
  /* Windows without AF_UNIX (Wine 8) says AFDIO_EAFNOSUPPORT; with it, as
   * on Unix, the missing directory is the error. */
  int rc = afdio_listener_bind(&l, &un, 0, 0);
  cr_expect_lt(rc, 0, "bind in a missing directory succeeded");
  if (rc == 0)
    afdio_listener_close(l);
  /* Accept: NULL out; nothing pending gives EAGAIN. */
  EXPECT_CODE(afdio_listener_accept(listener, NULL, NULL), AFDIO_EINVAL);
  s = (afdio_stream_t *)1;
  EXPECT_CODE(afdio_listener_accept(listener, &s, NULL), AFDIO_EAGAIN);
  cr_expect_null(s, "*out is NULL on error");
  EXPECT_CODE(afdio_listener_local_addr(listener, NULL), AFDIO_EINVAL);
  /* Options: stream-only and datagram-only ones, ranges, NULL value. */
  EXPECT_CODE(afdio_listener_setopt(listener, AFDIO_OPT_NODELAY, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_setopt(listener, AFDIO_OPT_LINGER, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_setopt(listener, AFDIO_OPT_BROADCAST, 1),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_setopt(listener, AFDIO_OPT_TTL, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_setopt(listener, AFDIO_OPT_TTL, 256), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_setopt(listener, (afdio_option_t)77, 1),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_getopt(listener, AFDIO_OPT_TTL, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_getopt(listener, AFDIO_OPT_V6ONLY, &v),
              AFDIO_ENOTSUP);
  /* Registration state. */
  afdio_poller_t *other = util_poller();
  EXPECT_CODE(afdio_listener_register(listener, other, 1, AFDIO_READABLE),
              AFDIO_EEXIST);
  EXPECT_CODE(afdio_listener_reregister(listener, 1, 0x4000u | AFDIO_READABLE),
              AFDIO_EINVAL);
  cr_assert_eq(afdio_listener_deregister(listener), 0);
  EXPECT_CODE(afdio_listener_register(listener, p, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_register(listener, p, 1, AFDIO_LEVEL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_listener_deregister(listener), AFDIO_ENOENT);
  EXPECT_CODE(afdio_listener_reregister(listener, 1, AFDIO_READABLE),
              AFDIO_ENOENT);
  (void)six;
  expect_still_delivers(p, 7);
}

/* ------------------------------------------------------------------------ */
/* Datagrams                                                                 */

Test(errors, datagram_calls_refuse_bad_flags_options_and_state, T) {
  afdio_poller_t *p = util_poller();
  stream_pair(p);
  cr_assert_eq(afdio_stream_register(streams[1], p, 7, AFDIO_READABLE), 0);
  afdio_addr_t any = loopback(0), six, group4, to;
  afdio_datagram_t *d = (afdio_datagram_t *)1;
  char buf[16];
  int v;
  EXPECT_CODE(afdio_datagram_bind(&d, &any, 0x4u), AFDIO_EINVAL);
  cr_expect_null(d);
  cr_assert_eq(afdio_datagram_bind(&dgrams[0], &any, 0), 0);
  afdio_datagram_t *u = dgrams[0];
  cr_assert_eq(afdio_datagram_local_addr(u, &to), 0);
  /* Not connected. */
  EXPECT_CODE(afdio_datagram_send(u, buf, 1), AFDIO_ENOTCONN);
  EXPECT_CODE(afdio_datagram_peer_addr(u, &to), AFDIO_ENOTCONN);
  /* NULL buffers, addresses. */
  EXPECT_CODE(afdio_datagram_send_to(u, NULL, 1, &to), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_send_to(u, buf, 1, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_recv(u, NULL, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_recv(u, buf, sizeof buf), AFDIO_EAGAIN);
  EXPECT_CODE(afdio_datagram_connect(u, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_local_addr(u, NULL), AFDIO_EINVAL);
  /* Family mismatch: an IPv6 peer for an IPv4 socket. */
  cr_assert_eq(afdio_addr_parse(&six, "[::1]:9"), 0);
  EXPECT_CODE(afdio_datagram_connect(u, &six), AFDIO_EINVAL);
  /* Multicast: not a group, family mismatch, leave without join. */
  EXPECT_CODE(afdio_datagram_join_multicast(u, &to, NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_join_multicast(u, NULL, NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_parse(&group4, "239.255.0.77:0"), 0);
  EXPECT_CODE(afdio_datagram_join_multicast(u, &group4, &six), AFDIO_EINVAL);
  cr_assert_eq(afdio_addr_parse(&six, "[ff02::77]:0"), 0);
  EXPECT_CODE(afdio_datagram_join_multicast(u, &six, NULL), AFDIO_EINVAL);
  /* The header says AFDIO_EADDRNOTAVAIL; Wine 8 answers WSAEINVAL for
   * IP_DROP_MEMBERSHIP of a group not joined (reported to the lead). */
  if (strcmp(afdio_backend(), "afd") == 0 && util_is_wine())
    EXPECT_ONE_OF(afdio_datagram_leave_multicast(u, &group4, NULL),
                  AFDIO_EADDRNOTAVAIL, AFDIO_EINVAL);
  else
    EXPECT_CODE(afdio_datagram_leave_multicast(u, &group4, NULL),
                AFDIO_EADDRNOTAVAIL);
  /* Options: stream-only ones, ranges, Unix-only promise of CONNRESET. */
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_NODELAY, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_KEEPALIVE, 1), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_LINGER, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_MULTICAST_TTL, 256),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_MULTICAST_TTL, -1),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_BROADCAST, 2), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_TTL, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_setopt(u, (afdio_option_t)12, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_datagram_getopt(u, AFDIO_OPT_TTL, NULL), AFDIO_EINVAL);
  if (strcmp(afdio_backend(), "afd") != 0)
    EXPECT_CODE(afdio_datagram_setopt(u, AFDIO_OPT_UDP_CONNRESET, 1),
                AFDIO_ENOTSUP);
  /* Registration state. */
  EXPECT_CODE(afdio_datagram_reregister(u, 1, AFDIO_READABLE), AFDIO_ENOENT);
  EXPECT_CODE(afdio_datagram_deregister(u), AFDIO_ENOENT);
  EXPECT_CODE(afdio_datagram_register(u, p, 1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_register(u, p, 30, AFDIO_READABLE), 0);
  afdio_poller_t *other = util_poller();
  EXPECT_CODE(afdio_datagram_register(u, other, 1, AFDIO_READABLE),
              AFDIO_EEXIST);
  /* Unix-domain pairs: NULL is AFDIO_EINVAL everywhere, arguments first. */
  afdio_datagram_t *x = NULL;
  EXPECT_CODE(afdio_datagram_pair(&x, NULL), AFDIO_EINVAL);
  (void)v;
  /* The datagram registration still works: send one to itself. */
  cr_assert_eq(afdio_datagram_send_to(u, "d", 1, &to), 1);
  util_expect_event(p, 30, AFDIO_READABLE, 2000);
  expect_still_delivers(p, 7);
}

/* ------------------------------------------------------------------------ */
/* Raw sockets at the poller: closed, unregistered, non-socket values        */

Test(errors, closed_and_foreign_values_at_the_poller, T) {
  afdio_poller_t *p = util_poller();
  stream_pair(p);
  cr_assert_eq(afdio_stream_register(streams[1], p, 7, AFDIO_READABLE), 0);
  afdio_socket_t s, h;
  cr_assert_eq(util_tcp_socket(&s), 0);
  /* An open socket never registered. */
  EXPECT_CODE(afdio_poller_deregister(p, s), AFDIO_ENOENT);
  EXPECT_CODE(afdio_poller_rearm(p, s, AFDIO_READABLE), AFDIO_ENOENT);
  EXPECT_CODE(afdio_poller_reregister(p, s, 1, AFDIO_READABLE), AFDIO_ENOENT);
  /* A non-socket handle: never registered, so ENOENT for the others. */
  cr_assert_eq(util_non_socket(&h), 0);
  EXPECT_CODE(afdio_poller_register(p, h, 1, AFDIO_READABLE), AFDIO_ENOTSOCK);
  EXPECT_CODE(afdio_poller_deregister(p, h), AFDIO_ENOENT);
  EXPECT_CODE(afdio_poller_rearm(p, h, AFDIO_READABLE), AFDIO_ENOENT);
  util_non_socket_close(h);
  /* A closed socket, never registered. */
  cr_assert_eq(util_close(s), 0);
  EXPECT_CODE(afdio_poller_deregister(p, s), AFDIO_ENOENT);
  EXPECT_CODE(afdio_poller_reregister(p, s, 1, AFDIO_READABLE), AFDIO_ENOENT);
  expect_still_delivers(p, 7);
}
