/* Timers: one binary min-heap of armed timers per poller, ordered by
 * deadline (monotonic nanoseconds), guarded by one lock. Arm and disarm
 * are O(log n) and allocate nothing: the heap's array grows when a timer
 * is created, never when one is armed, so it always has room for every
 * timer of the poller. See core/timer.h for how the backends call in. */
#include "core/timer.h"

#include <stdlib.h>

#include "core/sys.h"

#define TIMERS__NS_PER_MS INT64_C(1000000)
#define TIMERS__NOT_ARMED SIZE_MAX
/* The longest single sleep a timer asks for, well inside an int and below
 * Windows' INFINITE; a longer one just loops in the backend's wait. */
#define TIMERS__MAX_MS (INT32_MAX / 2)

struct afdio__timers {
  afdio__lock_t lock;
  afdio_waker_t *kick; /* freed with the poller's wakers */
  uint64_t kick_token; /* the address of this table */
  afdio_timer_t **heap;
  size_t count;    /* armed timers, heap[0] the earliest */
  size_t capacity; /* >= the number of timers of the poller */
  size_t timers;   /* timers alive (armed or not) */
  afdio_timer_t *all;
  int sleepers; /* threads between wait_ms() and collect() that sleep */
};

struct afdio_timer {
  afdio__timers_t *table;
  uint64_t token;
  int64_t deadline; /* ns */
  int64_t repeat;   /* ns, 0 for a one-shot */
  size_t index;     /* in heap[], or TIMERS__NOT_ARMED */
  afdio_timer_t *prev, *next;
};

/* Creating the first table of a poller is rare: one lock for all. */
static afdio__lock_t timers__create_lock = AFDIO__LOCK_INITIALIZER;

static afdio__timers_t *timers__of(afdio_poller_t *p) {
  return __atomic_load_n(afdio__poller_timers(p), __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------------ */
/* The heap (under the lock)                                                 */

static void timers__place(afdio__timers_t *ts, afdio_timer_t *t, size_t i) {
  ts->heap[i] = t;
  t->index = i;
}

static void timers__up(afdio__timers_t *ts, size_t i) {
  afdio_timer_t *t = ts->heap[i];
  while (i > 0 && ts->heap[(i - 1) / 2]->deadline > t->deadline) {
    timers__place(ts, ts->heap[(i - 1) / 2], i);
    i = (i - 1) / 2;
  }
  timers__place(ts, t, i);
}

static void timers__down(afdio__timers_t *ts, size_t i) {
  afdio_timer_t *t = ts->heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= ts->count)
      break;
    if (c + 1 < ts->count && ts->heap[c + 1]->deadline < ts->heap[c]->deadline)
      c++;
    if (ts->heap[c]->deadline >= t->deadline)
      break;
    timers__place(ts, ts->heap[c], i);
    i = c;
  }
  timers__place(ts, t, i);
}

static void timers__remove(afdio__timers_t *ts, afdio_timer_t *t) {
  size_t i = t->index;
  afdio_timer_t *last = ts->heap[--ts->count];
  t->index = TIMERS__NOT_ARMED;
  if (last == t)
    return;
  timers__place(ts, last, i);
  timers__up(ts, i);
  timers__down(ts, last->index);
}

/* Sets the deadline, inserting or moving the timer in the heap. */
static void timers__set(afdio__timers_t *ts, afdio_timer_t *t,
                        int64_t deadline) {
  t->deadline = deadline;
  if (t->index == TIMERS__NOT_ARMED)
    timers__place(ts, t, ts->count++);
  timers__up(ts, t->index);
  timers__down(ts, t->index);
}

/* ------------------------------------------------------------------------ */
/* The table                                                                 */

static int timers__table_new(afdio_poller_t *p, afdio__timers_t **out) {
  afdio__timers_t *ts = calloc(1, sizeof *ts);
  if (ts == NULL)
    return AFDIO_ENOMEM;
  ts->kick_token = (uint64_t)(uintptr_t)ts;
  int err = afdio_waker_new(p, ts->kick_token, &ts->kick);
  /* A backend without wakers (WASI preview 1: no threads) needs none:
   * no other thread can arm a timer while a wait sleeps. */
  if (err == AFDIO_ENOSYS)
    ts->kick = NULL;
  else if (err < 0) {
    free(ts);
    return err;
  }
  afdio__lock_init(&ts->lock);
  *out = ts;
  return 0;
}

