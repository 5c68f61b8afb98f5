/* Windows pipe listeners: a few server instances of one pipe name, each
 * with a connect (FSCTL_PIPE_LISTEN, what ConnectNamedPipe issues) pending
 * through the poller's port. A completed connect moves its instance to the
 * ready list and the listener is readable; accept hands the instance out
 * as a pipe and creates a new one, so the number of instances waiting for
 * clients stays at options.instances and a client finding them all taken
 * gets ERROR_PIPE_BUSY (AFDIO_EAGAIN) until the server accepts.
 *
 * Instances exist from bind (clients may connect to them before any
 * connect is issued: the connect then says ERROR_PIPE_CONNECTED), but are
 * bound to a port and listened on only once the listener is registered. */
#include "iocp/pipe.h"

#include <stdlib.h>
#include <string.h>

#include "afd/error.h"
#include "core/interest.h"
#include "core/pipe_name.h"

#define LISTENER__PREFIX "\\\\.\\pipe\\"

struct afdio_pipe_listener {
  afdio__pipe_src_t src;
  WCHAR *name;
  afdio_pipe_options_t options;
  SECURITY_ATTRIBUTES sa;
  void *sd; /* the security descriptor and its DACL, one block */
  afdio__queue_node_t waiting; /* instances waiting for a client */
  afdio__queue_node_t ready;   /* connected, not accepted */
  unsigned count;              /* instances in both lists */
  unsigned char closing;
};

int afdio_pipe_name(char *buf, size_t size, const char *short_name) {
  if (buf == NULL || afdio__pipe_short_check(short_name) < 0)
    return AFDIO_EINVAL;
  return afdio__pipe_compose(buf, size, LISTENER__PREFIX, short_name, "");
}

/* A pipe name as a new UTF-16 string, or NULL: UTF-8, and a local pipe
 * (\\.\pipe\...), so that connect never opens a file or a remote pipe. */
static WCHAR *listener__wide(const char *name) {
  int n;
  WCHAR *w;
  if (_strnicmp(name, LISTENER__PREFIX, sizeof LISTENER__PREFIX - 1) != 0 ||
      name[sizeof LISTENER__PREFIX - 1] == '\0')
    return NULL;
  n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, NULL, 0);
  if (n <= 1)
    return NULL;
  w = malloc((size_t)n * sizeof *w);
  if (w != NULL && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name,
                                       -1, w, n) != n) {
    free(w);
    w = NULL;
  }
  return w;
}

/* Errors of opening a pipe name, as afdio.h documents them. */
static int listener__open_error(DWORD err, int binding) {
  switch (err) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
    return AFDIO_ENOENT;
  case ERROR_PIPE_BUSY:
    return binding ? AFDIO_EADDRINUSE : AFDIO_EAGAIN;
  case ERROR_ACCESS_DENIED:
    /* FILE_FLAG_FIRST_PIPE_INSTANCE on a name already served. */
    return binding ? AFDIO_EADDRINUSE : AFDIO_EACCES;
  case ERROR_INVALID_NAME:
  case ERROR_BAD_PATHNAME:
    return AFDIO_EINVAL;
  default:
    return afdio__win_error(err);
  }
}

/* A DACL with one entry, the current user (the process token's), full
 * access: the default DACL of a pipe would also let Everyone read, and
 * anonymous logons in. */
