/* echo_server: a TCP echo server on one afdio poller, in edge mode.
 *
 *   echo_server [--duration SECONDS] [--quit-after N] [--max-conns N]
 *               [--idle-ms MS] ADDR
 *
 * Every byte a client sends comes back. The rules of edge mode show in
 * conn_pump(): after an event, do the I/O until afdio says AFDIO_EAGAIN
 * or a read comes back short (either re-arms that direction), because the
 * same readiness is not reported twice. A write may take fewer bytes than offered: the rest stays
 * in the connection's buffer, reading stops (so a client that does not read
 * cannot make the server buffer without bound) and the next WRITABLE event
 * continues. It stops on Ctrl-C, after --duration seconds, or once
 * --quit-after connections have come and gone, and prints what it did.
 *
 * Idle connections are closed after --idle-ms without data (default 30 s,
 * 0: never), each by its own afdio timer. The timer is not re-armed on
 * every read (that would be a heap operation per read): a read only notes
 * the time, and an expiry that finds the connection active since arms the
 * timer again for the rest of the idle period.
 *
 * Fairness: "until AFDIO_EAGAIN" can be forever when a client answers
 * faster than the server reads (a native client against a server under
 * Wine does), and one connection would then starve all others. So a pump
 * stops after CONN_BUDGET reads, and the connection is marked to go on
 * after the next (non-blocking) wait: in edge mode no new event would come
 * for it, since it never reached AFDIO_EAGAIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afdio.h"
#include "example.h"

static const char *prog = "echo_server";

/* Tokens: two fixed ones, then one per connection slot. */

/* What conn_pump() says about a connection: wait for its next event, it
 * is finished, or it used its budget and must go on without an event;
 * CONN_IDLE is how conn_close() counts one closed by its idle timer. */
enum { CONN_KEEP = 0, CONN_DONE = 1, CONN_MORE = 2, CONN_IDLE = 3 };

/* Reads per turn of one connection. A connection waits for every other
 * one's turn, so the latency tail grows with the budget: the demo's load
 * (100 connections, 16 messages in flight each, under Wine) measured with
 * bench/echo_wine.sh, same runs, budget 1/2/4/8 gave p99 560/940/1,190/
 * 1,700 ms on a busy machine, and 64 vs 4 on a quiet one 96,000 vs 107,000
 * messages/s with p99 226 vs 200 ms; 1 cost 40% of the throughput there
 * (each exchange then waits for a poll). 4 keeps both. */
#define CONN_BUDGET 4

/* Timer tokens: the connection's slot with this bit, so that they never
 * meet a socket's token (EXAMPLE_TOKEN_FIRST_CONN + slot). */
#define IDLE_TOKEN ((uint64_t)1 << 62)

typedef struct conn {
  afdio_stream_t *stream;
  size_t head, tail; /* bytes read but not yet written back: buf[head, tail) */
  int peer_done;     /* the client sent its last byte (read returned 0) */
  int more;          /* used its budget: pump again without an event */
  afdio_timer_t *idle; /* NULL when --idle-ms 0 */
  int64_t last_ms;     /* afdio_clock_ms() of the last data read */
  unsigned char buf[16 * 1024];
} conn_t;

typedef struct server {
  afdio_poller_t *poller;
  afdio_listener_t *listener;
  conn_t **
      slots; /* slot i has token EXAMPLE_TOKEN_FIRST_CONN + i; NULL when free */
  size_t max_conns;
  size_t live;
  size_t more; /* connections with more set */
  int64_t idle_ms;
  unsigned long accepted, finished, failed, refused, idled;
  unsigned long long bytes;
} server_t;

static int usage(void) {
  fprintf(stderr,
          "usage: %s [--duration SECONDS] [--quit-after N] [--max-conns N] "
          "ADDR\n"
          "  ADDR         address to listen on, e.g. 127.0.0.1:7000 (port 0: "
          "any free port, printed)\n"
          "  --duration   stop after this many seconds (default: run until "
          "Ctrl-C)\n"
          "  --quit-after stop once N connections have been served\n"
          "  --max-conns  connections open at once (default 1024)\n"
          "  --idle-ms    close connections idle this long (default 30000, "
          "0: never)\n",
          prog);
  return 2;
}

/* Echoes until the connection would block either way, or is finished.
 * Returns CONN_KEEP (wait for the next event), CONN_DONE (the client closed
 * and got everything back) or an AFDIO_E* code (the connection broke). */
