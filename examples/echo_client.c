/* echo_client: drives an echo server and checks every byte that comes back.
 *
 *   echo_client [-c CONNS] [-m MESSAGES] [-s SIZE] [-p PIPELINE]
 *               [--timeout SECONDS] ADDR
 *
 * It opens CONNS connections at once, and on each sends MESSAGES messages of
 * SIZE bytes, at most PIPELINE of them unanswered at a time (1: each
 * message is echoed before the next goes). The bytes are a pattern of the
 * connection number and the stream offset, so each one received can be
 * checked without keeping what was sent. It prints throughput and the
 * latency percentiles (send of a message's first byte to receipt of its
 * last), and exits 0 only if every byte came back, in order, intact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afdio.h"
#include "example.h"

static const char *prog = "echo_client";

enum { TOKEN_WAKER = 0, TOKEN_FIRST_CONN = 1 };
enum { CONN_KEEP = 0, CONN_DONE = 1 };

typedef struct options {
  unsigned long conns, messages, size, pipeline, timeout;
} options_t;

typedef struct conn {
  afdio_stream_t *stream;
  unsigned id;
  int connected, finished;
  uint64_t sent, received; /* stream offsets */
  double *sent_at;         /* pipeline slots: when message m went out */
} conn_t;

typedef struct client {
  options_t opt;
  afdio_poller_t *poller;
  conn_t *conns;
  size_t done, failed;
  uint64_t bad_bytes, bytes_sent, bytes_received;
  double *latency; /* one per message, in seconds */
  size_t latencies;
} client_t;

static unsigned char scratch[64 * 1024];

static int usage(void) {
  fprintf(stderr,
          "usage: %s [-c CONNS] [-m MESSAGES] [-s SIZE] [-p PIPELINE] "
          "[--timeout SECONDS] ADDR\n"
          "  -c  connections, all open at once (default 100)\n"
          "  -m  messages per connection (default 1000)\n"
          "  -s  bytes per message (default 64)\n"
          "  -p  messages in flight per connection (default 1)\n"
          "  --timeout  give up after this many seconds (default 60)\n",
          prog);
  return 2;
}

/* The byte at offset off of connection id's stream: cheap, and different
 * for every connection and position, so a byte from the wrong connection or
 * place shows. */
static unsigned char pattern(unsigned id, uint64_t off) {
  uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)id << 40;
  return (unsigned char)(x >> 56 ^ x >> 29);
}

/* How far the stream may be sent now: PIPELINE messages past the last one
 * answered, and never past the end. */
static uint64_t send_limit(const client_t *cl, const conn_t *c) {
  uint64_t total = (uint64_t)cl->opt.messages * cl->opt.size;
  uint64_t answered = c->received / cl->opt.size;
  uint64_t limit = (answered + cl->opt.pipeline) * cl->opt.size;
  return limit < total ? limit : total;
}

/* Sends what the pipeline allows. Returns bytes sent, AFDIO_EAGAIN (the
 * send buffer is full; re-armed) or another error. */
static ptrdiff_t conn_send(client_t *cl, conn_t *c) {
  uint64_t left = send_limit(cl, c) - c->sent;
  size_t len = left < sizeof scratch ? (size_t)left : sizeof scratch;
  double now = example_now();
  ptrdiff_t n;
  for (size_t i = 0; i < len; i++)
    scratch[i] = pattern(c->id, c->sent + i);
  n = afdio_stream_write(c->stream, scratch, len);
  if (n <= 0)
    return n;
  /* Stamp each message whose first byte went out in this write. */
  for (uint64_t m = (c->sent + cl->opt.size - 1) / cl->opt.size;
       m * cl->opt.size < c->sent + (uint64_t)n; m++)
    c->sent_at[m % cl->opt.pipeline] = now;
  c->sent += (uint64_t)n;
  cl->bytes_sent += (uint64_t)n;
  return n;
}

/* Checks received bytes and records the latency of each message they end. */
static int conn_check(client_t *cl, conn_t *c, const unsigned char *buf,
                      size_t n) {
  double now = example_now();
  if (c->received + n > (uint64_t)cl->opt.messages * cl->opt.size) {
    fprintf(stderr, "%s: connection %u: more bytes than were sent\n", prog,
            c->id);
    cl->bad_bytes++;
    return AFDIO_EIO;
  }
  for (size_t i = 0; i < n; i++)
    if (buf[i] != pattern(c->id, c->received + i)) {
      cl->bad_bytes++;
      if (cl->bad_bytes == 1)
        fprintf(stderr, "%s: connection %u: wrong byte at offset %llu\n", prog,
                c->id, (unsigned long long)(c->received + i));
    }
  for (uint64_t m = c->received / cl->opt.size;
       (m + 1) * cl->opt.size <= c->received + n; m++)
    cl->latency[cl->latencies++] = now - c->sent_at[m % cl->opt.pipeline];
  c->received += n;
  cl->bytes_received += n;
  return cl->bad_bytes ? AFDIO_EIO : 0;
}