/* The poller's table, made at its first timer. */
static int timers__table(afdio_poller_t *p, afdio__timers_t **out) {
  int err = 0;
  *out = timers__of(p);
  if (*out != NULL)
    return 0;
  afdio__lock(&timers__create_lock);
  *out = timers__of(p);
  if (*out == NULL && (err = timers__table_new(p, out)) == 0) {
    __atomic_store_n(afdio__poller_timers(p), *out, __ATOMIC_RELEASE);
    /* A thread already asleep in the wait saw no table and is not counted
     * as a sleeper: wake it once, so it comes back and is. */
    if ((*out)->kick != NULL)
      (void)afdio_waker_wake((*out)->kick);
  }
  afdio__unlock(&timers__create_lock);
  return err;
}

void afdio__timers_delete(afdio_poller_t *p) {
  afdio__timers_t *ts = timers__of(p);
  if (ts == NULL)
    return;
  while (ts->all != NULL) {
    afdio_timer_t *t = ts->all;
    ts->all = t->next;
    free(t);
  }
  afdio__lock_destroy(&ts->lock);
  free(ts->heap);
  free(ts);
  *afdio__poller_timers(p) = NULL;
}

/* ------------------------------------------------------------------------ */
/* The wait hooks                                                            */

int64_t afdio__timers_wait_ms(afdio_poller_t *p, int64_t ms, int capacity,
                              afdio__timers_round_t *round) {
  afdio__timers_t *ts = timers__of(p);
  round->room = capacity;
  round->asleep = 0;
  if (ts == NULL)
    return ms;
  afdio__lock(&ts->lock);
  if (ts->count > 0) {
    int64_t left = ts->heap[0]->deadline - afdio__sys_now_ns();
    int64_t t =
        left <= 0 ? 0
                  : left / TIMERS__NS_PER_MS + (left % TIMERS__NS_PER_MS != 0);
    if (t > TIMERS__MAX_MS)
      t = TIMERS__MAX_MS;
    if (ms < 0 || t < ms)
      ms = t;
    /* Due already: the other half of the capacity is theirs. */
    if (left <= 0)
      round->room = capacity / 2;
  }
  round->asleep = ms != 0;
  ts->sleepers += round->asleep;
  afdio__unlock(&ts->lock);
  return ms;
}

/* The next deadline of a repeating timer: the next multiple of its period
 * after now, counted from its first deadline, so it never drifts; periods
 * missed by a late wait are reported once. */
static int64_t timers__next(const afdio_timer_t *t, int64_t now) {
  int64_t periods = (now - t->deadline) / t->repeat + 1; /* deadline <= now */
  if (periods > (INT64_MAX - t->deadline) / t->repeat)
    return INT64_MAX; /* saturates: never again */
  return t->deadline + periods * t->repeat;
}

int afdio__timers_collect(afdio_poller_t *p, afdio_event_t *events, int n,
                          int capacity, const afdio__timers_round_t *round) {
  afdio__timers_t *ts = timers__of(p);
  int kept = 0;
  if (ts == NULL)
    return n;
  afdio__lock(&ts->lock);
  ts->sleepers -= round->asleep;
  if (n < 0) {
    afdio__unlock(&ts->lock);
    return n;
  }
  for (int i = 0; i < n; i++)
    if (events[i].token != ts->kick_token)
      events[kept++] = events[i];
  int64_t now = ts->count > 0 ? afdio__sys_now_ns() : 0;
  while (kept < capacity && ts->count > 0 && ts->heap[0]->deadline <= now) {
    afdio_timer_t *t = ts->heap[0];
    afdio_event_t ev = {t->token, AFDIO_READABLE, 0};
    events[kept++] = ev;
    if (t->repeat > 0)
      timers__set(ts, t, timers__next(t, now));
    else
      timers__remove(ts, t);
  }
  afdio__unlock(&ts->lock);
  return kept;
}

/* ------------------------------------------------------------------------ */
/* The public API                                                            */

