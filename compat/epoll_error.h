/* Errors of the epoll API: -1 with errno and the Win32 last error both set,
 * as wepoll reports them (wepoll src/error.c maps the same pairs). */
#ifndef AFDIO_COMPAT_EPOLL_ERROR_H
#define AFDIO_COMPAT_EPOLL_ERROR_H

#include <windows.h>

/* Sets errno and the last error for win_error; returns -1. */
int afdio__epoll_error_set(DWORD win_error);

/* The same for an AFDIO_E* code; returns -1. */
int afdio__epoll_error_from_afdio(int err);

/* 1 when h is an open handle of this process (of any kind), else 0 with
 * the error set to ERROR_INVALID_HANDLE / EBADF, as wepoll's
 * err_check_handle: GetHandleInformation, except for INVALID_HANDLE_VALUE,
 * which that call accepts as the current process. */
int afdio__epoll_error_check_handle(HANDLE h);

#endif
