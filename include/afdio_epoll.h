/*
 * afdio_epoll: the epoll API of wepoll (github.com/piscisaureus/wepoll) on
 * top of afdio, for Windows, with EPOLLET. A program written for wepoll
 * builds against it by changing its include to <afdio_epoll.h> and linking
 * afdio_epoll instead of wepoll.
 *
 * Conventions, as in wepoll:
 * - epoll_create/epoll_create1 return a HANDLE, NULL on failure; the other
 *   functions return -1 on failure (epoll_wait: else the event count). A
 *   failure sets both errno and the Win32 last error (GetLastError()):
 *     EBADF    ERROR_INVALID_HANDLE     not a valid handle (port or socket)
 *     EINVAL   ERROR_INVALID_PARAMETER  bad argument, or a valid handle
 *                                       that is not an epoll port
 *     EEXIST   ERROR_ALREADY_EXISTS     EPOLL_CTL_ADD of a member
 *     ENOENT   ERROR_NOT_FOUND          EPOLL_CTL_MOD/DEL of a non-member
 *     ENOTSOCK WSAENOTSOCK              a valid handle that is not a socket
 *     EFAULT   ERROR_NOACCESS           NULL event (ADD, MOD) or NULL array
 *     ENOMEM   ERROR_NOT_ENOUGH_MEMORY  out of memory
 *   Arguments are checked in wepoll's order: see each function.
 * - Thread safety: every function may be called from any thread, also
 *   while other threads wait on the same port; epoll_ctl takes effect at
 *   once, also for a thread already blocked in epoll_wait. Only
 *   epoll_close must not race with a call that starts after it.
 *
 * Semantics (README.md, "The epoll API (Windows)", has the full text):
 * level-triggered by default; EPOLLONESHOT reports once until
 * EPOLL_CTL_MOD, to exactly one of several waiting threads; EPOLLERR and
 * EPOLLHUP are reported whether requested or not; a socket closed without
 * EPOLL_CTL_DEL is dropped from the set. EPOLLET is accepted; its contract
 * (no lost wake-up, ever, and where extra events come from) is at EPOLLET
 * below.
 */
#ifndef AFDIO_EPOLL_H
#define AFDIO_EPOLL_H

#include <stdint.h>

/* Define AFDIO_EPOLL_SHARED when linking the DLL for dllimport (optional:
 * without it, calls go through the import library's thunks, as they do for
 * wepoll built as a DLL). */
#if defined(AFDIO_EPOLL_BUILDING_DLL)
#define AFDIO_EPOLL_API __declspec(dllexport)
#elif defined(AFDIO_EPOLL_SHARED)
#define AFDIO_EPOLL_API __declspec(dllimport)
#else
#define AFDIO_EPOLL_API
#endif

/* Linux's values. Note that wepoll 1.5 has EPOLLONESHOT at 1 << 31: a
 * program must be recompiled against this header (which it is, since the
 * include changes). */
#define EPOLLIN (1U << 0)
#define EPOLLPRI (1U << 1)
#define EPOLLOUT (1U << 2)
#define EPOLLERR (1U << 3)
#define EPOLLHUP (1U << 4)
#define EPOLLRDNORM (1U << 6)
#define EPOLLRDBAND (1U << 7)
#define EPOLLWRNORM (1U << 8)
#define EPOLLWRBAND (1U << 9)
#define EPOLLMSG (1U << 10) /* accepted, never reported (as on Linux) */
#define EPOLLRDHUP (1U << 13)
#define EPOLLONESHOT (1U << 30)
/* Edge-triggered. For a program unchanged from Linux, which reads or writes
 * until EAGAIN and never tells the poller, the bits an epoll_wait reported
 * for the socket are armed again when the next epoll_wait on the port
 * starts (at once if another thread is already blocked in epoll_wait on
 * it). So:
 * - no wake-up is ever lost: whatever still holds, or newly holds, at the
 *   next epoll_wait is reported;
 * - a program that drains to EAGAIN sees no extra read events;
 * - a program that stops before EAGAIN sees the event again at its next
 *   epoll_wait (Linux: only when more data arrives);
 * - EPOLLOUT kept in the set while the socket stays writable is reported at
 *   every epoll_wait (Linux: once per transition), because a socket that
 *   was written to EAGAIN and drained again cannot be told from one not
 *   written at all. Keep EPOLLOUT in the set only while there is something
 *   to write, or use AFDIO_EPOLLEXACT.
 * At most one event per socket per epoll_wait call either way: in effect
 * level-triggered, which an edge-triggered program handles correctly. */
