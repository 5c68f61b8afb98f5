/* Winsock start-up and the translation of Windows error codes (Win32, WSA
 * and NTSTATUS) into AFDIO_E* codes: the one error table of the Windows
 * half, shared by iocp/, afd/ and net/. */
#ifndef AFDIO_IOCP_WINSOCK_H
#define AFDIO_IOCP_WINSOCK_H

/* Calls WSAStartup(2.2) once per process, whichever thread comes first;
 * later calls return the first call's result. Returns 0 or AFDIO_E*. */
int afdio__winsock_init(void);

/* A Win32 error (GetLastError) or a WSA error (WSAGetLastError) as an
 * AFDIO_E* code; 0 gives 0, an unknown code gives AFDIO_EIO. */
int afdio__win_error(unsigned long code);

/* An NTSTATUS (passed as its 32-bit value) as an AFDIO_E* code, through
 * RtlNtStatusToDosError; STATUS_SUCCESS gives 0. */
int afdio__nt_error(long status);

#endif
