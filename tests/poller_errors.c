/* Bad input to the poller and waker functions: every case gives its
 * documented AFDIO_E* code, changes nothing, and never crashes. */
#include <criterion/criterion.h>

#include "util.h"

#define T .timeout = 10, .fini = util_fini

static void pair(afdio_socket_t *a, afdio_socket_t *b) {
  int rc = util_tcp_pair(a, b);
  cr_assert_eq(rc, 0, "util_tcp_pair: %s", afdio_err_name(rc));
}

#define EXPECT_CODE(call, code)                                                \
  do {                                                                         \
    int rc_ = (call);                                                          \
    cr_expect_eq(rc_, (code), "%s gave %s, want %s", #call,                    \
                 afdio_err_name(rc_), afdio_err_name(code));                   \
  } while (0)

Test(poller_errors, null_poller_gives_einval_everywhere, T) {
  afdio_socket_t a, b;
  pair(&a, &b);
  afdio_event_t ev[1];
  afdio_waker_t *w = NULL;
  EXPECT_CODE(afdio_poller_new(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_delete(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_register(NULL, a, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_reregister(NULL, a, 1, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_deregister(NULL, a), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_rearm(NULL, a, AFDIO_READABLE), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_wait(NULL, ev, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_waker_new(NULL, 1, &w), AFDIO_EINVAL);
  EXPECT_CODE(afdio_waker_wake(NULL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_waker_delete(NULL), AFDIO_EINVAL);
}

Test(poller_errors, waker_new_without_out_gives_einval, T) {
  afdio_poller_t *p = util_poller();
  EXPECT_CODE(afdio_waker_new(p, 1, NULL), AFDIO_EINVAL);
}

Test(poller_errors, null_events_or_zero_capacity_give_einval, T) {
  afdio_poller_t *p = util_poller();
  afdio_event_t ev[1];
  EXPECT_CODE(afdio_poller_wait(p, NULL, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_wait(p, ev, 0, 0), AFDIO_EINVAL);
  /* Checked before blocking: a long timeout must not be waited out. */
  double t0 = util_now_ms();
  EXPECT_CODE(afdio_poller_wait(p, ev, 0, 5000), AFDIO_EINVAL);
  cr_expect_lt(util_now_ms() - t0, 1000.0, "the bad wait blocked");
}

Test(poller_errors, empty_interest_gives_einval, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  EXPECT_CODE(afdio_poller_register(p, a, 1, 0), AFDIO_EINVAL);
  /* A mode alone is still an empty interest. */
  EXPECT_CODE(afdio_poller_register(p, a, 1, AFDIO_LEVEL), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_register(p, a, 1, AFDIO_ONESHOT), AFDIO_EINVAL);
  /* Nothing was registered by the failures. */
  EXPECT_CODE(afdio_poller_deregister(p, a), AFDIO_ENOENT);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  EXPECT_CODE(afdio_poller_reregister(p, a, 1, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_reregister(p, a, 1, AFDIO_LEVEL), AFDIO_EINVAL);
}

Test(poller_errors, unknown_interest_bits_give_einval, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  static const uint32_t bad[] = {0x40u, 0x80u, 0x400u, 0x1000u, 0x80000000u};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t interest = AFDIO_READABLE | bad[i];
    int rc = afdio_poller_register(p, a, 1, interest);
    cr_expect_eq(rc, AFDIO_EINVAL, "register 0x%x: %s", interest,
                 afdio_err_name(rc));
    if (rc == 0)
      afdio_poller_deregister(p, a);
  }
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t interest = AFDIO_READABLE | bad[i];
    int rc = afdio_poller_reregister(p, a, 1, interest);
    cr_expect_eq(rc, AFDIO_EINVAL, "reregister 0x%x: %s", interest,
                 afdio_err_name(rc));
  }
}

Test(poller_errors, event_only_bits_are_not_an_interest, T) {
  /* The header: an interest is a set of READABLE, WRITABLE, PRIORITY plus
   * one mode; ERROR, READ_CLOSED, WRITE_CLOSED are reported regardless. */
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  static const uint32_t bits[] = {AFDIO_ERROR, AFDIO_READ_CLOSED,
                                  AFDIO_WRITE_CLOSED};
  for (size_t i = 0; i < 3; i++) {
    int rc = afdio_poller_register(p, a, 1, AFDIO_READABLE | bits[i]);
    cr_expect_eq(rc, AFDIO_EINVAL, "interest with 0x%x: %s", bits[i],
                 afdio_err_name(rc));
    if (rc == 0)
      afdio_poller_deregister(p, a);
  }
}

Test(poller_errors, two_modes_give_einval, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  EXPECT_CODE(afdio_poller_register(p, a, 1,
                                    AFDIO_READABLE | AFDIO_LEVEL | AFDIO_ONESHOT),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_deregister(p, a), AFDIO_ENOENT);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  EXPECT_CODE(afdio_poller_reregister(p, a, 1,
                                      AFDIO_READABLE | AFDIO_LEVEL | AFDIO_ONESHOT),
              AFDIO_EINVAL);
}

Test(poller_errors, every_valid_interest_and_mode_is_accepted, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  static const uint32_t modes[] = {AFDIO_EDGE, AFDIO_LEVEL, AFDIO_ONESHOT};
  int first = 1;
  for (uint32_t set = 1; set <= 7; set++) {
    for (size_t m = 0; m < 3; m++) {
      uint32_t interest = set | modes[m];
      int rc = first ? afdio_poller_register(p, a, set, interest)
                     : afdio_poller_reregister(p, a, set, interest);
      cr_expect_eq(rc, 0, "interest 0x%x: %s", interest, afdio_err_name(rc));
      first = 0;
    }
  }
}

Test(poller_errors, invalid_socket_value_gives_einval, T) {
  afdio_poller_t *p = util_poller();
  EXPECT_CODE(afdio_poller_register(p, AFDIO_INVALID_SOCKET, 1, AFDIO_READABLE),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_reregister(p, AFDIO_INVALID_SOCKET, 1, AFDIO_READABLE),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_deregister(p, AFDIO_INVALID_SOCKET), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_rearm(p, AFDIO_INVALID_SOCKET, AFDIO_READABLE),
              AFDIO_EINVAL);
}

Test(poller_errors, rearm_with_empty_or_unknown_bits_gives_einval, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  EXPECT_CODE(afdio_poller_rearm(p, a, 0), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_rearm(p, a, 0x1000u), AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_rearm(p, a, AFDIO_READABLE | 0x80000000u),
              AFDIO_EINVAL);
  EXPECT_CODE(afdio_poller_rearm(p, a, AFDIO_READABLE), 0);
  EXPECT_CODE(afdio_poller_rearm(p, a,
                                 AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_PRIORITY),
              0);
}

Test(poller_errors, closed_socket_gives_ebadf, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t s;
  cr_assert_eq(util_tcp_socket(&s), 0);
  cr_assert_eq(util_close(s), 0);
  int rc = afdio_poller_register(p, s, 1, AFDIO_READABLE);
  /* Windows cannot tell a closed SOCKET value from any other handle that is
   * not a socket, so AFDIO_ENOTSOCK is accepted there too. */
  cr_expect(rc == AFDIO_EBADF || rc == AFDIO_ENOTSOCK,
            "register of a closed socket gave %s", afdio_err_name(rc));
  cr_expect_neq(rc, 0, "a closed socket was registered");
  cr_assert_neq(rc, AFDIO_EEXIST);
}

Test(poller_errors, a_handle_that_is_not_a_socket_gives_enotsock, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t h;
  int rc = util_non_socket(&h);
  cr_assert_eq(rc, 0, "util_non_socket: %s", afdio_err_name(rc));
  rc = afdio_poller_register(p, h, 1, AFDIO_READABLE);
  if (rc == 0)
    afdio_poller_deregister(p, h);
  util_non_socket_close(h);
  cr_expect_eq(rc, AFDIO_ENOTSOCK, "register of a non-socket gave %s",
               afdio_err_name(rc));
}

Test(poller_errors, failed_calls_leave_the_poller_working, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  afdio_event_t ev[1];
  cr_assert_eq(afdio_poller_register(p, a, 1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_poller_register(p, a, 1, 0x8000u | AFDIO_READABLE),
               AFDIO_EINVAL);
  cr_assert_eq(afdio_poller_wait(p, ev, 0, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_poller_register(p, a, 7, AFDIO_READABLE), 0);
  util_send_all(b, 1);
  util_expect_event(p, 7, AFDIO_READABLE, 2000);
}
