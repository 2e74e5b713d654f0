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
 * What the guest sees (dsa.md §5.1, §5.2):
 *  - config space: 8086:0b25, class 0x088000, a PCIe RCiEP with FLR,
 *    BAR0 8 KiB and BAR2 nr_wqs x 16 KiB (both 64-bit prefetchable),
 *    MSI-X with nr_wqs + 1 vectors, table at BAR0 0x600 and PBA at 0x700
 *    (the VMM emulates the table; the vdev keeps it readable);
 *  - BAR0: VERSION and OPCAP of the parent; GENCAP of the parent with
 *    config_en = 0, cmd_cap = 1 and max_ims_mult = 0; WQCAP with
 *    total_wq_size = the sum of its WQ sizes, num_wqs = nr_wqs, 32-byte
 *    WQCFG, dedicated mode only; GRPCAP one group, no read buffers; ENGCAP
 *    the engines of the groups of its parent WQs; OFFSETS grpcfg 0x400,
 *    wqcfg 0x500, msix_perm 0x300, ims 0, perfmon 0; CMDCAP commands 1..14;
 *    GRPCFG[0] with every WQ and every engine (tc_a/tc_b of the parent
 *    group); WQCFG[i] = the parent WQ's size, priority, bof and shifts,
 *    dedicated, pasid_en = 0, no threshold, mode_support = 0, wq_state
 *    kept by the vdev.  GRPCFG and WQCFG are read-only (writes ignored);
 *    GENCFG is writable while disabled; GENCTRL, INTCAUSE (RW1C), CMD,
 *    CMDSTS, SWERR (bits 0-1 RW1C) and MSIXPERM (stored, no effect) behave
 *    as on the parent (dsa.md §1.2-§1.6);
 *  - commands complete synchronously; with int_req they raise
 *    INTCAUSE.CMD and vector 0.  Mediation (dsa.md §5.3):
 *      ENABLE_DEVICE  0x10 enabled, 0x12 bus mastering off, 0x11
 *                     GENCFG.rdbuf_limit above 0, 0x03 parent not enabled;
 *      DISABLE_DEVICE 0x31 not enabled; drains and disables its WQs;
 *      DRAIN_ALL, ABORT_ALL, DRAIN_PASID, ABORT_PASID
 *                     0x32 not enabled; act on its own WQs only.  The guest
 *                     has no PASIDs (pasid_en = 0), so the PASID operand is
 *                     ignored: every descriptor of the vdev carries the
 *                     vdev's PASID;
 *      RESET_DEVICE   aborts and disables its WQs, GENSTS/GENCFG to power
 *                     on (also from HALT); GENCTRL, INTCAUSE, SWERR,
 *                     MSIXPERM and interrupt handles are kept (as the
 *                     parent model does);
 *      ENABLE_WQ      operand = vdev WQ index: 0x02 bad index, 0x20 device
 *                     not enabled, 0x21 already enabled, 0x03 the parent
 *                     refused (its code is logged).  Programs the parent
 *                     WQCFG pasid = vdev PASID, pasid_en = 1, then issues
 *                     the parent ENABLE_WQ;
 *      DISABLE/DRAIN/ABORT/RESET_WQ  bitmap operand (dsa.md §1.4) of vdev
 *                     WQ indexes: 0x32 device not enabled, 0x02 a WQ out of
 *                     range, 0x33 (DISABLE_WQ) a selected WQ not enabled.
 *                     RESET_WQ aborts and disables (the parent WQCFG, owned
 *                     by the host, is not reset);
 *      REQUEST_INT_HANDLE  operand [15:0] vector 1..nr_wqs (else 0x41),
 *                     bit 16 (IMS) must be clear (else 0x42); allocates a
 *                     parent IMS entry tagged with the vdev PASID and
 *                     returns its index in CMDSTS[23:8]; 0x42 when the
 *                     parent IMS is full or the vdev already holds
 *                     VIDXD_VDEV_MAX_HANDLES handles;
 *      RELEASE_INT_HANDLE  operand [15:0] a handle of this vdev, bit 16
 *                     clear, else 0x43;
 *    in HALT every command but RESET_DEVICE fails with 0x03; a CMD write
 *    while a command is active records SWERR 0x52;
 *  - clearing bus mastering while enabled halts the vdev (SWERR 0x51,
 *    GENSTS HALT with reset type FLR, INTCAUSE.HALT/ERR as GENCTRL allows,
 *    one vector-0 request) and aborts its WQs (dsa.md §5.1);
 *  - parent software errors that name one of its parent WQs (SWERR with
 *    wq_idx_valid) are moved into the vdev's SWERR with the vdev WQ index
 *    and the PASID field cleared, raising INTCAUSE.ERR if enabled.  The
 *    parent's SWERR is polled (and acknowledged) when a vdev of that parent
 *    completes a command, submits a trapped descriptor or reads INTCAUSE
 *    or SWERR, and by vidxd_vdev_poll_errors();
 *  - portals: BAR2 page layout as the parent (dsa.md §1.7).  Every page
 *    submits through the parent's IMS portal of the WQ (limited pages stay
 *    limited), so an int_handle is a parent IMS index.  A descriptor for a
 *    WQ that is not enabled is dropped with SWERR 0x53 (not in HALT).
 *
 * Interrupt delivery: completions raise the parent IMS entry named by the
 * descriptor's handle (through the parent's host ops); the vdev binds that
 * entry to the eventfd the VMM gave for the vector the handle was
 * requested for, and rebinds it whenever SET_IRQS changes that eventfd.
 * Without an eventfd the interrupt stays pending in the entry and is
 * delivered once when one is given.  Vector 0 is the vdev's own and
 * behaves the same way.
 *
 * Thread model: create/destroy on the control thread; the function ops are
 * called by the server on the event-loop thread; completions arrive on
 * engine worker threads.  Every function here may be called from any
 * thread, but only vidxd_vdev_poll_errors() from a parent host op.
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
/* Interrupt handles one vdev may hold at once (REQUEST_INT_HANDLE). */
#define VIDXD_VDEV_MAX_HANDLES 32
/* The virtual BAR0 (dsa.md §5.2). */
#define VIDXD_VDEV_BAR0_SIZE 0x2000u