#define EPOLLET (1U << 31)

/* afdio's extension, with EPOLLET: exact edges, as afdio's native edge
 * mode. A reported bit stays quiet until the program calls
 * afdio_epoll_rearm() after an operation returned WSAEWOULDBLOCK (or until
 * EPOLL_CTL_MOD); no extra events, and no EPOLLOUT at every wait. A program
 * that does not call it after would-block waits forever. Ignored without
 * EPOLLET. Linux does not define this bit (1 << 27 is unused there). */
#define AFDIO_EPOLLEXACT (1U << 27)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_MOD 2
#define EPOLL_CTL_DEL 3

typedef void *HANDLE;
typedef uintptr_t SOCKET;

typedef union epoll_data {
  void *ptr;
  int fd;
  uint32_t u32;
  uint64_t u64;
  SOCKET sock; /* Windows specific */
  HANDLE hnd;  /* Windows specific */
} epoll_data_t;

struct epoll_event {
  uint32_t events;   /* epoll events and flags */
  epoll_data_t data; /* given back with each event */
};

#ifdef __cplusplus
extern "C" {
#endif

/* Creates an epoll port; size is ignored but must be > 0.
 * Errors: EINVAL (size <= 0); ENOMEM; EMFILE; ENOSYS (no AFD: Wine older
 * than 7.13). The HANDLE is a real handle (an event object) owned by the
 * library: close it with epoll_close() only. */
AFDIO_EPOLL_API HANDLE epoll_create(int size);

/* As epoll_create(); flags must be 0. Errors: EINVAL (flags != 0); as
 * epoll_create(). */
AFDIO_EPOLL_API HANDLE epoll_create1(int flags);

/* Closes the port; its sockets stay open (they are the caller's). A thread
 * blocked in epoll_wait on it returns -1 with EBADF.
 * Errors, in order: EBADF (not a valid handle), EINVAL (a valid handle that
 * is not an epoll port). */
AFDIO_EPOLL_API int epoll_close(HANDLE ephnd);

/* Adds (EPOLL_CTL_ADD), changes (EPOLL_CTL_MOD) or removes (EPOLL_CTL_DEL)
 * sock. event: the events (any set, 0 included: EPOLLERR and EPOLLHUP are
 * always added) and the data given back; ignored (may be NULL) for DEL.
 * MOD re-arms: a oneshot or AFDIO_EPOLLEXACT registration is armed again.
 * Errors, in order (the first that applies, except that EBADF for ephnd or
 * sock wins over all others, as in wepoll and Linux): EBADF (ephnd not a
 * valid handle); EBADF (sock not a valid handle, or a socket closed and
 * dropped from the set); EINVAL (ephnd not a port; op unknown); EFAULT
 * (event NULL for ADD or MOD); ENOTSOCK (sock is not a socket); EEXIST
 * (ADD: already in the set); ENOENT (MOD, DEL: not in the set); ENOMEM. */
AFDIO_EPOLL_API int epoll_ctl(HANDLE ephnd, int op, SOCKET sock,
                              struct epoll_event *event);

/* Waits for events; stores at most maxevents of them and returns how many,
 * 0 when timeout (ms) passed first; timeout 0 polls, a negative one waits
 * forever. Each event carries the data of the registration.
 * Errors, in order: EINVAL (maxevents <= 0); EFAULT (events NULL); EBADF
 * (ephnd not a valid handle, or the port was closed during the wait);
 * EINVAL (ephnd not a port). */
AFDIO_EPOLL_API int epoll_wait(HANDLE ephnd, struct epoll_event *events,
                               int maxevents, int timeout);

/* afdio's extension, for EPOLLET | AFDIO_EPOLLEXACT registrations: an
 * operation on sock returned WSAEWOULDBLOCK for events (EPOLLIN, EPOLLOUT,
 * EPOLLPRI, or their RDNORM/WRNORM/RDBAND/WRBAND forms), so their next
 * readiness is reported. On other registrations it is harmless.
 * Errors: as epoll_ctl(EPOLL_CTL_MOD), and EINVAL when events has none of
 * the bits above. */
AFDIO_EPOLL_API int afdio_epoll_rearm(HANDLE ephnd, SOCKET sock,
                                      uint32_t events);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AFDIO_EPOLL_H */
