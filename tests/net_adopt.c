/* Adopting sockets made elsewhere (plain socket()/accept(), or released by
 * another afdio object) and releasing them again: the checks that refuse a
 * wrong socket without touching it, the mode changes (non-blocking, not
 * inheritable), and release's deregistration. Leak cycles of adopt and
 * release are in unix_fds and win_handles. */
#include <criterion/criterion.h>

#include <string.h>

#include "afdio.h"
#include "util.h"

/* ------------------------------------------------------------------------ */
/* Ownership tracking: a socket is either the test's (raw) or an object's; */
/* fini closes objects first, then raw sockets, then the pollers.          */

#define TRACK_MAX 16
static afdio_socket_t raws[TRACK_MAX];
static int raw_used[TRACK_MAX];
static afdio_stream_t *streams[TRACK_MAX];
static afdio_listener_t *listeners[TRACK_MAX];
static afdio_datagram_t *dgrams[TRACK_MAX];

static void *track_in(void **table, void *obj) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (table[i] == NULL)
      return table[i] = obj;
  cr_assert_fail("tracking table full");
  return obj;
}

static void untrack_in(void **table, const void *obj) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (table[i] == obj)
      table[i] = NULL;
}

static afdio_socket_t raw_track(afdio_socket_t s) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (!raw_used[i]) {
      raw_used[i] = 1;
      return raws[i] = s;
    }
  cr_assert_fail("tracking table full");
  return s;
}

static void raw_forget(afdio_socket_t s) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (raw_used[i] && raws[i] == s)
      raw_used[i] = 0;
}

static void raw_close(afdio_socket_t s) {
  raw_forget(s);
  cr_assert_eq(util_close(s), 0);
}

static void fini(void) {
  for (size_t i = 0; i < TRACK_MAX; i++) {
    if (streams[i] != NULL)
      afdio_stream_close(streams[i]);
    if (listeners[i] != NULL)
      afdio_listener_close(listeners[i]);
    if (dgrams[i] != NULL)
      afdio_datagram_close(dgrams[i]);
    if (raw_used[i])
      util_close(raws[i]);
    streams[i] = NULL;
    listeners[i] = NULL;
    dgrams[i] = NULL;
    raw_used[i] = 0;
  }
  util_fini();
}

#define T .fini = fini, .timeout = 10
#define T_L 100
#define T_S 1
#define T_C 2

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static afdio_socket_t plain(int type) {
  afdio_socket_t s;
  int rc = util_plain_socket(type, &s);
  cr_assert_eq(rc, 0, "socket(): %s", afdio_err_name(rc));
  return raw_track(s);
}

static afdio_socket_t plain_listening(uint16_t *port) {
  afdio_socket_t s = plain(UTIL_STREAM);
  int rc = util_plain_listen(s, UTIL_STREAM, port);
  cr_assert_eq(rc, 0, "bind/listen: %s", afdio_err_name(rc));
  return s;
}

static afdio_stream_t *adopt_stream(afdio_socket_t s) {
  afdio_stream_t *st = NULL;
  int rc = afdio_stream_adopt(&st, s);
  cr_assert_eq(rc, 0, "stream_adopt: %s", afdio_err_name(rc));
  raw_forget(s);
  return track_in((void **)streams, st);
}

static afdio_listener_t *adopt_listener(afdio_socket_t s) {
  afdio_listener_t *l = NULL;
  int rc = afdio_listener_adopt(&l, s);
  cr_assert_eq(rc, 0, "listener_adopt: %s", afdio_err_name(rc));
  raw_forget(s);
  return track_in((void **)listeners, l);
}

static afdio_datagram_t *adopt_dgram(afdio_socket_t s) {
  afdio_datagram_t *d = NULL;
  int rc = afdio_datagram_adopt(&d, s);
  cr_assert_eq(rc, 0, "datagram_adopt: %s", afdio_err_name(rc));
  raw_forget(s);
  return track_in((void **)dgrams, d);
}

static afdio_addr_t loopback(uint16_t port) {
  static const uint8_t lo[4] = {127, 0, 0, 1};
  afdio_addr_t a;
  cr_assert_eq(afdio_addr_ipv4(&a, lo, port), 0);
  return a;
}

