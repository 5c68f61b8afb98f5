/* The AFD driver's poll interface: a helper handle on \Device\Afd, the
 * IOCTL_AFD_POLL request and its event bits. None of this is documented by
 * Microsoft; every fact below is cited from where it is used on real
 * Windows. */
#ifndef AFDIO_AFD_AFD_H
#define AFDIO_AFD_AFD_H

#include <stdint.h>

#include "afd/nt.h"

/* Poll event bits, as in wepoll src/afd.h and mio src/sys/windows/afd.rs. */
#define AFDIO__AFD_POLL_RECEIVE 0x0001u
#define AFDIO__AFD_POLL_RECEIVE_EXPEDITED 0x0002u
#define AFDIO__AFD_POLL_SEND 0x0004u
#define AFDIO__AFD_POLL_DISCONNECT 0x0008u
#define AFDIO__AFD_POLL_ABORT 0x0010u
#define AFDIO__AFD_POLL_LOCAL_CLOSE 0x0020u
#define AFDIO__AFD_POLL_CONNECT 0x0040u /* never requested: see sock_state.c */
#define AFDIO__AFD_POLL_ACCEPT 0x0080u
#define AFDIO__AFD_POLL_CONNECT_FAIL 0x0100u

/* AFD_POLL_HANDLE_INFO and AFD_POLL_INFO with one handle; layout as in
 * wepoll src/afd.h and mio src/sys/windows/afd.rs. The same buffer is the
 * request and the result, so it must outlive the poll (AFD-NOTES 13). */
typedef struct afdio__afd_poll_handle_info {
  HANDLE Handle;
  ULONG Events;
  afdio__ntstatus_t Status;
} afdio__afd_poll_handle_info_t;

typedef struct afdio__afd_poll_info {
  LARGE_INTEGER Timeout;
  ULONG NumberOfHandles;
  ULONG Exclusive;
  afdio__afd_poll_handle_info_t Handles[1];
} afdio__afd_poll_info_t;

/* Opens an AFD helper handle (no endpoint: not a socket), associates it with
 * the completion port under completion key 0, and stops the kernel from
 * signalling the handle on each completion. Returns 0 or AFDIO_E*;
 * AFDIO_ENOSYS when the device does not exist (Wine < 6.11). */
int afdio__afd_open(HANDLE port, HANDLE *out);

/* Submits a poll of one socket for the given AFD bits. iosb->Status is set
 * to STATUS_PENDING first, so it can be tested later (AFD-NOTES 5); the
 * IOSB is also the ApcContext, which the port hands back as lpOverlapped.
 * Returns the NTSTATUS of the submission: a packet will come unless it is
 * an error status (AFDIO__NT_ERROR). */
afdio__ntstatus_t afdio__afd_poll(HANDLE afd, uintptr_t base_socket,
                                  ULONG events, afdio__afd_poll_info_t *info,
                                  afdio__iosb_t *iosb);

/* Polls a fresh, unconnected socket for LOCAL_CLOSE and closes it, which
 * completes the poll: 0 when AFD accepted the poll (a packet will come),
 * AFDIO_ENOSYS when it refused it (Wine 6.11-7.12: STATUS_BAD_DEVICE_TYPE),
 * or AFDIO_E* when no socket could be made (then no packet comes). */
int afdio__afd_probe(HANDLE afd, afdio__afd_poll_info_t *info,
                     afdio__iosb_t *iosb);

/* Cancels a poll that may still be pending. Returns 0 (also when the poll
 * had already completed) or AFDIO_E*. Its packet still comes. */
int afdio__afd_cancel(HANDLE afd, afdio__iosb_t *iosb);

#endif
