/* AFD handle groups. */
#include "afd/poll_group.h"

#include <stdlib.h>

#include "afd/afd.h"
#include "afdio.h"

struct afdio__poll_group {
  afdio__queue_node_t node;
  afdio__poll_group_set_t *set;
  HANDLE afd;
  size_t users;
};

_Static_assert(AFDIO__POLL_GROUP_SIZE > 0, "a group holds one socket or more");

void afdio__poll_group_set_init(afdio__poll_group_set_t *set, HANDLE port) {
  afdio__queue_init(&set->groups);
  set->port = port;
}

void afdio__poll_group_set_cleanup(afdio__poll_group_set_t *set) {
  afdio__queue_node_t *node;
  while ((node = afdio__queue_pop_front(&set->groups)) != NULL) {
    afdio__poll_group_t *g = AFDIO__CONTAINER_OF(node, afdio__poll_group_t, node);
    CloseHandle(g->afd);
    free(g);
  }
}

static int poll_group__new(afdio__poll_group_set_t *set,
                           afdio__poll_group_t **out) {
  afdio__poll_group_t *g = calloc(1, sizeof *g);
  int err;
  if (g == NULL)
    return AFDIO_ENOMEM;
  err = afdio__afd_open(set->port, &g->afd);
  if (err < 0) {
    free(g);
    return err;
  }
  g->set = set;
  afdio__queue_init(&g->node);
  afdio__queue_push_front(&set->groups, &g->node);
  *out = g;
  return 0;
}

int afdio__poll_group_acquire(afdio__poll_group_set_t *set,
                              afdio__poll_group_t **out) {
  afdio__poll_group_t *g = NULL;
  int err;
  if (!afdio__queue_empty(&set->groups))
    g = AFDIO__CONTAINER_OF(set->groups.next, afdio__poll_group_t, node);
  if (g == NULL || g->users >= AFDIO__POLL_GROUP_SIZE) {
    err = poll_group__new(set, &g);
    if (err < 0)
      return err;
  }
  /* A full group moves to the back, so the front always has room if any
   * group does (the ordering wepoll src/poll-group.c keeps). */
  if (++g->users >= AFDIO__POLL_GROUP_SIZE)
    afdio__queue_push_back(&set->groups, &g->node);
  *out = g;
  return 0;
}

void afdio__poll_group_release(afdio__poll_group_t *group) {
  group->users--;
  afdio__queue_push_front(&group->set->groups, &group->node);
}

HANDLE afdio__poll_group_handle(const afdio__poll_group_t *group) {
  return group->afd;
}
