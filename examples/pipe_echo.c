/* pipe_echo: a local-IPC echo server and its client over afdio_pipe, the
 * same source for Windows (named pipes) and Unix (Unix-domain sockets).
 *
 *   pipe_echo server NAME [--quit-after CONNS]
 *   pipe_echo client NAME [-c CONNS] [-b BYTES] [--timeout SECONDS]
 *
 * NAME is a short name ("echo-demo"); afdio_pipe_name() makes the platform
 * name (\\.\pipe\echo-demo, or a socket path). The server echoes every
 * pipe, edge-triggered, on one thread; with --quit-after it exits once that
 * many clients have come and gone. The client opens CONNS pipes at once,
 * streams BYTES bytes through each (a pattern of the pipe number and the
 * offset, at most 256 KiB unanswered), checks every byte that comes back,
 * and prints the throughput; it exits 0 only if every byte came back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afdio.h"
#include "example.h"

static const char *prog = "pipe_echo";

enum { TOKEN_LISTENER = 0, TOKEN_WAKER = 1, TOKEN_FIRST = 2 };
#define WINDOW (256u * 1024u)

typedef struct peer {
  afdio_pipe_t *pipe;
  unsigned id;
  uint64_t sent, received; /* client: stream offsets */
  size_t len, off;         /* server: buf[off, len) is still to echo */
  unsigned char buf[65536];
} peer_t;

static unsigned char pattern(unsigned id, uint64_t at) {
  return (unsigned char)((at * 7u + id * 13u + (at >> 10)) & 0xffu);
}

static int usage(void) {
  fprintf(stderr,
          "usage: %s server NAME [--quit-after CONNS]\n"
          "       %s client NAME [-c CONNS] [-b BYTES] [--timeout SECONDS]\n",
          prog, prog);
  return 2;
}

/* ------------------------------------------------------------------------ */
/* Server                                                                    */

/* Echoes until the pipe would block; 1 when it is finished (closed). */
static int serve_pipe(peer_t *c) {
  for (;;) {
    ptrdiff_t n;
    if (c->off < c->len) {
      n = afdio_pipe_write(c->pipe, c->buf + c->off, c->len - c->off);
      if (n == AFDIO_EAGAIN)
        return 0;
      if (n < 0)
        return 1;
      c->off += (size_t)n;
      continue;
    }
    n = afdio_pipe_read(c->pipe, c->buf, sizeof c->buf);
    if (n == AFDIO_EAGAIN)
      return 0;
    if (n <= 0)
      return 1; /* the client closed (0) or failed */
    c->len = (size_t)n;
    c->off = 0;
  }
}

static int accept_all(afdio_poller_t *poller, afdio_pipe_listener_t *l,
                      peer_t **peers, size_t *npeers) {
  afdio_pipe_t *pipe;
  int rc;
  while ((rc = afdio_pipe_listener_accept(l, &pipe)) == 0) {
    peer_t *c = calloc(1, sizeof *c);
    size_t slot = 0;
    while (slot < *npeers && peers[slot] != NULL)
      slot++;
    if (c == NULL || slot >= 4096) {
      free(c);
      afdio_pipe_close(pipe);
      continue;
    }
    c->pipe = pipe;
    if (slot == *npeers)
      (*npeers)++;
    peers[slot] = c;
    rc = afdio_pipe_register(pipe, poller, TOKEN_FIRST + slot,
                             AFDIO_READABLE | AFDIO_WRITABLE);
    if (rc < 0)
      return example_fail(prog, "register", rc);
  }
  return rc == AFDIO_EAGAIN ? 0 : example_fail(prog, "accept", rc);
}

