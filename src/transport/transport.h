/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message transports for vfio-user (the transport layer): framing by the
 * 16-byte header's size field, file descriptors passed as SCM_RIGHTS with
 * the message they belong to, partial reads and writes on non-blocking
 * sockets, and peer hang-up (reference/vfio-user.md §1.1, §6 "Transport").
 * The transport knows where the size field is and nothing else about a
 * message.
 *
 * A transport is an ops table so that other carriers (a pipe for fuzzing, a
 * twin socket) can be added; the UNIX stream socket is the implementation,
 * and transport_pair() gives two connected ends of one for tests.
 *
 * Thread model: a transport is used by one thread at a time.
 */
#ifndef VIDXD_TRANSPORT_TRANSPORT_H
#define VIDXD_TRANSPORT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Room for fds in one message; a transport's own limit may be lower. */
#define TRANSPORT_MAX_FDS 16

/* One received message. */
struct transport_msg {
    uint8_t *data; /* header + payload; owned by the transport, valid until
                      the next recv or close */
    size_t len; /* == the header's msg_size */
    int fds[TRANSPORT_MAX_FDS]; /* owned by the receiver of the message */
    size_t nfds;
    bool fds_dropped; /* more fds arrived than the limit: those were closed
                         and the message must be refused */
};

struct transport;

struct transport_ops {
    /*
     * Receive one whole message.  Returns 0 with *msg filled; -EAGAIN if
     * the socket has no complete message yet (the partial one is kept);
     * -ECONNRESET on end of stream (clean or mid-message); -EPROTO if the
     * header's size is below 16 or above the limit; another -errno.  After
     * any error but -EAGAIN the stream is unusable.
     */
    int (*recv)(struct transport *t, struct transport_msg *msg);
    /*
     * Send one message gathered from @iov with @nfds fds attached to its
     * first byte (the fds are duplicated by the kernel; the caller keeps
     * its own).  On a non-blocking socket a partial send is queued and
     * completed by flush().  Returns 0 (sent or queued), -EBUSY if an
     * earlier message is still queued, -EPIPE if the peer is gone, or
     * another -errno.
     */
    int (*send)(struct transport *t, const struct iovec *iov, size_t iovcnt,
                const int *fds, size_t nfds);
    /* Push queued bytes.  Returns 0 when nothing is left, -EAGAIN, -errno. */
    int (*flush)(struct transport *t);
    /* True while bytes of a sent message are still queued. */
    bool (*send_pending)(const struct transport *t);
    /* The pollable fd. */
    int (*fd)(const struct transport *t);
    /* Close the connection and free everything, pending fds included. */
    void (*close)(struct transport *t);
};

struct transport {
    const struct transport_ops *ops;
};

static inline int
transport_recv(struct transport *t, struct transport_msg *msg)
{
    return t->ops->recv(t, msg);
}

static inline int
transport_send(struct transport *t, const struct iovec *iov, size_t iovcnt,
               const int *fds, size_t nfds)
{
    return t->ops->send(t, iov, iovcnt, fds, nfds);
}

static inline int
transport_flush(struct transport *t)
{
    return t->ops->flush(t);
}

static inline bool
transport_send_pending(const struct transport *t)
{
    return t->ops->send_pending(t);
}

static inline int
transport_fd(const struct transport *t)
{
    return t->ops->fd(t);
}

/* Close @t; accepts NULL. */
void transport_close(struct transport *t);

/* Close every fd of @msg that is still >= 0 and set it to -1. */
void transport_msg_close_fds(struct transport_msg *msg);

/*
 * Wrap the connected stream socket @fd (ownership passes to the transport,
 * also on error) with a message size limit @max_msg_size (>= 16) and an fd
 * limit @max_fds (1..TRANSPORT_MAX_FDS).  The socket keeps its blocking
 * mode.  Returns 0, -EINVAL or -ENOMEM.
 */
int transport_sock_create(int fd, uint32_t max_msg_size, size_t max_fds,
                          struct transport **out);

/*
 * Create a listening UNIX stream socket at @path (non-blocking,
 * close-on-exec).  A stale socket file nobody listens on is replaced; a live
 * one gives -EADDRINUSE.  Returns 0, -ENAMETOOLONG or -errno.
 */
int transport_sock_listen(const char *path, int *fd_out);

/*
 * Accept one connection on @listen_fd as a non-blocking, close-on-exec
 * socket.  Returns 0, -EAGAIN if none is waiting, or -errno.
 */
int transport_sock_accept(int listen_fd, int *fd_out);

/*
 * Two connected socket transports (a socketpair) for tests and fuzzing;
 * @nonblock makes both ends non-blocking.  Returns 0 or -errno.
 */
int transport_pair(uint32_t max_msg_size, size_t max_fds, bool nonblock,
                   struct transport **a, struct transport **b);

#endif /* VIDXD_TRANSPORT_TRANSPORT_H */