/* Edge mode: go on until the read side would block and the write side
 * either would block or has nothing it may send yet. */
static int conn_pump(client_t *cl, conn_t *c) {
  static unsigned char buf[64 * 1024];
  uint64_t total = (uint64_t)cl->opt.messages * cl->opt.size;
  for (;;) {
    int write_blocked = 0, read_blocked = 0;
    if (c->sent < send_limit(cl, c)) {
      ptrdiff_t n = conn_send(cl, c);
      if (n == AFDIO_EAGAIN)
        write_blocked = 1;
      else if (n < 0)
        return (int)n;
    }
    ptrdiff_t n = afdio_stream_read(c->stream, buf, sizeof buf);
    if (n == AFDIO_EAGAIN)
      read_blocked = 1;
    else if (n < 0)
      return (int)n;
    else if (n == 0)
      return AFDIO_ECONNRESET; /* the server closed before the end */
    else if (conn_check(cl, c, buf, (size_t)n) < 0)
      return AFDIO_EIO;
    if (c->received == total)
      return CONN_DONE;
    if (read_blocked && (write_blocked || c->sent >= send_limit(cl, c)))
      return CONN_KEEP;
  }
}

static void conn_event(client_t *cl, conn_t *c, uint32_t events) {
  int r;
  if (c->finished)
    return;
  if (!c->connected) {
    /* A finished connect reports WRITABLE; take_error says how it went. */
    if ((r = afdio_stream_take_error(c->stream)) < 0)
      goto failed;
    if (!(events & (AFDIO_WRITABLE | AFDIO_ERROR)))
      return;
    c->connected = 1;
  }
  r = conn_pump(cl, c);
  if (r == CONN_KEEP)
    return;
  if (r == CONN_DONE) {
    cl->done++;
    c->finished = 1;
    afdio_stream_close(c->stream); /* graceful: the server sees the end */
    c->stream = NULL;
    return;
  }
failed:
  fprintf(stderr, "%s: connection %u: %s after %llu of %llu bytes\n", prog,
          c->id, afdio_strerror(r), (unsigned long long)c->received,
          (unsigned long long)cl->opt.messages * cl->opt.size);
  cl->failed++;
  c->finished = 1;
  afdio_stream_close(c->stream);
  c->stream = NULL;
}

static int client_connect(client_t *cl, const afdio_addr_t *addr) {
  int r;
  for (unsigned i = 0; i < cl->opt.conns; i++) {
    conn_t *c = &cl->conns[i];
    c->id = i;
    c->sent_at = calloc(cl->opt.pipeline, sizeof *c->sent_at);
    if (c->sent_at == NULL)
      return example_fail(prog, "memory", AFDIO_ENOMEM);
    if ((r = afdio_stream_connect(&c->stream, addr)) < 0)
      return example_fail(prog, "connect", r);
    afdio_stream_setopt(c->stream, AFDIO_OPT_NODELAY, 1);
    r = afdio_stream_register(c->stream, cl->poller, TOKEN_FIRST_CONN + i,
                              AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_EDGE);
    if (r < 0)
      return example_fail(prog, "register", r);
  }
  return 0;
}

/* Runs until every connection finished, the timeout, or Ctrl-C. */
static int client_run(client_t *cl, double deadline) {
  afdio_event_t events[256];
  while (cl->done + cl->failed < cl->opt.conns) {
    int n = afdio_poller_wait(cl->poller, events, 256,
                              example_timeout_ms(deadline));
    if (n < 0)
      return example_fail(prog, "wait", n);
    for (int i = 0; i < n; i++) {
      if (events[i].token == TOKEN_WAKER) {
        fprintf(stderr, "%s: interrupted\n", prog);
        return 1;
      }
      conn_event(cl, &cl->conns[events[i].token - TOKEN_FIRST_CONN],
                 events[i].events);
    }
    if (example_now() >= deadline) {
      fprintf(stderr, "%s: timed out after %lu s\n", prog, cl->opt.timeout);
      return 1;
    }
  }
  return 0;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const client_t *cl, double p) {
  size_t i = (size_t)(p / 100.0 * (double)(cl->latencies - 1) + 0.5);
  return cl->latency[i] * 1000.0;
}

