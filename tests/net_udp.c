/* UDP through net/: unconnected and connected datagrams, empty datagrams,
 * truncation, edge readiness re-armed by net/, the ICMP "port unreachable"
 * case (SIO_UDP_CONNRESET off by default on Windows), IPv6 and dual stack,
 * options and multicast membership. */
#include <criterion/criterion.h>

#include <string.h>

#include "afdio.h"
#include "util.h"

#define TRACK_MAX 16
static afdio_datagram_t *tracked[TRACK_MAX];

static afdio_datagram_t *track(afdio_datagram_t *d) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (tracked[i] == NULL)
      return tracked[i] = d;
  cr_assert_fail("tracking table full");
  return d;
}

static int close_dgram(afdio_datagram_t *d) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (tracked[i] == d)
      tracked[i] = NULL;
  return afdio_datagram_close(d);
}

/* Closed before util_fini() deletes the pollers they are registered with. */
static void fini(void) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (tracked[i] != NULL)
      close_dgram(tracked[i]);
  util_fini();
}

#define T_A 1
#define T_B 2

static afdio_datagram_t *bound(const char *text, unsigned flags) {
  afdio_addr_t a;
  afdio_datagram_t *d = NULL;
  cr_assert_eq(afdio_addr_parse(&a, text), 0);
  int rc = afdio_datagram_bind(&d, &a, flags);
  if (rc == AFDIO_EAFNOSUPPORT || rc == AFDIO_EADDRNOTAVAIL)
    cr_skip_test("no IPv6 loopback here (%s)", afdio_err_name(rc));
  cr_assert_eq(rc, 0, "bind %s: %s", text, afdio_err_name(rc));
  return track(d);
}

static afdio_addr_t local_of(afdio_datagram_t *d) {
  afdio_addr_t a;
  cr_assert_eq(afdio_datagram_local_addr(d, &a), 0);
  return a;
}

/* A UDP port on 127.0.0.1 where nothing is bound any more. */
static afdio_addr_t closed_udp_port(void) {
  afdio_datagram_t *d = bound("127.0.0.1:0", 0);
  afdio_addr_t a = local_of(d);
  cr_assert_eq(close_dgram(d), 0);
  return a;
}

Test(net_udp, send_to_and_recv_from_carry_the_datagram_and_its_sender,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a), from, b_addr = local_of(b), none;
  char buf[16];
  cr_assert_gt(afdio_addr_port(&to), 0);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_recv_from(a, buf, sizeof buf, &from),
               AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_send_to(b, "ping", 4, &to), 4);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(a, buf, sizeof buf, &from), 4);
  cr_assert_eq(memcmp(buf, "ping", 4), 0);
  cr_assert_eq(afdio_addr_equal(&from, &b_addr), 1);
  cr_assert_eq(afdio_datagram_recv_from(a, buf, sizeof buf, NULL),
               AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_peer_addr(a, &none), AFDIO_ENOTCONN);
}

Test(net_udp, empty_datagram_is_received_as_zero_length, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a);
  char buf[8];
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(b, NULL, 0, &to), 0);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), 0);
  /* 0 was a datagram; now there is none. */
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), AFDIO_EAGAIN);
}

/* A receive with a zero-length buffer is the truncation rule at its limit:
 * it takes one queued datagram, drops its bytes and returns 0. */
Test(net_udp, a_zero_length_receive_consumes_one_datagram, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a);
  char buf[8];
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(b, "one", 3, &to), 3);
  cr_assert_eq(afdio_datagram_send_to(b, "two", 3, &to), 3);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv(a, NULL, 0), 0);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), 3);
  cr_assert_eq(memcmp(buf, "two", 3), 0, "the first datagram was not consumed");
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), AFDIO_EAGAIN);
}

Test(net_udp, connected_sockets_send_and_receive_with_their_peer,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t aa = local_of(a), ba = local_of(b), peer;
  char buf[8];
  cr_assert_eq(afdio_datagram_send(a, "x", 1), AFDIO_ENOTCONN);
  cr_assert_eq(afdio_datagram_connect(a, &ba), 0);
  cr_assert_eq(afdio_datagram_connect(b, &aa), 0);
  cr_assert_eq(afdio_datagram_peer_addr(a, &peer), 0);
  cr_assert_eq(afdio_addr_equal(&peer, &ba), 1);
  cr_assert_eq(afdio_datagram_register(b, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send(a, "hi", 2), 2);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv(b, buf, sizeof buf), 2);
  cr_assert_eq(afdio_datagram_send(b, "yo", 2), 2);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), 2);
  cr_assert_eq(memcmp(buf, "yo", 2), 0);
}

