/* afdio_pipe on both halves: named pipes on Windows (under Wine), Unix-
 * domain sockets natively, through the same calls and the same assertions.
 * Where Wine 8 and Windows differ, the test says so. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define T .timeout = 120, .fini = util_fini

#define LISTENER_TOKEN 1000u

/* The byte at offset i of every test stream: an offset lost, doubled or
 * reordered shows. */
static unsigned char pattern(size_t i) {
  return (unsigned char)((i * 31u + (i >> 8) * 7u) & 0xff);
}

/* The events the helpers' waits took, OR'ed by token (tokens < 256): the
 * helpers wait for any event, so a test asks here for one they took. */
static uint32_t seen[256];

static void note_wait(afdio_poller_t *p, int64_t timeout_ms) {
  afdio_event_t ev[16];
  int n = afdio_poller_wait(p, ev, 16, timeout_ms);
  for (int i = 0; i < n; i++)
    seen[ev[i].token & 255u] |= ev[i].events;
}

/* A listener on a fresh name, registered level-triggered for readable. */
static afdio_pipe_listener_t *serve(afdio_poller_t *p, const char *tag,
                                    const afdio_pipe_options_t *o,
                                    char *name, size_t size) {
  afdio_pipe_listener_t *l;
  util_pipe_name(name, size, tag);
  int rc = afdio_pipe_listener_bind(&l, name, o);
  cr_assert_eq(rc, 0, "bind %s: %s", name, afdio_err_name(rc));
  rc = afdio_pipe_listener_register(l, p, LISTENER_TOKEN,
                                    AFDIO_READABLE | AFDIO_LEVEL);
  cr_assert_eq(rc, 0, "listener register: %s", afdio_err_name(rc));
  return l;
}

/* Accepts one pipe, waiting up to 5 s for a client. */
static afdio_pipe_t *accept_one(afdio_poller_t *p, afdio_pipe_listener_t *l) {
  afdio_pipe_t *s = NULL;
  double end = util_now_ms() + 5000;
  int rc;
  while ((rc = afdio_pipe_listener_accept(l, &s)) == AFDIO_EAGAIN &&
         util_now_ms() < end)
    note_wait(p, 100);
  cr_assert_eq(rc, 0, "accept: %s", afdio_err_name(rc));
  return s;
}

static afdio_pipe_t *connect_to(const char *name,
                                const afdio_pipe_options_t *o) {
  afdio_pipe_t *c;
  int rc = afdio_pipe_connect(&c, name, o);
  cr_assert_eq(rc, 0, "connect %s: %s", name, afdio_err_name(rc));
  return c;
}

/* A connected pair, both registered edge for read and write. */
static void pair(afdio_poller_t *p, afdio_pipe_listener_t *l,
                 const char *name, afdio_pipe_t **client,
                 afdio_pipe_t **server, uint64_t ctok, uint64_t stok) {
  *client = connect_to(name, NULL);
  *server = accept_one(p, l);
  cr_assert_eq(afdio_pipe_register(*client, p, ctok,
                                   AFDIO_READABLE | AFDIO_WRITABLE), 0);
  cr_assert_eq(afdio_pipe_register(*server, p, stok,
                                   AFDIO_READABLE | AFDIO_WRITABLE), 0);
}

/* The usual start: a poller, a listener, and a pair on it (client token 1,
 * server token 2, both edge for reading and writing). */
typedef struct fixture {
  afdio_poller_t *p;
  afdio_pipe_listener_t *l;
  afdio_pipe_t *c, *s;
  char name[AFDIO_PIPE_NAME_MAX];
} fixture_t;

static void fixture_open(fixture_t *f, const char *tag) {
  f->p = util_poller();
  f->l = serve(f->p, tag, NULL, f->name, sizeof f->name);
  pair(f->p, f->l, f->name, &f->c, &f->s, 1, 2);
}

/* A writer (client, token 1, writable) and a reader (server, token 2,
 * readable) with small buffers, once the writer has reported writable. */
static void writer_open(fixture_t *f, const char *tag, size_t buffer_size) {
  afdio_pipe_options_t o = {.buffer_size = buffer_size};
  f->p = util_poller();
  f->l = serve(f->p, tag, &o, f->name, sizeof f->name);
  f->c = connect_to(f->name, &o);
  f->s = accept_one(f->p, f->l);
  cr_assert_eq(afdio_pipe_register(f->c, f->p, 1, AFDIO_WRITABLE), 0);
  cr_assert_eq(afdio_pipe_register(f->s, f->p, 2, AFDIO_READABLE), 0);
  util_expect_event(f->p, 1, AFDIO_WRITABLE, 5000);
}

/* Writes patterned 4 KiB chunks from offset *put (advanced) until the
 * writer would block or max chunks went out. Returns the last result. */
