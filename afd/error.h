/* The translation of Windows error codes (Win32, WSA and NTSTATUS) into
 * AFDIO_E* codes: the one error table of the Windows half, at its lowest
 * layer so afd/, iocp/ and net/ all use it. */
#ifndef AFDIO_AFD_ERROR_H
#define AFDIO_AFD_ERROR_H

/* A Win32 error (GetLastError) or a WSA error (WSAGetLastError) as an
 * AFDIO_E* code; 0 gives 0, an unknown code gives AFDIO_EIO. */
int afdio__win_error(unsigned long code);

/* An NTSTATUS (passed as its 32-bit value) as an AFDIO_E* code, through
 * RtlNtStatusToDosError; STATUS_SUCCESS gives 0. */
int afdio__nt_error(long status);

#endif
