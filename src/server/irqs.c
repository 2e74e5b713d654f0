/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts: GET_IRQ_INFO, SET_IRQS (eventfd assignment and de-assignment,
 * disable-all, trigger, mask/unmask) and the per-vector eventfd table the
 * device (or any thread, through vidxd_server_irq_trigger) signals
 * (reference/vfio-user.md §1.3 SET_IRQS, §2.7, §6 "Interrupts").
 * ERR and REQ are the server's own single-vector indexes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server/server_priv.h"
#include "vidxd/log.h"

int
server_irqs_init(struct vidxd_server *srv)
{
    static const uint32_t limit[] = {
        [VIDXD_PCI_IRQ_INTX] = SERVER_MAX_INTX,
        [VIDXD_PCI_IRQ_MSI] = SERVER_MAX_MSI,
        [VIDXD_PCI_IRQ_MSIX] = SERVER_MAX_MSIX,
    };
    uint32_t i, v;

    for (i = 0; i < VIDXD_PCI_NUM_IRQS; i++) {
        struct irq_index *q = &srv->irqs[i];

        if (i <= VIDXD_PCI_IRQ_MSIX) {
            q->count = srv->ops->irq_count(srv->opaque, i);
            if (q->count > limit[i]) {
                return -EINVAL;
            }
        } else {
            q->count = 1; /* ERR and REQ: one notifier each (§6) */
        }
        if (q->count == 0) {
            continue;
        }
        q->fds = malloc(q->count * sizeof(int));
        if (q->fds == NULL) {
            return -ENOMEM;
        }
        for (v = 0; v < q->count; v++) {
            q->fds[v] = -1;
        }
    }
    return 0;
}

void
server_irqs_fini(struct vidxd_server *srv)
{
    uint32_t i;

    server_irqs_clear_all(srv);
    for (i = 0; i < VIDXD_PCI_NUM_IRQS; i++) {
        free(srv->irqs[i].fds);
        srv->irqs[i].fds = NULL;
    }
}

/*
 * Install @fds (count entries, -1 = none; ownership passes) for vectors
 * [start, start + count) of @index, tell the device, then close what they
 * replaced (the device stops using those before its hook returns).
 */
static void
irq_assign(struct vidxd_server *srv, uint32_t index, uint32_t start,
           uint32_t count, int *fds)
{
    struct irq_index *q = &srv->irqs[index];
    uint32_t v;

    pthread_mutex_lock(&srv->irq_lock);
    for (v = 0; v < count; v++) {
        int old = q->fds[start + v];

        q->fds[start + v] = fds[v];
        fds[v] = old;
    }
    pthread_mutex_unlock(&srv->irq_lock);
    if (srv->ops->irq_eventfds != NULL && index <= VIDXD_PCI_IRQ_MSIX) {
        srv->ops->irq_eventfds(srv->opaque, index, start, count,
                               q->fds + start);
    }
    for (v = 0; v < count; v++) {
        if (fds[v] >= 0) {
            close(fds[v]);
        }
    }
}

/* De-assign vectors [start, start + count) of @index. */
static int
irq_clear(struct vidxd_server *srv, uint32_t index, uint32_t start,
          uint32_t count)
{
    int *none;
    uint32_t v;

    if (count == 0) {
        return 0;
    }
    none = malloc(count * sizeof(int));
    if (none == NULL) {
        return -ENOMEM;
    }
    for (v = 0; v < count; v++) {
        none[v] = -1;
    }
    irq_assign(srv, index, start, count, none);
    free(none);
    return 0;
}

void
server_irqs_clear_all(struct vidxd_server *srv)
{
    uint32_t i, v;

    /* §1.1: on disconnect every IRQ eventfd is closed. */
    for (i = 0; i < VIDXD_PCI_NUM_IRQS; i++) {
        struct irq_index *q = &srv->irqs[i];
        bool any = false;

        if (q->fds == NULL) {
            continue;
        }
        for (v = 0; v < q->count; v++) {
            any = any || q->fds[v] >= 0;
        }
        if (any && irq_clear(srv, i, 0, q->count) < 0) {
            /* No memory for the notification: close under the lock. */
            pthread_mutex_lock(&srv->irq_lock);
            for (v = 0; v < q->count; v++) {
                if (q->fds[v] >= 0) {
                    close(q->fds[v]);
                    q->fds[v] = -1;
                }
            }
            pthread_mutex_unlock(&srv->irq_lock);
        }
    }
}

/*
 * True if @fd is an eventfd.  Anything else (a pipe, a socket) could block
 * or misbehave on eventfd_write(); without /proc we cannot tell and trust
 * the client.
 */
static bool
is_eventfd(int fd)
{
    char path[64], link[64];
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        return errno == ENOENT && access("/proc/self/fd", F_OK) != 0;
    }
    link[n] = '\0';
    return strcmp(link, "anon_inode:[eventfd]") == 0;
}

