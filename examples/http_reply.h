/* What http_hello answers, apart from its I/O: one connection's request and
 * response buffers, and the answers to the complete requests in them. Kept
 * apart so bench/http_wsapoll.c (the WSAPoll baseline) answers byte for
 * byte the same. */
#ifndef AFDIO_EXAMPLE_HTTP_REPLY_H
#define AFDIO_EXAMPLE_HTTP_REPLY_H

#include <stddef.h>

#include "http_parse.h"

typedef struct http_buffers {
  size_t in_len;             /* request bytes not yet answered */
  size_t out_head, out_tail; /* response bytes not yet sent: out[head, tail) */
  int closing;               /* answer what is queued, then close */
  char in[HTTP_HEAD_MAX];
  char out[16 * 1024];
} http_buffers_t;

/* Answers the complete requests at the start of b->in, in order, while
 * b->out has room for a response, and drops them from b->in: GET / (or
 * HEAD /) "Hello, world!", another path 404, another method 405, a
 * malformed request 400 and a head over HTTP_HEAD_MAX bytes 431 (the last
 * three, and "Connection: close", set closing). Returns the requests
 * answered. */
unsigned long http_reply_answer(http_buffers_t *b);

#endif
