/* udp_echo: a UDP echo server and a client that checks the echoes.
 *
 *   udp_echo server [--duration SECONDS] [--connreset] ADDR
 *   udp_echo client [-n COUNT] [-s SIZE] [-w WINDOW] [--vanish N] ADDR
 *
 * The server sends every datagram back to its sender. The client sends
 * COUNT numbered datagrams, at most WINDOW unanswered, and checks each echo;
 * a datagram not answered within a second counts as lost (UDP may drop).
 *
 * The ICMP reset case. When the server answers a client that has already
 * closed its socket, the client's system sends back an ICMP "port
 * unreachable". Windows by default (SIO_UDP_CONNRESET) turns that into an
 * error of the server socket's NEXT receive, WSAECONNRESET, although that
 * socket serves everybody: one vanished client then disturbs all the
 * others. afdio turns SIO_UDP_CONNRESET off on every UDP socket it makes
 * (AFDIO_OPT_UDP_CONNRESET = 0), so the server never sees it; Unix systems
 * never report it on unconnected sockets. `client --vanish N` shows it:
 * first N datagrams from a socket closed at once (their echoes hit a closed
 * port), then the normal run, which proves the server still answers.
 * `server --connreset` asks for the Windows default back (Unix: not
 * supported): the server then counts the resets and carries on anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afdio.h"
#include "example.h"

static const char *prog = "udp_echo";

enum { TOKEN_SOCKET = 0, TOKEN_WAKER = 1 };

typedef struct options {
  unsigned long duration, connreset, count, size, window, vanish;
} options_t;

static int usage(void) {
  fprintf(stderr,
          "usage: %s server [--duration SECONDS] [--connreset] ADDR\n"
          "       %s client [-n COUNT] [-s SIZE] [-w WINDOW] [--vanish N] "
          "ADDR\n"
          "  server: echo every datagram to its sender (port 0: any free "
          "port, printed)\n"
          "    --connreset  keep Windows' SIO_UDP_CONNRESET (afdio turns it "
          "off)\n"
          "  client: send COUNT datagrams (default 1000) of SIZE bytes "
          "(default 64, at least 8),\n"
          "          WINDOW unanswered at most (default 8), and check the "
          "echoes\n"
          "    --vanish N  first send N datagrams from a socket closed at "
          "once\n",
          prog, prog);
  return 2;
}

/* Datagram payload: an 8-byte sequence number, then a pattern of it. */
static void fill(unsigned char *buf, size_t size, uint64_t seq) {
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char)(seq >> (8 * i));
  for (size_t i = 8; i < size; i++)
    buf[i] = (unsigned char)(seq * 31 + i);
}

static int open_socket(afdio_poller_t **poller, afdio_datagram_t **sock,
                       const afdio_addr_t *bind_addr) {
  afdio_waker_t *waker;
  int r;
  if ((r = afdio_poller_new(poller)) < 0)
    return example_fail(prog, "poller", r);
  if ((r = afdio_waker_new(*poller, TOKEN_WAKER, &waker)) < 0 ||
      (r = example_stop_on_signals(waker)) < 0)
    return example_fail(prog, "waker", r);
  if ((r = afdio_datagram_bind(sock, bind_addr, 0)) < 0)
    return example_fail(prog, "bind", r);
  if ((r = afdio_datagram_register(*sock, *poller, TOKEN_SOCKET,
                                   AFDIO_READABLE | AFDIO_EDGE)) < 0)
    return example_fail(prog, "register", r);
  return 0;
}

/* Echoes until the socket is empty. A full send buffer drops the echo:
 * that is UDP, and waiting for it would stall every other sender. */
static void server_drain(afdio_datagram_t *sock, unsigned long *echoed,
                         unsigned long *resets, unsigned long *dropped) {
  static unsigned char buf[65536];
  for (;;) {
    afdio_addr_t from;
    ptrdiff_t n = afdio_datagram_recv_from(sock, buf, sizeof buf, &from);
    if (n == AFDIO_EAGAIN)
      return;
    if (n == AFDIO_ECONNRESET) {
      (*resets)++; /* only with --connreset on Windows: carry on */
      continue;
    }
    if (n < 0) {
      example_fail(prog, "recv", (int)n);
      return;
    }
    if (afdio_datagram_send_to(sock, buf, (size_t)n, &from) == n)
      (*echoed)++;
    else
      (*dropped)++;
  }
}

static int run_server(const options_t *o, const afdio_addr_t *addr) {
  afdio_poller_t *poller = NULL;
  afdio_datagram_t *sock = NULL;
  afdio_addr_t bound;
  afdio_event_t events[8];
  unsigned long echoed = 0, resets = 0, dropped = 0;
  double deadline = o->duration ? example_now() + (double)o->duration : 0;
  int rc = open_socket(&poller, &sock, addr), r;
  if (rc == 0 && o->connreset &&
      (r = afdio_datagram_setopt(sock, AFDIO_OPT_UDP_CONNRESET, 1)) < 0)
    rc = example_fail(prog, "--connreset", r);
  if (rc == 0 && (r = afdio_datagram_local_addr(sock, &bound)) < 0)
    rc = example_fail(prog, "local address", r);
  if (rc == 0)
    example_print_listening(prog, &bound);
  while (rc == 0) {
    int n = afdio_poller_wait(poller, events, 8, example_timeout_ms(deadline));
    if (n < 0) {
      rc = example_fail(prog, "wait", n);
      break;
    }
    int stop = deadline != 0 && example_now() >= deadline;
    for (int i = 0; i < n; i++)
      if (events[i].token == TOKEN_WAKER)
        stop = 1;
      else
        server_drain(sock, &echoed, &resets, &dropped);
    if (stop)
      break;
  }
  printf("%s: %lu datagrams echoed, %lu dropped, %lu receive resets\n", prog,
         echoed, dropped, resets);
  if (sock != NULL)
    afdio_datagram_close(sock);
  if (poller != NULL)
    afdio_poller_delete(poller);
  return rc;
}

