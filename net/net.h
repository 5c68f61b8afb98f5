/* What the net/ files share: the socket object every listener, stream and
 * datagram socket is built on (a socket plus its poller registration), and
 * the address helpers. No platform #if here: core/sys.h has them. */
#ifndef AFDIO_NET_NET_H
#define AFDIO_NET_NET_H

#include "core/sys.h"

/* What kind of object a socket belongs to, for the option checks. */
enum afdio__net_kind {
  AFDIO__NET_LISTENER = 1,
  AFDIO__NET_STREAM = 2,
  AFDIO__NET_DATAGRAM = 3
};

/* The common part of every net object. The poller is remembered so that
 * "would block" can re-arm the edge registration (mio's do_io) and close
 * can deregister before the socket goes away. */
struct afdio__net {
  afdio_socket_t sock;
  afdio_poller_t *poller; /* NULL when not registered */
  /* While registered, on net/socket.c's list of registered objects, so
   * that deleting the poller first makes the object forget it. */
  struct afdio__net *reg_prev, *reg_next;
  int family;             /* AF_INET, AF_INET6, AF_UNIX */
  int kind;               /* enum afdio__net_kind */
  int udp_connreset;      /* last AFDIO_OPT_UDP_CONNRESET set (no getter) */
  int connected;          /* datagrams: has a default peer */
};

/* --- net/addr.c ---------------------------------------------------------- */

/* The address as a platform sockaddr and its length, for system calls.
 * afdio__addr_check() returns the platform family (AF_*) of a valid
 * address, or AFDIO_EINVAL. */
int afdio__addr_check(const afdio_addr_t *addr);
const struct sockaddr *afdio__addr_sa(const afdio_addr_t *addr);
afdio__socklen_t afdio__addr_salen(const afdio_addr_t *addr);

/* 1 for a Unix-domain address that is an abstract name (leading NUL). */
int afdio__addr_is_abstract(const afdio_addr_t *addr);

/* Storage for a system call to fill, then afdio_addr_from_sockaddr(). */
struct sockaddr *afdio__addr_sa_mut(afdio_addr_t *addr);

/* --- net/socket.c -------------------------------------------------------- */

/* Opens a new socket of the address's family and the given type, in n. */
int afdio__net_open(struct afdio__net *n, const afdio_addr_t *addr, int type,
                    int kind);

/* Fills n with an existing socket (from accept or socketpair). */
void afdio__net_adopt(struct afdio__net *n, afdio_socket_t sock, int family,
                      int kind);

/* For the *_adopt functions: checks, changing nothing, that sock is a
 * socket of a supported family and of the kind's type (a listener: stream
 * and listening; a stream: stream and not listening; a datagram socket:
 * datagram). Returns its platform family (AF_*) or AFDIO_E*. */
int afdio__net_adopt_check(afdio_socket_t sock, int kind);

/* Adopts sock as a new object of size bytes that starts with its struct
 * afdio__net (a listener, stream or datagram socket): checks it, makes it
 * non-blocking and non-inheritable with the defaults afdio gives its own
 * sockets, and stores the object's net part in *out. On error the socket
 * is unchanged (unless the system refused the mode change itself). */
int afdio__net_adopt_object(struct afdio__net **out, size_t size,
                            afdio_socket_t sock, int kind);

/* Deregisters (if registered), stores the still open socket in *out and
 * frees the object n starts. AFDIO_EINVAL (nothing freed) for out NULL. */
int afdio__net_release(struct afdio__net *n, afdio_socket_t *out);

/* Binds n to addr, setting IPV6_V6ONLY first for IPv6 (on, unless flags
 * has AFDIO_DUAL_STACK). */
int afdio__net_bind(struct afdio__net *n, const afdio_addr_t *addr,
                    unsigned flags);

/* Deregisters (if registered), then closes the socket. */
int afdio__net_close(struct afdio__net *n);

int afdio__net_register(struct afdio__net *n, afdio_poller_t *poller,
                        uint64_t token, uint32_t interest);
int afdio__net_reregister(struct afdio__net *n, uint64_t token,
                          uint32_t interest);
/* Forgets the poller without deregistering (it is gone or keeps no state
 * for this object). */
void afdio__net_detach(struct afdio__net *n);
int afdio__net_deregister(struct afdio__net *n);

/* Passes result through; when it is AFDIO_EAGAIN and n is registered,
 * re-arms `events` first, so the next readiness is reported in edge mode. */
ptrdiff_t afdio__net_result(const struct afdio__net *n, ptrdiff_t result,
                            uint32_t events);

/* As afdio__net_result(), for stream I/O of asked bytes: a short count
 * re-arms as would-block does. */
ptrdiff_t afdio__net_stream_result(const struct afdio__net *n,
                                   ptrdiff_t result, size_t asked,
                                   uint32_t events);

int afdio__net_local_addr(const struct afdio__net *n, afdio_addr_t *addr);
int afdio__net_peer_addr(const struct afdio__net *n, afdio_addr_t *addr);
int afdio__net_take_error(const struct afdio__net *n);

/* --- net/stream.c -------------------------------------------------------- */

/* A new stream object owning sock (accepted or from socketpair). */
int afdio__stream_adopt(afdio_stream_t **out, afdio_socket_t sock, int family);

/* --- net/listener.c ------------------------------------------------------ */

/* A new listener object owning sock, already bound and listening (for
 * net/pipe_unix.c, which sets the socket file's mode between the two). */
int afdio__listener_adopt(afdio_listener_t **out, afdio_socket_t sock,
                          int family);

/* Forget the poller without deregistering (it was deleted). */
void afdio__listener_detach(afdio_listener_t *l);
void afdio__stream_detach(afdio_stream_t *s);
afdio_poller_t *afdio__stream_poller(const afdio_stream_t *s);
afdio_poller_t *afdio__listener_poller(const afdio_listener_t *l);

/* --- net/option.c -------------------------------------------------------- */

int afdio__net_setopt(struct afdio__net *n, afdio_option_t option,
                      int value);
int afdio__net_getopt(const struct afdio__net *n, afdio_option_t option,
                      int *value);

#endif
