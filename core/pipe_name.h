/* The portable part of afdio_pipe_name(): what a short pipe name may be,
 * and the checks of afdio_pipe_options_t, shared by the Windows
 * (iocp/pipe_listener.c) and Unix (net/pipe_unix.c) implementations. */
#ifndef AFDIO_CORE_PIPE_NAME_H
#define AFDIO_CORE_PIPE_NAME_H

#include <stddef.h>

#include "afdio.h"

#define AFDIO__PIPE_SHORT_MAX 64
#define AFDIO__PIPE_INSTANCES_DEFAULT 4u
#define AFDIO__PIPE_INSTANCES_MAX 255u
#define AFDIO__PIPE_BUFFER_DEFAULT 65536u
#define AFDIO__PIPE_BUFFER_MAX (16u * 1024u * 1024u)

/* 0 for a valid short name (1-64 bytes of letters, digits, '.', '-', '_',
 * not starting with '.'), else AFDIO_EINVAL. */
int afdio__pipe_short_check(const char *short_name);

/* Options with the defaults filled in (options may be NULL), or
 * AFDIO_EINVAL for values out of range. */
int afdio__pipe_options(const afdio_pipe_options_t *options,
                        afdio_pipe_options_t *out);

/* Writes prefix, short_name and suffix into buf (size bytes with the NUL):
 * the length, or AFDIO_ENOBUFS. */
int afdio__pipe_compose(char *buf, size_t size, const char *prefix,
                        const char *short_name, const char *suffix);

/* Pipes outlive their poller on every platform: a pipe still registered
 * when its poller is deleted is let go (Windows: iocp/pipe.c cancels its
 * I/O), so closing it afterwards never touches the freed poller. On Unix,
 * where a pipe is a net/ stream that remembers its poller, the backend's
 * afdio_poller_delete() calls afdio__poller_gone() first, which calls the
 * function net/pipe_unix.c set (a call down the layers, through a pointer).
 * Thread-safe. */
typedef void (*afdio__poller_gone_fn)(afdio_poller_t *poller);
void afdio__poller_gone_set(afdio__poller_gone_fn fn);
void afdio__poller_gone(afdio_poller_t *poller);

#endif