int64_t afdio_clock_ms(void) {
  return afdio__sys_now_ns() / TIMERS__NS_PER_MS;
}

int afdio_timer_new(afdio_poller_t *poller, uint64_t token,
                    afdio_timer_t **out) {
  afdio__timers_t *ts;
  if (out != NULL)
    *out = NULL;
  if (poller == NULL || out == NULL)
    return AFDIO_EINVAL;
  afdio_timer_t *t = calloc(1, sizeof *t);
  if (t == NULL)
    return AFDIO_ENOMEM;
  int err = timers__table(poller, &ts);
  if (err < 0) {
    free(t);
    return err;
  }
  afdio__lock(&ts->lock);
  /* Room in the heap for every timer, so that arming never allocates. */
  if (ts->timers == ts->capacity) {
    size_t cap = ts->capacity < 16 ? 16 : ts->capacity * 2;
    afdio_timer_t **heap = realloc(ts->heap, cap * sizeof *heap);
    if (heap == NULL) {
      afdio__unlock(&ts->lock);
      free(t);
      return AFDIO_ENOMEM;
    }
    ts->heap = heap;
    ts->capacity = cap;
  }
  ts->timers++;
  t->table = ts;
  t->token = token;
  t->index = TIMERS__NOT_ARMED;
  t->next = ts->all;
  if (t->next != NULL)
    t->next->prev = t;
  ts->all = t;
  afdio__unlock(&ts->lock);
  *out = t;
  return 0;
}

/* ms as nanoseconds added to base, saturating at INT64_MAX. */
static int64_t timers__add_ms(int64_t base, int64_t ms) {
  if (ms > (INT64_MAX - base) / TIMERS__NS_PER_MS)
    return INT64_MAX;
  return base + ms * TIMERS__NS_PER_MS;
}

static int timers__arm(afdio_timer_t *t, int64_t deadline, int64_t repeat_ms) {
  afdio__timers_t *ts = t->table;
  afdio__lock(&ts->lock);
  int64_t before = ts->count > 0 ? ts->heap[0]->deadline : INT64_MAX;
  t->repeat = timers__add_ms(0, repeat_ms);
  timers__set(ts, t, deadline);
  /* A thread asleep in the wait computed its timeout from the earliest
   * deadline it saw: only an earlier one needs to wake it. */
  int kick = ts->sleepers > 0 && deadline < before && ts->kick != NULL;
  afdio__unlock(&ts->lock);
  return kick ? afdio_waker_wake(ts->kick) : 0;
}

int afdio_timer_arm(afdio_timer_t *timer, int64_t delay_ms, int64_t repeat_ms) {
  if (timer == NULL || delay_ms < 0 || repeat_ms < 0)
    return AFDIO_EINVAL;
  return timers__arm(timer, timers__add_ms(afdio__sys_now_ns(), delay_ms),
                     repeat_ms);
}

int afdio_timer_arm_at(afdio_timer_t *timer, int64_t at_ms, int64_t repeat_ms) {
  if (timer == NULL || at_ms < 0 || repeat_ms < 0)
    return AFDIO_EINVAL;
  return timers__arm(timer, timers__add_ms(0, at_ms), repeat_ms);
}

int afdio_timer_disarm(afdio_timer_t *timer) {
  if (timer == NULL)
    return AFDIO_EINVAL;
  afdio__timers_t *ts = timer->table;
  afdio__lock(&ts->lock);
  int was_armed = timer->index != TIMERS__NOT_ARMED;
  if (was_armed)
    timers__remove(ts, timer);
  afdio__unlock(&ts->lock);
  return was_armed;
}

int afdio_timer_delete(afdio_timer_t *timer) {
  if (timer == NULL)
    return AFDIO_EINVAL;
  afdio__timers_t *ts = timer->table;
  afdio__lock(&ts->lock);
  if (timer->index != TIMERS__NOT_ARMED)
    timers__remove(ts, timer);
  if (timer->prev != NULL)
    timer->prev->next = timer->next;
  else
    ts->all = timer->next;
  if (timer->next != NULL)
    timer->next->prev = timer->prev;
  ts->timers--;
  afdio__unlock(&ts->lock);
  free(timer);
  return 0;
}