static int conn_pump(server_t *srv, conn_t *c) {
  int rearmed = 0; /* the last read was short: net/ re-armed READABLE */
  for (int budget = CONN_BUDGET;; budget--) {
    while (c->head < c->tail) {
      ptrdiff_t n =
          afdio_stream_write(c->stream, c->buf + c->head, c->tail - c->head);
      if (n == AFDIO_EAGAIN)
        return CONN_KEEP; /* re-armed: a WRITABLE event will come */
      if (n < 0)
        return (int)n;
      c->head += (size_t)n;
      srv->bytes += (unsigned long long)n;
    }
    c->head = c->tail = 0;
    if (c->peer_done)
      return CONN_DONE;
    if (rearmed)
      return CONN_KEEP; /* a short read emptied the socket: wait */
    if (budget == 0)
      return CONN_MORE;
    ptrdiff_t n = afdio_stream_read(c->stream, c->buf, sizeof c->buf);
    if (n == AFDIO_EAGAIN)
      return CONN_KEEP; /* re-armed: a READABLE event will come */
    if (n < 0)
      return (int)n;
    if (n == 0)
      c->peer_done = 1; /* loop once more: flush, then finish */
    else if (c->idle != NULL)
      c->last_ms = afdio_clock_ms();
    c->tail = (size_t)n;
    rearmed = n > 0 && (size_t)n < sizeof c->buf;
  }
}

/* Closing a stream deregisters it; its unsent data (none here: we only
 * finish with an empty buffer) would still go out. */
static void conn_close(server_t *srv, size_t slot, int result) {
  conn_t *c = srv->slots[slot];
  srv->more -= (size_t)c->more;
  if (result < 0) {
    srv->failed++;
    fprintf(stderr, "%s: connection %zu: %s\n", prog, slot,
            afdio_strerror(result));
  } else if (result == CONN_IDLE) {
    srv->idled++;
  } else {
    srv->finished++;
  }
  afdio_stream_close(c->stream);
  if (c->idle != NULL)
    afdio_timer_delete(c->idle);
  free(c);
  srv->slots[slot] = NULL;
  srv->live--;
}

static int server_add(server_t *srv, afdio_stream_t *stream) {
  size_t slot = 0;
  conn_t *c;
  int r;
  while (slot < srv->max_conns && srv->slots[slot] != NULL)
    slot++;
  if (slot == srv->max_conns || (c = calloc(1, sizeof *c)) == NULL) {
    srv->refused++; /* full: closing it is the honest answer */
    afdio_stream_close(stream);
    return 0;
  }
  c->stream = stream;
  if (srv->idle_ms > 0) {
    c->last_ms = afdio_clock_ms();
    if ((r = afdio_timer_new(srv->poller, IDLE_TOKEN | slot, &c->idle)) < 0 ||
        (r = afdio_timer_arm(c->idle, srv->idle_ms, 0)) < 0) {
      if (c->idle != NULL)
        afdio_timer_delete(c->idle);
      afdio_stream_close(stream);
      free(c);
      return r;
    }
  }
  /* Both directions, edge mode: WRITABLE matters only after a short write,
   * and an edge registration costs nothing while nothing changes. */
  r = afdio_stream_register(stream, srv->poller,
                            EXAMPLE_TOKEN_FIRST_CONN + slot,
                            AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_EDGE);
  if (r < 0) {
    afdio_stream_close(stream);
    if (c->idle != NULL)
      afdio_timer_delete(c->idle);
    free(c);
    return r;
  }
  srv->slots[slot] = c;
  srv->live++;
  srv->accepted++;
  return 0;
}

/* A READABLE listener: accept until AFDIO_EAGAIN, as edge mode wants. The
 * new streams report their first readiness on their own. */
static void server_accept(server_t *srv) {
  for (;;) {
    afdio_stream_t *stream;
    int r = afdio_listener_accept(srv->listener, &stream, NULL);
    if (r == AFDIO_EAGAIN)
      return;
    if (r == AFDIO_ECONNABORTED)
      continue; /* reset before we took it: not our problem */
    if (r < 0) {
      /* AFDIO_EMFILE and friends: a real server would pause accepting and
       * retry on a timer; the example says so and waits for the next one. */
      example_fail(prog, "accept", r);
      return;
    }
    afdio_stream_setopt(stream, AFDIO_OPT_NODELAY, 1); /* small echoes */
    if ((r = server_add(srv, stream)) < 0)
      example_fail(prog, "register", r);
  }
}

/* One turn of a connection, and what follows from it. */
static void server_turn(server_t *srv, size_t slot) {
  conn_t *c = srv->slots[slot];
  int r = conn_pump(srv, c);
  if (r == CONN_KEEP || r == CONN_MORE) {
    srv->more += (size_t)(r == CONN_MORE) - (size_t)c->more;
    c->more = r == CONN_MORE;
    return;
  }
  conn_close(srv, slot, r);
}

/* A connection's idle timer expired. The slot may hold a newer connection
 * by now (the old one closed earlier in this batch): the idle time read
 * from the connection itself decides, never the event alone. */
