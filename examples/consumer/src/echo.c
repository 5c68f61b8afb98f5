/* The echo server. Level mode keeps it short: a readable connection is
 * reported on every wait until it is read. When a write falls short, the
 * rest waits in the connection's buffer, the interest becomes WRITABLE only
 * (a client that does not read cannot make the server buffer without
 * bound), and READABLE comes back once the buffer is empty. */
#include "echo.h"

#include <stdlib.h>

#define ECHO_MAX_CONNS 64

typedef struct echo_conn {
  afdio_stream_t *stream;
  uint64_t token;
  uint32_t interest; /* AFDIO_READABLE or AFDIO_WRITABLE */
  size_t head, tail; /* echoed bytes not yet written: buf[head, tail) */
  unsigned char buf[8192];
} echo_conn_t;

struct echo {
  afdio_listener_t *listener;
  afdio_poller_t *poller;
  int port;
  echo_conn_t conns[ECHO_MAX_CONNS]; /* conns[i] has token BASE + 1 + i */
};

int echo_new(echo_t **out, afdio_poller_t *poller, const char *text) {
  afdio_addr_t addr;
  echo_t *echo = calloc(1, sizeof *echo);
  int err = echo ? afdio_addr_parse(&addr, text) : AFDIO_ENOMEM;
  if (err == 0)
    err = afdio_listener_bind(&echo->listener, &addr, 128, 0);
  if (err == 0)
    err = afdio_listener_local_addr(echo->listener, &addr);
  if (err == 0)
    err = afdio_listener_register(echo->listener, poller, ECHO_TOKEN_BASE,
                                  AFDIO_READABLE | AFDIO_LEVEL);
  if (err < 0) {
    if (echo && echo->listener)
      afdio_listener_close(echo->listener);
    free(echo);
    return err;
  }
  echo->poller = poller;
  echo->port = afdio_addr_port(&addr);
  *out = echo;
  return 0;
}

int echo_port(const echo_t *echo) { return echo->port; }

static void conn_close(echo_conn_t *c) {
  afdio_stream_close(c->stream);
  c->stream = NULL;
}

static int accept_all(echo_t *echo) {
  for (;;) {
    afdio_stream_t *s;
    int err = afdio_listener_accept(echo->listener, &s, NULL);
    if (err == AFDIO_EAGAIN)
      return 0;
    if (err == AFDIO_ECONNABORTED) /* reset before we got to it */
      continue;
    if (err < 0)
      return err;
    size_t i = 0;
    while (i < ECHO_MAX_CONNS && echo->conns[i].stream)
      i++;
    uint64_t token = ECHO_TOKEN_BASE + 1 + i;
    if (i == ECHO_MAX_CONNS ||
        afdio_stream_register(s, echo->poller, token,
                              AFDIO_READABLE | AFDIO_LEVEL) < 0) {
      afdio_stream_close(s); /* full: refuse by closing */
      continue;
    }
    echo->conns[i] = (echo_conn_t){
        .stream = s, .token = token, .interest = AFDIO_READABLE};
  }
}

/* One turn of a connection: write what is pending, else read more.
 * Returns 0 to keep it, or < 0 (end of stream or an error) to close it. */
static int conn_turn(echo_conn_t *c) {
  if (c->head == c->tail) {
    ptrdiff_t n = afdio_stream_read(c->stream, c->buf, sizeof c->buf);
    if (n == AFDIO_EAGAIN)
      return 0;
    if (n <= 0)
      return -1;
    c->head = 0;
    c->tail = (size_t)n;
  }
  ptrdiff_t w = afdio_stream_write(c->stream, c->buf + c->head, c->tail - c->head);
  if (w < 0 && w != AFDIO_EAGAIN)
    return -1;
  if (w > 0)
    c->head += (size_t)w;
  uint32_t want = c->head == c->tail ? AFDIO_READABLE : AFDIO_WRITABLE;
  if (want == c->interest)
    return 0;
  c->interest = want;
  return afdio_stream_reregister(c->stream, c->token, want | AFDIO_LEVEL);
}

int echo_handle(echo_t *echo, const afdio_event_t *event) {
  if (event->token == ECHO_TOKEN_BASE)
    return accept_all(echo);
  uint64_t i = event->token - ECHO_TOKEN_BASE - 1;
  if (i >= ECHO_MAX_CONNS || !echo->conns[i].stream)
    return 0; /* already closed: a stale event */
  if (conn_turn(&echo->conns[i]) < 0)
    conn_close(&echo->conns[i]);
  return 0;
}

void echo_delete(echo_t *echo) {
  for (size_t i = 0; i < ECHO_MAX_CONNS; i++)
    if (echo->conns[i].stream)
      conn_close(&echo->conns[i]);
  afdio_listener_close(echo->listener);
  free(echo);
}
