/* The echo server's test: the server and CLIENTS clients on one poller in
 * this one thread, each client sending TOTAL bytes of a known pattern and
 * checking every byte that comes back. Exits 0 when all came back intact,
 * 1 otherwise. Bounded: a wait that sees nothing for 5 s fails the test. */
#include <stdio.h>
#include <string.h>

#include "echo.h"

#define CLIENTS 4
#define TOTAL (256 * 1024)

typedef struct client {
  afdio_stream_t *stream;
  size_t sent, received;
  int done;
} client_t;

static unsigned char pattern(size_t client, size_t offset) {
  return (unsigned char)(offset * 31 + client * 7 + offset / 251);
}

static int fail(const char *what, int err) {
  fprintf(stderr, "echo_test: FAILED: %s: %s\n", what, afdio_strerror(err));
  return 1;
}

/* Sends what the peer will take, then reads and checks what came back.
 * Returns 0, or an AFDIO_E* code (a corrupt byte is AFDIO_EIO). */
static int client_turn(client_t *c, size_t id, uint32_t events) {
  unsigned char buf[8192];
  if ((events & AFDIO_WRITABLE) && c->sent < TOTAL) {
    size_t len = TOTAL - c->sent < sizeof buf ? TOTAL - c->sent : sizeof buf;
    for (size_t i = 0; i < len; i++)
      buf[i] = pattern(id, c->sent + i);
    ptrdiff_t n = afdio_stream_write(c->stream, buf, len);
    if (n < 0 && n != AFDIO_EAGAIN)
      return (int)n;
    if (n > 0 && (c->sent += (size_t)n) == TOTAL)
      return afdio_stream_reregister(c->stream, id, AFDIO_READABLE | AFDIO_LEVEL);
  }
  if (events & AFDIO_READABLE) {
    ptrdiff_t n = afdio_stream_read(c->stream, buf, sizeof buf);
    if (n == 0)
      return AFDIO_ECONNRESET; /* the server closed early */
    if (n < 0)
      return n == AFDIO_EAGAIN ? 0 : (int)n;
    for (ptrdiff_t i = 0; i < n; i++)
      if (buf[i] != pattern(id, c->received + (size_t)i))
        return AFDIO_EIO;
    c->received += (size_t)n;
    c->done = c->received == TOTAL;
  }
  return 0;
}

int main(void) {
  afdio_poller_t *poller;
  echo_t *echo;
  client_t clients[CLIENTS] = {{0}};
  afdio_event_t events[64];
  afdio_addr_t addr;
  int err, done = 0;

  if ((err = afdio_poller_new(&poller)) < 0)
    return fail("poller", err);
  if ((err = echo_new(&echo, poller, "127.0.0.1:0")) < 0)
    return fail("server", err);
  afdio_addr_parse(&addr, "127.0.0.1:0");
  afdio_addr_set_port(&addr, (uint16_t)echo_port(echo));
  for (size_t i = 0; i < CLIENTS; i++) {
    if ((err = afdio_stream_connect(&clients[i].stream, &addr)) < 0 ||
        (err = afdio_stream_register(clients[i].stream, poller, i,
                                     AFDIO_READABLE | AFDIO_WRITABLE |
                                         AFDIO_LEVEL)) < 0)
      return fail("connect", err);
  }
  while (done < CLIENTS) {
    int n = afdio_poller_wait(poller, events, 64, 5000);
    if (n <= 0)
      return fail("wait", n == 0 ? AFDIO_ETIMEDOUT : n);
    for (int e = 0; e < n; e++) {
      uint64_t token = events[e].token;
      if (token >= ECHO_TOKEN_BASE) {
        if ((err = echo_handle(echo, &events[e])) < 0)
          return fail("accept", err);
        continue;
      }
      client_t *c = &clients[token];
      if (c->done)
        continue;
      if ((err = client_turn(c, (size_t)token, events[e].events)) < 0)
        return fail(err == AFDIO_EIO ? "echoed bytes differ" : "client", err);
      if (c->done) {
        afdio_stream_close(c->stream);
        done++;
      }
    }
  }
  echo_delete(echo);
  afdio_poller_delete(poller);
  printf("echo_test: %d clients x %d bytes echoed and checked (afdio %s, %s)\n",
         CLIENTS, TOTAL, afdio_version_string(), afdio_backend());
  return 0;
}