static int run_server(const char *name, unsigned long quit_after) {
  static peer_t *peers[4096];
  size_t npeers = 0;
  unsigned long finished = 0;
  afdio_poller_t *poller;
  afdio_waker_t *waker;
  afdio_pipe_listener_t *l;
  afdio_event_t ev[256];
  int rc = afdio_poller_new(&poller), stop = 0;
  if (rc < 0)
    return example_fail(prog, "poller", rc);
  if ((rc = afdio_waker_new(poller, TOKEN_WAKER, &waker)) < 0 ||
      (rc = example_stop_on_signals(waker)) < 0)
    return example_fail(prog, "waker", rc);
  if ((rc = afdio_pipe_listener_bind(&l, name, NULL)) < 0)
    return example_fail(prog, name, rc);
  if ((rc = afdio_pipe_listener_register(l, poller, TOKEN_LISTENER,
                                         AFDIO_READABLE)) < 0)
    return example_fail(prog, "register", rc);
  printf("%s: listening on %s (%s)\n", prog, name, afdio_backend());
  fflush(stdout);
  while (!stop && (quit_after == 0 || finished < quit_after)) {
    int n = afdio_poller_wait(poller, ev, 256, -1);
    if (n < 0)
      return example_fail(prog, "wait", n);
    for (int i = 0; i < n; i++) {
      uint64_t t = ev[i].token;
      if (t == TOKEN_WAKER)
        stop = 1;
      else if (t == TOKEN_LISTENER)
        rc = accept_all(poller, l, peers, &npeers);
      else if (peers[t - TOKEN_FIRST] != NULL &&
               serve_pipe(peers[t - TOKEN_FIRST])) {
        afdio_pipe_close(peers[t - TOKEN_FIRST]->pipe);
        free(peers[t - TOKEN_FIRST]);
        peers[t - TOKEN_FIRST] = NULL;
        finished++;
      }
      if (rc != 0)
        return rc;
    }
  }
  printf("%s: %lu pipes served\n", prog, finished);
  for (size_t i = 0; i < npeers; i++) {
    if (peers[i] != NULL) {
      afdio_pipe_close(peers[i]->pipe);
      free(peers[i]);
    }
  }
  afdio_pipe_listener_close(l);
  afdio_poller_delete(poller);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

/* Moves what it can; 1 when the pipe's stream came back whole, -1 on a
 * wrong byte or a failure. */
static int drive(peer_t *c, uint64_t total, uint64_t *bad) {
  for (;;) {
    int moved = 0;
    if (c->sent < total && c->sent - c->received < WINDOW) {
      size_t want = sizeof c->buf;
      if (want > total - c->sent)
        want = (size_t)(total - c->sent);
      for (size_t i = 0; i < want; i++)
        c->buf[i] = pattern(c->id, c->sent + i);
      ptrdiff_t n = afdio_pipe_write(c->pipe, c->buf, want);
      if (n < 0 && n != AFDIO_EAGAIN)
        return -1;
      if (n > 0) {
        c->sent += (uint64_t)n;
        moved = 1;
      }
    }
    ptrdiff_t n = afdio_pipe_read(c->pipe, c->buf, sizeof c->buf);
    if (n == 0 || (n < 0 && n != AFDIO_EAGAIN))
      return -1;
    for (ptrdiff_t i = 0; i < n; i++)
      *bad += c->buf[i] != pattern(c->id, c->received + (uint64_t)i);
    if (n > 0) {
      c->received += (uint64_t)n;
      moved = 1;
    }
    if (c->received == total)
      return 1;
    if (!moved)
      return 0;
  }
}

/* Drives one pipe and counts it once it is done or failed. */
static void step(peer_t *c, uint64_t total, uint64_t *bad, char *finished,
                 unsigned long *done, unsigned long *failed) {
  int r = drive(c, total, bad);
  if (r != 0) {
    *finished = 1;
    r > 0 ? (*done)++ : (*failed)++;
  }
}

static int connect_all(afdio_poller_t *poller, const char *name, peer_t *p,
                       unsigned long conns, double deadline) {
  afdio_event_t ev[8];
  for (unsigned long i = 0; i < conns; i++) {
    int rc;
    /* Every instance taken: the server accepts soon; retry. */
    while ((rc = afdio_pipe_connect(&p[i].pipe, name, NULL)) == AFDIO_EAGAIN &&
           example_now() < deadline)
      (void)afdio_poller_wait(poller, ev, 8, 5);
    if (rc < 0)
      return example_fail(prog, "connect", rc);
    p[i].id = (unsigned)i;
    rc = afdio_pipe_register(p[i].pipe, poller, TOKEN_FIRST + i,
                             AFDIO_READABLE | AFDIO_WRITABLE);
    if (rc < 0)
      return example_fail(prog, "register", rc);
  }
  return 0;
}

static int run_client(const char *name, unsigned long conns, uint64_t bytes,
                      unsigned long timeout) {
  afdio_poller_t *poller;
  afdio_event_t ev[256];
  uint64_t bad = 0;
  unsigned long done = 0, failed = 0;
  double t0 = example_now(), deadline = t0 + (double)timeout;
  peer_t *p = calloc(conns, sizeof *p);
  int rc = afdio_poller_new(&poller);
  if (p == NULL || rc < 0)
    return example_fail(prog, "setup", p == NULL ? AFDIO_ENOMEM : rc);
  if ((rc = connect_all(poller, name, p, conns, deadline)) != 0)
    return rc;
  char *finished = calloc(conns, 1);
  /* Each pipe is driven once first: the retries of connect_all may have
   * taken the first (edge) events of pipes connected earlier. */
  for (unsigned long k = 0; k < conns; k++) {
    step(&p[k], bytes, &bad, &finished[k], &done, &failed);
  }
  while (done + failed < conns && example_now() < deadline) {
    int n = afdio_poller_wait(poller, ev, 256, example_timeout_ms(deadline));
    for (int i = 0; i < n; i++) {
      uint64_t k = ev[i].token - TOKEN_FIRST;
      if (k >= conns || finished[k])
        continue;
      step(&p[k], bytes, &bad, &finished[k], &done, &failed);
    }
  }
  double secs = example_now() - t0;
  double mb = (double)bytes * (double)done * 2.0 / 1e6;
  printf("%s: %lu pipes x %llu bytes echoed (%s), %lu failed, %llu bad "
         "bytes\n",
         prog, done, (unsigned long long)bytes, afdio_backend(), failed,
         (unsigned long long)bad);
  printf("%s: %.1f MB moved in %.2f s: %.1f MB/s\n", prog, mb, secs,
         mb / secs);
  for (unsigned long i = 0; i < conns; i++)
    afdio_pipe_close(p[i].pipe);
  afdio_poller_delete(poller);
  free(finished);
  free(p);
  return done == conns && bad == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  unsigned long conns = 8, bytes = 4u << 20, timeout = 60, quit_after = 0;
  char name[AFDIO_PIPE_NAME_MAX];
  int rc;
  if (argc < 3)
    return usage();
  rc = afdio_pipe_name(name, sizeof name, argv[2]);
  if (rc < 0)
    return example_fail(prog, "pipe name", rc);
  for (int i = 3; i < argc; i += 2) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL)
      return usage();
    if (strcmp(o, "--quit-after") == 0)
      rc = example_parse_count(prog, o, v, 1, 1000000, &quit_after);
    else if (strcmp(o, "-c") == 0)
      rc = example_parse_count(prog, o, v, 1, 4096, &conns);
    else if (strcmp(o, "-b") == 0)
      rc = example_parse_count(prog, o, v, 1, 1ul << 30, &bytes);
    else if (strcmp(o, "--timeout") == 0)
      rc = example_parse_count(prog, o, v, 1, 3600, &timeout);
    else
      return usage();
    if (rc < 0)
      return 2;
  }
  if (strcmp(argv[1], "server") == 0)
    return run_server(name, quit_after);
  if (strcmp(argv[1], "client") == 0)
    return run_client(name, conns, bytes, timeout);
  return usage();
}
