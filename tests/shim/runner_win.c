/* The shim runner's test thread on Windows (see runner.h). */
#include <windows.h>

#include "runner.h"

static HANDLE runner_win__thread;
static void (*runner_win__entry)(void *);

static DWORD WINAPI runner_win__main(LPVOID arg) {
  runner_win__entry(arg);
  return 0;
}

int runner__start(void (*entry)(void *), void *arg) {
  runner_win__entry = entry;
  runner_win__thread = CreateThread(NULL, 0, runner_win__main, arg, 0, NULL);
  return runner_win__thread == NULL ? -1 : 0;
}

int runner__wait(double timeout_s) {
  if (WaitForSingleObject(runner_win__thread, (DWORD)(timeout_s * 1000.0)) !=
      WAIT_OBJECT_0)
    return 0;
  CloseHandle(runner_win__thread);
  return 1;
}

void runner__exit_now(int code) { ExitProcess((UINT)code); }
