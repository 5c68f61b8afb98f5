/* A small TCP echo server on an afdio poller, written the way a program
 * that uses afdio would be: the server is a module the program's main loop
 * and its test both drive. */
#ifndef ECHO_H
#define ECHO_H

#include <afdio.h>

typedef struct echo echo_t;

/* Tokens at or above this value are the server's; below it, the caller's. */
#define ECHO_TOKEN_BASE ((uint64_t)1 << 32)

/* Listens on addr ("127.0.0.1:0": any free port) and registers with poller.
 * Returns 0 or a negative AFDIO_E* code. */
int echo_new(echo_t **out, afdio_poller_t *poller, const char *addr);

/* The port it listens on. */
int echo_port(const echo_t *echo);

/* Handles one event from afdio_poller_wait() whose token is the server's
 * (>= ECHO_TOKEN_BASE). Returns 0, or an AFDIO_E* code from the listener. */
int echo_handle(echo_t *echo, const afdio_event_t *event);

/* Closes every connection and the listener. */
void echo_delete(echo_t *echo);

#endif
