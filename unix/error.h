/* errno to AFDIO_E*: the one translation of Unix system errors, shared by
 * the epoll and kqueue backends and unix/socket.c. */
#ifndef AFDIO_UNIX_ERROR_H
#define AFDIO_UNIX_ERROR_H

/* Returns the negative AFDIO_E* code for a positive errno value. The same
 * meaning maps to the same code as afdio__win_error() does on Windows.
 * Anything not in the table gives AFDIO_EIO. EPERM stays AFDIO_EPERM here:
 * the pollers turn EPERM from epoll_ctl (a regular file) into
 * AFDIO_ENOTSOCK themselves, since only there it means "cannot be watched". */
int afdio__unix_error(int errnum);

/* For a call that creates a descriptor (epoll_create1, kqueue, eventfd,
 * pipe): AFDIO_EMFILE or AFDIO_ENOMEM as afdio__unix_error() says, any
 * other failure AFDIO_EIO, the codes afdio.h documents for creation. */
int afdio__unix_create_error(int errnum);

#endif
