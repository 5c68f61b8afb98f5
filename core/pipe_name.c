/* Short pipe names and pipe options, the same on every platform. */
#include "core/pipe_name.h"

#include <string.h>

static int pipe_name__char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* A short name never carries a separator or starts with '.', so it cannot
 * walk out of the directory it is put in ("..", "a/b"), on any platform. */
int afdio__pipe_short_check(const char *short_name) {
  size_t i;
  if (short_name == NULL || short_name[0] == '\0' || short_name[0] == '.')
    return AFDIO_EINVAL;
  for (i = 0; short_name[i] != '\0'; i++) {
    if (i >= AFDIO__PIPE_SHORT_MAX || !pipe_name__char_ok(short_name[i]))
      return AFDIO_EINVAL;
  }
  return 0;
}

int afdio__pipe_options(const afdio_pipe_options_t *options,
                        afdio_pipe_options_t *out) {
  memset(out, 0, sizeof *out);
  if (options != NULL) {
    if (options->flags != 0 ||
        options->instances > AFDIO__PIPE_INSTANCES_MAX ||
        options->buffer_size > AFDIO__PIPE_BUFFER_MAX)
      return AFDIO_EINVAL;
    *out = *options;
  }
  if (out->instances == 0)
    out->instances = AFDIO__PIPE_INSTANCES_DEFAULT;
  if (out->buffer_size == 0)
    out->buffer_size = AFDIO__PIPE_BUFFER_DEFAULT;
  return 0;
}

int afdio__pipe_compose(char *buf, size_t size, const char *prefix,
                        const char *short_name, const char *suffix) {
  size_t a = strlen(prefix), b = strlen(short_name), c = strlen(suffix);
  if (a + b + c + 1 > size)
    return AFDIO_ENOBUFS;
  memcpy(buf, prefix, a);
  memcpy(buf + a, short_name, b);
  memcpy(buf + a + b, suffix, c + 1);
  return (int)(a + b + c);
}

static afdio__poller_gone_fn pipe_name__gone;

void afdio__poller_gone_set(afdio__poller_gone_fn fn) {
  __atomic_store_n(&pipe_name__gone, fn, __ATOMIC_RELEASE);
}

void afdio__poller_gone(afdio_poller_t *poller) {
  afdio__poller_gone_fn fn = __atomic_load_n(&pipe_name__gone, __ATOMIC_ACQUIRE);
  if (fn != NULL)
    fn(poller);
}
