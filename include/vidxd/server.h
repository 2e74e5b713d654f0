/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-user server: serves one PCI function to one VMM at a time over a
 * UNIX stream socket (reference/vfio-user.md §1, §2, §6).
 *
 * The server owns the protocol: VERSION negotiation, the DMA map table
 * (guest memory mmapped from the VMM's fds into the function's
 * struct vidxd_as), region and IRQ descriptions, SET_IRQS eventfds, message
 * ordering and No_reply, error replies and disconnects.  The device side is
 * an abstract PCI function (struct vidxd_pci_fn_ops): config space, BAR
 * accesses, region layout, interrupt counts, reset, attach/detach.  The
 * server knows nothing of any particular device.
 *
 * Event loop: each server exposes one pollable fd (vidxd_server_fd(), an
 * epoll set holding its listening socket and its session) that a daemon
 * adds to its own epoll/poll set, level-triggered; when it is readable the
 * daemon calls vidxd_server_dispatch(), which never blocks on a client.
 * Any number of servers (one per device, each with its own socket) can
 * share one loop.  vidxd_server_run() is a blocking helper for one server.
 *
 * Robustness (design.md invariant 1): a malformed message gets an error
 * reply; a broken stream (bad framing, EOF, a reply sent as a command)
 * ends that session only: DMA maps are unmapped, eventfds closed, the
 * device is detached but keeps its state, and the next VMM may connect.
 * Every allocation is bounded by the maximum message size.
 *
 * Thread model: everything runs on the loop thread except
 * vidxd_server_irq_trigger(), which any thread may call.
 */
#ifndef VIDXD_SERVER_H
#define VIDXD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vidxd/mem.h"
#include "vidxd/visibility.h"

/* vfio-pci region indexes (= VFIO_PCI_*_REGION_INDEX). */
#define VIDXD_PCI_REGION_BAR0 0u
#define VIDXD_PCI_REGION_BAR5 5u
#define VIDXD_PCI_REGION_ROM 6u
#define VIDXD_PCI_REGION_CONFIG 7u
#define VIDXD_PCI_REGION_VGA 8u
#define VIDXD_PCI_NUM_REGIONS 9u

/* vfio-pci IRQ indexes (= VFIO_PCI_*_IRQ_INDEX). */
#define VIDXD_PCI_IRQ_INTX 0u
#define VIDXD_PCI_IRQ_MSI 1u
#define VIDXD_PCI_IRQ_MSIX 2u
#define VIDXD_PCI_IRQ_ERR 3u
#define VIDXD_PCI_IRQ_REQ 4u
#define VIDXD_PCI_NUM_IRQS 5u

/* Region flags (= VFIO_REGION_INFO_FLAG_READ/WRITE/MMAP). */
#define VIDXD_REGION_READ 0x1u
#define VIDXD_REGION_WRITE 0x2u
#define VIDXD_REGION_MMAP 0x4u

/* Most sparse-mmap areas a region may declare. */
#define VIDXD_REGION_MAX_AREAS 8u

struct vidxd_region_area {
    uint64_t offset; /* from the start of the region */
    uint64_t size;
};

/*
 * A region as the device describes it.  Unused regions have size 0 and
 * flags 0.  With VIDXD_REGION_MMAP, @fd is a file the VMM may mmap
 * (MAP_SHARED) at @fd_offset + area offset for each area; the fd stays the
 * device's (the server sends a copy in the REGION_INFO reply) and must stay
 * open while the server exists.  With no areas and MMAP, the whole region
 * is mappable.  Accesses the VMM traps arrive as bar_read/bar_write.
 */
struct vidxd_region_info {
    uint64_t size;
    uint32_t flags; /* VIDXD_REGION_* */
    int fd;
    uint64_t fd_offset;
    uint32_t nr_areas;
    struct vidxd_region_area areas[VIDXD_REGION_MAX_AREAS];
};

/*
 * The PCI function behind a server.  @opaque is the config's opaque.
 * Callbacks run on the loop thread.  Functions returning int return 0 or a
 * negative errno, which becomes the error reply.
 */
