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

/* Objects of the layers above outlive their poller: afdio_poller_delete()
 * calls afdio__poller_gone() first, on every backend, which calls the
 * function net/socket.c set (a call up the layers, through a pointer, set
 * once): every net/ object (and so every Unix pipe) still registered with
 * that poller forgets it, so closing it afterwards never touches the freed
 * poller. Windows pipes are let go by iocp/pipe.c itself. Thread-safe. */
typedef void (*afdio__poller_gone_fn)(afdio_poller_t *poller);
void afdio__poller_gone_set(afdio__poller_gone_fn fn);
void afdio__poller_gone(afdio_poller_t *poller);

#endif
