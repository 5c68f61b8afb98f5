/* http_hello's answers (see http_reply.h). */
#include "http_reply.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Room a response needs in the output buffer before the next request is
 * answered; larger than any response made here. */
#define RESPONSE_MAX 512

/* Appends one response. RFC 9110 wants a Date from a server with a clock. */
static void reply(http_buffers_t *c, const http_request_t *req, int status,
                  const char *reason, const char *body) {
  char date[64];
  time_t now = time(NULL);
  struct tm *tm = gmtime(&now);
  size_t room = sizeof c->out - c->out_tail;
  int n;
  if (tm == NULL ||
      strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", tm) == 0)
    date[0] = '\0';
  n = snprintf(c->out + c->out_tail, room,
               "HTTP/1.1 %d %s\r\n"
               "Date: %s\r\n"
               "Content-Type: text/plain\r\n"
               "Content-Length: %zu\r\n"
               "%s"
               "Connection: %s\r\n"
               "\r\n"
               "%s",
               status, reason, date, strlen(body),
               status == 405 ? "Allow: GET, HEAD\r\n" : "",
               c->closing ? "close" : "keep-alive",
               req != NULL && req->head_only ? "" : body);
  if (n > 0 && (size_t)n < room)
    c->out_tail += (size_t)n;
}

unsigned long http_reply_answer(http_buffers_t *c) {
  unsigned long answered = 0;
  while (!c->closing && sizeof c->out - c->out_tail >= RESPONSE_MAX) {
    http_request_t req;
    int used = http_parse_request(c->in, c->in_len, &req);
    if (used == 0)
      break; /* incomplete: wait for more bytes */
    answered++;
    if (used < 0) {
      c->closing = 1;
      reply(c, NULL, 400, "Bad Request", "bad request\n");
      break;
    }
    c->closing = !req.keep_alive;
    if (!req.get_or_head) {
      c->closing = 1; /* its body, if any, was not read */
      reply(c, &req, 405, "Method Not Allowed", "method not allowed\n");
    } else if (req.path_len == 1 && req.path[0] == '/') {
      reply(c, &req, 200, "OK", "Hello, world!\n");
    } else {
      reply(c, &req, 404, "Not Found", "not found\n");
    }
    memmove(c->in, c->in + used, c->in_len - (size_t)used);
    c->in_len -= (size_t)used;
  }
  if (!c->closing && c->in_len == sizeof c->in) {
    c->closing = 1; /* a full buffer and still no complete head */
    reply(c, NULL, 431, "Request Header Fields Too Large",
          "request head too large\n");
  }
  return answered;
}