static void server_idle(server_t *srv, size_t slot) {
  conn_t *c = slot < srv->max_conns ? srv->slots[slot] : NULL;
  if (c == NULL || c->idle == NULL)
    return;
  int64_t idle = afdio_clock_ms() - c->last_ms;
  if (idle < srv->idle_ms) {
    afdio_timer_arm(c->idle, srv->idle_ms - idle, 0); /* active since */
    return;
  }
  conn_close(srv, slot, CONN_IDLE);
}

static void server_event(server_t *srv, const afdio_event_t *ev) {
  size_t slot = (size_t)(ev->token - EXAMPLE_TOKEN_FIRST_CONN);
  if (ev->token == EXAMPLE_TOKEN_LISTENER) {
    server_accept(srv);
    return;
  }
  if (ev->token & IDLE_TOKEN) {
    server_idle(srv, (size_t)(ev->token & ~IDLE_TOKEN));
    return;
  }
  /* The slot may be empty (the connection was closed earlier in this
   * batch) or reused by a newer connection: the pump then just meets
   * AFDIO_EAGAIN, so a stale event is harmless. */
  if (slot < srv->max_conns && srv->slots[slot] != NULL)
    server_turn(srv, slot);
}

/* Gives every connection that used its budget its next turn. */
static void server_continue(server_t *srv) {
  for (size_t slot = 0; srv->more > 0 && slot < srv->max_conns; slot++)
    if (srv->slots[slot] != NULL && srv->slots[slot]->more)
      server_turn(srv, slot);
}

static int server_run(server_t *srv, double deadline,
                      unsigned long quit_after) {
  afdio_event_t events[256];
  for (;;) {
    /* Connections with work left: only look for new events, then go on. */
    int n = afdio_poller_wait(srv->poller, events, 256,
                              srv->more ? 0 : example_timeout_ms(deadline));
    if (n < 0)
      return example_fail(prog, "wait", n);
    for (int i = 0; i < n; i++) {
      if (events[i].token == EXAMPLE_TOKEN_WAKER) {
        printf("%s: stopping (signal)\n", prog);
        return 0;
      }
      server_event(srv, &events[i]);
    }
    server_continue(srv);
    if (deadline != 0 && example_now() >= deadline) {
      printf("%s: stopping (--duration)\n", prog);
      return 0;
    }
    if (quit_after != 0 &&
        srv->finished + srv->failed + srv->idled >= quit_after &&
        srv->live == 0) {
      printf("%s: stopping (--quit-after %lu)\n", prog, quit_after);
      return 0;
    }
  }
}

/* Frees everything: open connections, listener, then the poller (which
 * also deletes the waker and the connections' timers). */
static void server_close(server_t *srv) {
  for (size_t i = 0; srv->slots != NULL && i < srv->max_conns; i++)
    if (srv->slots[i] != NULL) {
      afdio_stream_close(srv->slots[i]->stream);
      free(srv->slots[i]);
    }
  free(srv->slots);
  if (srv->listener != NULL)
    afdio_listener_close(srv->listener);
  if (srv->poller != NULL)
    afdio_poller_delete(srv->poller);
}

int main(int argc, char **argv) {
  server_t srv;
  afdio_addr_t addr;
  unsigned long duration = 0, quit_after = 0, max_conns = 1024, idle = 30000;
  const char *addr_text = NULL;
  int rc;

  memset(&srv, 0, sizeof srv);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--duration") == 0 && ++i)
      rc = example_parse_count(prog, a, v, 1, 86400, &duration);
    else if (strcmp(a, "--quit-after") == 0 && ++i)
      rc = example_parse_count(prog, a, v, 1, 1000000000, &quit_after);
    else if (strcmp(a, "--max-conns") == 0 && ++i)
      rc = example_parse_count(prog, a, v, 1, 1000000, &max_conns);
    else if (strcmp(a, "--idle-ms") == 0 && ++i)
      rc = example_parse_count(prog, a, v, 0, 86400000, &idle);
    else if (a[0] != '-' && addr_text == NULL)
      rc = example_parse_addr(prog, addr_text = a, &addr);
    else
      rc = AFDIO_EINVAL;
    if (rc < 0)
      return usage();
  }
  if (addr_text == NULL)
    return usage();

  srv.max_conns = max_conns;
  srv.idle_ms = (int64_t)idle;
  if ((srv.slots = calloc(max_conns, sizeof *srv.slots)) == NULL)
    return example_fail(prog, "slots", AFDIO_ENOMEM);
  rc = example_server_open(prog, &addr, &srv.poller, &srv.listener);
  if (rc == 0)
    rc = server_run(&srv, duration ? example_now() + (double)duration : 0,
                    quit_after);
  printf("%s: %lu connections (%lu finished, %lu failed, %lu refused, "
         "%lu closed idle), %llu bytes echoed\n",
         prog, srv.accepted, srv.finished, srv.failed, srv.refused, srv.idled,
         srv.bytes);
  server_close(&srv);
  return rc != 0 || srv.failed != 0 ? 1 : 0;
}
