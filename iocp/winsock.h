/* Winsock start-up, once per process. */
#ifndef AFDIO_IOCP_WINSOCK_H
#define AFDIO_IOCP_WINSOCK_H

/* Calls WSAStartup(2.2) once per process, whichever thread comes first;
 * later calls return the first call's result. Returns 0 or AFDIO_E*. */
int afdio__winsock_init(void);

#endif
