/* What TCP state changes look like as events: connect success and failure,
 * accept, peer shutdown / close / reset, out-of-band data; and a storm of
 * interest changes (cancels on Windows) after which the real event still
 * arrives. */
#include <criterion/criterion.h>

#include "util.h"

#define T .timeout = 15, .fini = util_fini

static void pair(afdio_socket_t *a, afdio_socket_t *b) {
  int rc = util_tcp_pair(a, b);
  cr_assert_eq(rc, 0, "util_tcp_pair: %s", afdio_err_name(rc));
}

static const uint32_t ALL = AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_PRIORITY;

Test(poller_tcp_events, a_listener_is_readable_when_a_connection_arrives, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t l, c, s;
  uint16_t port;
  cr_assert_eq(util_listener(&l, &port), 0);
  cr_assert_eq(afdio_poller_register(p, l, 1, AFDIO_READABLE), 0);
  util_expect_no_events(p, 50);
  cr_assert_eq(util_connect_start(port, &c), 0);
  util_expect_event(p, 1, AFDIO_READABLE, 2000);
  cr_assert_eq(util_accept(l, &s), 0);
  /* Edge: accept until EAGAIN, rearm, and the next connection reports. */
  cr_assert_eq(util_accept(l, &s), AFDIO_EAGAIN);
  cr_assert_eq(afdio_poller_rearm(p, l, AFDIO_READABLE), 0);
  cr_assert_eq(util_connect_start(port, &c), 0);
  util_expect_event(p, 1, AFDIO_READABLE, 2000);
  cr_assert_eq(util_accept(l, &s), 0);
}

Test(poller_tcp_events, a_connect_in_progress_reports_writable_once_connected,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t l, c;
  uint16_t port;
  cr_assert_eq(util_listener(&l, &port), 0);
  cr_assert_eq(util_connect_start(port, &c), 0);
  cr_assert_eq(afdio_poller_register(p, c, 1, AFDIO_READABLE | AFDIO_WRITABLE),
               0);
  uint32_t bits = util_expect_event(p, 1, AFDIO_WRITABLE, 3000);
  cr_assert_eq(bits & (AFDIO_ERROR | AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED), 0u,
               "a successful connect reported 0x%x", bits);
  cr_assert_eq(util_socket_error(c), 0);
}

/* A socket registered before it connects reports nothing; a connect made
 * while another thread is blocked in the wait reaches that wait (epoll
 * moves the socket out of its parking epoll, poll(2) looks at it again
 * within 10 ms, AFD's poll in flight completes). */
Test(poller_tcp_events, a_connect_during_a_blocked_wait_reaches_it, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t l, c;
  uint16_t port;
  cr_assert_eq(util_listener(&l, &port), 0);
  cr_assert_eq(util_tcp_socket(&c), 0);
  cr_assert_eq(afdio_poller_register(p, c, 21, AFDIO_WRITABLE), 0);
  util_expect_no_events(p, 50);
  util_blocked_wait_t bw = {.result = -100};
  util_thread_t *t = util_blocked_wait_start(&bw, p);
  cr_assert_not_null(t, "util_blocked_wait_start");
  int rc = util_connect(c, port);
  cr_assert_eq(util_thread_join(t), 0);
  cr_assert_eq(rc, 0, "connect: %s", afdio_err_name(rc));
  cr_assert_eq(bw.result, 1, "blocked wait returned %d", bw.result);
  cr_assert_eq(bw.ev[0].token, (uint64_t)21);
  cr_assert_eq(bw.ev[0].events & (AFDIO_WRITABLE | AFDIO_ERROR),
               AFDIO_WRITABLE, "bits 0x%x", bw.ev[0].events);
  cr_assert_eq(util_socket_error(c), 0);
}