static ptrdiff_t fill(afdio_pipe_t *c, size_t *put, int max) {
  unsigned char buf[4096];
  ptrdiff_t n = 0;
  for (int i = 0; i < max; i++) {
    for (size_t k = 0; k < sizeof buf; k++)
      buf[k] = pattern(*put + k);
    n = afdio_pipe_write(c, buf, sizeof buf);
    if (n == AFDIO_EAGAIN)
      break;
    cr_assert_gt(n, 0, "write: %s", afdio_err_name((int)n));
    *put += (size_t)n;
  }
  return n;
}

/* Reads exactly len bytes (every wait bounded; 10 s in all), checking the
 * pattern from offset `at`. */
static void read_exact(afdio_poller_t *p, afdio_pipe_t *s, size_t len,
                       size_t at) {
  unsigned char buf[8192];
  double end = util_now_ms() + 10000;
  size_t got = 0;
  while (got < len) {
    size_t want = len - got < sizeof buf ? len - got : sizeof buf;
    ptrdiff_t n = afdio_pipe_read(s, buf, want);
    if (n == AFDIO_EAGAIN) {
      cr_assert_lt(util_now_ms(), end, "read: %zu of %zu bytes", got, len);
      note_wait(p, 100);
      continue;
    }
    cr_assert_gt(n, 0, "read: %s after %zu of %zu bytes",
                 n == 0 ? "end of stream" : afdio_err_name((int)n), got, len);
    for (ptrdiff_t i = 0; i < n; i++)
      cr_assert_eq(buf[i], pattern(at + got + (size_t)i), "byte %zu",
                   at + got + (size_t)i);
    got += (size_t)n;
  }
}

static void write_all(afdio_poller_t *p, afdio_pipe_t *s, size_t len,
                      size_t at) {
  unsigned char buf[8192];
  double end = util_now_ms() + 10000;
  size_t put = 0;
  while (put < len) {
    size_t want = len - put < sizeof buf ? len - put : sizeof buf;
    for (size_t i = 0; i < want; i++)
      buf[i] = pattern(at + put + i);
    ptrdiff_t n = afdio_pipe_write(s, buf, want);
    if (n == AFDIO_EAGAIN) {
      cr_assert_lt(util_now_ms(), end, "write: %zu of %zu bytes", put, len);
      note_wait(p, 100);
      continue;
    }
    cr_assert_gt(n, 0, "write of %zu at %zu: %s", want, put,
                 afdio_err_name((int)n));
    put += (size_t)n;
  }
}

/* Moves len bytes (pattern from `at`) from w to r, writing and reading in
 * turn, so that neither side waits for the other; every byte checked. */
static void transfer(afdio_poller_t *p, afdio_pipe_t *w, afdio_pipe_t *r,
                     size_t len, size_t at) {
  unsigned char buf[8192];
  double end = util_now_ms() + 20000;
  size_t put = 0, got = 0;
  while (got < len) {
    cr_assert_lt(util_now_ms(), end, "%zu written, %zu read of %zu", put, got,
                 len);
    int moved = 0;
    if (put < len) {
      size_t want = len - put < sizeof buf ? len - put : sizeof buf;
      for (size_t i = 0; i < want; i++)
        buf[i] = pattern(at + put + i);
      ptrdiff_t n = afdio_pipe_write(w, buf, want);
      if (n != AFDIO_EAGAIN) {
        cr_assert_gt(n, 0, "write: %s", afdio_err_name((int)n));
        put += (size_t)n;
        moved = 1;
      }
    }
    ptrdiff_t n = afdio_pipe_read(r, buf, sizeof buf);
    if (n != AFDIO_EAGAIN) {
      cr_assert_gt(n, 0, "read: %s after %zu bytes",
                   n == 0 ? "end of stream" : afdio_err_name((int)n), got);
      for (ptrdiff_t i = 0; i < n; i++)
        cr_assert_eq(buf[i], pattern(at + got + (size_t)i), "byte %zu",
                     at + got + (size_t)i);
      got += (size_t)n;
      moved = 1;
    }
    if (!moved)
      note_wait(p, 100);
  }
}

/* Reads until the end of stream (0) within 5 s, discarding the bytes;
 * returns how many there were. */
static size_t read_to_end(afdio_poller_t *p, afdio_pipe_t *s) {
  unsigned char buf[8192];
  double end = util_now_ms() + 5000;
  size_t total = 0;
  for (;;) {
    ptrdiff_t n = afdio_pipe_read(s, buf, sizeof buf);
    if (n == 0)
      return total;
    if (n == AFDIO_EAGAIN) {
      cr_assert_lt(util_now_ms(), end, "no end of stream within 5 s");
      note_wait(p, 100);
      continue;
    }
    cr_assert_gt(n, 0, "read: %s", afdio_err_name((int)n));
    total += (size_t)n;
  }
}