struct vidxd_vdev;

struct vidxd_vdev_config {
    uint8_t uuid[16]; /* kept for the caller; not interpreted */
    unsigned nr_wqs;  /* 1..VIDXD_VDEV_MAX_WQS */
    unsigned
        wqs[VIDXD_VDEV_MAX_WQS]; /* parent WQ indexes; vdev WQ i = wqs[i] */
    uint32_t pasid;              /* 1..0xfffff, unique per parent */
    /*
     * TRAPPED: every BAR2 store reaches the vdev (vfio-user REGION_WRITE)
     * and is assembled per 64-byte slot.
     * MAPPED: BAR2 is a sparse-mmap region of the parent's portal memfd:
     * for each vdev WQ i, pages 0-1 (unlimited, limited) map the parent's
     * IMS portal pages 2-3 of WQ wqs[i] (dsa.md §5.4) and the parent's
     * pollers pick the descriptors up (the protocol of
     * VIDXD_DSA_PORTAL_MAPPED); pages 2-3 stay trapped.  Needs a parent in
     * mapped mode and consecutive parent WQs (wqs[i] = wqs[0] + i): one
     * region fd can only express one linear window.
     */
    enum vidxd_dsa_portal_mode portal_mode;
};

/*
 * Create a vdev over @parent, whose interrupts are @parent_irq: a device
 * with an IMS domain VIDXD_IRQ_DOMAIN_IMS programmed by the host
 * (vidxd_irq_ims_array_create with VIDXD_IRQ_IMS_PASID), which the
 * parent's host op `interrupt` raises for IMS completions and whose host op
 * `int_handle_valid` accepts an IMS handle only for descriptors of the
 * entry's PASID (vidxd_irq_ims_array_pasid_ok; this is what keeps one vdev
 * from raising another's interrupts).
 *
 * The parent must be configurable (GENCAP.config_en = 1: the vdev writes
 * the PASID into the parent WQCFG when its guest enables a WQ) and have an
 * IMS (GENCAP.max_ims_mult > 0).  Each parent WQ in @cfg must be
 * configured by the caller for virtual-device use and stay so while the
 * vdev exists: WQCFG size > 0, dedicated, priority > 0, in a group with at
 * least one engine, and disabled.  The caller enables the parent device
 * (ENABLE_DEVICE) before the guest enables the vdev; the vdev enables and
 * disables the parent WQs itself and restores their WQCFG PASID fields at
 * destroy.  The parent must support PASIDs (vidxd_dsa_config.pasid),
 * otherwise the guest's ENABLE_WQ fails with 0x03.
 *
 * The vdev's address space (PASID cfg->pasid) is attached to the parent
 * with vidxd_dsa_attach_pasid_as(); the server fills it with the VMM's DMA
 * maps (fn op dma_as).
 *
 * Returns 0; -EINVAL (NULL argument, nr_wqs or pasid out of range, a WQ
 * index out of range or repeated, a parent WQ not set up as above, parent
 * not configurable or without IMS, bad portal mode); -EBUSY (a WQ or the
 * PASID is already used by another vdev, or the PASID is already attached
 * to the parent); -EOPNOTSUPP (MAPPED with a trapped parent or with
 * non-consecutive WQs); -ENOMEM; or the errno of a lower layer.
 */
