/* The Windows half of the examples' platform glue: the console control
 * handler wakes the event loop, and the performance counter is the clock. */
#include "example.h"

#include <windows.h>

static afdio_waker_t *signal__waker;

/* Windows runs a control handler on a new thread; afdio_waker_wake() may be
 * called from any thread. Returning TRUE says the event is handled, so the
 * process is not ended at once and the loop can close everything itself
 * (for CTRL_CLOSE_EVENT Windows still ends it a few seconds later). */
static BOOL WINAPI signal__handler(DWORD type) {
  switch (type) {
  case CTRL_C_EVENT:
  case CTRL_BREAK_EVENT:
  case CTRL_CLOSE_EVENT:
    afdio_waker_wake(signal__waker);
    return TRUE;
  default:
    return FALSE;
  }
}

int example_stop_on_signals(afdio_waker_t *waker) {
  signal__waker = waker;
  return SetConsoleCtrlHandler(signal__handler, TRUE) ? 0 : AFDIO_EIO;
}

double example_now(void) {
  static double ticks_per_second;
  LARGE_INTEGER count;
  if (ticks_per_second == 0) {
    LARGE_INTEGER freq;
    QueryPerformanceFrequency(&freq);
    ticks_per_second = (double)freq.QuadPart;
  }
  QueryPerformanceCounter(&count);
  return (double)count.QuadPart / ticks_per_second;
}