static void client_report(client_t *cl, double seconds) {
  uint64_t total = (uint64_t)cl->opt.conns * cl->opt.messages;
  uint64_t ok = cl->bad_bytes ? 0 : cl->latencies;
  printf("connections: %lu (%zu done, %zu failed)\n", cl->opt.conns, cl->done,
         cl->failed);
  printf("messages:    %llu of %llu echoed, %llu verified, %llu bad bytes\n",
         (unsigned long long)cl->latencies, (unsigned long long)total,
         (unsigned long long)ok, (unsigned long long)cl->bad_bytes);
  printf("bytes:       %llu sent, %llu received\n",
         (unsigned long long)cl->bytes_sent,
         (unsigned long long)cl->bytes_received);
  printf("throughput:  %.0f messages/s, %.2f MB/s each way, in %.2f s\n",
         (double)cl->latencies / seconds,
         (double)cl->bytes_received / seconds / 1e6, seconds);
  if (cl->latencies == 0)
    return;
  qsort(cl->latency, cl->latencies, sizeof *cl->latency, compare_double);
  printf("latency:     p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
         percentile(cl, 50), percentile(cl, 90), percentile(cl, 99),
         percentile(cl, 100));
}

static int parse_args(int argc, char **argv, options_t *o, afdio_addr_t *addr) {
  const char *addr_text = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned long *dst = NULL, max = 1000000;
    if (strcmp(a, "-c") == 0)
      dst = &o->conns, max = 60000;
    else if (strcmp(a, "-m") == 0)
      dst = &o->messages;
    else if (strcmp(a, "-s") == 0)
      dst = &o->size, max = 1 << 20;
    else if (strcmp(a, "-p") == 0)
      dst = &o->pipeline, max = 1024;
    else if (strcmp(a, "--timeout") == 0)
      dst = &o->timeout, max = 86400;
    if (dst != NULL) {
      if (example_parse_count(prog, a, v, 1, max, dst) < 0)
        return AFDIO_EINVAL;
      i++;
    } else if (a[0] != '-' && addr_text == NULL) {
      if (example_parse_addr(prog, addr_text = a, addr) < 0)
        return AFDIO_EINVAL;
    } else {
      return AFDIO_EINVAL;
    }
  }
  return addr_text == NULL ? AFDIO_EINVAL : 0;
}

int main(int argc, char **argv) {
  client_t cl;
  afdio_addr_t addr;
  afdio_waker_t *waker;
  char text[AFDIO_ADDR_STRLEN];
  double start;
  int rc, r;

  memset(&cl, 0, sizeof cl);
  cl.opt = (options_t){100, 1000, 64, 1, 60};
  if (parse_args(argc, argv, &cl.opt, &addr) < 0)
    return usage();
  cl.conns = calloc(cl.opt.conns, sizeof *cl.conns);
  cl.latency = malloc(cl.opt.conns * cl.opt.messages * sizeof *cl.latency);
  if (cl.conns == NULL || cl.latency == NULL)
    return example_fail(prog, "memory", AFDIO_ENOMEM);
  if ((r = afdio_poller_new(&cl.poller)) < 0)
    return example_fail(prog, "poller", r);
  if ((r = afdio_waker_new(cl.poller, TOKEN_WAKER, &waker)) < 0 ||
      (r = example_stop_on_signals(waker)) < 0)
    return example_fail(prog, "waker", r);

  afdio_addr_format(&addr, text, sizeof text);
  printf("%s: %lu connections x %lu messages x %lu bytes to %s (pipeline "
         "%lu, backend %s)\n",
         prog, cl.opt.conns, cl.opt.messages, cl.opt.size, text,
         cl.opt.pipeline, afdio_backend());
  fflush(stdout);
  start = example_now();
  rc = client_connect(&cl, &addr);
  if (rc == 0)
    rc = client_run(&cl, start + (double)cl.opt.timeout);
  client_report(&cl, example_now() - start);

  for (unsigned long i = 0; i < cl.opt.conns; i++) {
    if (cl.conns[i].stream != NULL)
      afdio_stream_close(cl.conns[i].stream);
    free(cl.conns[i].sent_at);
  }
  afdio_poller_delete(cl.poller);
  free(cl.conns);
  free(cl.latency);
  if (rc == 0 && (cl.failed != 0 || cl.bad_bytes != 0 ||
                  cl.latencies != (size_t)cl.opt.conns * cl.opt.messages))
    rc = 1;
  printf("result:      %s\n", rc == 0 ? "every byte verified" : "FAILED");
  return rc;
}
