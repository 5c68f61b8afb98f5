/* afdio_pipe on Unix: Unix-domain stream sockets, through net/'s listener
 * and stream objects, so readiness, modes and re-arming are exactly those
 * of streams. What differs from a plain stream is only what keeps one
 * behaviour with Windows named pipes: the name helper, a socket file only
 * its user may connect to, a stale file replaced, the file removed at
 * close, and peer-gone results spelled as on Windows (read 0, write
 * AFDIO_EPIPE). Picked by build.zig for Unix targets. */
#include "core/backend.h"
#include "core/pipe_name.h"
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct afdio_pipe {
  afdio_stream_t *stream;
};

struct afdio_pipe_listener {
  afdio_listener_t *listener;
  char path[AFDIO_PIPE_NAME_MAX];
};

int afdio_pipe_name(char *buf, size_t size, const char *short_name) {
  char dir[AFDIO_PIPE_NAME_MAX], suffix[32];
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  int rc;
  if (buf == NULL || afdio__pipe_short_check(short_name) < 0)
    return AFDIO_EINVAL;
  /* XDG_RUNTIME_DIR is the user's own (mode 0700); /tmp is shared, so the
   * user id keeps two users' servers of one name apart. */
  if (xdg != NULL && xdg[0] == '/' && strlen(xdg) + 2 < sizeof dir) {
    snprintf(dir, sizeof dir, "%s/", xdg);
    snprintf(suffix, sizeof suffix, ".sock");
  } else {
    snprintf(dir, sizeof dir, "/tmp/");
    snprintf(suffix, sizeof suffix, ".%lu.sock", (unsigned long)getuid());
  }
  if (strlen(dir) + strlen(short_name) + strlen(suffix) >=
      sizeof(((struct sockaddr_un *)0)->sun_path))
    return AFDIO_EINVAL;
  rc = afdio__pipe_compose(buf, size, dir, short_name, suffix);
  return rc;
}

/* A socket file nobody listens on (its server died) is replaced, as a
 * Windows pipe name is free once its server is gone. Only a socket file
 * whose connect is refused: never a live server's, never another file. */
static int pipe__stale(const afdio_addr_t *addr, const char *path) {
  struct stat st;
  afdio_socket_t s;
  int rc;
  if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
    return 0;
  if (afdio__sys_socket(AF_UNIX, SOCK_STREAM, 0, &s) < 0)
    return 0;
  rc = afdio__sys_connect(s, afdio__addr_sa(addr), afdio__addr_salen(addr));
  (void)afdio__sys_close(s);
  return rc == AFDIO_ECONNREFUSED && unlink(path) == 0;
}

/* Bound, then made 0600, then listening: nobody else can connect in
 * between, as connects are refused until listen(). */
static int pipe__listen(const afdio_addr_t *addr, const char *path,
                        int backlog, afdio_socket_t *out) {
  afdio_socket_t s;
  int rc = afdio__sys_socket(AF_UNIX, SOCK_STREAM, 0, &s);
  if (rc < 0)
    return rc;
  if (bind(s, afdio__addr_sa(addr), afdio__addr_salen(addr)) != 0) {
    rc = afdio__sys_error();
    if (rc == AFDIO_EADDRINUSE && pipe__stale(addr, path) &&
        bind(s, afdio__addr_sa(addr), afdio__addr_salen(addr)) == 0)
      rc = 0;
    if (rc < 0)
      goto fail;
  }
  if (chmod(path, S_IRUSR | S_IWUSR) != 0 || listen(s, backlog) != 0) {
    rc = afdio__sys_error();
    (void)unlink(path);
    goto fail;
  }
  *out = s;
  return 0;
fail:
  (void)afdio__sys_close(s);
  return rc;
}

int afdio_pipe_listener_bind(afdio_pipe_listener_t **out, const char *name,
                             const afdio_pipe_options_t *options) {
  afdio_pipe_options_t o;
  afdio_pipe_listener_t *l;
  afdio_addr_t addr;
  afdio_socket_t s;
  int rc;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (name == NULL || strlen(name) >= AFDIO_PIPE_NAME_MAX ||
      afdio__pipe_options(options, &o) < 0 || afdio_addr_unix(&addr, name) < 0)
    return AFDIO_EINVAL;
  l = calloc(1, sizeof *l);
  if (l == NULL)
    return AFDIO_ENOMEM;
  snprintf(l->path, sizeof l->path, "%s", name);
  rc = pipe__listen(&addr, name, (int)o.instances, &s);
  if (rc == 0 && (rc = afdio__listener_adopt(&l->listener, s, AF_UNIX)) < 0) {
    (void)afdio__sys_close(s);
    (void)unlink(name);
  }
  if (rc < 0) {
    free(l);
    return rc;
  }
  *out = l;
  return 0;
}

static int pipe__wrap(afdio_stream_t *stream, afdio_pipe_t **out) {
  afdio_pipe_t *p = malloc(sizeof *p);
  if (p == NULL) {
    (void)afdio_stream_close(stream);
    return AFDIO_ENOMEM;
  }
  p->stream = stream;
  *out = p;
  return 0;
}