VIDXD_API int vidxd_vdev_create(struct vidxd_dsa *parent,
                                struct vidxd_irq_dev *parent_irq,
                                const struct vidxd_vdev_config *cfg,
                                struct vidxd_vdev **out);

/*
 * Quiesce (abort and disable its parent WQs, free its IMS entries, restore
 * the parent WQCFG PASID fields, detach its address space from the parent)
 * and free.  The server serving it must be destroyed first.  Accepts NULL.
 */
VIDXD_API void vidxd_vdev_destroy(struct vidxd_vdev *vdev);

/*
 * The PCI function interface for vidxd_server_create() (opaque = vdev).
 * Also usable directly (tests): bar_read/bar_write of BAR0 and BAR2 with
 * 1, 2, 4 or 8 naturally aligned bytes, cfg_read/cfg_write, irq_eventfds
 * (MSI-X only), reset, dma_as.
 */
VIDXD_API const struct vidxd_pci_fn_ops *vidxd_vdev_fn_ops(void);

/*
 * Function-level reset, as vfio-user DEVICE_RESET and an FLR: abort and
 * disable its WQs, release its interrupt handles, return every register
 * and the config space to power-on values (bus mastering off, MSI-X
 * disabled, pending vector 0 discarded).  Eventfds and DMA maps stay.
 * Other vdevs of the parent are not disturbed.
 */
VIDXD_API void vidxd_vdev_reset(struct vidxd_vdev *vdev);

VIDXD_API const struct vidxd_vdev_config *
vidxd_vdev_config(const struct vidxd_vdev *vdev);

/* The vdev's address space (the one dma_as returns). */
VIDXD_API struct vidxd_as *vidxd_vdev_as(const struct vidxd_vdev *vdev);

/*
 * Reflect a pending software error of @parent that names a WQ owned by one
 * of its vdevs into that vdev (see the description above); does nothing
 * if the parent has no vdevs or its SWERR concerns another WQ.  With
 * parent workers, errors surface asynchronously: the host should call this
 * from the parent's `interrupt` host op for vector 0 (index 0, ims false;
 * the parent raises it for SWERR when its GENCTRL.softerr_int_en is set),
 * or from its event loop.  That is safe on a worker thread: it only reads
 * parent registers and writes the parent's SWERR, which vidxd/dsa.h allows
 * host ops to do, and it takes no lock a parent command holds.
 */
VIDXD_API void vidxd_vdev_poll_errors(struct vidxd_dsa *parent);

#endif /* VIDXD_VDEV_H */