static int listener__security(afdio_pipe_listener_t *l) {
  union {
    TOKEN_USER user;
    unsigned char bytes[256];
  } tu;
  HANDLE token;
  DWORD len = 0, sid_len, acl_len;
  PACL acl;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return afdio__win_error(GetLastError());
  if (!GetTokenInformation(token, TokenUser, &tu, sizeof tu, &len)) {
    DWORD err = GetLastError();
    CloseHandle(token);
    return afdio__win_error(err);
  }
  CloseHandle(token);
  sid_len = GetLengthSid(tu.user.User.Sid);
  acl_len = (DWORD)(sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) + sid_len);
  l->sd = calloc(1, SECURITY_DESCRIPTOR_MIN_LENGTH + acl_len);
  if (l->sd == NULL)
    return AFDIO_ENOMEM;
  acl = (PACL)(void *)((unsigned char *)l->sd + SECURITY_DESCRIPTOR_MIN_LENGTH);
  if (!InitializeAcl(acl, acl_len, ACL_REVISION) ||
      !AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, tu.user.User.Sid) ||
      !InitializeSecurityDescriptor(l->sd, SECURITY_DESCRIPTOR_REVISION) ||
      !SetSecurityDescriptorDacl(l->sd, TRUE, acl, FALSE))
    return afdio__win_error(GetLastError());
  l->sa.nLength = sizeof l->sa;
  l->sa.lpSecurityDescriptor = l->sd;
  l->sa.bInheritHandle = FALSE;
  return 0;
}

/* Byte mode, remote clients refused, one more instance of the name. The
 * first instance claims the name (FILE_FLAG_FIRST_PIPE_INSTANCE): binding
 * a name another server serves fails instead of joining it. */
