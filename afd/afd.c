/* AFD helper handles and the poll request. */
#include "afd/afd.h"

#include <winsock2.h>

#include "afdio.h"
#include "afd/error.h"

/* IOCTL_AFD_POLL, as in wepoll src/afd.c and mio src/sys/windows/afd.rs. */
#define AFD__IOCTL_POLL 0x00012024u

/* The last path component is free text; Windows itself opens names like
 * \Device\Afd\AsyncSelectHlp, wepoll uses \Device\Afd\Wepoll, mio
 * \Device\Afd\Mio (AFD-NOTES 1). */
static WCHAR afd__name[] = L"\\Device\\Afd\\Afdio";

#define AFD__FILE_OPEN 0x00000001u /* create disposition, from wdm.h */

int afdio__afd_open(HANDLE port, HANDLE *out) {
  afdio__unicode_string_t name;
  afdio__object_attributes_t attributes;
  afdio__iosb_t iosb;
  afdio__ntstatus_t status;
  HANDLE afd = NULL;
  int err;

  err = afdio__nt_global_init();
  if (err < 0)
    return err;
  name.Length = (USHORT)(sizeof afd__name - sizeof(WCHAR));
  name.MaximumLength = (USHORT)sizeof afd__name;
  name.Buffer = afd__name;
  ZeroMemory(&attributes, sizeof attributes);
  attributes.Length = sizeof attributes;
  attributes.ObjectName = &name;
  /* No extended attributes: the handle talks to AFD but is no endpoint
   * (wepoll src/afd.c, mio src/sys/windows/afd.rs). */
  status = afdio__nt_create_file(&afd, SYNCHRONIZE, &attributes, &iosb, NULL,
                                 0, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 AFD__FILE_OPEN, 0, NULL, 0);
  if (status != AFDIO__STATUS_SUCCESS) {
    err = afdio__nt_error(status);
    /* A missing device means the system has no AFD to poll with. */
    return err == AFDIO_EMFILE || err == AFDIO_ENOMEM ? err : AFDIO_ENOSYS;
  }
  if (CreateIoCompletionPort(afd, port, 0, 0) == NULL)
    goto fail;
  if (!SetFileCompletionNotificationModes(afd, FILE_SKIP_SET_EVENT_ON_HANDLE))
    goto fail;
  *out = afd;
  return 0;

fail:
  err = afdio__win_error(GetLastError());
  CloseHandle(afd);
  return err;
}

afdio__ntstatus_t afdio__afd_poll(HANDLE afd, uintptr_t base_socket,
                                  ULONG events, afdio__afd_poll_info_t *info,
                                  afdio__iosb_t *iosb) {
  /* An infinite timeout and one non-exclusive handle, as wepoll and mio. */
  info->Timeout.QuadPart = INT64_MAX;
  info->NumberOfHandles = 1;
  info->Exclusive = FALSE;
  info->Handles[0].Handle = (HANDLE)base_socket;
  info->Handles[0].Events = events;
  info->Handles[0].Status = 0;
  iosb->u.Status = AFDIO__STATUS_PENDING;
  iosb->Information = 0;
  return afdio__nt_device_io_control_file(afd, NULL, NULL, iosb, iosb,
                                          AFD__IOCTL_POLL, info, sizeof *info,
                                          info, sizeof *info);
}

int afdio__afd_cancel(HANDLE afd, afdio__iosb_t *iosb) {
  afdio__iosb_t cancel_iosb;
  afdio__ntstatus_t status;

  /* Only a poll that still reads STATUS_PENDING can be cancelled. */
  if (afdio__iosb_status(iosb) != AFDIO__STATUS_PENDING)
    return 0;
  status = afdio__nt_cancel_io_file_ex(afd, iosb, &cancel_iosb);
  /* STATUS_NOT_FOUND: it completed just before (wepoll src/afd.c). */
  if (status == AFDIO__STATUS_SUCCESS || status == AFDIO__STATUS_NOT_FOUND)
    return 0;
  return afdio__nt_error(status);
}

int afdio__afd_probe(HANDLE afd, afdio__afd_poll_info_t *info,
                     afdio__iosb_t *iosb) {
  afdio__ntstatus_t st;
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET)
    return afdio__win_error((unsigned long)WSAGetLastError());
  st = afdio__afd_poll(afd, (uintptr_t)s, AFDIO__AFD_POLL_LOCAL_CLOSE, info,
                       iosb);
  closesocket(s);
  /* A packet comes for every status but an error one. */
  return AFDIO__NT_ERROR(st) ? AFDIO_ENOSYS : 0;
}
