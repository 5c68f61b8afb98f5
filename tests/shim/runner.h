/* What each platform gives the shim's runner core (runner_core.c): a test
 * thread, a timed wait for it, and a way out when it hangs. runner_win.c
 * (Windows binaries under Wine) and runner_posix.c (native builds where
 * Criterion cannot run: ThreadSanitizer, the fuzz replay) implement it. */
#ifndef AFDIO_TEST_SHIM_RUNNER_H
#define AFDIO_TEST_SHIM_RUNNER_H

/* Starts entry(arg) on a new thread. 0, or -1 when no thread can be made. */
int runner__start(void (*entry)(void *), void *arg);

/* Waits up to timeout_s seconds for that thread. 1 when it ended (and is
 * reaped), 0 when it is still running. */
int runner__wait(double timeout_s);

/* Ends the process at once with code, whatever other threads hold. */
void runner__exit_now(int code);

#endif
