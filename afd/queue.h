/* An intrusive, circular, doubly linked list: the node lives inside the
 * object, so queueing never allocates (as wepoll src/queue.h). */
#ifndef AFDIO_AFD_QUEUE_H
#define AFDIO_AFD_QUEUE_H

#include <stddef.h>

typedef struct afdio__queue_node {
  struct afdio__queue_node *prev;
  struct afdio__queue_node *next;
} afdio__queue_node_t;

/* The list head is a node too; an empty list points at itself. A node not
 * in any list also points at itself, so "is it queued?" is one test. */
static inline void afdio__queue_init(afdio__queue_node_t *node) {
  node->prev = node;
  node->next = node;
}

static inline int afdio__queue_empty(const afdio__queue_node_t *head) {
  return head->next == head;
}

static inline int afdio__queue_linked(const afdio__queue_node_t *node) {
  return node->next != node;
}

static inline void afdio__queue_remove(afdio__queue_node_t *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  afdio__queue_init(node);
}

static inline void afdio__queue_push_back(afdio__queue_node_t *head,
                                          afdio__queue_node_t *node) {
  afdio__queue_remove(node);
  node->prev = head->prev;
  node->next = head;
  head->prev->next = node;
  head->prev = node;
}

static inline void afdio__queue_push_front(afdio__queue_node_t *head,
                                           afdio__queue_node_t *node) {
  afdio__queue_remove(node);
  node->prev = head;
  node->next = head->next;
  head->next->prev = node;
  head->next = node;
}

/* Removes and returns the first node, or NULL when the list is empty. */
static inline afdio__queue_node_t *
afdio__queue_pop_front(afdio__queue_node_t *head) {
  afdio__queue_node_t *node = head->next;
  if (node == head)
    return NULL;
  afdio__queue_remove(node);
  return node;
}

#define AFDIO__CONTAINER_OF(ptr, type, member)                                 \
  ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
