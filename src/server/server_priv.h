/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal state of a vfio-user server and the per-concern entry points:
 * session/dispatch (session.c), DMA map table (dma.c), regions and reset
 * (regions.c), interrupts (irqs.c), lifecycle and event loop (server.c).
 */
#ifndef VIDXD_SERVER_PRIV_H
#define VIDXD_SERVER_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"
#include "transport/transport.h"
#include "vidxd/server.h"

#define SERVER_LOG "server"
/* Fds the server accepts with one message (advertised max_msg_fds). */
#define SERVER_MAX_MSG_FDS 8u
/* DMA page size the server advertises (pgsizes) and requires. */
#define SERVER_DMA_PGSIZE 4096u
/* Vector limits per IRQ index (PCI: INTx 1, MSI 32, MSI-X 2048). */
#define SERVER_MAX_INTX 1u
#define SERVER_MAX_MSI 32u
#define SERVER_MAX_MSIX 2048u
/* Guarded guest-memory mappings in the process (sigbus.c). */
#define SERVER_SIGBUS_SLOTS 16384u

struct dma_entry {
    uint64_t iova;
    uint64_t size;
    void *map_base; /* NULL for a map without fd */
    size_t map_len;
    int guard; /* sigbus.c slot, or -1: no fd, sealed memfd or no guard */
};

struct irq_index {
    uint32_t count;
    int *fds; /* count entries, -1 = none */
};

/* A reply under construction: payload bytes plus at most one fd. */
struct reply {
    const void *payload;
    size_t len;
    int fd; /* -1 = none; borrowed */
};

struct vidxd_server {
    char *name;
    char *path; /* socket file to remove at destroy, or NULL */
    const struct vidxd_pci_fn_ops *ops;
    void *opaque;
    uint32_t max_xfer;
    uint32_t max_msg_size;
    uint32_t max_dma_maps;

    int epfd;
    int listen_fd;
    int guard_efd; /* eventfd the SIGBUS guard writes when a map is lost */

    /* The session (at most one VMM at a time). */
    struct transport *t;
    bool negotiated;
    bool attached;
    bool want_out; /* epoll watches EPOLLOUT instead of EPOLLIN */
    struct proto_caps client;

    struct vidxd_region_info regions[VIDXD_PCI_NUM_REGIONS];

    struct dma_entry *dma;
    size_t dma_n;
    size_t dma_cap;

    pthread_mutex_t irq_lock; /* irqs[].fds vs vidxd_server_irq_trigger */
    struct irq_index irqs[VIDXD_PCI_NUM_IRQS];

    uint8_t *rbuf; /* reply payload scratch, grown up to max_msg_size */
    size_t rbuf_cap;

    struct vidxd_server_stats stats;
};

/* session.c */
int server_handle_msg(struct vidxd_server *srv, struct transport_msg *msg);
void *server_reply_buf(struct vidxd_server *srv, size_t len);
/* Reply with a copy of the @len bytes at @data (in the reply scratch
 * buffer).  Returns 0 or -ENOMEM. */
int server_reply_copy(struct vidxd_server *srv, struct reply *r,
                      const void *data, size_t len);

/* dma.c */
int server_dma_map(struct vidxd_server *srv, const uint8_t *p, size_t n,
                   struct transport_msg *msg, struct reply *r);
int server_dma_unmap(struct vidxd_server *srv, const uint8_t *p, size_t n,
                     struct transport_msg *msg, struct reply *r);
void server_dma_unmap_all(struct vidxd_server *srv);
bool server_dma_lost(struct vidxd_server *srv);

/*
 * sigbus.c: the registry of guarded mappings (see vidxd/server.h).
 * Register [base, base + len) (mmapped with @prot) before the device can
 * reach it; the guard writes 1 to eventfd @wake_fd when it is lost.
 * *@slot is -1 if the guard is not installed.  Returns 0 or -ENOSPC.
 * Unregister (accepts -1) only after vidxd_as_unmap(), before munmap.
 */
int server_sigbus_register(void *base, size_t len, int prot, int wake_fd,
                           int *slot);
void server_sigbus_unregister(int slot);
bool server_sigbus_lost(int slot);

/* regions.c */
int server_regions_load(struct vidxd_server *srv);
int server_device_info(struct vidxd_server *srv, const uint8_t *p, size_t n,
                       struct transport_msg *msg, struct reply *r);
int server_region_info(struct vidxd_server *srv, const uint8_t *p, size_t n,
                       struct transport_msg *msg, struct reply *r);
int server_region_read(struct vidxd_server *srv, const uint8_t *p, size_t n,
                       struct transport_msg *msg, struct reply *r);
int server_region_write(struct vidxd_server *srv, const uint8_t *p, size_t n,
                        struct transport_msg *msg, struct reply *r);
int server_device_reset(struct vidxd_server *srv, const uint8_t *p, size_t n,
                        struct transport_msg *msg, struct reply *r);

/* irqs.c */
int server_irqs_init(struct vidxd_server *srv);
void server_irqs_fini(struct vidxd_server *srv);
void server_irqs_clear_all(struct vidxd_server *srv);
int server_irq_info(struct vidxd_server *srv, const uint8_t *p, size_t n,
                    struct transport_msg *msg, struct reply *r);
int server_set_irqs(struct vidxd_server *srv, const uint8_t *p, size_t n,
                    struct transport_msg *msg, struct reply *r);

/* server.c */
void server_session_end(struct vidxd_server *srv, const char *why);

#endif /* VIDXD_SERVER_PRIV_H */