/* ------------------------------------------------------------------------ */

Test(pipe, name_helper_makes_the_platform_name_and_rejects_bad_names, T) {
  char buf[AFDIO_PIPE_NAME_MAX], small[8];
  int n = afdio_pipe_name(buf, sizeof buf, "svc-1_a.b");
  cr_assert_gt(n, 0);
  cr_assert_eq((size_t)n, strlen(buf));
  cr_assert_not_null(strstr(buf, "svc-1_a.b"), "%s", buf);
  /* "\\.\pipe\svc-1_a.b" on Windows, a path on Unix. */
  cr_assert(buf[0] == '\\' || buf[0] == '/', "%s", buf);
  cr_assert_eq(afdio_pipe_name(small, sizeof small, "svc-1_a.b"),
               AFDIO_ENOBUFS);
  static const char *const bad[] = {"", ".hidden", "a/b", "a\\b", "..",
                                    "sp ace", "x:y"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(afdio_pipe_name(buf, sizeof buf, bad[i]), AFDIO_EINVAL,
                 "\"%s\"", bad[i]);
  char longname[80];
  memset(longname, 'a', 65);
  longname[65] = '\0';
  cr_assert_eq(afdio_pipe_name(buf, sizeof buf, longname), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_name(NULL, 10, "a"), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_name(buf, sizeof buf, NULL), AFDIO_EINVAL);
}

/* What registering a pipe with a second poller gives, by backend. */
#define EXPECTED_MOVE(call)                                                    \
  do {                                                                         \
    int want_ = strcmp(afdio_backend(), "afd") == 0 ? AFDIO_EEXIST : 0;        \
    int rc_ = (call);                                                          \
    cr_assert_eq(rc_, want_, "%s: %s", #call, afdio_err_name(rc_));            \
  } while (0)

Test(pipe, bad_arguments_give_einval, T) {
  afdio_poller_t *p = util_poller();
  afdio_pipe_listener_t *l = NULL;
  afdio_pipe_t *c = NULL;
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_options_t o = {0};
  util_pipe_name(name, sizeof name, "args");
  cr_assert_eq(afdio_pipe_listener_bind(NULL, name, NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_listener_bind(&l, NULL, NULL), AFDIO_EINVAL);
  cr_assert_null(l);
  o.flags = 1;
  cr_assert_eq(afdio_pipe_listener_bind(&l, name, &o), AFDIO_EINVAL);
  o.flags = 0;
  o.instances = 256;
  cr_assert_eq(afdio_pipe_listener_bind(&l, name, &o), AFDIO_EINVAL);
  o.instances = 0;
  o.buffer_size = 17u * 1024 * 1024;
  cr_assert_eq(afdio_pipe_connect(&c, name, &o), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_connect(NULL, name, NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_connect(&c, NULL, NULL), AFDIO_EINVAL);
  cr_assert_null(c);
  /* Windows takes local pipe names only: never a file, never a remote
   * pipe. (On Unix a name is a socket path: a file there is refused by
   * connect, as nobody serves it.) */
  if (strcmp(afdio_backend(), "afd") == 0) {
    cr_assert_eq(afdio_pipe_connect(&c, "C:\\windows\\win.ini", NULL),
                 AFDIO_EINVAL);
    cr_assert_eq(afdio_pipe_connect(&c, "\\\\host\\pipe\\x", NULL),
                 AFDIO_EINVAL);
    cr_assert_eq(afdio_pipe_listener_bind(&l, "\\\\.\\pipe\\", NULL),
                 AFDIO_EINVAL);
  }
  cr_assert_eq(afdio_pipe_listener_accept(NULL, &c), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_read(NULL, name, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_write(NULL, name, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_register(NULL, p, 1, AFDIO_READABLE), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_reregister(NULL, 1, AFDIO_READABLE), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_deregister(NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_close(NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_listener_register(NULL, p, 1, AFDIO_READABLE),
               AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_listener_deregister(NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_listener_close(NULL), AFDIO_EINVAL);

  l = serve(p, "args2", NULL, name, sizeof name);
  c = connect_to(name, NULL);
  cr_assert_eq(afdio_pipe_register(c, NULL, 1, AFDIO_READABLE), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_register(c, p, 1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_reregister(c, 1, AFDIO_READABLE), AFDIO_ENOENT);
  cr_assert_eq(afdio_pipe_deregister(c), AFDIO_ENOENT);
  cr_assert_eq(afdio_pipe_register(c, p, 1, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_pipe_register(c, p, 1, AFDIO_READABLE), AFDIO_EEXIST);
  cr_assert_eq(afdio_pipe_read(c, NULL, 1), AFDIO_EINVAL);
  cr_assert_eq(afdio_pipe_read(c, name, 0), 0);
  cr_assert_eq(afdio_pipe_write(c, name, 0), 0);
  cr_assert_eq(afdio_pipe_listener_register(l, p, 1, AFDIO_READABLE),
               AFDIO_EEXIST);
  /* A Windows pipe belongs to its first poller for life (its handle is
   * bound to that port); a Unix one may move after a deregister. */
  afdio_poller_t *p2 = util_poller();
  cr_assert_eq(afdio_pipe_deregister(c), 0);
  EXPECTED_MOVE(afdio_pipe_register(c, p2, 1, AFDIO_READABLE));
  cr_assert_eq(afdio_pipe_close(c), 0);
  cr_assert_eq(afdio_pipe_listener_close(l), 0);
}

Test(pipe, echo_through_one_pipe, T) {
  fixture_t f;
  fixture_open(&f, "echo");
  afdio_poller_t *p = f.p;
  afdio_pipe_t *c = f.c, *s = f.s;
  util_expect_event(p, 1, AFDIO_WRITABLE, 5000);
  cr_assert_eq(afdio_pipe_write(c, "hello", 5), 5);
  util_expect_event(p, 2, AFDIO_READABLE, 5000);
  char buf[16];
  ptrdiff_t n = afdio_pipe_read(s, buf, sizeof buf);
  cr_assert_eq(n, 5, "read: %td", n);
  cr_assert_eq(memcmp(buf, "hello", 5), 0);
  cr_assert_eq(afdio_pipe_write(s, buf, 5), 5);
  util_expect_event(p, 1, AFDIO_READABLE, 5000);
  cr_assert_eq(afdio_pipe_read(c, buf, sizeof buf), 5);
  cr_assert_eq(memcmp(buf, "hello", 5), 0);
  cr_assert_eq(afdio_pipe_read(c, buf, sizeof buf), AFDIO_EAGAIN);
  /* Larger, both ways, every byte checked. */
  transfer(p, c, s, 1000000, 0);
  transfer(p, s, c, 1000000, 7);
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(f.l);
}

Test(pipe, sixty_four_clients_at_once, T) {
  enum { N = 64, MSG = 1000 };
  afdio_poller_t *p = util_poller();
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_options_t o = {.instances = 8};
  afdio_pipe_listener_t *l = serve(p, "many", &o, name, sizeof name);
  afdio_pipe_t *c[N], *s[N];
  afdio_event_t ev[64];
  /* Clients connect while the server accepts: more than 8 at once would
   * find every instance taken (AFDIO_EAGAIN), which they retry. */
  int connected = 0, accepted = 0;
  double end = util_now_ms() + 20000;
  while (accepted < N) {
    cr_assert_lt(util_now_ms(), end, "%d connected, %d accepted", connected,
                 accepted);
    while (connected < N) {
      int rc = afdio_pipe_connect(&c[connected], name, NULL);
      if (rc == AFDIO_EAGAIN)
        break;
      cr_assert_eq(rc, 0, "connect %d: %s", connected, afdio_err_name(rc));
      cr_assert_eq(afdio_pipe_register(c[connected], p, (uint64_t)connected,
                                       AFDIO_READABLE | AFDIO_WRITABLE), 0);
      connected++;
    }
    while (accepted < connected &&
           afdio_pipe_listener_accept(l, &s[accepted]) == 0) {
      cr_assert_eq(afdio_pipe_register(s[accepted], p, 100u + (uint64_t)accepted,
                                       AFDIO_READABLE | AFDIO_WRITABLE), 0);
      accepted++;
    }
    (void)afdio_poller_wait(p, ev, 64, 50);
  }
  /* Each client sends its own stream; the server reads each and echoes. */
  for (int i = 0; i < N; i++)
    write_all(p, c[i], MSG, (size_t)i * 1000u);
  for (int i = 0; i < N; i++) {
    /* Accept order is connect order on both systems; the offsets say
     * which client a server pipe belongs to, so check against its own. */
    read_exact(p, s[i], MSG, (size_t)i * 1000u);
    write_all(p, s[i], MSG, (size_t)i * 1000u + 1u);
  }
  for (int i = 0; i < N; i++)
    read_exact(p, c[i], MSG, (size_t)i * 1000u + 1u);
  for (int i = 0; i < N; i++) {
    afdio_pipe_close(c[i]);
    afdio_pipe_close(s[i]);
  }
  afdio_pipe_listener_close(l);
}

Test(pipe, large_writes_are_held_back_until_the_reader_drains, T) {
  fixture_t f;
  writer_open(&f, "bp", 16384);
  afdio_poller_t *p = f.p;
  afdio_pipe_listener_t *l = f.l;
  afdio_pipe_t *c = f.c, *s = f.s;
  /* Fill: the server does not read, so the writes stop. A writable event
   * may still come for room made by writes that completed before the
   * fill stopped (Windows: their packets were not dequeued yet); then
   * fill again. Within a few rounds the writer is stuck for good. */
  unsigned char buf[4096];
  size_t put = 0;
  ptrdiff_t n = 0;
  uint32_t bits = AFDIO_WRITABLE;
  int rounds;
  for (rounds = 0; rounds < 20 && (bits & AFDIO_WRITABLE); rounds++) {
    n = fill(c, &put, 100000);
    cr_assert_eq(n, AFDIO_EAGAIN, "no back-pressure after %zu bytes", put);
    bits = 0;
    util_count_events_for(p, 1, 300, &bits);
  }
  /* Not writable while nobody reads (the pipe's buffer and ours are
   * full), then writable once the reader drained it. */
  cr_assert_eq(bits & AFDIO_WRITABLE, 0, "still writable after %d rounds",
               rounds);
  cr_assert_lt(put, (size_t)16u << 20, "%zu bytes taken", put);
  seen[1] = 0;
  read_exact(p, s, put, 0);
  if (!(seen[1] & AFDIO_WRITABLE))
    util_expect_event(p, 1, AFDIO_WRITABLE, 5000);
  /* And 2 MB more through the small buffers, every byte checked. */
  size_t more = 2u << 20;
  size_t wput = 0, rgot = 0;
  afdio_event_t ev[8];
  double end = util_now_ms() + 30000;
  while (rgot < more) {
    cr_assert_lt(util_now_ms(), end, "%zu written, %zu read", wput, rgot);
    while (wput < more) {
      size_t want = more - wput < sizeof buf ? more - wput : sizeof buf;
      for (size_t k = 0; k < want; k++)
        buf[k] = pattern(put + wput + k);
      n = afdio_pipe_write(c, buf, want);
      if (n == AFDIO_EAGAIN)
        break;
      cr_assert_gt(n, 0);
      wput += (size_t)n;
    }
    for (;;) {
      n = afdio_pipe_read(s, buf, sizeof buf);
      if (n == AFDIO_EAGAIN)
        break;
      cr_assert_gt(n, 0);
      for (ptrdiff_t k = 0; k < n; k++)
        cr_assert_eq(buf[k], pattern(put + rgot + (size_t)k));
      rgot += (size_t)n;
    }
    (void)afdio_poller_wait(p, ev, 8, 100);
  }
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(l);
}

Test(pipe, client_disconnect_mid_transfer_reports_read_closed, T) {
  fixture_t f;
  fixture_open(&f, "midx");
  afdio_poller_t *p = f.p;
  afdio_pipe_t *c = f.c, *s = f.s;
  write_all(p, c, 30000, 0);
  afdio_pipe_close(c); /* mid-transfer: the server has read nothing yet */
  uint32_t bits = util_expect_event(p, 2, AFDIO_READABLE, 5000);
  seen[2] = 0;
  /* What was written before the close still arrives, then the end, and
   * READ_CLOSED: with the data on Linux (EPOLLRDHUP at the close), once
   * the data is read on Windows (the pipe's read fails with
   * ERROR_BROKEN_PIPE only then; Wine 8 the same). */
  read_exact(p, s, 30000, 0);
  cr_assert_eq(read_to_end(p, s), 0);
  uint32_t more = 0;
  util_count_events_for(p, 2, 200, &more);
  bits |= more | seen[2];
  cr_assert(bits & AFDIO_READ_CLOSED, "bits seen: 0x%x", (unsigned)bits);
  cr_assert_eq(afdio_pipe_write(s, "x", 1), AFDIO_EPIPE);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(f.l);
}

Test(pipe, bytes_a_write_took_still_arrive_after_close, T) {
  fixture_t f;
  writer_open(&f, "linger", 8192);
  afdio_poller_t *p = f.p;
  afdio_pipe_listener_t *l = f.l;
  afdio_pipe_t *c = f.c, *s = f.s;
  /* Write until the pipe's buffer and ours are full, so a write is still
   * in flight (Windows) or queued in the socket (Unix), then close. */
  size_t put = 0;
  (void)fill(c, &put, 1000);
  cr_assert_gt(put, (size_t)8192, "only %zu bytes taken", put);
  afdio_pipe_close(c);
  /* Every byte taken arrives, then the end. */
  read_exact(p, s, put, 0);
  cr_assert_eq(read_to_end(p, s), 0);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(l);
}

Test(pipe, server_close_with_a_read_pending_reports_read_closed, T) {
  fixture_t f;
  fixture_open(&f, "srvclose");
  afdio_poller_t *p = f.p;
  afdio_pipe_t *c = f.c, *s = f.s;
  char buf[64];
  /* Both ends have a read pending (Windows) / are waiting (Unix). */
  cr_assert_eq(afdio_pipe_read(c, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_pipe_read(s, buf, sizeof buf), AFDIO_EAGAIN);
  util_count_events_for(p, 1, 50, NULL);
  afdio_pipe_close(s);
  util_expect_event(p, 1, AFDIO_READ_CLOSED, 5000);
  cr_assert_eq(afdio_pipe_read(c, buf, sizeof buf), 0);
  cr_assert_eq(afdio_pipe_write(c, "x", 1), AFDIO_EPIPE);
  afdio_pipe_close(c);
  afdio_pipe_listener_close(f.l);
}

Test(pipe, connect_to_a_name_nobody_serves_gives_enoent, T) {
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_t *c = (afdio_pipe_t *)&name;
  util_pipe_name(name, sizeof name, "nobody");
  cr_assert_eq(afdio_pipe_connect(&c, name, NULL), AFDIO_ENOENT);
  cr_assert_null(c);
  /* Also after a server came and went. */
  afdio_pipe_listener_t *l;
  cr_assert_eq(afdio_pipe_listener_bind(&l, name, NULL), 0);
  cr_assert_eq(afdio_pipe_listener_close(l), 0);
  cr_assert_eq(afdio_pipe_connect(&c, name, NULL), AFDIO_ENOENT);
}

Test(pipe, a_second_listener_on_a_served_name_gives_eaddrinuse, T) {
  afdio_poller_t *p = util_poller();
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_listener_t *l = serve(p, "twice", NULL, name, sizeof name), *l2;
  /* Windows refuses it through FILE_FLAG_FIRST_PIPE_INSTANCE; Wine 8
   * ignores that flag, and afdio's look-up of the name (WaitNamedPipe)
   * refuses it there. Unix: bind says EADDRINUSE, and the file is a live
   * server's, so it is not replaced. */
  cr_assert_eq(afdio_pipe_listener_bind(&l2, name, NULL), AFDIO_EADDRINUSE);
  afdio_pipe_listener_close(l);
  /* Free again once closed. */
  cr_assert_eq(afdio_pipe_listener_bind(&l2, name, NULL), 0);
  afdio_pipe_listener_close(l2);
}

Test(pipe, all_instances_busy_gives_eagain_until_accept, T) {
  afdio_poller_t *p = util_poller();
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_options_t o = {.instances = 2};
  afdio_pipe_listener_t *l = serve(p, "busy", &o, name, sizeof name);
  afdio_pipe_t *c[4] = {0};
  int n = 0, rc = 0;
  /* Windows: exactly 2 (one per instance). Linux admits backlog + 1. */
  while (n < 4 && (rc = afdio_pipe_connect(&c[n], name, NULL)) == 0)
    n++;
  cr_assert_eq(rc, AFDIO_EAGAIN, "after %d connects: %s", n,
               afdio_err_name(rc));
  cr_assert(n == 2 || n == 3, "%d connects before EAGAIN", n);
  afdio_pipe_t *s = accept_one(p, l);
  /* Accepting frees one instance (a new one is queued). */
  afdio_pipe_t *late;
  cr_assert_eq(afdio_pipe_connect(&late, name, NULL), 0);
  afdio_pipe_close(late);
  afdio_pipe_close(s);
  for (int i = 0; i < n; i++)
    afdio_pipe_close(c[i]);
  afdio_pipe_listener_close(l);
}

/* ------------------------------------------------------------------------ */
/* Modes                                                                     */

Test(pipe, edge_mode_reports_once_until_read_would_block, T) {
  fixture_t f;
  fixture_open(&f, "edge");
  afdio_poller_t *p = f.p;
  afdio_pipe_t *c = f.c, *s = f.s;
  cr_assert_eq(afdio_pipe_write(c, "abcd", 4), 4);
  util_expect_event(p, 2, AFDIO_READABLE, 5000);
  char b;
  cr_assert_eq(afdio_pipe_read(s, &b, 1), 1); /* not drained: no re-arm */
  util_expect_no_event_for(p, 2, 200);
  char rest[8];
  cr_assert_eq(afdio_pipe_read(s, rest, sizeof rest), 3); /* short: re-arms */
  cr_assert_eq(afdio_pipe_write(c, "e", 1), 1);
  util_expect_event(p, 2, AFDIO_READABLE, 5000);
  cr_assert_eq(afdio_pipe_read(s, rest, sizeof rest), 1);
  cr_assert_eq(afdio_pipe_read(s, rest, sizeof rest), AFDIO_EAGAIN);
  util_expect_no_event_for(p, 2, 200);
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(f.l);
}

/* A pair whose server end is registered for reading in mode (token 2),
 * the client for writing (token 1), and one byte written. */
static void reader_pair(afdio_poller_t *p, const char *tag, uint32_t mode,
                        afdio_pipe_listener_t **l, afdio_pipe_t **c,
                        afdio_pipe_t **s) {
  char name[AFDIO_PIPE_NAME_MAX];
  *l = serve(p, tag, NULL, name, sizeof name);
  *c = connect_to(name, NULL);
  *s = accept_one(p, *l);
  cr_assert_eq(afdio_pipe_register(*c, p, 1, AFDIO_WRITABLE), 0);
  cr_assert_eq(afdio_pipe_register(*s, p, 2, AFDIO_READABLE | mode), 0);
  util_expect_event(p, 1, AFDIO_WRITABLE, 5000);
  cr_assert_eq(afdio_pipe_write(*c, "x", 1), 1);
}

Test(pipe, level_mode_reports_on_every_wait_while_data_waits, T) {
  afdio_poller_t *p = util_poller();
  afdio_pipe_listener_t *l;
  afdio_pipe_t *c, *s;
  reader_pair(p, "level", AFDIO_LEVEL, &l, &c, &s);
  util_expect_event(p, 2, AFDIO_READABLE, 5000);
  util_expect_event(p, 2, AFDIO_READABLE, 1000);
  util_expect_event(p, 2, AFDIO_READABLE, 1000);
  char buf[4];
  cr_assert_eq(afdio_pipe_read(s, buf, sizeof buf), 1);
  /* At most one stale report, then quiet. */
  util_count_events_for(p, 2, 100, NULL);
  util_expect_no_event_for(p, 2, 200);
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(l);
}

Test(pipe, oneshot_reports_once_until_reregistered, T) {
  afdio_poller_t *p = util_poller();
  afdio_pipe_listener_t *l;
  afdio_pipe_t *c, *s;
  reader_pair(p, "oneshot", AFDIO_ONESHOT, &l, &c, &s);
  util_expect_event(p, 2, AFDIO_READABLE, 5000);
  cr_assert_eq(afdio_pipe_write(c, "y", 1), 1);
  util_expect_no_event_for(p, 2, 300);
  cr_assert_eq(afdio_pipe_reregister(s, 3, AFDIO_READABLE | AFDIO_ONESHOT), 0);
  util_expect_event(p, 3, AFDIO_READABLE, 5000);
  char buf[4];
  cr_assert_geq(afdio_pipe_read(s, buf, sizeof buf), 1);
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(l);
}

/* ------------------------------------------------------------------------ */
/* Closing, reuse, leaks                                                     */

Test(pipe, a_pipe_closed_while_registered_leaves_no_event_and_its_value_reused,
     T) {
  fixture_t f;
  fixture_open(&f, "reuse");
  afdio_poller_t *p = f.p;
  afdio_pipe_t *c = f.c, *s = f.s;
  char buf[8];
  cr_assert_eq(afdio_pipe_read(s, buf, sizeof buf), AFDIO_EAGAIN);
  cr_assert_eq(afdio_pipe_write(c, "late", 4), 4);
  afdio_pipe_close(s); /* registered, a read in flight */
  /* The next handle or descriptor made likely reuses the value. */
  afdio_pipe_t *c2, *s2;
  pair(p, f.l, f.name, &c2, &s2, 3, 4);
  cr_assert_eq(afdio_pipe_write(c2, "new", 3), 3);
  util_expect_event(p, 4, AFDIO_READABLE, 5000);
  cr_assert_eq(afdio_pipe_read(s2, buf, sizeof buf), 3);
  cr_assert_eq(memcmp(buf, "new", 3), 0);
  util_expect_no_event_for(p, 2, 200);
  afdio_pipe_close(c);
  afdio_pipe_close(c2);
  afdio_pipe_close(s2);
  afdio_pipe_listener_close(f.l);
}

/* Drains what closes left in flight (Windows frees a closed pipe when its
 * cancelled read's packet is dequeued). */
static void settle(afdio_poller_t *p) {
  afdio_event_t ev[64];
  for (int i = 0; i < 4; i++)
    (void)afdio_poller_wait(p, ev, 64, 0);
}

static long cycles(long fallback) {
  const char *v = getenv("AFDIO_LEAK_CYCLES");
  long n = v != NULL ? strtol(v, NULL, 10) : 0;
  return n > 0 ? (n < fallback * 10 ? n : fallback * 10) : fallback;
}

Test(pipe, connect_accept_close_cycles_leave_handles_as_they_were, T) {
  afdio_poller_t *p = util_poller();
  char name[AFDIO_PIPE_NAME_MAX];
  afdio_pipe_listener_t *l = serve(p, "cycles", NULL, name, sizeof name);
  /* One cycle first: lazy one-time set-up inside the system. */
  afdio_pipe_t *c = connect_to(name, NULL), *s = accept_one(p, l);
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  settle(p);
  long before = util_handle_count();
  cr_assert_geq(before, 0, "cannot count handles here");
  long n = cycles(1000);
  for (long i = 0; i < n; i++) {
    c = connect_to(name, NULL);
    s = accept_one(p, l);
    if (i % 2 == 0) { /* half of them registered, with I/O */
      cr_assert_eq(afdio_pipe_register(s, p, 2, AFDIO_READABLE), 0);
      cr_assert_eq(afdio_pipe_register(c, p, 1, AFDIO_WRITABLE), 0);
      cr_assert_eq(afdio_pipe_write(c, "z", 1), 1);
    }
    afdio_pipe_close(i % 4 < 2 ? c : s);
    afdio_pipe_close(i % 4 < 2 ? s : c);
  }
  settle(p);
  long after = util_handle_count();
  cr_assert_eq(after, before, "%ld handles before %ld cycles, %ld after",
               before, n, after);
  afdio_pipe_listener_close(l);
}

Test(pipe, poller_deleted_with_pipes_in_flight_leaks_nothing, T) {
  char name[AFDIO_PIPE_NAME_MAX];
  long before = util_handle_count();
  afdio_poller_t *p;
  cr_assert_eq(afdio_poller_new(&p), 0);
  afdio_pipe_options_t o = {.buffer_size = 4096};
  util_pipe_name(name, sizeof name, "pdel");
  afdio_pipe_listener_t *l;
  cr_assert_eq(afdio_pipe_listener_bind(&l, name, &o), 0);
  cr_assert_eq(afdio_pipe_listener_register(l, p, 9, AFDIO_READABLE), 0);
  afdio_pipe_t *c, *s;
  pair(p, l, name, &c, &s, 1, 2);
  /* A read pending on both, and the client's writes stuck (nobody reads). */
  char buf[4096];
  memset(buf, 'q', sizeof buf);
  ptrdiff_t n = 0;
  for (int i = 0; i < 1000 && n != AFDIO_EAGAIN; i++)
    n = afdio_pipe_write(c, buf, sizeof buf);
  cr_assert_eq(n, AFDIO_EAGAIN);
  cr_assert_eq(afdio_pipe_read(c, buf, sizeof buf), AFDIO_EAGAIN);
  afdio_pipe_t *c2 = connect_to(name, NULL); /* a connect to accept */
  double t0 = util_now_ms();
  cr_assert_eq(afdio_poller_delete(p), 0);
  cr_assert_lt(util_now_ms() - t0, 5000, "the delete waited");
  /* The objects outlive the poller; closing them frees the rest. */
  cr_assert_eq(afdio_pipe_close(c), 0);
  cr_assert_eq(afdio_pipe_close(s), 0);
  cr_assert_eq(afdio_pipe_close(c2), 0);
  cr_assert_eq(afdio_pipe_listener_close(l), 0);
  long after = util_handle_count();
  cr_assert_eq(after, before, "%ld handles before, %ld after", before, after);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */

Test(pipe, a_wait_blocked_in_another_thread_sees_a_reregistered_pipe, T) {
  afdio_poller_t *p = util_poller();
  afdio_pipe_listener_t *l;
  afdio_pipe_t *c, *s;
  reader_pair(p, "thread", AFDIO_ONESHOT, &l, &c, &s);
  util_expect_event(p, 2, AFDIO_READABLE, 5000); /* now disarmed */
  util_blocked_wait_t b = {.result = -100, .timeout_ms = 5000};
  util_thread_t *t = util_blocked_wait_start(&b, p);
  cr_assert_not_null(t);
  /* No packet will come for the pipe: the byte is in its buffer already.
   * The reregister itself must reach the blocked waiter (Windows: the
   * pipe's report goes to the stash and a STASH packet wakes it). */
  int rc = afdio_pipe_reregister(s, 7, AFDIO_READABLE | AFDIO_ONESHOT);
  cr_assert_eq(util_thread_join(t), 0);
  cr_assert_eq(rc, 0);
  cr_assert_eq(b.result, 1, "the blocked wait returned %d after %.0f ms",
               b.result, b.took_ms);
  cr_assert_eq(b.ev[0].token, 7);
  cr_assert(b.ev[0].events & AFDIO_READABLE);
  cr_assert_lt(b.took_ms, 4000, "woken only by its timeout");
  afdio_pipe_close(c);
  afdio_pipe_close(s);
  afdio_pipe_listener_close(l);
}