Test(net_udp, recv_until_eagain_then_a_new_datagram_triggers_again,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a);
  char buf[8];
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  for (int round = 0; round < 3; round++) {
    cr_assert_eq(afdio_datagram_send_to(b, "1", 1, &to), 1);
    cr_assert_eq(afdio_datagram_send_to(b, "2", 1, &to), 1);
    util_expect_event(p, T_A, AFDIO_READABLE, 2000);
    int got = 0;
    /* Both are queued on loopback once the first is reported, or soon. */
    for (int i = 0; i < 50 && got < 2; i++) {
      ptrdiff_t n = afdio_datagram_recv_from(a, buf, sizeof buf, NULL);
      if (n == AFDIO_EAGAIN) {
        util_expect_event(p, T_A, AFDIO_READABLE, 2000);
        continue;
      }
      cr_assert_eq(n, 1);
      got++;
    }
    cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), AFDIO_EAGAIN);
    util_expect_no_event_for(p, T_A, 50);
  }
}

Test(net_udp, a_long_datagram_is_truncated_on_every_os, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a), from;
  char buf[4];
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(b, "0123456789", 10, &to), 10);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  /* Windows says WSAEMSGSIZE here; afdio returns the truncated count. */
  cr_assert_eq(afdio_datagram_recv_from(a, buf, sizeof buf, &from), 4);
  cr_assert_eq(memcmp(buf, "0123", 4), 0);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), AFDIO_EAGAIN);
}

Test(net_udp, icmp_port_unreachable_does_not_fail_the_next_receive,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_addr_t dead = closed_udp_port();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a);
  char buf[8];
  int v = -1;
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_UDP_CONNRESET, &v), 0);
  cr_assert_eq(v, 0);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(a, "lost", 4, &dead), 4);
  /* The ICMP error comes back at once on loopback; then real data. */
  cr_assert_eq(afdio_datagram_send_to(b, "x", 1, &to), 1);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  ptrdiff_t n = afdio_datagram_recv(a, buf, sizeof buf);
  cr_assert_eq(n, 1, "recv after ICMP unreachable: %s",
               n < 0 ? afdio_err_name((int)n) : "a count");
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), AFDIO_EAGAIN);
}

Test(net_udp, udp_connreset_on_brings_back_the_windows_default,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t dead = closed_udp_port(), to = local_of(a);
  char buf[8];
  int v = -1;
  if (strcmp(afdio_backend(), "afd") != 0) {
    /* Unix never reports ICMP errors on unconnected sockets. */
    cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_UDP_CONNRESET, 1),
                 AFDIO_ENOTSUP);
    cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_UDP_CONNRESET, 0), 0);
    return;
  }
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_UDP_CONNRESET, 1), 0);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_UDP_CONNRESET, &v), 0);
  cr_assert_eq(v, 1);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(a, "lost", 4, &dead), 4);
  cr_assert_eq(afdio_datagram_send_to(b, "x", 1, &to), 1);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  /* Windows: the next receive fails with WSAECONNRESET, then the data.
   * Wine 8 never reports the ICMP error: the data comes at once. */
  ptrdiff_t n = afdio_datagram_recv(a, buf, sizeof buf);
  if (util_is_wine() && n == 1) {
    cr_log_warn("Wine: no WSAECONNRESET after ICMP port unreachable");
    return;
  }
  cr_assert_eq(n, AFDIO_ECONNRESET, "%s", afdio_err_name((int)n));
  for (int i = 0; i < 50 && (n = afdio_datagram_recv(a, buf, sizeof buf)) ==
                                AFDIO_EAGAIN;
       i++)
    util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(n, 1);
}

