/* Unix-domain sockets through net/, on every OS: path listeners and
 * streams, edge re-arm, peer close, abstract names (Linux only, refused
 * elsewhere), options, adopt; and, where they exist (not on Windows),
 * socket pairs and datagrams. On Windows the stream tests run for real on
 * Windows 10 1803 and later; Wine 8 has no AF_UNIX (socket() fails with
 * WSAEAFNOSUPPORT), so there they skip and say so. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "afdio.h"
#include "util.h"

#define TRACK_MAX 16
static afdio_stream_t *streams[TRACK_MAX];
static afdio_datagram_t *dgrams[TRACK_MAX];
static afdio_listener_t *listener;
static char paths[4][128];

static afdio_stream_t *track(afdio_stream_t *s) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (streams[i] == NULL)
      return streams[i] = s;
  cr_assert_fail("tracking table full");
  return s;
}

static afdio_datagram_t *track_dgram(afdio_datagram_t *d) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (dgrams[i] == NULL)
      return dgrams[i] = d;
  cr_assert_fail("tracking table full");
  return d;
}

static void streams_forget(const afdio_stream_t *s) {
  for (size_t i = 0; i < TRACK_MAX; i++)
    if (streams[i] == s)
      streams[i] = NULL;
}

static int close_stream(afdio_stream_t *s) {
  streams_forget(s);
  return afdio_stream_close(s);
}

/* Objects first (they may be registered), then pollers, then the files. */
static void fini(void) {
  for (size_t i = 0; i < TRACK_MAX; i++) {
    if (streams[i] != NULL)
      afdio_stream_close(streams[i]);
    if (dgrams[i] != NULL)
      afdio_datagram_close(dgrams[i]);
    streams[i] = NULL;
    dgrams[i] = NULL;
  }
  if (listener != NULL)
    afdio_listener_close(listener);
  listener = NULL;
  util_fini();
  for (int i = 0; i < 4; i++)
    if (paths[i][0] != '\0')
      util_remove_path(paths[i]);
}

/* A fresh socket path of this process, removed again by fini. */
static const char *path_n(int n) {
  return util_socket_path(paths[n], sizeof paths[n], n);
}

/* The system has no AF_UNIX at all (Wine 8, Windows before 10 1803). */
static void skip_if_no_af_unix(int rc) {
  if (rc == AFDIO_EAFNOSUPPORT)
    cr_skip_test("this system has no Unix-domain sockets: creating one gave "
                 "AFDIO_EAFNOSUPPORT (Wine 8 has none; Windows 10 1803+ runs "
                 "this test for real)");
}

/* Socket pairs and Unix-domain datagrams do not exist on Windows. */
static void skip_on_windows(const char *what) {
  if (strcmp(afdio_backend(), "afd") == 0)
    cr_skip_test("Windows has no %s (AFDIO_ENOSYS, tested in net_tcp and "
                 "net_udp)",
                 what);
}

static afdio_addr_t unix_addr(const char *path) {
  afdio_addr_t a;
  cr_assert_eq(afdio_addr_unix(&a, path), 0);
  return a;
}

#define T_L 100
#define T_A 1
#define T_B 2

/* A listener on path and a connected, accepted pair through it. */
static void connect_through(afdio_poller_t *p, const char *path,
                            afdio_stream_t **client, afdio_stream_t **server) {
  afdio_addr_t a = unix_addr(path);
  int rc = afdio_listener_bind(&listener, &a, 0, 0);
  skip_if_no_af_unix(rc);
  cr_assert_eq(rc, 0, "bind %s: %s", path, afdio_err_name(rc));
  cr_assert_eq(afdio_stream_connect(client, &a), 0);
  track(*client);
  cr_assert_eq(afdio_listener_register(listener, p, T_L, AFDIO_READABLE), 0);
  util_expect_event(p, T_L, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_listener_accept(listener, server, NULL), 0);
  track(*server);
}

static long drain(afdio_stream_t *s, ptrdiff_t *last) {
  char buf[4096];
  long total = 0;
  for (int i = 0; i < 10000; i++) {
    ptrdiff_t n = afdio_stream_read(s, buf, sizeof buf);
    if (n <= 0) {
      *last = n;
      return total;
    }
    total += (long)n;
  }
  *last = 1;
  return total;
}

