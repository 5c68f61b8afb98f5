/* The request-head parser of http_hello (RFC 9112 section 3 and 5, the
 * strict reading: CRLF line ends, no folded headers). */
#include "http_parse.h"

#include <string.h>

/* tchar of RFC 9110 5.6.2: the characters of methods and header names. */
static int is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch));
}

static int lower(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int equal_nocase(const char *a, size_t len, const char *b) {
  if (strlen(b) != len)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (lower((unsigned char)a[i]) != b[i])
      return 0;
  return 1;
}

/* Whether the comma-separated list v[0, len) holds token (any case). */
static int list_has(const char *v, size_t len, const char *token) {
  size_t i = 0;
  while (i < len) {
    size_t start, end;
    while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
      i++;
    start = i;
    while (i < len && v[i] != ',')
      i++;
    end = i;
    while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
      end--;
    if (end > start && equal_nocase(v + start, end - start, token))
      return 1;
  }
  return 0;
}

/* "METHOD SP target SP HTTP/1.x" in line[0, len). Returns the minor
 * version (0 or 1) or -1. */
static int parse_request_line(const char *line, size_t len,
                              http_request_t *req) {
  size_t i = 0, m;
  while (i < len && is_tchar((unsigned char)line[i]))
    i++;
  m = i;
  if (m == 0 || i >= len || line[i++] != ' ')
    return -1;
  req->get_or_head = (m == 3 && memcmp(line, "GET", 3) == 0) ||
                     (m == 4 && memcmp(line, "HEAD", 4) == 0);
  req->head_only = m == 4 && memcmp(line, "HEAD", 4) == 0;
  req->path = line + i;
  while (i < len && line[i] > ' ' && line[i] < 0x7f)
    i++;
  if (line + i == req->path || i >= len || line[i++] != ' ')
    return -1;
  req->path_len = (size_t)(line + i - 1 - req->path);
  for (size_t q = 0; q < req->path_len; q++)
    if (req->path[q] == '?')
      req->path_len = q;
  if (len - i != 8 || memcmp(line + i, "HTTP/1.", 7) != 0 ||
      (line[i + 7] != '0' && line[i + 7] != '1'))
    return -1;
  return line[i + 7] - '0';
}

typedef struct head_state {
  int has_host, has_body, conn_close, conn_keep_alive;
} head_state_t;

/* "name: value" in line[0, len). Returns 0 or -1. */
static int parse_header(const char *line, size_t len, head_state_t *st) {
  size_t i = 0, name_len, vstart, vend;
  while (i < len && is_tchar((unsigned char)line[i]))
    i++;
  name_len = i;
  if (name_len == 0 || i >= len || line[i++] != ':')
    return -1; /* also a folded line, which starts with a blank */
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  vstart = i;
  for (; i < len; i++)
    if ((unsigned char)line[i] < ' ' && line[i] != '\t')
      return -1;
    else if (line[i] == 0x7f)
      return -1;
  vend = len;
  while (vend > vstart && (line[vend - 1] == ' ' || line[vend - 1] == '\t'))
    vend--;
  if (equal_nocase(line, name_len, "host"))
    st->has_host++;
  else if (equal_nocase(line, name_len, "transfer-encoding"))
    st->has_body = 1;
  else if (equal_nocase(line, name_len, "content-length"))
    st->has_body |= !(vend - vstart == 1 && line[vstart] == '0');
  else if (equal_nocase(line, name_len, "connection")) {
    st->conn_close |= list_has(line + vstart, vend - vstart, "close");
    st->conn_keep_alive |= list_has(line + vstart, vend - vstart, "keep-alive");
  }
  return 0;
}

/* Finds "\r\n" at or after from; returns its offset or len. */
static size_t line_end(const char *buf, size_t len, size_t from) {
  for (size_t i = from; i + 1 < len; i++)
    if (buf[i] == '\r' && buf[i + 1] == '\n')
      return i;
  return len;
}

int http_parse_request(const char *buf, size_t len, http_request_t *req) {
  head_state_t st = {0, 0, 0, 0};
  size_t start = 0, end;
  int minor;
  /* RFC 9112 2.2: empty lines before a request line are ignored. */
  while (start + 1 < len && buf[start] == '\r' && buf[start + 1] == '\n')
    start += 2;
  end = line_end(buf, len, start);
  if (end == len) {
    /* Not even the request line yet: reject what cannot become one. */
    for (size_t i = start; i < len; i++)
      if ((unsigned char)buf[i] < ' ' && buf[i] != '\r')
        return -1;
    return 0;
  }
  if ((minor = parse_request_line(buf + start, end - start, req)) < 0)
    return -1;
  for (;;) {
    size_t line = end + 2;
    end = line_end(buf, len, line);
    if (end == len)
      return 0; /* the head is not complete yet */
    if (end == line)
      break; /* the empty line: end of the head */
    if (parse_header(buf + line, end - line, &st) < 0)
      return -1;
  }
  if ((minor == 1 && st.has_host != 1) || (req->get_or_head && st.has_body))
    return -1;
  req->keep_alive = !st.conn_close && (minor == 1 || st.conn_keep_alive);
  return (int)(end + 2);
}
