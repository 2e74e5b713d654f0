/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server lifecycle and event loop: creation from a PCI function's
 * description, the listening socket, one session at a time, a private
 * level-triggered epoll set exposed as one pollable fd, bounded work per
 * dispatch, back-pressure on a client that stops reading, and session
 * teardown that keeps the device (reference/vfio-user.md §1.1 "Disconnect",
 * §2.9, §6; design.md invariant 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server/server_priv.h"
#include "vidxd/log.h"

#define TAG_LISTEN 1u
#define TAG_SESSION 2u
#define TAG_GUARD 3u /* the SIGBUS guard saw a map of ours lose its file */
/* Messages handled per dispatch before yielding to other servers. */
#define DISPATCH_BUDGET 64
#define DEFAULT_MAX_XFER (1u << 20)
#define MIN_MAX_XFER 4096u
#define MAX_MAX_XFER (64u << 20) /* QEMU's ceiling (§1.3) */
#define DEFAULT_MAX_DMA_MAPS 4096u

static int
epoll_set(struct vidxd_server *srv, int op, int fd, uint32_t events,
          uint32_t tag)
{
    struct epoll_event ev = {.events = events, .data.u32 = tag};

    return epoll_ctl(srv->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static bool
ops_valid(const struct vidxd_pci_fn_ops *ops)
{
    return ops != NULL && ops->region_info != NULL && ops->cfg_read != NULL &&
           ops->cfg_write != NULL && ops->irq_count != NULL &&
           ops->dma_as != NULL;
}

int
vidxd_server_create(const struct vidxd_server_config *cfg,
                    struct vidxd_server **out)
{
    struct vidxd_server *srv;
    const char *name;
    int rc;

    if (cfg == NULL || !ops_valid(cfg->ops) ||
        (cfg->max_data_xfer_size != 0 &&
         (cfg->max_data_xfer_size < MIN_MAX_XFER ||
          cfg->max_data_xfer_size > MAX_MAX_XFER)) ||
        cfg->max_dma_maps > VIDXD_VU_DEFAULT_MAX_DMA_MAPS) {
        return -EINVAL;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        return -ENOMEM;
    }
    srv->epfd = -1;
    srv->listen_fd = -1;
    srv->guard_efd = -1;
    pthread_mutex_init(&srv->irq_lock, NULL);
    srv->ops = cfg->ops;
    srv->opaque = cfg->opaque;
    srv->max_xfer = cfg->max_data_xfer_size ? cfg->max_data_xfer_size
                                            : DEFAULT_MAX_XFER;
    /* The largest message is a REGION_WRITE of max_xfer bytes. */
    srv->max_msg_size = (uint32_t)(sizeof(struct vidxd_vu_hdr) +
                                   sizeof(struct vidxd_vu_region_access) +
                                   srv->max_xfer);
    srv->max_dma_maps = cfg->max_dma_maps ? cfg->max_dma_maps
                                          : DEFAULT_MAX_DMA_MAPS;
    name = cfg->name ? cfg->name
                     : (cfg->socket_path ? cfg->socket_path : "vfio-user");
    srv->name = strdup(name);
    if (srv->name == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    rc = server_regions_load(srv);
    if (rc < 0) {
        goto fail;
    }
    rc = server_irqs_init(srv);
    if (rc < 0) {
        goto fail;
    }
    srv->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (srv->epfd < 0) {
        rc = -errno;
        goto fail;
    }
    srv->guard_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (srv->guard_efd < 0) {
        rc = -errno;
        goto fail;
    }
    rc = epoll_set(srv, EPOLL_CTL_ADD, srv->guard_efd, EPOLLIN, TAG_GUARD);
    if (rc < 0) {
        goto fail;
    }
    if (cfg->socket_path != NULL) {
        rc = transport_sock_listen(cfg->socket_path, &srv->listen_fd);
        if (rc < 0) {
            goto fail;
        }
        srv->path = strdup(cfg->socket_path);
        if (srv->path == NULL) {
            rc = -ENOMEM;
            goto fail;
        }
        rc = epoll_set(srv, EPOLL_CTL_ADD, srv->listen_fd, EPOLLIN,
                       TAG_LISTEN);
        if (rc < 0) {
            goto fail;
        }
    }
    *out = srv;
    return 0;
fail:
    vidxd_server_destroy(srv);
    return rc;
}

void
vidxd_server_destroy(struct vidxd_server *srv)
{
    if (srv == NULL) {
        return;
    }
    server_session_end(srv, NULL);
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
        /* Our file only: the path was bound by this server. */
        if (srv->path != NULL) {
            unlink(srv->path);
        }
    }
    if (srv->epfd >= 0) {
        close(srv->epfd);
    }
    /* After the session: its maps, and their guard slots, are gone. */
    if (srv->guard_efd >= 0) {
        close(srv->guard_efd);
    }
    server_irqs_fini(srv);
    pthread_mutex_destroy(&srv->irq_lock);
    free(srv->dma);
    free(srv->rbuf);
    free(srv->path);
    free(srv->name);
    free(srv);
}

int
vidxd_server_fd(const struct vidxd_server *srv)
{
    return srv->epfd;
}

bool
vidxd_server_connected(const struct vidxd_server *srv)
{
    return srv->t != NULL;
}

void
vidxd_server_get_stats(const struct vidxd_server *srv,
                       struct vidxd_server_stats *stats)
{
    *stats = srv->stats;
}

void
server_session_end(struct vidxd_server *srv, const char *why)
{
    if (srv->t == NULL) {
        return;
    }
    if (why != NULL) {
        VIDXD_LOG_RATELIMIT(LOG_INFO, SERVER_LOG, "%s: client gone: %s",
                            srv->name, why);
    }
    /* The device stops using guest memory and eventfds first. */
    if (srv->attached && srv->ops->detach != NULL) {
        srv->ops->detach(srv->opaque);
    }
    srv->attached = false;
    /* §1.1: close IRQ eventfds and unmap all DMA; keep the device state. */
    server_irqs_clear_all(srv);
    server_dma_unmap_all(srv);
    epoll_ctl(srv->epfd, EPOLL_CTL_DEL, transport_fd(srv->t), NULL);
    transport_close(srv->t);
    srv->t = NULL;
    srv->negotiated = false;
    srv->want_out = false;
    proto_caps_default(&srv->client);
}

void
vidxd_server_disconnect(struct vidxd_server *srv)
{
    server_session_end(srv, "disconnected by the server");
}

int
vidxd_server_adopt_fd(struct vidxd_server *srv, int fd)
{
    int fl, rc;

    if (srv->t != NULL) {
        close(fd);
        return -EBUSY;
    }
    /* The loop must never block on a client (design.md invariant 1). */
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    rc = transport_sock_create(fd, srv->max_msg_size, SERVER_MAX_MSG_FDS,
                               &srv->t);
    if (rc < 0) {
        srv->t = NULL;
        return rc;
    }
    rc = epoll_set(srv, EPOLL_CTL_ADD, fd, EPOLLIN, TAG_SESSION);
    if (rc < 0) {
        transport_close(srv->t);
        srv->t = NULL;
        return rc;
    }
    proto_caps_default(&srv->client);
    srv->stats.sessions++;
    VIDXD_LOG_RATELIMIT(LOG_INFO, SERVER_LOG, "%s: client connected",
                        srv->name);
    return 0;
}

static void
accept_clients(struct vidxd_server *srv)
{
    int fd;

    while (transport_sock_accept(srv->listen_fd, &fd) == 0) {
        if (srv->t != NULL) {
            /* §1.1: one client per device; a second VMM is turned away. */
            srv->stats.refused++;
            VIDXD_LOG_RATELIMIT(LOG_WARNING, SERVER_LOG,
                                "%s: refusing a second client", srv->name);
            close(fd);
            continue;
        }
        if (vidxd_server_adopt_fd(srv, fd) < 0) {
            VIDXD_LOG_RATELIMIT(LOG_ERR, SERVER_LOG,
                                "%s: cannot set up a session", srv->name);
        }
    }
}

/* Watch for output room instead of input while a reply is queued. */
static int
set_want_out(struct vidxd_server *srv, bool out)
{
    if (srv->want_out == out) {
        return 0;
    }
    srv->want_out = out;
    return epoll_set(srv, EPOLL_CTL_MOD, transport_fd(srv->t),
                     out ? EPOLLOUT : EPOLLIN, TAG_SESSION);
}

static void
session_event(struct vidxd_server *srv, uint32_t events)
{
    struct transport_msg msg;
    int i, rc;

    if (transport_send_pending(srv->t)) {
        rc = transport_flush(srv->t);
        if (rc == -EAGAIN) {
            if ((events & (EPOLLHUP | EPOLLERR)) != 0) {
                server_session_end(srv, "hang-up with replies pending");
            } else if (set_want_out(srv, true) < 0) {
                server_session_end(srv, "epoll failure");
            }
            return;
        }
        if (rc < 0) {
            server_session_end(srv, strerror(-rc));
            return;
        }
    }
    if (set_want_out(srv, false) < 0) {
        server_session_end(srv, "epoll failure");
        return;
    }
    for (i = 0; i < DISPATCH_BUDGET; i++) {
        rc = transport_recv(srv->t, &msg);
        if (rc == -EAGAIN) {
            return;
        }
        if (rc < 0) {
            if (rc == -EPROTO) {
                srv->stats.protocol_errors++;
            }
            server_session_end(srv, rc == -ECONNRESET ? "end of stream"
                                   : rc == -EPROTO  ? "bad message framing"
                                                    : strerror(-rc));
            return;
        }
        rc = server_handle_msg(srv, &msg);
        if (rc == -EPROTO) {
            srv->stats.protocol_errors++;
        }
        if (rc < 0) {
            server_session_end(srv, rc == -EPROTO ? "protocol error"
                                                  : strerror(-rc));
            return;
        }
        /*
         * A client that does not read its replies: stop reading its
         * requests until the queued reply is gone (bounded memory).
         */
        if (transport_send_pending(srv->t)) {
            if (set_want_out(srv, true) < 0) {
                server_session_end(srv, "epoll failure");
            }
            return;
        }
    }
}

int
vidxd_server_dispatch(struct vidxd_server *srv)
{
    struct epoll_event ev[4];
    int i, n;

    n = epoll_wait(srv->epfd, ev, 4, 0);
    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    for (i = 0; i < n; i++) {
        if (ev[i].data.u32 == TAG_LISTEN) {
            accept_clients(srv);
        } else if (ev[i].data.u32 == TAG_GUARD) {
            if (server_dma_lost(srv) && srv->t != NULL) {
                srv->stats.memory_lost++;
                server_session_end(srv, "guest memory lost its backing");
            }
        } else if (ev[i].data.u32 == TAG_SESSION && srv->t != NULL) {
            session_event(srv, ev[i].events);
        }
    }
    return 0;
}

int
vidxd_server_run(struct vidxd_server *srv, int stop_fd)
{
    struct pollfd pfd[2] = {
        {.fd = srv->epfd, .events = POLLIN},
        {.fd = stop_fd, .events = POLLIN},
    };
    int rc;

    for (;;) {
        if (poll(pfd, stop_fd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (stop_fd >= 0 && (pfd[1].revents & POLLIN)) {
            return 0;
        }
        rc = vidxd_server_dispatch(srv);
        if (rc < 0) {
            return rc;
        }
    }
}
