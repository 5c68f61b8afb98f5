/* The registration table of the Unix backends: for each descriptor number,
 * the interest (0: none) and the token it was registered with. It answers the questions the
 * kernel cannot answer cheaply: "is this fd registered?" for
 * afdio_poller_rearm(), and which filters to change on kqueue.
 *
 * The table holds no lock: the poller calls it under its own mutex, so that
 * a kernel change and the table update are one step for other threads. The
 * kernel stays the authority where it can be asked (epoll_ctl ADD, MOD,
 * DEL); an entry may be stale after a registered fd was closed. */
#ifndef AFDIO_UNIX_FDTABLE_H
#define AFDIO_UNIX_FDTABLE_H

#include <stdint.h>

typedef struct afdio__fdtable afdio__fdtable_t;

/* A new, empty table in *out. Errors: AFDIO_ENOMEM. */
int afdio__fdtable_new(afdio__fdtable_t **out);
void afdio__fdtable_delete(afdio__fdtable_t *table);

/* Makes room for fd, so that a later afdio__fdtable_set() cannot fail.
 * Call it before the kernel change. Errors: AFDIO_ENOMEM. */
int afdio__fdtable_reserve(afdio__fdtable_t *table, int fd);

/* Records fd's interest (never 0) and token. fd must have been reserved. */
void afdio__fdtable_set(afdio__fdtable_t *table, int fd, uint32_t interest,
                        uint64_t token);

/* fd's interest, or 0 when fd is not registered; *token (may be NULL) gets
 * its token. */
uint32_t afdio__fdtable_get(const afdio__fdtable_t *table, int fd,
                            uint64_t *token);

/* 0 when fd has an entry, else AFDIO_ENOENT: afdio_poller_rearm()'s
 * answer on the backends whose kernel re-arms edges by itself. */
int afdio__fdtable_registered(const afdio__fdtable_t *table, int fd);

/* Forgets fd. */
void afdio__fdtable_clear(afdio__fdtable_t *table, int fd);

#endif