/* Sends n datagrams from a fresh socket and closes it before the echoes
 * can arrive: their echoes meet a closed port. */
static int vanish(unsigned long n, const afdio_addr_t *server) {
  afdio_datagram_t *ghost;
  afdio_addr_t any;
  unsigned char buf[8];
  int r;
  afdio_addr_parse(&any, "127.0.0.1:0");
  if ((r = afdio_datagram_bind(&ghost, &any, 0)) < 0)
    return example_fail(prog, "vanish bind", r);
  fill(buf, sizeof buf, 0);
  for (unsigned long i = 0; i < n; i++)
    afdio_datagram_send_to(ghost, buf, sizeof buf, server);
  afdio_datagram_close(ghost);
  printf("%s: sent %lu datagrams from a socket now closed\n", prog, n);
  return 0;
}

/* The client's loop: keep WINDOW datagrams in flight, check the echoes. */
typedef struct client {
  const options_t *o;
  afdio_datagram_t *sock;
  uint64_t next, received, lost, bad;
  double last_progress;
  unsigned char buf[65536];
} client_t;

static void client_send(client_t *c, const afdio_addr_t *server) {
  while (c->next < c->o->count &&
         c->next - c->received - c->lost - c->bad < c->o->window) {
    fill(c->buf, c->o->size, c->next);
    if (afdio_datagram_send_to(c->sock, c->buf, c->o->size, server) < 0)
      return; /* AFDIO_EAGAIN: sent again after the next echo */
    c->next++;
  }
}

static void client_receive(client_t *c) {
  static unsigned char want[65536];
  for (;;) {
    ptrdiff_t n = afdio_datagram_recv(c->sock, c->buf, sizeof c->buf);
    uint64_t seq = 0;
    if (n < 0)
      return; /* AFDIO_EAGAIN (re-armed), or an error counted as loss */
    for (int i = 0; i < 8 && n >= 8; i++)
      seq |= (uint64_t)c->buf[i] << (8 * i);
    fill(want, c->o->size, seq);
    if ((size_t)n != c->o->size || seq >= c->next ||
        memcmp(want, c->buf, c->o->size) != 0)
      c->bad++;
    else
      c->received++;
    c->last_progress = example_now();
  }
}

static int run_client(const options_t *o, const afdio_addr_t *server) {
  afdio_poller_t *poller = NULL;
  afdio_addr_t any;
  afdio_event_t events[8];
  client_t *c = calloc(1, sizeof *c);
  double start = example_now();
  int rc = 0;
  afdio_addr_parse(&any, afdio_addr_family(server) == AFDIO_AF_INET6
                             ? "[::1]:0"
                             : "127.0.0.1:0");
  if (c == NULL)
    return example_fail(prog, "memory", AFDIO_ENOMEM);
  c->o = o;
  if (o->vanish)
    rc = vanish(o->vanish, server);
  if (rc == 0)
    rc = open_socket(&poller, &c->sock, &any);
  c->last_progress = example_now();
  while (rc == 0 && c->received + c->lost + c->bad < o->count) {
    client_send(c, server);
    int n = afdio_poller_wait(poller, events, 8, 100);
    if (n < 0) {
      rc = example_fail(prog, "wait", n);
      break;
    }
    for (int i = 0; i < n; i++)
      if (events[i].token == TOKEN_WAKER)
        rc = 1;
    client_receive(c);
    if (example_now() - c->last_progress > 1.0) {
      /* A second without an echo: what is in flight is lost. */
      c->lost += c->next - c->received - c->lost - c->bad;
      c->last_progress = example_now();
    }
  }
  printf("%s: %llu datagrams sent, %llu echoed intact, %llu lost, %llu bad, "
         "in %.2f s\n",
         prog, (unsigned long long)c->next, (unsigned long long)c->received,
         (unsigned long long)c->lost, (unsigned long long)c->bad,
         example_now() - start);
  if (rc == 0 && (c->received != o->count))
    rc = 1;
  if (c->sock != NULL)
    afdio_datagram_close(c->sock);
  if (poller != NULL)
    afdio_poller_delete(poller);
  free(c);
  return rc;
}

int main(int argc, char **argv) {
  options_t o = {0, 0, 1000, 64, 8, 0};
  afdio_addr_t addr;
  const char *addr_text = NULL;
  int server;
  if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")))
    return usage();
  server = strcmp(argv[1], "server") == 0;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned long *dst = NULL, min = 1, max = 1000000000;
    if (server && strcmp(a, "--connreset") == 0) {
      o.connreset = 1;
      continue;
    }
    if (server && strcmp(a, "--duration") == 0)
      dst = &o.duration, max = 86400;
    else if (!server && strcmp(a, "-n") == 0)
      dst = &o.count;
    else if (!server && strcmp(a, "-s") == 0)
      dst = &o.size, min = 8, max = 65000;
    else if (!server && strcmp(a, "-w") == 0)
      dst = &o.window, max = 1024;
    else if (!server && strcmp(a, "--vanish") == 0)
      dst = &o.vanish, max = 1000;
    if (dst != NULL) {
      if (example_parse_count(prog, a, v, min, max, dst) < 0)
        return usage();
      i++;
    } else if (a[0] != '-' && addr_text == NULL) {
      if (example_parse_addr(prog, addr_text = a, &addr) < 0)
        return usage();
    } else {
      return usage();
    }
  }
  if (addr_text == NULL)
    return usage();
  return server ? run_server(&o, &addr) : run_client(&o, &addr);
}