Test(net_unix, path_listener_accepts_and_streams_carry_data, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_stream_t *c, *s;
  afdio_addr_t a;
  char text[AFDIO_ADDR_STRLEN], buf[8];
  const char *path = path_n(0);
  connect_through(p, path, &c, &s);
  cr_assert_eq(afdio_listener_local_addr(listener, &a), 0);
  cr_assert_eq(afdio_addr_family(&a), AFDIO_AF_UNIX);
  cr_assert_gt(afdio_addr_format(&a, text, sizeof text), 0);
  cr_assert_str_eq(text, path);
  cr_assert_eq(afdio_stream_peer_addr(c, &a), 0);
  cr_assert_gt(afdio_addr_format(&a, text, sizeof text), 0);
  cr_assert_str_eq(text, path);
  /* The client is unnamed: its address formats as "". */
  cr_assert_eq(afdio_stream_peer_addr(s, &a), 0);
  cr_assert_eq(afdio_addr_format(&a, text, sizeof text), 0);
  cr_assert_eq(afdio_stream_register(s, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_stream_write(c, "unix", 4), 4);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_stream_read(s, buf, sizeof buf), 4);
  cr_assert_eq(memcmp(buf, "unix", 4), 0);
}

/* How a connect to a dead path fails: at once on Unix; Windows may also
 * report it through the connect's completion. */
static int connect_failure(afdio_poller_t *p, const afdio_addr_t *a) {
  afdio_stream_t *c = NULL;
  int rc = afdio_stream_connect(&c, a);
  skip_if_no_af_unix(rc);
  if (rc < 0) {
    cr_assert_null(c);
    return rc;
  }
  track(c);
  cr_assert_eq(afdio_stream_register(c, p, T_A, AFDIO_WRITABLE), 0);
  util_expect_event(p, T_A, 0, 2000);
  rc = afdio_stream_take_error(c);
  cr_assert_eq(close_stream(c), 0);
  return rc;
}

Test(net_unix, connect_to_a_missing_or_dead_path_fails, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_addr_t a = unix_addr(path_n(1));
  int windows = strcmp(afdio_backend(), "afd") == 0;
  int rc = connect_failure(p, &a);
  cr_assert(rc == AFDIO_ENOENT || (windows && rc == AFDIO_ECONNREFUSED),
            "connect to a missing path: %s", afdio_err_name(rc));
  cr_assert_eq(afdio_listener_bind(&listener, &a, 0, 0), 0);
  cr_assert_eq(afdio_listener_close(listener), 0);
  listener = NULL;
  /* The file stays after close, but nobody listens. */
  rc = connect_failure(p, &a);
  cr_assert_eq(rc, AFDIO_ECONNREFUSED, "%s", afdio_err_name(rc));
  afdio_listener_t *again = NULL;
  cr_assert_eq(afdio_listener_bind(&again, &a, 0, 0), AFDIO_EADDRINUSE);
}

