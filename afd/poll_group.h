/* Groups of sockets sharing one AFD helper handle. Cancelling a poll costs
 * time proportional to the polls pending on its handle (trio#1280), one
 * handle per socket costs a handle each: groups are the middle way
 * (AFD-NOTES 9). */
#ifndef AFDIO_AFD_POLL_GROUP_H
#define AFDIO_AFD_POLL_GROUP_H

#include <stddef.h>

#include "afd/nt.h"
#include "afd/queue.h"

typedef struct afdio__poll_group afdio__poll_group_t;

/* All groups of one poller. Not thread-safe: the poller's lock guards it. */
typedef struct afdio__poll_group_set {
  afdio__queue_node_t groups; /* groups with room first, full ones last */
  HANDLE port;
} afdio__poll_group_set_t;

/* Sockets per AFD handle. bench/cancel_cost.c (`zig build bench-cancel`)
 * measured under Wine 8: an interest change costs 110-370 us whatever the
 * group size (Wine's cancel scans the process's whole async list, not the
 * handle's), while one handle per socket makes registration 1.5-5x slower.
 * Wine cannot show the real-Windows effect, where the cancel cost grows
 * with the polls pending on one handle (negligible up to ~1,000, trio#1280),
 * so 32 stays, as in wepoll, mio and polling. A build may choose another
 * size (`-Dpoll-group-size=N` defines AFDIO_POLL_GROUP_SIZE), which is how
 * the benchmark compares sizes. */
#ifdef AFDIO_POLL_GROUP_SIZE
#define AFDIO__POLL_GROUP_SIZE AFDIO_POLL_GROUP_SIZE
#else
#define AFDIO__POLL_GROUP_SIZE 32
#endif

void afdio__poll_group_set_init(afdio__poll_group_set_t *set, HANDLE port);

/* Closes every group's handle and frees the groups. Call only once no poll
 * is pending on any of them. */
void afdio__poll_group_set_cleanup(afdio__poll_group_set_t *set);

/* A group with room for one more socket (a new one when all are full).
 * Returns 0 and *out, or AFDIO_E*. */
int afdio__poll_group_acquire(afdio__poll_group_set_t *set,
                              afdio__poll_group_t **out);

/* Gives the socket's place back. The group stays open for reuse. */
void afdio__poll_group_release(afdio__poll_group_t *group);

HANDLE afdio__poll_group_handle(const afdio__poll_group_t *group);

#endif