int afdio_pipe_listener_accept(afdio_pipe_listener_t *listener,
                               afdio_pipe_t **out) {
  afdio_stream_t *stream;
  int rc;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (listener == NULL)
    return AFDIO_EINVAL;
  rc = afdio_listener_accept(listener->listener, &stream, NULL);
  return rc < 0 ? rc : pipe__wrap(stream, out);
}

int afdio_pipe_listener_register(afdio_pipe_listener_t *listener,
                                 afdio_poller_t *poller, uint64_t token,
                                 uint32_t interest) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio_listener_register(listener->listener, poller,
                                                    token, interest);
}

int afdio_pipe_listener_reregister(afdio_pipe_listener_t *listener,
                                   uint64_t token, uint32_t interest) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio_listener_reregister(listener->listener,
                                                      token, interest);
}

int afdio_pipe_listener_deregister(afdio_pipe_listener_t *listener) {
  return listener == NULL ? AFDIO_EINVAL
                          : afdio_listener_deregister(listener->listener);
}

/* The file goes with the listener (libuv's uv_pipe close does the same),
 * as a Windows pipe name goes with its last instance. */
int afdio_pipe_listener_close(afdio_pipe_listener_t *listener) {
  if (listener == NULL)
    return AFDIO_EINVAL;
  (void)afdio_listener_close(listener->listener);
  (void)unlink(listener->path);
  free(listener);
  return 0;
}

static int pipe__set_buffers(afdio_stream_t *s, unsigned size) {
  int rc = afdio_stream_setopt(s, AFDIO_OPT_SNDBUF, (int)size);
  return rc < 0 ? rc : afdio_stream_setopt(s, AFDIO_OPT_RCVBUF, (int)size);
}

int afdio_pipe_connect(afdio_pipe_t **out, const char *name,
                       const afdio_pipe_options_t *options) {
  afdio_pipe_options_t o;
  afdio_stream_t *stream;
  afdio_addr_t addr;
  int rc;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (name == NULL || afdio__pipe_options(options, &o) < 0 ||
      afdio_addr_unix(&addr, name) < 0)
    return AFDIO_EINVAL;
  rc = afdio_stream_connect(&stream, &addr);
  /* A name nobody serves: no file, or a file nobody listens on. */
  if (rc == AFDIO_ECONNREFUSED)
    rc = AFDIO_ENOENT;
  if (rc < 0)
    return rc;
  if (options != NULL && options->buffer_size != 0 &&
      (rc = pipe__set_buffers(stream, o.buffer_size)) < 0) {
    (void)afdio_stream_close(stream);
    return rc;
  }
  return pipe__wrap(stream, out);
}

/* Straight to the socket: edge mode on epoll and kqueue needs no re-arm
 * (afdio_poller_rearm() would only look the descriptor up under a lock),
 * so the stream's re-arm after would-block or a short count is skipped on
 * this, the hot path; the poll(2) backend emulates edges and needs it, so
 * there the stream's own read and write do the I/O. A peer that closed with
 * data of ours unread makes Linux fail the next read with ECONNRESET; a named
 * pipe just ends: 0. */
ptrdiff_t afdio_pipe_read(afdio_pipe_t *pipe, void *buf, size_t len) {
  ptrdiff_t n;
  if (pipe == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (len == 0)
    return 0;
  n = afdio__backend_edge_needs_rearm
          ? afdio_stream_read(pipe->stream, buf, len)
          : afdio__sys_recv(afdio_stream_socket(pipe->stream), buf, len, 0);
  return n == AFDIO_ECONNRESET ? 0 : n;
}

ptrdiff_t afdio_pipe_write(afdio_pipe_t *pipe, const void *buf, size_t len) {
  ptrdiff_t n;
  if (pipe == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (len == 0)
    return 0;
  n = afdio__backend_edge_needs_rearm
          ? afdio_stream_write(pipe->stream, buf, len)
          : afdio__sys_send(afdio_stream_socket(pipe->stream), buf, len);
  return n == AFDIO_ECONNRESET || n == AFDIO_ENOTCONN ? AFDIO_EPIPE : n;
}

int afdio_pipe_register(afdio_pipe_t *pipe, afdio_poller_t *poller,
                        uint64_t token, uint32_t interest) {
  return pipe == NULL
             ? AFDIO_EINVAL
             : afdio_stream_register(pipe->stream, poller, token, interest);
}

int afdio_pipe_reregister(afdio_pipe_t *pipe, uint64_t token,
                          uint32_t interest) {
  return pipe == NULL ? AFDIO_EINVAL
                      : afdio_stream_reregister(pipe->stream, token, interest);
}

int afdio_pipe_deregister(afdio_pipe_t *pipe) {
  return pipe == NULL ? AFDIO_EINVAL : afdio_stream_deregister(pipe->stream);
}

int afdio_pipe_close(afdio_pipe_t *pipe) {
  if (pipe == NULL)
    return AFDIO_EINVAL;
  (void)afdio_stream_close(pipe->stream);
  free(pipe);
  return 0;
}