int
server_irq_info(struct vidxd_server *srv, const uint8_t *p, size_t n,
                struct transport_msg *msg, struct reply *r)
{
    struct vidxd_vu_irq_info info;
    uint32_t index, argsz;
    int rc;

    (void)msg;
    rc = proto_irq_info_decode(p, n, &index, &argsz);
    if (rc < 0) {
        return rc;
    }
    if (index >= VIDXD_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    info.argsz = sizeof(info);
    info.flags = VFIO_IRQ_INFO_EVENTFD;
    if (srv->ops->irq_mask != NULL && index <= VIDXD_PCI_IRQ_MSIX) {
        info.flags |= VFIO_IRQ_INFO_MASKABLE;
    }
    info.index = index;
    info.count = srv->irqs[index].count;
    return server_reply_copy(srv, r, &info, sizeof(info));
}

/* Signal the vectors of [start, start + count) that @bools selects. */
static void
irq_fire(struct vidxd_server *srv, const struct proto_irq_set *s)
{
    uint32_t v;

    for (v = 0; v < s->count; v++) {
        if (s->bools == NULL || s->bools[v] != 0) {
            vidxd_server_irq_trigger(srv, s->index, s->start + v);
        }
    }
}

static int
irq_mask(struct vidxd_server *srv, const struct proto_irq_set *s)
{
    bool masked = (s->flags & VFIO_IRQ_SET_ACTION_MASK) != 0;
    uint32_t v;
    int rc;

    if (srv->ops->irq_mask == NULL) {
        return 0; /* §6: MASK/UNMASK may be no-ops */
    }
    if (s->bools == NULL) {
        return srv->ops->irq_mask(srv->opaque, s->index, s->start, s->count,
                                  masked);
    }
    for (v = 0; v < s->count; v++) {
        if (s->bools[v] != 0) {
            rc = srv->ops->irq_mask(srv->opaque, s->index, s->start + v, 1,
                                    masked);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

int
server_set_irqs(struct vidxd_server *srv, const uint8_t *p, size_t n,
                struct transport_msg *msg, struct reply *r)
{
    struct proto_irq_set s;
    struct irq_index *q;
    uint32_t v;
    int rc;

    (void)r;
    rc = proto_irq_set_decode(p, n, msg->nfds, &s);
    if (rc < 0) {
        return rc;
    }
    if (s.index >= VIDXD_PCI_NUM_IRQS) {
        return -EINVAL;
    }
    q = &srv->irqs[s.index];
    if (s.count > q->count || s.start > q->count - s.count) {
        return -EINVAL;
    }
    /* ERR/REQ are notifiers: trigger only, one vector (libvfio-user). */
    if (s.index > VIDXD_PCI_IRQ_MSIX &&
        !(s.flags & VFIO_IRQ_SET_ACTION_TRIGGER)) {
        return -EINVAL;
    }
    if (s.flags & VFIO_IRQ_SET_DATA_EVENTFD) {
        /* An eventfd with UNMASK is INTx resampling, which needs INTx. */
        if (!(s.flags & VFIO_IRQ_SET_ACTION_TRIGGER)) {
            return -EINVAL;
        }
        if (msg->nfds == 0) {
            return irq_clear(srv, s.index, s.start, s.count);
        }
        for (v = 0; v < s.count; v++) {
            int fl;

            if (!is_eventfd(msg->fds[v])) {
                return -EINVAL;
            }
            /*
             * A full eventfd counter would block eventfd_write(); the VMM's
             * own eventfds are non-blocking already (QEMU event notifiers).
             */
            fl = fcntl(msg->fds[v], F_GETFL);
            if (fl < 0 || fcntl(msg->fds[v], F_SETFL, fl | O_NONBLOCK) < 0) {
                return -EINVAL;
            }
        }
        irq_assign(srv, s.index, s.start, s.count, msg->fds);
        /* The table took them; irq_assign left the replaced ones closed. */
        for (v = 0; v < s.count; v++) {
            msg->fds[v] = -1;
        }
        return 0;
    }
    if (s.flags & VFIO_IRQ_SET_ACTION_TRIGGER) {
        if (s.count == 0) {
            /* §1.3: count 0, DATA_NONE|TRIGGER disables the whole index. */
            return irq_clear(srv, s.index, 0, q->count);
        }
        irq_fire(srv, &s);
        return 0;
    }
    return irq_mask(srv, &s);
}

int
vidxd_server_irq_trigger(struct vidxd_server *srv, uint32_t index,
                         uint32_t vector)
{
    int rc = 0;

    if (index >= VIDXD_PCI_NUM_IRQS || vector >= srv->irqs[index].count) {
        return -EINVAL;
    }
    pthread_mutex_lock(&srv->irq_lock);
    if (srv->irqs[index].fds[vector] < 0) {
        rc = -ENOENT;
    } else if (eventfd_write(srv->irqs[index].fds[vector], 1) < 0 &&
               errno != EAGAIN) {
        /* EAGAIN: the counter is saturated, an interrupt is pending. */
        rc = -errno;
    }
    pthread_mutex_unlock(&srv->irq_lock);
    return rc;
}
