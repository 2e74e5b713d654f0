/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UNIX stream socket transport: incremental receive of header then body
 * (so a client that stalls mid-message never blocks the event loop), fds
 * collected from SCM_RIGHTS up to a limit with the excess closed, sends
 * with MSG_NOSIGNAL and a one-message queue for partial writes
 * (reference/vfio-user.md §1.1, §6 "Transport").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/vfio_user.h"
#include "transport/transport.h"

#define HDR_SIZE sizeof(struct vidxd_vu_hdr)

struct sock_transport {
    struct transport base;
    int fd;
    uint32_t max_msg_size;
    size_t max_fds;

    /* Receive state of the message in progress. */
    uint8_t *rx;
    size_t rx_cap;
    size_t rx_got;
    uint32_t rx_want; /* msg_size once the header is in, else 0 */
    int rx_fds[TRANSPORT_MAX_FDS];
    size_t rx_nfds;
    bool rx_fds_dropped;

    /* Queued remainder of a partially sent message. */
    uint8_t *tx;
    size_t tx_len;
    size_t tx_off;
    int tx_fds[TRANSPORT_MAX_FDS]; /* still to go with the first byte */
    size_t tx_nfds;
};

void
transport_close(struct transport *t)
{
    if (t != NULL) {
        t->ops->close(t);
    }
}

void
transport_msg_close_fds(struct transport_msg *msg)
{
    size_t i;

    for (i = 0; i < msg->nfds; i++) {
        if (msg->fds[i] >= 0) {
            close(msg->fds[i]);
            msg->fds[i] = -1;
        }
    }
    msg->nfds = 0;
}

static void
close_fd_array(int *fds, size_t *n)
{
    size_t i;

    for (i = 0; i < *n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    *n = 0;
}

/* Take the fds of every SCM_RIGHTS block; keep up to the limit. */
static void
collect_fds(struct sock_transport *s, struct msghdr *mh)
{
    struct cmsghdr *c;

    if (mh->msg_flags & MSG_CTRUNC) {
        /* The kernel discarded what did not fit in our buffer. */
        s->rx_fds_dropped = true;
    }
    for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
        size_t i, n;
        int fd;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < n; i++) {
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (s->rx_nfds < s->max_fds) {
                s->rx_fds[s->rx_nfds++] = fd;
            } else {
                close(fd);
                s->rx_fds_dropped = true;
            }
        }
    }
}

static int
sock_recv(struct transport *t, struct transport_msg *msg)
{
    struct sock_transport *s = (struct sock_transport *)t;
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(int) * TRANSPORT_MAX_FDS)];
    } cbuf;

    for (;;) {
        size_t target = s->rx_want != 0 ? s->rx_want : HDR_SIZE;
        struct iovec iov = {s->rx + s->rx_got, target - s->rx_got};
        struct msghdr mh = {0};
        ssize_t n;

        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * s->max_fds);
        n = recvmsg(s->fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return -EAGAIN;
            }
            return -errno;
        }
        collect_fds(s, &mh);
        if (n == 0) {
            return -ECONNRESET;
        }
        s->rx_got += (size_t)n;
        if (s->rx_want == 0 && s->rx_got == HDR_SIZE) {
            struct vidxd_vu_hdr hdr;

            memcpy(&hdr, s->rx, sizeof(hdr));
            /* Framing (§1.1): the size counts the header itself. */
            if (hdr.msg_size < HDR_SIZE || hdr.msg_size > s->max_msg_size) {
                return -EPROTO;
            }
            if (hdr.msg_size > s->rx_cap) {
                uint8_t *nb = realloc(s->rx, hdr.msg_size);

                if (nb == NULL) {
                    return -ENOMEM;
                }
                s->rx = nb;
                s->rx_cap = hdr.msg_size;
            }
            s->rx_want = hdr.msg_size;
        }
        if (s->rx_want != 0 && s->rx_got == s->rx_want) {
            msg->data = s->rx;
            msg->len = s->rx_want;
            memcpy(msg->fds, s->rx_fds, s->rx_nfds * sizeof(int));
            msg->nfds = s->rx_nfds;
            msg->fds_dropped = s->rx_fds_dropped;
            s->rx_got = 0;
            s->rx_want = 0;
            s->rx_nfds = 0;
            s->rx_fds_dropped = false;
            return 0;
        }
    }
}

