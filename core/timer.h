/*
 * Timers on the poller (afdio_timer_*): a min-heap of deadlines per poller,
 * written once for every backend. A backend hooks it into its wait with
 * four lines, and implements one accessor:
 *
 *   afdio__timers_t **afdio__poller_timers(afdio_poller_t *p);
 *       the poller's slot for its timer table (NULL until the first
 *       afdio_timer_new(); written once, under a process-wide lock).
 *
 *   in afdio_poller_delete(), first:   afdio__timers_delete(p);
 *   before each blocking system call:  ms = afdio__timers_wait_ms(p, ms,
 *                                                           cap, &round);
 *   the system call, for round.room events (none when room is 0);
 *   after it, with the events it gave: n = afdio__timers_collect(p, events,
 *                                                      n, cap, &round);
 *
 * wait_ms() shortens the system call's timeout (ms: negative for ever, 0
 * for a poll, else milliseconds) to the next deadline, rounded up so no
 * timer is reported early, and says how many events the system call may
 * give: all of cap, or, while timers are already due, half of it (0 when
 * cap is 1), so that sockets that are always ready cannot starve the
 * timers, nor due timers the sockets. It also counts the thread as a
 * sleeper until collect() when the call will sleep. collect() drops the
 * timer table's own wake-up events (see below) from events[0..n) and
 * appends one event per expired timer while there is room; it returns the
 * new count (a negative n, an error, passes through). An expired timer
 * that does not fit stays due for the next wait. A wait that fails
 * between the two calls may skip collect(): the thread then stays
 * counted, which costs only needless wake-ups, never a missed one.
 *
 * Waking a blocked wait: arming a timer earlier than every other one while
 * a thread sleeps in the wait posts an internal waker (the public waker of
 * the backend, so no backend needs a new wake path). Its token is the
 * address of the timer table itself, which no caller's pointer can equal;
 * collect() removes its events.
 */
#ifndef AFDIO_CORE_TIMER_H
#define AFDIO_CORE_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "afdio.h"

typedef struct afdio__timers afdio__timers_t;

/* Implemented by each backend. */
afdio__timers_t **afdio__poller_timers(afdio_poller_t *p);

/* The hooks; each is a no-op while the poller has no timer table. */
void afdio__timers_delete(afdio_poller_t *p);
/* What wait_ms() decided for one round of a wait. */
typedef struct afdio__timers_round {
  int room;   /* events the system call may give */
  int asleep; /* counted as a sleeper */
} afdio__timers_round_t;

int64_t afdio__timers_wait_ms(afdio_poller_t *p, int64_t ms, int capacity,
                              afdio__timers_round_t *round);
int afdio__timers_collect(afdio_poller_t *p, afdio_event_t *events, int n,
                          int capacity, const afdio__timers_round_t *round);

#endif