struct vidxd_pci_fn_ops {
    /*
     * Describe region @index (0..8), called once per index by
     * vidxd_server_create().  Required.  Rules: the config region (7) has
     * size 256..4096 and flags READ|WRITE; BARs are 0 or have READ and/or
     * WRITE; ROM (6) and VGA (8) have size 0; areas lie inside the region.
     */
    int (*region_info)(void *opaque, uint32_t index,
                       struct vidxd_region_info *info);
    /* Config space access inside the config region's size.  Required. */
    int (*cfg_read)(void *opaque, uint32_t off, void *buf, size_t len);
    int (*cfg_write)(void *opaque, uint32_t off, const void *buf, size_t len);
    /*
     * BAR access of 1, 2, 4 or 8 bytes inside BAR @bar's region (bounds
     * and sizes checked by the server).  Required if a BAR is declared.
     */
    int (*bar_read)(void *opaque, unsigned bar, uint64_t off, void *buf,
                    size_t len);
    int (*bar_write)(void *opaque, unsigned bar, uint64_t off,
                     const void *buf, size_t len);
    /*
     * Vector count of IRQ index INTX (0 or 1), MSI (0..32) or MSIX
     * (0..2048); called once by vidxd_server_create().  Required.  The
     * server itself provides ERR and REQ with one vector each.
     */
    uint32_t (*irq_count)(void *opaque, uint32_t index);
    /*
     * Optional: the VMM (re)assigned eventfds for vectors
     * [start, start + count) of @index; fds[i] is -1 for "none".  The fds
     * stay owned by the server: the device may write to them until this
     * callback next covers that vector or detach() runs, and must not use a
     * replaced fd after the callback returns (the server closes it then).
     * Devices that do not install this hook raise interrupts with
     * vidxd_server_irq_trigger().
     */
    void (*irq_eventfds)(void *opaque, uint32_t index, uint32_t start,
                         uint32_t count, const int *fds);
    /*
     * Optional: SET_IRQS ACTION_MASK/UNMASK of [start, start + count) for
     * INTX/MSI/MSIX.  Without it the actions are accepted as no-ops
     * (QEMU masks MSI-X vectors itself, §2.7).
     */
    int (*irq_mask)(void *opaque, uint32_t index, uint32_t start,
                    uint32_t count, bool masked);
    /*
     * Optional: DEVICE_RESET.  Quiesce and reset device state; DMA maps and
     * eventfds stay (§6 "Reset").  Without it GET_INFO omits the RESET flag.
     */
    int (*reset)(void *opaque);
    /* The address space the server maps guest memory into.  Required. */
    struct vidxd_as *(*dma_as)(void *opaque);
    /*
     * Optional: a VMM completed VERSION negotiation (returning an error
     * refuses it with that error).  detach() runs when it goes, before its
     * eventfds are closed and its DMA maps removed: stop using guest memory.
     */
    int (*attach)(void *opaque);
    void (*detach)(void *opaque);
};

struct vidxd_server_config {
    /* Listen here (stale socket files are replaced); NULL: no listener,
       sessions come from vidxd_server_adopt_fd() only. */
    const char *socket_path;
    const struct vidxd_pci_fn_ops *ops;
    void *opaque;
    /* Name used in log messages; NULL: the socket path. */
    const char *name;
    /* Largest REGION_READ/WRITE count (advertised max_data_xfer_size);
       0: 1 MiB.  4096 (a whole PCIe config space, §2.3 step 6) to 64 MiB. */
    uint32_t max_data_xfer_size;
    /* Most DMA maps at once (advertised max_dma_maps); 0: 4096; <= 65535. */
    uint32_t max_dma_maps;
};

/* Counters for stats and tests. */
struct vidxd_server_stats {
    uint64_t sessions; /* VMMs accepted */
    uint64_t messages; /* commands handled */
    uint64_t error_replies; /* commands answered with an error */
    uint64_t protocol_errors; /* sessions ended by a broken stream */
    uint64_t refused; /* connections refused while one was active */
    uint64_t memory_lost; /* sessions ended: guest memory lost its file */
};

struct vidxd_server;

/*
 * Create a server for the function @cfg->ops / @cfg->opaque, listening on
 * @cfg->socket_path if set.  Region and IRQ descriptions are read now.
 * Returns 0; -EINVAL (missing required op, bad limits, bad region or IRQ
 * description); -EADDRINUSE (a live server owns the path); -ENAMETOOLONG;
 * -ENOMEM; or another -errno from socket setup.
 */
VIDXD_API int vidxd_server_create(const struct vidxd_server_config *cfg,
                                  struct vidxd_server **out);