/* sendmsg() once, with fds in the first call.  Returns bytes or -errno. */
static ssize_t
send_once(int fd, struct iovec *iov, size_t iovcnt, const int *fds,
          size_t nfds)
{
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(int) * TRANSPORT_MAX_FDS)];
    } cbuf;
    struct msghdr mh = {0};
    ssize_t n;

    mh.msg_iov = iov;
    mh.msg_iovlen = iovcnt;
    if (nfds > 0) {
        struct cmsghdr *c;

        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    do {
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static int
sock_flush(struct transport *t)
{
    struct sock_transport *s = (struct sock_transport *)t;

    while (s->tx_off < s->tx_len) {
        struct iovec iov = {s->tx + s->tx_off, s->tx_len - s->tx_off};
        ssize_t n = send_once(s->fd, &iov, 1, s->tx_fds, s->tx_nfds);

        if (n == -EAGAIN || n == -EWOULDBLOCK) {
            return -EAGAIN;
        }
        if (n < 0) {
            return (int)n;
        }
        close_fd_array(s->tx_fds, &s->tx_nfds);
        s->tx_off += (size_t)n;
    }
    free(s->tx);
    s->tx = NULL;
    s->tx_len = s->tx_off = 0;
    return 0;
}

/* Queue the part of @iov after byte @sent, and the fds if none went yet. */
static int
queue_rest(struct sock_transport *s, const struct iovec *iov, size_t iovcnt,
           size_t total, size_t sent, const int *fds, size_t nfds)
{
    size_t i, pos = 0, w = 0;

    s->tx = malloc(total - sent);
    if (s->tx == NULL) {
        return -ENOMEM;
    }
    for (i = 0; i < iovcnt; i++) {
        size_t a = pos, b = pos + iov[i].iov_len;

        if (b > sent) {
            size_t from = a > sent ? 0 : sent - a;

            memcpy(s->tx + w, (const uint8_t *)iov[i].iov_base + from,
                   iov[i].iov_len - from);
            w += iov[i].iov_len - from;
        }
        pos = b;
    }
    s->tx_len = w;
    s->tx_off = 0;
    if (sent == 0) {
        for (i = 0; i < nfds; i++) {
            s->tx_fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
            if (s->tx_fds[i] < 0) {
                int rc = -errno;

                s->tx_nfds = i;
                close_fd_array(s->tx_fds, &s->tx_nfds);
                free(s->tx);
                s->tx = NULL;
                s->tx_len = 0;
                return rc;
            }
        }
        s->tx_nfds = nfds;
    }
    return 0;
}

static int
sock_send(struct transport *t, const struct iovec *iov, size_t iovcnt,
          const int *fds, size_t nfds)
{
    struct sock_transport *s = (struct sock_transport *)t;
    struct iovec local[8];
    size_t i, total = 0;
    ssize_t n;
    int rc;

    if (s->tx != NULL) {
        return -EBUSY;
    }
    if (iovcnt > 8 || nfds > TRANSPORT_MAX_FDS) {
        return -EINVAL;
    }
    for (i = 0; i < iovcnt; i++) {
        local[i] = iov[i];
        total += iov[i].iov_len;
    }
    n = send_once(s->fd, local, iovcnt, fds, nfds);
    if (n == -EAGAIN || n == -EWOULDBLOCK) {
        n = 0;
    } else if (n < 0) {
        return (int)n;
    }
    if ((size_t)n == total) {
        return 0;
    }
    /*
     * A blocking socket only returns short on a signal, a non-blocking one
     * when the peer's buffer is full.  Keep the rest and try once more: on
     * a blocking socket that sends it all.
     */
    rc = queue_rest(s, iov, iovcnt, total, (size_t)n, fds, nfds);
    if (rc == 0) {
        rc = sock_flush(t);
    }
    return rc == -EAGAIN ? 0 : rc;
}

static bool
sock_send_pending(const struct transport *t)
{
    const struct sock_transport *s = (const struct sock_transport *)t;

    return s->tx != NULL;
}

static int
sock_fd(const struct transport *t)
{
    return ((const struct sock_transport *)t)->fd;
}

static void
sock_close(struct transport *t)
{
    struct sock_transport *s = (struct sock_transport *)t;

    close_fd_array(s->rx_fds, &s->rx_nfds);
    close_fd_array(s->tx_fds, &s->tx_nfds);
    if (s->fd >= 0) {
        close(s->fd);
    }
    free(s->rx);
    free(s->tx);
    free(s);
}

static const struct transport_ops sock_ops = {
    .recv = sock_recv,
    .send = sock_send,
    .flush = sock_flush,
    .send_pending = sock_send_pending,
    .fd = sock_fd,
    .close = sock_close,
};

int
transport_sock_create(int fd, uint32_t max_msg_size, size_t max_fds,
                      struct transport **out)
{
    struct sock_transport *s;

    if (fd < 0 || max_msg_size < HDR_SIZE || max_fds == 0 ||
        max_fds > TRANSPORT_MAX_FDS) {
        if (fd >= 0) {
            close(fd);
        }
        return -EINVAL;
    }
    s = calloc(1, sizeof(*s));
    if (s != NULL) {
        /* Most messages are small; grow on demand up to the limit. */
        s->rx_cap = 256 < max_msg_size ? 256 : max_msg_size;
        s->rx = malloc(s->rx_cap);
    }
    if (s == NULL || s->rx == NULL) {
        free(s);
        close(fd);
        return -ENOMEM;
    }
    s->base.ops = &sock_ops;
    s->fd = fd;
    s->max_msg_size = max_msg_size;
    s->max_fds = max_fds;
    *out = &s->base;
    return 0;
}

int
transport_sock_listen(const char *path, int *fd_out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd, rc;

    if (path == NULL || strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int probe;

        rc = -errno;
        if (rc != -EADDRINUSE) {
            goto fail;
        }
        /* Replace the file only if nobody answers on it (stale socket). */
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            rc = -errno;
            goto fail;
        }
        if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
            errno != ECONNREFUSED) {
            close(probe);
            rc = -EADDRINUSE;
            goto fail;
        }
        close(probe);
        if (unlink(path) < 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            rc = -errno;
            goto fail;
        }
    }
    if (listen(fd, 16) < 0) {
        rc = -errno;
        goto fail;
    }
    *fd_out = fd;
    return 0;
fail:
    close(fd);
    return rc;
}

int
transport_sock_accept(int listen_fd, int *fd_out)
{
    int fd;

    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return (errno == EWOULDBLOCK) ? -EAGAIN : -errno;
    }
    *fd_out = fd;
    return 0;
}

int
transport_pair(uint32_t max_msg_size, size_t max_fds, bool nonblock,
               struct transport **a, struct transport **b)
{
    int sv[2], rc;
    int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);

    if (socketpair(AF_UNIX, type, 0, sv) < 0) {
        return -errno;
    }
    rc = transport_sock_create(sv[0], max_msg_size, max_fds, a);
    if (rc < 0) {
        close(sv[1]);
        return rc;
    }
    rc = transport_sock_create(sv[1], max_msg_size, max_fds, b);
    if (rc < 0) {
        transport_close(*a);
        *a = NULL;
        return rc;
    }
    return 0;
}