Test(poller_tcp_events, a_refused_connect_reports_error_and_so_error, T) {
  afdio_poller_t *p = util_poller();
  uint16_t port;
  cr_assert_eq(util_closed_port(&port), 0);
  afdio_socket_t c;
  int rc = util_connect_start(port, &c);
  if (rc == AFDIO_ECONNREFUSED)
    cr_skip_test("the connect failed at once; no event to observe");
  cr_assert_eq(rc, 0, "connect: %s", afdio_err_name(rc));
  cr_assert_eq(afdio_poller_register(p, c, 1, AFDIO_READABLE | AFDIO_WRITABLE),
               0);
  /* Windows retries a refused SYN for about 2 s before it gives up. */
  uint32_t bits = util_expect_event(p, 1, AFDIO_ERROR, 5000);
  char s[128];
  cr_log_info("refused connect: %s", util_events_str(bits, s, sizeof s));
  cr_expect_neq(bits & AFDIO_READABLE, 0u, "events %s", s);
  cr_expect_neq(bits & AFDIO_WRITABLE, 0u, "events %s", s);
  rc = util_socket_error(c);
  cr_assert_eq(rc, AFDIO_ECONNREFUSED, "SO_ERROR gave %s", afdio_err_name(rc));
}

Test(poller_tcp_events, a_peer_reset_reports_read_and_write_closed, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  util_expect_no_events(p, 0);
  cr_assert_eq(util_close_abortive(b), 0);
  uint32_t bits =
      util_expect_event(p, 1, AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED, 2000);
  char s[128];
  cr_log_info("peer reset: %s", util_events_str(bits, s, sizeof s));
  /* The reset is an error on the next read (ERROR itself is optional). */
  char buf[4];
  long n = util_recv(a, buf, sizeof buf);
  cr_assert(n == AFDIO_ECONNRESET || n == 0, "recv after a reset gave %ld (%s)",
            n, afdio_err_name((int)n));
}

Test(poller_tcp_events, a_peer_shutdown_reports_readable_and_read_closed, T) {
  /* Windows and epoll report the FIN as soon as it arrives, data or not.
   * Wine 8 reports it only once the receive buffer is empty (its server
   * detects a half-close by a peek that returns 0). So when the first event
   * lacks READ_CLOSED, the data is read and the socket re-armed first; the
   * FIN must then be reported on every backend. */
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  util_expect_no_events(p, 0);
  util_send_all(b, 3);
  cr_assert_eq(util_shutdown_write(b), 0);
  uint32_t bits = util_expect_event(p, 1, AFDIO_READABLE, 2000);
  if ((bits & AFDIO_READ_CLOSED) == 0) {
    char buf[3];
    long got = 0;
    for (int i = 0; i < 200 && got < 3; i++) {
      long n = util_recv(a, buf, (size_t)(3 - got));
      if (n == AFDIO_EAGAIN && util_wait_readable(a, 10) >= 0)
        continue;
      cr_assert_gt(n, 0L, "recv: %ld (%s)", n, afdio_err_name((int)n));
      got += n;
    }
    cr_assert_eq(got, 3L);
    cr_assert_eq(afdio_poller_rearm(p, a, AFDIO_READABLE), 0);
    bits |= util_expect_event(p, 1, AFDIO_READ_CLOSED, 2000);
  }
  char s[128];
  cr_log_info("peer shutdown: %s", util_events_str(bits, s, sizeof s));
  cr_assert_eq(bits & AFDIO_WRITE_CLOSED, 0u,
               "a half-close closed our sending side (%s)", s);
  int eof = 0;
  cr_assert_geq(util_drain(a, &eof), 0L);
  cr_assert_eq(eof, 1, "no end of stream after READ_CLOSED");
  /* We can still send to the half-closed peer. */
  cr_assert_eq(util_send(a, "x", 1), 1L);
}

Test(poller_tcp_events, a_peer_close_reports_read_closed, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  util_expect_no_events(p, 0);
  cr_assert_eq(util_close(b), 0);
  uint32_t bits = util_expect_event(p, 1, AFDIO_READ_CLOSED, 2000);
  cr_assert_neq(bits & AFDIO_READABLE, 0u, "events 0x%x", bits);
  int eof = 0;
  cr_assert_eq(util_drain(a, &eof), 0L);
  cr_assert_eq(eof, 1);
}

Test(poller_tcp_events, read_closed_is_reported_even_without_readable_interest,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_PRIORITY), 0);
  util_expect_no_events(p, 0);
  cr_assert_eq(util_close_abortive(b), 0);
  util_expect_event(p, 1, AFDIO_READ_CLOSED, 2000);
}