Test(net_udp, ipv6_datagrams_and_dual_stack_sockets, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("[::]:0", AFDIO_DUAL_STACK);
  afdio_datagram_t *b6 = bound("[::1]:0", 0), *b4 = bound("127.0.0.1:0", 0);
  afdio_addr_t port = local_of(a), to6, to4, from;
  char buf[8], text[AFDIO_ADDR_STRLEN];
  int v = -1;
  cr_assert_eq(afdio_addr_parse(&to6, "[::1]:1"), 0);
  cr_assert_eq(afdio_addr_parse(&to4, "127.0.0.1:1"), 0);
  cr_assert_eq(afdio_addr_set_port(&to6, (uint16_t)afdio_addr_port(&port)), 0);
  cr_assert_eq(afdio_addr_set_port(&to4, (uint16_t)afdio_addr_port(&port)), 0);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_V6ONLY, &v), 0);
  cr_assert_eq(v, 0);
  cr_assert_eq(afdio_datagram_getopt(b6, AFDIO_OPT_V6ONLY, &v), 0);
  cr_assert_eq(v, 1);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(b6, "6", 1, &to6), 1);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(a, buf, sizeof buf, &from), 1);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_send_to(b4, "4", 1, &to4), 1);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(a, buf, sizeof buf, &from), 1);
  cr_assert_gt(afdio_addr_format(&from, text, sizeof text), 0);
  cr_assert_eq(strncmp(text, "[::ffff:127.0.0.1]:", 19), 0, "%s", text);
  /* The family must match the socket's. */
  cr_assert_eq(afdio_datagram_send_to(b6, "x", 1, &to4), AFDIO_EINVAL);
}

Test(net_udp, datagram_options_read_back_what_was_set, .fini = fini,
     .timeout = 10) {
  afdio_datagram_t *a = bound("127.0.0.1:0", 0);
  int v = -1;
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_BROADCAST, 1), 0);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_BROADCAST, &v), 0);
  cr_assert_eq(v, 1);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_TTL, 9), 0);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_TTL, &v), 0);
  cr_assert_eq(v, 9);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_MULTICAST_TTL, 3), 0);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_MULTICAST_TTL, &v), 0);
  cr_assert_eq(v, 3);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_MULTICAST_LOOP, 0), 0);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_MULTICAST_LOOP, &v), 0);
  cr_assert_eq(v, 0);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_MULTICAST_TTL, 256),
               AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_NODELAY, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_LINGER, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_setopt(a, AFDIO_OPT_UDP_CONNRESET, 2),
               AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_getopt(a, AFDIO_OPT_V6ONLY, &v), AFDIO_ENOTSUP);
  cr_assert_eq(afdio_datagram_take_error(a), 0);
}

Test(net_udp, multicast_membership_is_joined_and_left, .fini = fini,
     .timeout = 10) {
  afdio_datagram_t *a = bound("0.0.0.0:0", 0);
  afdio_addr_t group, iface, unicast;
  cr_assert_eq(afdio_addr_parse(&group, "239.255.77.1:0"), 0);
  cr_assert_eq(afdio_addr_parse(&iface, "127.0.0.1:0"), 0);
  cr_assert_eq(afdio_addr_parse(&unicast, "10.0.0.1:0"), 0);
  cr_assert_eq(afdio_datagram_join_multicast(a, &unicast, NULL), AFDIO_EINVAL);
  int rc = afdio_datagram_join_multicast(a, &group, &iface);
  if (rc < 0)
    cr_skip_test("no multicast on loopback here (%s)", afdio_err_name(rc));
  cr_assert_eq(afdio_datagram_leave_multicast(a, &group, &iface), 0);
  cr_assert_lt(afdio_datagram_leave_multicast(a, &group, &iface), 0);

  afdio_datagram_t *b = bound("[::]:0", 0);
  afdio_addr_t g6;
  cr_assert_eq(afdio_addr_parse(&g6, "[ff02::1:77]:0"), 0);
  cr_assert_eq(afdio_datagram_join_multicast(b, &group, NULL), AFDIO_EINVAL);
  rc = afdio_datagram_join_multicast(b, &g6, NULL);
  if (rc < 0) {
    cr_log_warn("IPv6 multicast join: %s (no IPv6 multicast route)",
                afdio_err_name(rc));
    return;
  }
  cr_assert_eq(afdio_datagram_leave_multicast(b, &g6, NULL), 0);
}