/* A stream connecting to 127.0.0.1:port, connected once this returns. */
static afdio_stream_t *connected_to(afdio_poller_t *p, uint16_t port) {
  afdio_addr_t a = loopback(port);
  afdio_stream_t *c = NULL;
  cr_assert_eq(afdio_stream_connect(&c, &a), 0);
  track_in((void **)streams, c);
  cr_assert_eq(afdio_stream_register(c, p, T_C, AFDIO_WRITABLE), 0);
  util_expect_event(p, T_C, AFDIO_WRITABLE, 2000);
  cr_assert_eq(afdio_stream_deregister(c), 0);
  cr_assert_eq(afdio_stream_take_error(c), 0);
  return c;
}

/* ------------------------------------------------------------------------ */
/* Adopting                                                                  */

Test(net_adopt,
     a_plain_listener_is_adopted_non_inheritable_and_accepts_until_eagain, T) {
  afdio_poller_t *p = util_poller();
  uint16_t port;
  afdio_socket_t ls = plain_listening(&port);
  int before = util_is_inheritable(ls);
  afdio_listener_t *l = adopt_listener(ls);
  cr_assert_eq(afdio_listener_socket(l), ls);
  cr_assert_eq(util_is_inheritable(ls), 0, "inheritable before: %d", before);
  afdio_addr_t local;
  cr_assert_eq(afdio_listener_local_addr(l, &local), 0);
  cr_assert_eq(afdio_addr_port(&local), port);
  /* Registered after the connect: connected_to() consumes other events. */
  afdio_stream_t *s = NULL;
  connected_to(p, port);
  cr_assert_eq(afdio_listener_register(l, p, T_L, AFDIO_READABLE), 0);
  util_expect_event(p, T_L, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_listener_accept(l, &s, NULL), 0);
  track_in((void **)streams, s);
  /* A blocking socket would hang here (bounded by the test's timeout). */
  cr_assert_eq(afdio_listener_accept(l, &s, NULL), AFDIO_EAGAIN);
  cr_assert_null(s);
}

