/* http_hello: a minimal HTTP/1.1 server with keep-alive, on one poller.
 *
 *   http_hello [--duration SECONDS] [--max-conns N] ADDR
 *
 * GET / (or HEAD /) answers "Hello, world!"; any other path 404, another
 * method 405, a malformed request 400 and a request head over 8 KiB 431
 * (those three close the connection). Requests may arrive in pieces or
 * several at once (pipelining): each connection keeps an input buffer, and
 * answers every complete request in it, in order. Responses wait in an
 * output buffer until the socket takes them. "Connection: close" (or
 * HTTP/1.0 without keep-alive) closes after the answer: the server shuts
 * down its sending side and reads until the client closes, so the client
 * never gets a reset in place of the last answer.
 *
 * Fairness, as in echo_server.c: a client that pipelines faster than the
 * server answers would keep one pump reading forever, so a pump stops
 * after CONN_BUDGET reads and the connection goes on after the next
 * (non-blocking) wait, without an event (it never reached AFDIO_EAGAIN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afdio.h"
#include "example.h"
#include "http_reply.h"

static const char *prog = "http_hello";

/* What conn_pump() says: wait for the next event, finished, or the budget
 * is used up and the connection must go on without an event. */
enum { CONN_KEEP = 0, CONN_DONE = 1, CONN_MORE = 2 };

/* Reads per turn of one connection. */
#define CONN_BUDGET 16

typedef struct conn {
  afdio_stream_t *stream;
  int draining;  /* sending side shut: read until the client closes */
  int peer_done; /* the client sent its last byte */
  int more;      /* used its budget: pump again without an event */
  http_buffers_t http;
} conn_t;

typedef struct server {
  afdio_poller_t *poller;
  afdio_listener_t *listener;
  conn_t **slots;
  size_t max_conns;
  size_t more; /* connections with more set */
  unsigned long accepted, requests;
} server_t;

static int usage(void) {
  fprintf(stderr,
          "usage: %s [--duration SECONDS] [--max-conns N] ADDR\n"
          "  ADDR         address to listen on, e.g. 127.0.0.1:8080 (port 0: "
          "any free port, printed)\n"
          "  --duration   stop after this many seconds (default: run until "
          "Ctrl-C)\n"
          "  --max-conns  connections open at once (default 1024)\n",
          prog);
  return 2;
}

/* Writes the queued output. 1: all written; 0: would block (re-armed); or an
 * error. */
static int conn_flush(conn_t *c) {
  http_buffers_t *h = &c->http;
  while (h->out_head < h->out_tail) {
    ptrdiff_t n = afdio_stream_write(c->stream, h->out + h->out_head,
                                     h->out_tail - h->out_head);
    if (n == AFDIO_EAGAIN)
      return 0;
    if (n < 0)
      return (int)n;
    h->out_head += (size_t)n;
  }
  h->out_head = h->out_tail = 0;
  return 1;
}

/* Reads and drops bytes until the client closes (after we shut down). */
static int conn_drain(conn_t *c) {
  char sink[4096];
  for (;;) {
    ptrdiff_t n = afdio_stream_read(c->stream, sink, sizeof sink);
    if (n == AFDIO_EAGAIN)
      return CONN_KEEP;
    if (n <= 0)
      return CONN_DONE; /* closed, or reset: either way, finished */
  }
}

/* Edge mode: each CONN_KEEP follows an AFDIO_EAGAIN, on the write side
 * when output is pending, else on the read side, or a short read (which
 * re-armed the read side as AFDIO_EAGAIN does). */
static int conn_pump(server_t *srv, conn_t *c) {
  http_buffers_t *h = &c->http;
  int rearmed = 0; /* the last read was short: net/ re-armed READABLE */
  for (int budget = CONN_BUDGET;; budget--) {
    int r = conn_flush(c);
    if (r <= 0)
      return r == 0 ? CONN_KEEP : r;
    if (c->draining)
      return conn_drain(c);
    if (h->closing) {
      c->draining = 1;
      afdio_stream_shutdown(c->stream, AFDIO_SHUT_WR);
      continue;
    }
    srv->requests += http_reply_answer(h);
    if (h->out_tail > 0)
      continue; /* send the answers before reading more */
    if (c->peer_done)
      return CONN_DONE; /* everything answered; a partial request is dropped */
    if (rearmed)
      return CONN_KEEP; /* a short read emptied the socket: wait */
    if (budget == 0)
      return CONN_MORE;
    size_t room = sizeof h->in - h->in_len;
    ptrdiff_t n = afdio_stream_read(c->stream, h->in + h->in_len, room);
    if (n == AFDIO_EAGAIN)
      return CONN_KEEP;
    if (n < 0)
      return (int)n;
    if (n == 0)
      c->peer_done = 1;
    h->in_len += (size_t)n;
    rearmed = n > 0 && (size_t)n < room;
  }
}