Test(net_udp, no_events_after_deregister, .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_deregister(a), 0);
  cr_assert_eq(afdio_datagram_deregister(a), AFDIO_ENOENT);
  cr_assert_eq(afdio_datagram_send_to(b, "x", 1, &to), 1);
  util_expect_no_event_for(p, T_A, 100);
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_WRITABLE), 0);
  util_expect_event(p, T_A, AFDIO_WRITABLE, 2000);
  cr_assert_eq(afdio_datagram_reregister(a, T_B, AFDIO_READABLE), 0);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
}

Test(net_udp, peek_and_peek_from_leave_the_datagram_queued, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a = bound("127.0.0.1:0", 0), *b = bound("127.0.0.1:0", 0);
  afdio_addr_t to = local_of(a), b_addr = local_of(b), from;
  char buf[8];
  cr_assert_eq(afdio_datagram_register(a, p, T_A, AFDIO_READABLE), 0);
  /* A peek that would block re-arms, as a receive does (mio#1895). */
  cr_assert_eq(afdio_datagram_peek(a, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_send_to(b, "hello", 5, &to), 5);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_peek_from(a, buf, 2, &from), 2);
  cr_assert_eq(memcmp(buf, "he", 2), 0);
  cr_assert_eq(afdio_addr_equal(&from, &b_addr), 1);
  cr_assert_eq(afdio_datagram_peek(a, buf, sizeof buf), 5);
  cr_assert_eq(afdio_datagram_peek_from(a, buf, sizeof buf, NULL), 5);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), 5);
  cr_assert_eq(memcmp(buf, "hello", 5), 0);
  cr_assert_eq(afdio_datagram_peek(a, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_send_to(b, "again", 5, &to), 5);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_peek(NULL, buf, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_peek(a, NULL, 1), AFDIO_EINVAL);
}

Test(net_udp, an_unbound_socket_gets_a_port_at_its_first_send_and_hears_answers,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *server = bound("127.0.0.1:0", 0), *client = NULL;
  afdio_addr_t to = local_of(server), from;
  char buf[8];
  cr_assert_eq(afdio_datagram_unbound(&client, AFDIO_AF_INET), 0);
  track(client);
  cr_assert_eq(afdio_datagram_register(client, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_register(server, p, T_A, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(client, "q", 1, &to), 1);
  util_expect_event(p, T_A, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(server, buf, sizeof buf, &from), 1);
  cr_assert_gt(afdio_addr_port(&from), 0);
  cr_assert_eq(afdio_datagram_send_to(server, "a", 1, &from), 1);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv(client, buf, sizeof buf), 1);
  cr_assert_eq(buf[0], 'a');
}

Test(net_udp, unbound_refuses_bad_arguments, .fini = fini, .timeout = 10) {
  afdio_datagram_t *d = (afdio_datagram_t *)&d;
  cr_assert_eq(afdio_datagram_unbound(NULL, AFDIO_AF_INET), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_unbound(&d, 0), AFDIO_EINVAL);
  cr_assert_null(d);
  cr_assert_eq(afdio_datagram_unbound(&d, 5), AFDIO_EINVAL);
  int rc = afdio_datagram_unbound(&d, AFDIO_AF_INET6);
  if (rc == 0)
    track(d);
  else
    cr_assert(rc == AFDIO_EAFNOSUPPORT, "%s", afdio_err_name(rc));
}

Test(net_udp, unix_domain_datagrams_are_enosys_on_windows, .fini = fini,
     .timeout = 10) {
  if (strcmp(afdio_backend(), "afd") != 0)
    cr_skip_test("Unix-domain datagrams exist here: see net_unix");
  afdio_addr_t a;
  afdio_datagram_t *d = NULL, *e = NULL;
  cr_assert_eq(afdio_addr_unix(&a, "C:\\afdio-test-dgram.sock"), 0);
  cr_assert_eq(afdio_datagram_unbound(&d, AFDIO_AF_UNIX), AFDIO_ENOSYS);
  cr_assert_eq(afdio_datagram_bind(&d, &a, 0), AFDIO_ENOSYS);
  cr_assert_eq(afdio_datagram_pair(&d, &e), AFDIO_ENOSYS);
  cr_assert_null(d);
  cr_assert_null(e);
}