Test(net_adopt, a_plainly_accepted_socket_is_adopted_and_reads_in_edge_mode,
     T) {
  afdio_poller_t *p = util_poller();
  uint16_t port;
  afdio_socket_t ls = plain_listening(&port), as;
  afdio_stream_t *c = connected_to(p, port);
  cr_assert_eq(util_wait_readable(ls, 2000), 1);
  cr_assert_eq(util_plain_accept(ls, &as), 0);
  raw_track(as);
  afdio_stream_t *s = adopt_stream(as);
  cr_assert_eq(util_is_inheritable(as), 0);
  char buf[8];
  cr_assert_eq(afdio_stream_register(s, p, T_S, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_stream_read(s, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_stream_write(c, "hi", 2), 2);
  util_expect_event(p, T_S, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_stream_read(s, buf, sizeof buf), 2);
  cr_assert_eq(memcmp(buf, "hi", 2), 0);
  cr_assert_eq(afdio_stream_read(s, buf, sizeof buf), AFDIO_EAGAIN);
  afdio_addr_t peer, c_local;
  cr_assert_eq(afdio_stream_peer_addr(s, &peer), 0);
  cr_assert_eq(afdio_stream_local_addr(c, &c_local), 0);
  cr_assert_eq(afdio_addr_equal(&peer, &c_local), 1);
}

Test(net_adopt, a_plain_unbound_udp_socket_is_adopted_and_sends_and_receives,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *d = adopt_dgram(plain(UTIL_DGRAM)), *r = NULL;
  afdio_addr_t any = loopback(0), to, from, d_local;
  cr_assert_eq(afdio_datagram_bind(&r, &any, 0), 0);
  track_in((void **)dgrams, r);
  cr_assert_eq(afdio_datagram_local_addr(r, &to), 0);
  char buf[8];
  /* Not connected: afdio reads that from the socket itself. */
  cr_assert_eq(afdio_datagram_send(d, "x", 1), AFDIO_ENOTCONN);
  cr_assert_eq(afdio_datagram_send_to(d, "x", 1, &to), 1);
  cr_assert_eq(afdio_datagram_register(r, p, T_S, AFDIO_READABLE), 0);
  util_expect_event(p, T_S, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(r, buf, sizeof buf, &from), 1);
  cr_assert_eq(afdio_datagram_local_addr(d, &d_local), 0);
  cr_assert_eq(afdio_addr_port(&from), afdio_addr_port(&d_local));
  cr_assert_eq(afdio_datagram_recv(d, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(util_is_inheritable(afdio_datagram_socket(d)), 0);
}

Test(net_adopt, a_released_connected_datagram_socket_is_adopted_still_connected,
     T) {
  afdio_addr_t any = loopback(0), to;
  afdio_datagram_t *a = NULL, *b = NULL;
  cr_assert_eq(afdio_datagram_bind(&a, &any, 0), 0);
  track_in((void **)dgrams, a);
  cr_assert_eq(afdio_datagram_bind(&b, &any, 0), 0);
  cr_assert_eq(afdio_datagram_local_addr(a, &to), 0);
  cr_assert_eq(afdio_datagram_connect(b, &to), 0);
  afdio_socket_t raw;
  cr_assert_eq(afdio_datagram_release(b, &raw), 0);
  raw_track(raw);
  b = adopt_dgram(raw);
  cr_assert_eq(afdio_datagram_send(b, "yo", 2), 2);
  char buf[8];
  cr_assert_eq(util_wait_readable(afdio_datagram_socket(a), 2000), 1);
  cr_assert_eq(afdio_datagram_recv(a, buf, sizeof buf), 2);
}

/* ------------------------------------------------------------------------ */
/* Refusals                                                                  */

/* Every adopt of s fails with want (or a second accepted code), and s is
 * still open, of its type, and as inheritable as before. */
static void refused(afdio_socket_t s, int which, int want, int also) {
  int type = util_socket_type(s), inherit = util_is_inheritable(s);
  afdio_stream_t *st = (afdio_stream_t *)&st;
  afdio_listener_t *l = (afdio_listener_t *)&l;
  afdio_datagram_t *d = (afdio_datagram_t *)&d;
  int rc = which == 0   ? afdio_stream_adopt(&st, s)
           : which == 1 ? afdio_listener_adopt(&l, s)
                        : afdio_datagram_adopt(&d, s);
  cr_assert(rc == want || rc == also, "adopt kind %d: %s, want %s", which,
            afdio_err_name(rc), afdio_err_name(want));
  cr_assert(which != 0 || st == NULL, "*out must be NULL on error");
  cr_assert(which != 1 || l == NULL, "*out must be NULL on error");
  cr_assert(which != 2 || d == NULL, "*out must be NULL on error");
  cr_assert_eq(util_socket_type(s), type);
  cr_assert_eq(util_is_inheritable(s), inherit);
}

Test(net_adopt, sockets_of_the_wrong_type_are_refused_and_left_untouched, T) {
  uint16_t port;
  afdio_socket_t udp = plain(UTIL_DGRAM), tcp = plain(UTIL_STREAM);
  afdio_socket_t listening = plain_listening(&port);
  refused(udp, 0, AFDIO_EINVAL, AFDIO_EINVAL);
  refused(udp, 1, AFDIO_EINVAL, AFDIO_EINVAL);
  refused(tcp, 1, AFDIO_EINVAL, AFDIO_EINVAL); /* not listening */
  refused(tcp, 2, AFDIO_EINVAL, AFDIO_EINVAL);
  refused(listening, 0, AFDIO_EINVAL, AFDIO_EINVAL);
  refused(listening, 2, AFDIO_EINVAL, AFDIO_EINVAL);
  /* Still usable as what they are. */
  afdio_datagram_t *d = adopt_dgram(udp);
  afdio_listener_t *l = adopt_listener(listening);
  afdio_stream_t *s = adopt_stream(tcp);
  cr_assert(d != NULL && l != NULL && s != NULL);
}

Test(net_adopt, non_sockets_closed_values_and_null_are_refused, T) {
  afdio_socket_t h;
  cr_assert_eq(util_non_socket(&h), 0);
  for (int which = 0; which < 3; which++)
    refused(h, which, AFDIO_ENOTSOCK, AFDIO_ENOTSOCK);
  util_non_socket_close(h);
  afdio_socket_t gone = plain(UTIL_STREAM);
  raw_close(gone);
  afdio_stream_t *st = NULL;
  /* Unix says EBADF; Windows cannot tell a closed value from a non-socket. */
  int rc = afdio_stream_adopt(&st, gone);
  cr_assert(rc == AFDIO_EBADF || rc == AFDIO_ENOTSOCK, "%s",
            afdio_err_name(rc));
  cr_assert_eq(afdio_stream_adopt(&st, AFDIO_INVALID_SOCKET), AFDIO_EINVAL);
  cr_assert_eq(afdio_stream_adopt(NULL, gone), AFDIO_EINVAL);
  cr_assert_eq(afdio_listener_adopt(NULL, gone), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_adopt(NULL, gone), AFDIO_EINVAL);
  cr_assert_null(st);
}

/* ------------------------------------------------------------------------ */
/* Releasing                                                                 */

Test(net_adopt, release_deregisters_and_gives_back_the_same_open_socket, T) {
  afdio_poller_t *p = util_poller();
  uint16_t port;
  afdio_listener_t *l = adopt_listener(plain_listening(&port));
  afdio_stream_t *c = connected_to(p, port), *s = NULL;
  cr_assert_eq(util_wait_readable(afdio_listener_socket(l), 2000), 1);
  cr_assert_eq(afdio_listener_accept(l, &s, NULL), 0);
  track_in((void **)streams, s);
  afdio_socket_t value = afdio_stream_socket(s), back = AFDIO_INVALID_SOCKET;
  cr_assert_eq(afdio_stream_register(s, p, T_S, AFDIO_READABLE | AFDIO_LEVEL),
               0);
  cr_assert_eq(afdio_stream_write(c, "abc", 3), 3);
  util_expect_event(p, T_S, AFDIO_READABLE, 2000);
  /* The data is still there: a level registration would report it again. */
  untrack_in((void **)streams, s);
  cr_assert_eq(afdio_stream_release(s, &back), 0);
  raw_track(back);
  cr_assert_eq(back, value);
  util_expect_no_event_for(p, T_S, 200);
  /* Registering the raw socket works: nothing of the object is left. */
  cr_assert_eq(
      afdio_poller_register(p, back, T_C + 10, AFDIO_READABLE | AFDIO_LEVEL),
      0);
  util_expect_event(p, T_C + 10, AFDIO_READABLE, 2000);
  char buf[8];
  cr_assert_eq(util_recv(back, buf, sizeof buf), 3);
  cr_assert_eq(afdio_poller_deregister(p, back), 0);
  raw_close(back);
}

Test(net_adopt, every_kind_round_trips_through_release_and_adopt, T) {
  afdio_poller_t *p = util_poller();
  afdio_addr_t any = loopback(0);
  afdio_listener_t *l = NULL;
  afdio_datagram_t *d = NULL;
  afdio_socket_t ls, ds;
  cr_assert_eq(afdio_listener_bind(&l, &any, 0, 0), 0);
  cr_assert_eq(afdio_listener_register(l, p, T_L, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_listener_release(l, &ls), 0);
  raw_track(ls);
  l = adopt_listener(ls);
  afdio_addr_t at;
  cr_assert_eq(afdio_listener_local_addr(l, &at), 0);
  connected_to(p, (uint16_t)afdio_addr_port(&at));
  cr_assert_eq(afdio_listener_register(l, p, T_L, AFDIO_READABLE), 0);
  util_expect_event(p, T_L, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_bind(&d, &any, 0), 0);
  cr_assert_eq(afdio_datagram_register(d, p, T_S, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_release(d, &ds), 0);
  raw_track(ds);
  d = adopt_dgram(ds);
  cr_assert_eq(afdio_datagram_register(d, p, T_S, AFDIO_READABLE), 0);
}

Test(net_adopt, release_refuses_null_and_then_frees_nothing, T) {
  afdio_socket_t out = AFDIO_INVALID_SOCKET;
  afdio_stream_t *s = adopt_stream(plain(UTIL_STREAM));
  cr_assert_eq(afdio_stream_release(NULL, &out), AFDIO_EINVAL);
  cr_assert_eq(afdio_listener_release(NULL, &out), AFDIO_EINVAL);
  cr_assert_eq(afdio_datagram_release(NULL, &out), AFDIO_EINVAL);
  cr_assert_eq(afdio_stream_release(s, NULL), AFDIO_EINVAL);
  cr_assert_eq(out, AFDIO_INVALID_SOCKET);
  /* Still a live object. */
  cr_assert_neq(afdio_stream_socket(s), AFDIO_INVALID_SOCKET);
  cr_assert_eq(util_socket_type(afdio_stream_socket(s)), UTIL_STREAM);
}