static int listener__instance(afdio_pipe_listener_t *l, int first,
                              afdio_pipe_t **out) {
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                    (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  DWORD pipe_mode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                    PIPE_REJECT_REMOTE_CLIENTS;
  HANDLE h = CreateNamedPipeW(l->name, open_mode, pipe_mode,
                              PIPE_UNLIMITED_INSTANCES,
                              l->options.buffer_size, l->options.buffer_size,
                              0, &l->sa);
  int rc;
  if (h == INVALID_HANDLE_VALUE)
    return listener__open_error(GetLastError(), 1);
  rc = afdio__pipe_new(h, l->options.buffer_size, out);
  if (rc < 0) {
    CloseHandle(h);
    return rc;
  }
  afdio__pipe_set_listener(*out, l);
  afdio__queue_push_back(&l->waiting, afdio__pipe_inst_node(*out));
  l->count++;
  return 0;
}

/* Windows refuses a first instance of a name already served
 * (FILE_FLAG_FIRST_PIPE_INSTANCE); Wine 8 ignores that flag (measured
 * here: a second bind joined the first server's instances). So the name
 * is also looked up first: WaitNamedPipe succeeds, or times out when
 * every instance is taken, only for a name someone serves, and it never
 * connects. */
static int listener__claim(afdio_pipe_listener_t *l) {
  if (WaitNamedPipeW(l->name, 1) || GetLastError() == ERROR_SEM_TIMEOUT)
    return AFDIO_EADDRINUSE;
  return 0;
}

/* Under the lock, bound: listens on a waiting instance; one that has a
 * client already moves to the ready list, one that fails is dropped (a new
 * one is made by the next accept). */
static void listener__listen(afdio_pipe_listener_t *l, afdio_pipe_t *inst) {
  int rc = afdio__pipe_listen(inst);
  if (rc == 1) {
    afdio__queue_push_back(&l->ready, afdio__pipe_inst_node(inst));
    afdio__pipe_src_changed(&l->src);
  } else if (rc < 0) {
    l->count--;
    afdio__pipe_close_locked(inst);
  }
}

/* Under the lock, bound: instances up to the number asked for. */
static void listener__refill(afdio_pipe_listener_t *l) {
  afdio_pipe_t *inst;
  unsigned tries = 0; /* bounded: listens that fail at once are dropped */
  while (l->count < l->options.instances &&
         tries++ < l->options.instances &&
         listener__instance(l, 0, &inst) == 0) {
    if (afdio__pipe_bind(inst, l->src.poller) < 0) {
      l->count--;
      afdio__pipe_close_locked(inst);
      return;
    }
    listener__listen(l, inst);
  }
}

int afdio__pipe_listener_connected(afdio_pipe_listener_t *l,
                                   afdio_pipe_t *inst, int ok,
                                   afdio_event_t *ev) {
  if (!ok) { /* replaced at once, so the listener never runs dry */
    l->count--;
    afdio__pipe_close_locked(inst);
    listener__refill(l);
    return 0;
  }
  afdio__queue_push_back(&l->ready, afdio__pipe_inst_node(inst));
  return afdio__pipe_src_report(&l->src, ev);
}

static uint32_t listener__ready(afdio__pipe_src_t *s) {
  afdio_pipe_listener_t *l = AFDIO__CONTAINER_OF(s, afdio_pipe_listener_t, src);
  return afdio__queue_empty(&l->ready) ? 0 : AFDIO_READABLE;
}

/* Its instances are in the set on their own: nothing of its own to
 * cancel or wait for. */
static void listener__cancel(afdio__pipe_src_t *s) { (void)s; }
static int listener__busy(const afdio__pipe_src_t *s) {
  (void)s;
  return 0;
}
static void listener__orphan(afdio__pipe_src_t *s) { s->orphan = 1; }

static const afdio__pipe_src_ops_t listener__src_ops = {
    listener__ready, listener__cancel, listener__busy, listener__orphan, NULL};

static void listener__free(afdio_pipe_listener_t *l) {
  afdio__queue_node_t *n;
  while ((n = afdio__queue_pop_front(&l->waiting)) != NULL)
    afdio__pipe_close_locked(afdio__pipe_from_inst_node(n));
  while ((n = afdio__queue_pop_front(&l->ready)) != NULL)
    afdio__pipe_close_locked(afdio__pipe_from_inst_node(n));
  afdio__pipe_src_unlink(&l->src);
  l->src.ev.kind = AFDIO__OP_FREED;
  free(l->name);
  free(l->sd);
  free(l);
}

int afdio_pipe_listener_bind(afdio_pipe_listener_t **out, const char *name,
                             const afdio_pipe_options_t *options) {
  afdio_pipe_listener_t *l;
  afdio_pipe_t *inst;
  int rc;
  unsigned i;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  l = calloc(1, sizeof *l);
  if (l == NULL)
    return AFDIO_ENOMEM;
  afdio__pipe_src_init(&l->src, &listener__src_ops);
  afdio__queue_init(&l->waiting);
  afdio__queue_init(&l->ready);
  rc = name == NULL ? AFDIO_EINVAL : afdio__pipe_options(options, &l->options);
  if (rc == 0 && (l->name = listener__wide(name)) == NULL)
    rc = AFDIO_EINVAL;
  if (rc == 0)
    rc = afdio__pipe_nt_init();
  if (rc == 0)
    rc = listener__security(l);
  if (rc == 0)
    rc = listener__claim(l);
  for (i = 0; rc == 0 && i < l->options.instances; i++)
    rc = listener__instance(l, i == 0, &inst);
  if (rc < 0) {
    listener__free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* First registration: the instances are bound to the poller's port and
 * listened on. */
static int listener__bind(afdio_pipe_listener_t *l, afdio_poller_t *p) {
  afdio__queue_node_t todo, *n;
  int rc;
  afdio__queue_init(&todo);
  for (n = l->waiting.next; n != &l->waiting; n = n->next) {
    rc = afdio__pipe_bind(afdio__pipe_from_inst_node(n), p);
    if (rc < 0)
      return rc;
  }
  afdio__pipe_src_bind(&l->src, p);
  while ((n = afdio__queue_pop_front(&l->waiting)) != NULL)
    afdio__queue_push_back(&todo, n);
  while ((n = afdio__queue_pop_front(&todo)) != NULL) {
    afdio__queue_push_back(&l->waiting, n);
    listener__listen(l, afdio__pipe_from_inst_node(n));
  }
  return 0;
}

int afdio_pipe_listener_register(afdio_pipe_listener_t *l,
                                 afdio_poller_t *poller, uint64_t token,
                                 uint32_t interest) {
  int rc;
  if (l == NULL || poller == NULL || afdio__interest_check(interest) < 0)
    return AFDIO_EINVAL;
  if (l->src.orphan)
    return AFDIO_ECANCELED;
  if (l->src.registered || (l->src.poller != NULL && l->src.poller != poller))
    return AFDIO_EEXIST;
  afdio__selector_lock(poller);
  rc = l->src.poller == NULL ? listener__bind(l, poller) : 0;
  if (rc == 0)
    rc = afdio__pipe_src_register(&l->src, poller, token, interest);
  afdio__selector_unlock(poller);
  return rc;
}

int afdio_pipe_listener_reregister(afdio_pipe_listener_t *l, uint64_t token,
                                   uint32_t interest) {
  int rc;
  if (l == NULL || afdio__interest_check(interest) < 0)
    return AFDIO_EINVAL;
  if (!l->src.registered)
    return AFDIO_ENOENT;
  afdio__selector_lock(l->src.poller);
  rc = afdio__pipe_src_reregister(&l->src, token, interest);
  afdio__selector_unlock(l->src.poller);
  return rc;
}

int afdio_pipe_listener_deregister(afdio_pipe_listener_t *l) {
  int rc;
  if (l == NULL)
    return AFDIO_EINVAL;
  if (!l->src.registered)
    return AFDIO_ENOENT;
  afdio__selector_lock(l->src.poller);
  rc = afdio__pipe_src_deregister(&l->src);
  afdio__selector_unlock(l->src.poller);
  return rc;
}

int afdio_pipe_listener_accept(afdio_pipe_listener_t *l, afdio_pipe_t **out) {
  afdio__queue_node_t *n;
  afdio_poller_t *poller;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (l == NULL)
    return AFDIO_EINVAL;
  if (l->src.orphan)
    return AFDIO_ECANCELED;
  poller = l->src.poller;
  if (poller == NULL)
    return AFDIO_EAGAIN;
  afdio__selector_lock(poller);
  n = afdio__queue_pop_front(&l->ready);
  if (n != NULL) {
    *out = afdio__pipe_from_inst_node(n);
    afdio__pipe_set_listener(*out, NULL);
    l->count--;
    afdio__pipe_start(*out);
  } else {
    afdio__pipe_src_rearm(&l->src, AFDIO_READABLE);
  }
  listener__refill(l);
  afdio__selector_unlock(poller);
  return *out != NULL ? 0 : AFDIO_EAGAIN;
}

int afdio_pipe_listener_close(afdio_pipe_listener_t *l) {
  afdio_poller_t *poller;
  if (l == NULL)
    return AFDIO_EINVAL;
  poller = l->src.poller;
  if (poller != NULL)
    afdio__selector_lock(poller);
  listener__free(l);
  if (poller != NULL)
    afdio__selector_unlock(poller);
  return 0;
}

int afdio_pipe_connect(afdio_pipe_t **out, const char *name,
                       const afdio_pipe_options_t *options) {
  afdio_pipe_options_t o;
  WCHAR *wide;
  HANDLE h;
  int rc;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  if (name == NULL || afdio__pipe_options(options, &o) < 0)
    return AFDIO_EINVAL;
  rc = afdio__pipe_nt_init();
  if (rc < 0)
    return rc;
  wide = listener__wide(name);
  if (wide == NULL)
    return AFDIO_EINVAL;
  /* Identification only: the server may learn who connects, never act as
   * this user (SECURITY_SQOS_PRESENT, as libuv's pipe connect does). */
  h = CreateFileW(wide, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                  FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT |
                      SECURITY_IDENTIFICATION,
                  NULL);
  rc = h == INVALID_HANDLE_VALUE ? listener__open_error(GetLastError(), 0) : 0;
  free(wide);
  if (rc < 0)
    return rc;
  rc = afdio__pipe_new(h, o.buffer_size, out);
  if (rc < 0)
    CloseHandle(h);
  return rc;
}
