/* The backend for targets that have none yet: every poller call fails with
 * AFDIO_ENOSYS after the argument checks every backend makes, so programs
 * link and fail clearly at run time. */
#include "afdio.h"
#include "core/timer.h"

const char *afdio_backend(void) { return "none"; }

/* No poller is ever made here, so no timer either: an empty slot. */
afdio__timers_t **afdio__poller_timers(afdio_poller_t *p) {
  static afdio__timers_t *none;
  (void)p;
  return &none;
}

int afdio_poller_new(afdio_poller_t **out) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  return AFDIO_ENOSYS;
}

int afdio_poller_delete(afdio_poller_t *poller) {
  return poller == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_poller_register(afdio_poller_t *poller, afdio_socket_t socket,
                          uint64_t token, uint32_t interest) {
  (void)socket, (void)token, (void)interest;
  return poller == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_poller_reregister(afdio_poller_t *poller, afdio_socket_t socket,
                            uint64_t token, uint32_t interest) {
  (void)socket, (void)token, (void)interest;
  return poller == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_poller_deregister(afdio_poller_t *poller, afdio_socket_t socket) {
  (void)socket;
  return poller == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_poller_rearm(afdio_poller_t *poller, afdio_socket_t socket,
                       uint32_t events) {
  (void)socket, (void)events;
  return poller == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_poller_wait(afdio_poller_t *poller, afdio_event_t *events,
                      size_t capacity, int64_t timeout_ms) {
  (void)events, (void)capacity, (void)timeout_ms;
  return poller == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_waker_new(afdio_poller_t *poller, uint64_t token,
                    afdio_waker_t **out) {
  (void)token;
  if (out != NULL)
    *out = NULL;
  return poller == NULL || out == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_waker_wake(afdio_waker_t *waker) {
  return waker == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}

int afdio_waker_delete(afdio_waker_t *waker) {
  return waker == NULL ? AFDIO_EINVAL : AFDIO_ENOSYS;
}
