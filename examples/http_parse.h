/* A strict little HTTP/1.x request-head parser for http_hello: no
 * allocation, no copies, bodies refused. */
#ifndef AFDIO_EXAMPLE_HTTP_PARSE_H
#define AFDIO_EXAMPLE_HTTP_PARSE_H

#include <stddef.h>

/* The longest request head accepted (request line and headers). */
#define HTTP_HEAD_MAX 8192

typedef struct http_request {
  const char *path; /* the target up to '?', inside the parsed buffer */
  size_t path_len;
  int get_or_head;  /* the method is GET or HEAD */
  int head_only;    /* HEAD: answer without the body */
  int keep_alive;   /* the connection stays open after the answer */
} http_request_t;

/* Parses the request at the start of buf[0, len). Returns the bytes it
 * takes (its head: requests with a body are refused), 0 when the head is
 * not complete yet, or -1 when it is malformed (answer 400): a bad request
 * line or header, a version other than 1.0 and 1.1, no Host in 1.1, or a
 * body (Content-Length other than 0, or Transfer-Encoding) on GET/HEAD. */
int http_parse_request(const char *buf, size_t len, http_request_t *req);

#endif
