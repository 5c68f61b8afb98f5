/* The shim runner's test thread on POSIX systems (see runner.h), for native
 * builds where Criterion itself cannot run: under ThreadSanitizer it fails
 * with "Could not initialize inheritable arena", and the fuzz replay
 * programs link no Criterion. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

static pthread_t runner_posix__thread;
static pthread_mutex_t runner_posix__lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t runner_posix__cond = PTHREAD_COND_INITIALIZER;
static int runner_posix__done;
static void (*runner_posix__entry)(void *);

static void *runner_posix__main(void *arg) {
  runner_posix__entry(arg);
  pthread_mutex_lock(&runner_posix__lock);
  runner_posix__done = 1;
  pthread_cond_signal(&runner_posix__cond);
  pthread_mutex_unlock(&runner_posix__lock);
  return NULL;
}

int runner__start(void (*entry)(void *), void *arg) {
  runner_posix__entry = entry;
  runner_posix__done = 0;
  return pthread_create(&runner_posix__thread, NULL, runner_posix__main,
                        arg) == 0
             ? 0
             : -1;
}

int runner__wait(double timeout_s) {
  struct timespec until;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)timeout_s;
  until.tv_nsec += (long)((timeout_s - (double)(time_t)timeout_s) * 1e9);
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&runner_posix__lock);
  while (!runner_posix__done && rc == 0)
    rc = pthread_cond_timedwait(&runner_posix__cond, &runner_posix__lock,
                                &until);
  int done = runner_posix__done;
  pthread_mutex_unlock(&runner_posix__lock);
  if (done)
    pthread_join(runner_posix__thread, NULL);
  return done;
}

void runner__exit_now(int code) { _exit(code); }