static void conn_close(server_t *srv, size_t slot) {
  srv->more -= (size_t)srv->slots[slot]->more;
  afdio_stream_close(srv->slots[slot]->stream);
  free(srv->slots[slot]);
  srv->slots[slot] = NULL;
}

static void server_accept(server_t *srv) {
  for (;;) {
    afdio_stream_t *stream;
    size_t slot = 0;
    int r = afdio_listener_accept(srv->listener, &stream, NULL);
    if (r == AFDIO_EAGAIN)
      return;
    if (r == AFDIO_ECONNABORTED)
      continue;
    if (r < 0) {
      example_fail(prog, "accept", r);
      return;
    }
    while (slot < srv->max_conns && srv->slots[slot] != NULL)
      slot++;
    if (slot == srv->max_conns ||
        (srv->slots[slot] = calloc(1, sizeof(conn_t))) == NULL) {
      afdio_stream_close(stream); /* full */
      continue;
    }
    srv->slots[slot]->stream = stream;
    afdio_stream_setopt(stream, AFDIO_OPT_NODELAY, 1);
    r = afdio_stream_register(stream, srv->poller,
                              EXAMPLE_TOKEN_FIRST_CONN + slot,
                              AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_EDGE);
    if (r < 0) {
      example_fail(prog, "register", r);
      conn_close(srv, slot);
      continue;
    }
    srv->accepted++;
  }
}

/* One turn of a connection: pump it, then keep, mark or close it. */
static void server_turn(server_t *srv, size_t slot) {
  conn_t *c = srv->slots[slot];
  int r = conn_pump(srv, c);
  if (r != CONN_KEEP && r != CONN_MORE) {
    conn_close(srv, slot); /* finished or broken: both just close */
    return;
  }
  srv->more += (size_t)(r == CONN_MORE) - (size_t)c->more;
  c->more = r == CONN_MORE;
}

/* Gives every connection that used its budget its next turn. */
static void server_continue(server_t *srv) {
  for (size_t slot = 0; srv->more > 0 && slot < srv->max_conns; slot++)
    if (srv->slots[slot] != NULL && srv->slots[slot]->more)
      server_turn(srv, slot);
}

static int server_run(server_t *srv, double deadline) {
  afdio_event_t events[256];
  for (;;) {
    /* Connections with work left: only look for new events, then go on. */
    int n = afdio_poller_wait(srv->poller, events, 256,
                              srv->more ? 0 : example_timeout_ms(deadline));
    if (n < 0)
      return example_fail(prog, "wait", n);
    for (int i = 0; i < n; i++) {
      size_t slot = (size_t)(events[i].token - EXAMPLE_TOKEN_FIRST_CONN);
      if (events[i].token == EXAMPLE_TOKEN_WAKER) {
        printf("%s: stopping (signal)\n", prog);
        return 0;
      }
      if (events[i].token == EXAMPLE_TOKEN_LISTENER)
        server_accept(srv);
      else if (slot < srv->max_conns && srv->slots[slot] != NULL)
        server_turn(srv, slot);
    }
    server_continue(srv);
    if (deadline != 0 && example_now() >= deadline) {
      printf("%s: stopping (--duration)\n", prog);
      return 0;
    }
  }
}

int main(int argc, char **argv) {
  server_t srv;
  afdio_addr_t addr;
  unsigned long duration = 0, max_conns = 1024;
  const char *addr_text = NULL;
  int rc = 0;

  memset(&srv, 0, sizeof srv);
  for (int i = 1; i < argc && rc == 0; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--duration") == 0 && ++i)
      rc = example_parse_count(prog, a, v, 1, 86400, &duration);
    else if (strcmp(a, "--max-conns") == 0 && ++i)
      rc = example_parse_count(prog, a, v, 1, 1000000, &max_conns);
    else if (a[0] != '-' && addr_text == NULL)
      rc = example_parse_addr(prog, addr_text = a, &addr);
    else
      rc = AFDIO_EINVAL;
  }
  if (rc < 0 || addr_text == NULL)
    return usage();

  srv.max_conns = max_conns;
  if ((srv.slots = calloc(max_conns, sizeof *srv.slots)) == NULL)
    return example_fail(prog, "slots", AFDIO_ENOMEM);
  rc = example_server_open(prog, &addr, &srv.poller, &srv.listener);
  if (rc == 0)
    rc = server_run(&srv, duration ? example_now() + (double)duration : 0);
  printf("%s: %lu connections, %lu requests\n", prog, srv.accepted,
         srv.requests);
  for (size_t i = 0; i < srv.max_conns; i++)
    if (srv.slots[i] != NULL)
      conn_close(&srv, i);
  free(srv.slots);
  if (srv.listener != NULL)
    afdio_listener_close(srv.listener);
  if (srv.poller != NULL)
    afdio_poller_delete(srv.poller);
  return rc;
}
