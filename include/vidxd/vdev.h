/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scalable-IOV virtual devices (the vdev layer, dsa.md §5).
 *
 * A vdev is a small DSA with read-only configuration (GENCAP.config_en = 0,
 * cmd_cap = 1) whose work queues are WQs of a parent device.  Its BAR0 is
 * emulated here; its commands are mediated onto the parent WQs it owns and
 * nothing else; its portals submit into those parent WQs through the
 * parent's IMS portal pages; its MSI-X vector 0 is emulated and vectors
 * 1..n are backed by parent IMS entries (interrupt handles returned by
 * REQUEST_INT_HANDLE are parent IMS indexes).  Each vdev has its own
 * address space, tagged with its own PASID, which the parent WQs use for
 * the vdev's descriptors: one vdev can never reach another's memory.
 *
 * A vdev is served over vfio-user by giving vidxd_vdev_fn_ops() and the
 * vdev to vidxd_server_create().
 *
 * Thread model: create/destroy on the control thread; the function ops are
 * called by the server on the event-loop thread; completions arrive on
 * engine worker threads.
 */
#ifndef VIDXD_VDEV_H
#define VIDXD_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vidxd/dsa.h"
#include "vidxd/irq.h"
#include "vidxd/server.h"
#include "vidxd/visibility.h"

#define VIDXD_VDEV_MAX_WQS 8

struct vidxd_vdev;

struct vidxd_vdev_config {
    uint8_t uuid[16];
    unsigned nr_wqs; /* 1..VIDXD_VDEV_MAX_WQS */
    unsigned wqs[VIDXD_VDEV_MAX_WQS]; /* parent WQ indexes; vdev WQ i = wqs[i] */
    uint32_t pasid; /* 1..0xfffff, unique per parent */
    enum vidxd_dsa_portal_mode portal_mode;
};

/*
 * Create a vdev over @parent (whose interrupts are @parent_irq, with an IMS
 * domain VIDXD_IRQ_DOMAIN_IMS programmed by the host).  The parent WQs must
 * be configured for virtual-device use by the caller (dedicated, in a group
 * with engines, disabled); the vdev enables them when its guest enables
 * its WQs.
 * Returns 0; -EINVAL (bad config); -EBUSY (a WQ or the PASID is already
 * used by another vdev); -ENOMEM.
 */
VIDXD_API int vidxd_vdev_create(struct vidxd_dsa *parent,
                                struct vidxd_irq_dev *parent_irq,
                                const struct vidxd_vdev_config *cfg,
                                struct vidxd_vdev **out);

/* Quiesce (abort and disable its parent WQs, free its IMS entries) and
 * free.  Accepts NULL. */
VIDXD_API void vidxd_vdev_destroy(struct vidxd_vdev *vdev);

/* The PCI function interface for vidxd_server_create() (opaque = vdev). */
VIDXD_API const struct vidxd_pci_fn_ops *vidxd_vdev_fn_ops(void);

/* Reset as DEVICE_RESET / FLR would (others are not disturbed). */
VIDXD_API void vidxd_vdev_reset(struct vidxd_vdev *vdev);

VIDXD_API const struct vidxd_vdev_config *
vidxd_vdev_config(const struct vidxd_vdev *vdev);

#endif /* VIDXD_VDEV_H */