Test(net_unix, peer_close_reports_read_closed_and_read_returns_zero,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_stream_t *c, *s;
  ptrdiff_t last;
  connect_through(p, path_n(0), &c, &s);
  cr_assert_eq(afdio_stream_register(s, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_stream_write(c, "abc", 3), 3);
  cr_assert_eq(close_stream(c), 0);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(drain(s, &last), 3);
  cr_assert_eq(last, 0);
}

Test(net_unix, abstract_names_are_refused_off_linux, .fini = fini,
     .timeout = 10) {
  if (util_is_linux())
    cr_skip_test("Linux has abstract names: see abstract_names_work_on_linux");
  afdio_addr_t a = unix_addr("@afdio-abstract");
  afdio_stream_t *c = NULL;
  cr_assert_eq(afdio_listener_bind(&listener, &a, 0, 0), AFDIO_EINVAL);
  cr_assert_null(listener);
  cr_assert_eq(afdio_stream_connect(&c, &a), AFDIO_EINVAL);
  cr_assert_null(c);
}

Test(net_unix, a_released_unix_listener_is_adopted_again_and_accepts,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_stream_t *c, *s;
  afdio_socket_t raw;
  connect_through(p, path_n(0), &c, &s);
  cr_assert_eq(afdio_listener_release(listener, &raw), 0);
  listener = NULL;
  cr_assert_eq(afdio_listener_adopt(&listener, raw), 0);
  afdio_addr_t a;
  cr_assert_eq(afdio_listener_local_addr(listener, &a), 0);
  cr_assert_eq(afdio_addr_family(&a), AFDIO_AF_UNIX);
  cr_assert_eq(afdio_stream_connect(&c, &a), 0);
  track(c);
  cr_assert_eq(afdio_listener_register(listener, p, T_L, AFDIO_READABLE), 0);
  util_expect_event(p, T_L, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_listener_accept(listener, &s, NULL), 0);
  track(s);
  /* An accepted Unix-domain stream is adopted as one too. */
  streams_forget(s);
  cr_assert_eq(afdio_stream_release(s, &raw), 0);
  cr_assert_eq(afdio_stream_adopt(&s, raw), 0);
  track(s);
}

Test(net_unix, pair_read_until_eagain_then_new_data_triggers_again,
     .fini = fini, .timeout = 10) {
  skip_on_windows("socketpair");
  afdio_poller_t *p = util_poller();
  afdio_stream_t *a, *b;
  ptrdiff_t last;
  cr_assert_eq(afdio_stream_pair(&a, &b), 0);
  track(a);
  track(b);
  cr_assert_eq(afdio_stream_register(b, p, T_B, AFDIO_READABLE), 0);
  for (int round = 0; round < 3; round++) {
    cr_assert_eq(afdio_stream_write(a, "abc", 3), 3);
    util_expect_event(p, T_B, AFDIO_READABLE, 2000);
    cr_assert_eq(drain(b, &last), 3);
    cr_assert_eq(last, AFDIO_EAGAIN);
    util_expect_no_event_for(p, T_B, 50);
  }
  cr_assert_eq(close_stream(a), 0);
  util_expect_event(p, T_B, AFDIO_READ_CLOSED, 2000);
  cr_assert_eq(drain(b, &last), 0);
  cr_assert_eq(last, 0);
}

Test(net_unix, datagram_pair_keeps_boundaries_and_empty_datagrams,
     .fini = fini, .timeout = 10) {
  skip_on_windows("Unix-domain datagrams");
  afdio_poller_t *p = util_poller();
  afdio_datagram_t *a, *b;
  char buf[8];
  cr_assert_eq(afdio_datagram_pair(&a, &b), 0);
  track_dgram(a);
  track_dgram(b);
  cr_assert_eq(afdio_datagram_register(b, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send(a, "one", 3), 3);
  cr_assert_eq(afdio_datagram_send(a, NULL, 0), 0);
  cr_assert_eq(afdio_datagram_send(a, "three", 5), 5);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv(b, buf, sizeof buf), 3);
  cr_assert_eq(afdio_datagram_recv(b, buf, sizeof buf), 0);
  cr_assert_eq(afdio_datagram_recv(b, buf, sizeof buf), 5);
  cr_assert_eq(afdio_datagram_recv(b, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_send(a, "x", 1), 1);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
}

Test(net_unix, bound_datagram_sockets_see_each_others_paths, .fini = fini,
     .timeout = 10) {
  skip_on_windows("Unix-domain datagrams");
  afdio_poller_t *p = util_poller();
  afdio_addr_t pa = unix_addr(path_n(2)), pb = unix_addr(path_n(3)), from;
  afdio_datagram_t *a, *b;
  char buf[8];
  cr_assert_eq(afdio_datagram_bind(&a, &pa, 0), 0);
  track_dgram(a);
  cr_assert_eq(afdio_datagram_bind(&b, &pb, 0), 0);
  track_dgram(b);
  cr_assert_eq(afdio_datagram_register(b, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send_to(a, "hey", 3, &pb), 3);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(b, buf, sizeof buf, &from), 3);
  cr_assert_eq(afdio_addr_equal(&from, &pa), 1);
}

Test(net_unix, abstract_names_work_on_linux, .fini = fini, .timeout = 10) {
  if (!util_is_linux())
    cr_skip_test("abstract Unix-domain names are Linux only");
  afdio_poller_t *p = util_poller();
  char name[64];
  afdio_stream_t *c, *s;
  afdio_addr_t a;
  char text[AFDIO_ADDR_STRLEN];
  snprintf(name, sizeof name, "@afdio-net-%.0f", util_now_ms() * 1000);
  connect_through(p, name, &c, &s);
  cr_assert_eq(afdio_listener_local_addr(listener, &a), 0);
  cr_assert_gt(afdio_addr_format(&a, text, sizeof text), 0);
  cr_assert_str_eq(text, name);
}

Test(net_unix, ip_only_options_are_not_supported, .fini = fini,
     .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_stream_t *a, *b;
  int v = 0;
  connect_through(p, path_n(0), &a, &b);
  cr_assert_eq(afdio_stream_setopt(a, AFDIO_OPT_NODELAY, 1), AFDIO_ENOTSUP);
  cr_assert_eq(afdio_stream_setopt(a, AFDIO_OPT_TTL, 5), AFDIO_ENOTSUP);
  cr_assert_eq(afdio_stream_getopt(a, AFDIO_OPT_V6ONLY, &v), AFDIO_ENOTSUP);
  cr_assert_eq(afdio_stream_setopt(a, AFDIO_OPT_SNDBUF, 8192), 0);
  cr_assert_eq(afdio_stream_getopt(a, AFDIO_OPT_SNDBUF, &v), 0);
  cr_assert_gt(v, 0);
}

/* Not inheritable (close-on-exec on Unix) and non-blocking: the I/O call
 * says "would block" instead of hanging (bounded by the test's timeout). */
static void expect_flags(afdio_socket_t fd, const char *what) {
  cr_assert_eq(util_is_inheritable(fd), 0, "%s is inheritable", what);
}

Test(net_unix, every_socket_net_makes_is_nonblocking_and_not_inheritable,
     .fini = fini, .timeout = 10) {
  afdio_poller_t *p = util_poller();
  afdio_stream_t *c, *s, *a, *b;
  afdio_datagram_t *d, *e, *f;
  char buf[4];
  connect_through(p, path_n(0), &c, &s);
  expect_flags(afdio_listener_socket(listener), "listener");
  expect_flags(afdio_stream_socket(c), "connected stream");
  expect_flags(afdio_stream_socket(s), "accepted stream");
  cr_assert_eq(afdio_listener_accept(listener, &a, NULL), AFDIO_EAGAIN);
  cr_assert_eq(afdio_stream_read(c, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_stream_read(s, buf, sizeof buf), AFDIO_EAGAIN);
  skip_on_windows(
      "socketpair or Unix-domain datagrams (the rest of this test)");
  cr_assert_eq(afdio_stream_pair(&a, &b), 0);
  track(a);
  track(b);
  expect_flags(afdio_stream_socket(b), "stream pair");
  cr_assert_eq(afdio_stream_read(b, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_unbound(&d, AFDIO_AF_UNIX), 0);
  track_dgram(d);
  expect_flags(afdio_datagram_socket(d), "unbound datagram socket");
  cr_assert_eq(afdio_datagram_recv(d, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_datagram_pair(&e, &f), 0);
  track_dgram(e);
  track_dgram(f);
  expect_flags(afdio_datagram_socket(f), "datagram pair");
  cr_assert_eq(afdio_datagram_recv(f, buf, sizeof buf), AFDIO_EAGAIN);
}

Test(net_unix, an_unbound_datagram_socket_sends_to_a_path_as_an_unnamed_sender,
     .fini = fini, .timeout = 10) {
  skip_on_windows("Unix-domain datagrams");
  afdio_poller_t *p = util_poller();
  afdio_addr_t pb = unix_addr(path_n(2)), from;
  afdio_datagram_t *a, *b;
  char buf[8], text[AFDIO_ADDR_STRLEN];
  cr_assert_eq(afdio_datagram_unbound(&a, AFDIO_AF_UNIX), 0);
  track_dgram(a);
  cr_assert_eq(afdio_datagram_bind(&b, &pb, 0), 0);
  track_dgram(b);
  cr_assert_eq(afdio_datagram_register(b, p, T_B, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_datagram_send(a, "x", 1), AFDIO_ENOTCONN);
  cr_assert_eq(afdio_datagram_send_to(a, "hey", 3, &pb), 3);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_recv_from(b, buf, sizeof buf, &from), 3);
  /* Drained (edge mode): the next datagram is a new readiness everywhere,
   * not only where the kernel reports edges itself (epoll, kqueue). */
  cr_assert_eq(afdio_datagram_recv_from(b, buf, sizeof buf, &from), AFDIO_EAGAIN);
  /* Unnamed: Linux gives no address at all (zeroed), others an empty path. */
  if (afdio_addr_family(&from) != AFDIO_EINVAL) {
    cr_assert_eq(afdio_addr_format(&from, text, sizeof text), 0);
    cr_assert_str_eq(text, "");
  }
  /* Connected to the path, it sends without an address. */
  cr_assert_eq(afdio_datagram_connect(a, &pb), 0);
  cr_assert_eq(afdio_datagram_send(a, "yo", 2), 2);
  util_expect_event(p, T_B, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_datagram_peek(b, buf, sizeof buf), 2);
  cr_assert_eq(afdio_datagram_recv(b, buf, sizeof buf), 2);
}
