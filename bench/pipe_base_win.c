/* pipe_pingpong's Windows baseline: what a server without afdio does, a
 * thread per pipe end with blocking ReadFile/WriteFile (a server thread
 * echoes, a client thread sends and counts). Run under Wine, each call is
 * a round trip to Wine's server, as afdio's are. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

const char *const bench_pipe_base_name = "threads_blocking";

typedef struct end {
  HANDLE h;
  HANDLE thread;
  int client;
  volatile LONG *stop;
  volatile LONG64 rt;
} end_t;

static int full(HANDLE h, void *buf, DWORD len, int writing) {
  DWORD done = 0, n;
  while (done < len) {
    BOOL ok = writing ? WriteFile(h, (char *)buf + done, len - done, &n, NULL)
                      : ReadFile(h, (char *)buf + done, len - done, &n, NULL);
    if (!ok || n == 0)
      return -1;
    done += n;
  }
  return 0;
}

static DWORD WINAPI end_main(void *arg) {
  end_t *e = arg;
  char buf[BENCH_MSG] = {0};
  if (e->client) {
    while (!*e->stop && full(e->h, buf, BENCH_MSG, 1) == 0 &&
           full(e->h, buf, BENCH_MSG, 0) == 0)
      InterlockedIncrement64(&e->rt);
    CloseHandle(e->h); /* the server's read fails: it ends too */
    e->h = NULL;
  } else {
    while (full(e->h, buf, BENCH_MSG, 0) == 0 &&
           full(e->h, buf, BENCH_MSG, 1) == 0) {
    }
  }
  return 0;
}

static int open_pair(size_t i, end_t *c, end_t *s) {
  WCHAR name[96];
  swprintf(name, 96, L"\\\\.\\pipe\\afdio-bench-base-%lu-%zu",
           (unsigned long)GetCurrentProcessId(), i);
  s->h = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX,
                          PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1,
                          65536, 65536, 0, NULL);
  if (s->h == INVALID_HANDLE_VALUE)
    return AFDIO_EIO;
  c->h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                     OPEN_EXISTING, 0, NULL);
  if (c->h == INVALID_HANDLE_VALUE) {
    CloseHandle(s->h);
    return AFDIO_EIO;
  }
  /* The client is connected already; the server's connect says so. */
  if (!ConnectNamedPipe(s->h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
    CloseHandle(s->h);
    CloseHandle(c->h);
    return AFDIO_EIO;
  }
  c->client = 1;
  return 0;
}

int bench_pipe_base_run(size_t pipes, double seconds, uint64_t *rt) {
  end_t *ends = calloc(2 * pipes, sizeof *ends);
  volatile LONG stop = 0;
  LONG64 start = 0, end = 0;
  size_t made = 0;
  int rc = ends != NULL ? 0 : AFDIO_ENOMEM;
  for (; rc == 0 && made < pipes; made++)
    rc = open_pair(made, &ends[2 * made], &ends[2 * made + 1]);
  if (rc < 0)
    made--;
  for (size_t i = 0; i < 2 * made; i++) {
    ends[i].stop = &stop;
    ends[i].thread = CreateThread(NULL, 64 * 1024, end_main, &ends[i], 0, NULL);
  }
  Sleep(20); /* the threads get going before the count starts */
  for (size_t i = 0; i < made; i++)
    start += ends[2 * i].rt;
  Sleep((DWORD)(seconds * 1000));
  for (size_t i = 0; i < made; i++)
    end += ends[2 * i].rt;
  InterlockedExchange(&stop, 1);
  for (size_t i = 0; i < 2 * made; i++) {
    if (ends[i].thread != NULL) {
      WaitForSingleObject(ends[i].thread, INFINITE);
      CloseHandle(ends[i].thread);
    }
    if (ends[i].h != NULL)
      CloseHandle(ends[i].h);
  }
  free(ends);
  *rt = (uint64_t)(end - start);
  return rc;
}
