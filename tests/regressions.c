/* Regressions: one test per bug found by the model, torture, error-matrix
 * and fuzz tests, each reduced to the shortest deterministic sequence.
 * Each test names the backend function at fault in its comment. */
#include <criterion/criterion.h>

#include "util.h"

#define T .timeout = 15, .fini = util_fini

static void pair(afdio_socket_t *a, afdio_socket_t *b) {
  int rc = util_tcp_pair(a, b);
  cr_assert_eq(rc, 0, "util_tcp_pair: %s", afdio_err_name(rc));
}

/* Makes sockets until one gets the value `want` (a closed socket's value);
 * the others stay open (tracked: util_fini closes them). Returns 1 when
 * found, with the reusing socket's peer in *peer. */
static int reuse_value(afdio_socket_t want, afdio_socket_t *peer) {
  for (int i = 0; i < 64; i++) {
    afdio_socket_t c, s;
    pair(&c, &s);
    if (c == want) {
      *peer = s;
      return 1;
    }
    if (s == want) {
      *peer = c;
      return 1;
    }
  }
  return 0;
}

/* Found by tests/model.c (seed 1 under Wine, op 2219). AFD backend,
 * iocp/selector.c selector__feed(): a level registration's poll is
 * resubmitted when its event is reported and completes at once (the socket
 * is writable), so its packet sits in the port with no LOCAL_CLOSE poll in
 * flight. The socket is then closed without deregistering and a new socket
 * gets the same SOCKET value. The next wait dequeues the old packet;
 * "resubmit before reporting" succeeds on the NEW socket (same value), so
 * the old socket's event is reported with its old token, and the old state
 * keeps polling the new socket. The README promises: "no event is reported
 * for it afterwards ... a new socket that reuses the same handle value can
 * be registered at once and gets its own events". Epoll is immune (the
 * kernel drops the registration at close). */
Test(regressions, level_event_queued_at_close_is_not_reported_for_a_reused_value,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b, fresh_peer;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_WRITABLE | AFDIO_LEVEL), 0);
  util_expect_event(p, 1, AFDIO_WRITABLE, 2000);
  /* The level poll is in again and completes at once: writable. */
  afdio_socket_t old = a;
  cr_assert_eq(util_close(a), 0);
  if (!reuse_value(old, &fresh_peer))
    cr_skip_test("no new socket reused the closed value within 64 pairs");
  util_expect_no_event_for(p, 1, 200);
  int rc = afdio_poller_register(p, old, 2, AFDIO_READABLE);
  cr_expect_eq(rc, 0, "register of the reused value gave %s",
               afdio_err_name(rc));
  if (rc == 0) {
    util_send_all(fresh_peer, 1);
    util_expect_event(p, 2, AFDIO_READABLE, 2000);
  }
}

/* Found by tests/model.c (seed 1 natively, op 338). epoll and kqueue
 * backends, unix/epoll.c afdio_poller_rearm() (and kqueue's): rearm answers
 * "registered?" from the registration table only. A socket closed while
 * registered leaves its table entry behind (the kernel dropped the
 * registration), so a new socket reusing the descriptor, never registered,
 * gets 0 from rearm instead of the documented AFDIO_ENOENT. Register,
 * reregister and deregister ask the kernel and are right. */
Test(regressions, rearm_of_a_reused_unregistered_value_gives_enoent, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b, fresh_peer;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  afdio_socket_t old = a;
  cr_assert_eq(util_close(a), 0);
  if (!reuse_value(old, &fresh_peer))
    cr_skip_test("no new socket reused the closed value within 64 pairs");
  int rc = afdio_poller_rearm(p, old, AFDIO_READABLE);
  cr_expect_eq(rc, AFDIO_ENOENT,
               "rearm of a never-registered socket (a reused value) gave %s",
               afdio_err_name(rc));
}