Test(poller_tcp_events, an_out_of_band_byte_reports_priority, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_PRIORITY), 0);
  util_expect_no_events(p, 50);
  int rc = util_send_oob(b, '!');
  cr_assert_eq(rc, 0, "send MSG_OOB: %s", afdio_err_name(rc));
  util_expect_event(p, 1, AFDIO_PRIORITY, 2000);
}

Test(poller_tcp_events, normal_data_is_not_priority, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_PRIORITY | AFDIO_LEVEL), 0);
  util_send_all(b, 10);
  cr_assert_eq(util_wait_readable(a, 2000), 1);
  util_expect_no_events(p, 100);
}

Test(poller_tcp_events, an_ipv6_pair_reports_like_ipv4, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  int rc = util_tcp_pair6(&a, &b);
  if (rc == AFDIO_EAFNOSUPPORT || rc == AFDIO_EADDRNOTAVAIL)
    cr_skip_test("no IPv6 loopback here (%s)", afdio_err_name(rc));
  cr_assert_eq(rc, 0, "util_tcp_pair6: %s", afdio_err_name(rc));
  cr_assert_eq(afdio_poller_register(p, a, 6, ALL), 0);
  util_expect_event(p, 6, AFDIO_WRITABLE, 2000);
  util_send_all(b, 1);
  util_expect_event(p, 6, AFDIO_READABLE, 2000);
}

Test(poller_tcp_events, a_storm_of_interest_changes_still_delivers_the_event,
     T) {
  /* 3,000 reregisters alternating interests that are not ready (each one a
   * cancel of the pending poll on Windows), with waits in between so polls
   * really are in flight; then the real event arrives with the last token,
   * and no stale token ever shows. */
  enum { SOCKETS = 8, CHANGES = 3000 };
  afdio_poller_t *p = util_poller();
  afdio_socket_t a[SOCKETS], b[SOCKETS];
  for (int i = 0; i < SOCKETS; i++) {
    pair(&a[i], &b[i]);
    cr_assert_eq(afdio_poller_register(p, a[i], 0, AFDIO_PRIORITY), 0);
  }
  afdio_event_t ev[16];
  uint64_t last[SOCKETS] = {0};
  for (int k = 1; k <= CHANGES; k++) {
    int i = k % SOCKETS;
    uint32_t interest = k % 2 ? AFDIO_READABLE : AFDIO_PRIORITY;
    if (k % 3 == 0)
      interest |= AFDIO_LEVEL;
    uint64_t token = (uint64_t)k * SOCKETS + (uint64_t)i;
    int rc = afdio_poller_reregister(p, a[i], token, interest);
    cr_assert_eq(rc, 0, "change %d: %s", k, afdio_err_name(rc));
    last[i] = token;
    if (k % 16 == 0) {
      int n = afdio_poller_wait(p, ev, 16, 0);
      cr_assert_eq(n, 0, "change %d: %d events while nothing is ready "
                   "(first token %llu)", k, n,
                   n > 0 ? (unsigned long long)ev[0].token : 0ull);
    }
  }
  /* The final interest of every socket: readable, with its last token. */
  for (int i = 0; i < SOCKETS; i++) {
    last[i] += 1000000;
    cr_assert_eq(afdio_poller_reregister(p, a[i], last[i], AFDIO_READABLE), 0);
  }
  for (int i = 0; i < SOCKETS; i++)
    util_send_all(b[i], 1);
  int seen[SOCKETS] = {0}, distinct = 0;
  double deadline = util_now_ms() + 3000;
  while (distinct < SOCKETS && util_now_ms() < deadline) {
    int n = afdio_poller_wait(p, ev, 16, 500);
    cr_assert_geq(n, 0, "wait: %s", afdio_err_name(n));
    for (int e = 0; e < n; e++) {
      int i = (int)(ev[e].token % SOCKETS);
      cr_assert_eq(ev[e].token, last[i], "a stale token (events 0x%x)",
                   ev[e].events);
      cr_assert_neq(ev[e].events & AFDIO_READABLE, 0u);
      if (seen[i]++ == 0)
        distinct++;
    }
  }
  cr_assert_eq(distinct, SOCKETS, "only %d of %d sockets reported", distinct,
               SOCKETS);
}