/*
 * End any session (as on disconnect), close the listener and remove the
 * socket file.  Accepts NULL.
 */
VIDXD_API void vidxd_server_destroy(struct vidxd_server *srv);

/* The fd to poll for readability (stable for the server's lifetime). */
VIDXD_API int vidxd_server_fd(const struct vidxd_server *srv);

/*
 * Handle whatever is ready: accept a VMM, read and answer a bounded number
 * of messages, flush queued output, end a broken session.  Never blocks.
 * Returns 0, or a negative errno only if the server's own epoll failed.
 */
VIDXD_API int vidxd_server_dispatch(struct vidxd_server *srv);

/*
 * Dispatch until @stop_fd (e.g. an eventfd) becomes readable; @stop_fd may
 * be -1 to run until an internal error.  Returns 0 or -errno.
 */
VIDXD_API int vidxd_server_run(struct vidxd_server *srv, int stop_fd);

/*
 * Serve a VMM already connected on stream socket @fd (the backend program
 * convention --fd=N, §1.1, or one end of a socketpair).  Ownership of @fd
 * passes to the server, also on error.
 * Returns 0, -EBUSY (a session is active) or -errno.
 */
VIDXD_API int vidxd_server_adopt_fd(struct vidxd_server *srv, int fd);

/* True while a VMM is connected. */
VIDXD_API bool vidxd_server_connected(const struct vidxd_server *srv);

/* End the current session, if any, as if the VMM had hung up. */
VIDXD_API void vidxd_server_disconnect(struct vidxd_server *srv);

/*
 * Signal vector @vector of IRQ @index through the eventfd the VMM gave
 * (eventfd_write(fd, 1)).  Thread-safe.  Returns 0, -ENOENT (no eventfd
 * assigned) or -EINVAL (index or vector out of range).
 */
VIDXD_API int vidxd_server_irq_trigger(struct vidxd_server *srv,
                                       uint32_t index, uint32_t vector);

VIDXD_API void vidxd_server_get_stats(const struct vidxd_server *srv,
                                      struct vidxd_server_stats *stats);

/*
 * SIGBUS guard (design.md invariant 1).  Guest RAM arrives as files the
 * server mmaps MAP_SHARED (DMA_MAP); a VMM that shrinks such a file after
 * mapping it makes the device's next access to the lost pages raise
 * SIGBUS, which would kill the whole process.  A memfd sealed with
 * F_SEAL_SHRINK (QEMU's memory-backend-memfd seals by default) cannot
 * shrink and needs no guard; any other file (memory-backend-file
 * share=on, an unsealed memfd, hugetlbfs) is accepted and guarded.
 *
 * vidxd_server_sigbus_guard_install() installs a process-wide SA_SIGINFO
 * handler for SIGBUS.  The library never installs it by itself: the
 * application opts in once, before creating servers (maps made before it
 * are not guarded).  Servers then register every guarded mapping.  When
 * the handler sees a fault inside one, it maps anonymous zero memory over
 * that whole mapping (the access is retried and reads zeros, writes land
 * in memory the guest no longer sees), counts it, and wakes the owning
 * server, which ends that VMM's session from its loop thread with a
 * warning "guest memory ... lost its backing" (stats.memory_lost); the
 * device keeps its state and accepts the next VMM.  A SIGBUS anywhere else
 * goes to the handler installed before (chained; SA_SIGINFO or not), or,
 * if there was none, restores the default action so that the process
 * still dies as it would have.
 *
 * Guarded mappings are limited to 16384 in the process; a DMA_MAP that
 * would need one more is refused with ENOSPC.
 *
 * Returns 0 (also when already installed), -ENOTSUP if the handler did
 * not take effect (a runtime such as a sanitizer owns SIGBUS), or -errno
 * from sigaction().  Thread-safe; there is no uninstall.
 */
VIDXD_API int vidxd_server_sigbus_guard_install(void);

struct vidxd_sigbus_stats {
    bool installed;
    uint32_t ranges; /* mappings guarded now */
    uint64_t faults; /* SIGBUS faults absorbed */
    uint64_t lost;   /* mappings replaced by zero memory */
};

/* Process-wide guard counters.  Thread-safe. */
VIDXD_API void vidxd_server_sigbus_get_stats(struct vidxd_sigbus_stats *st);

#endif /* VIDXD_SERVER_H */
