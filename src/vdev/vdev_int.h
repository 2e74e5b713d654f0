/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal state of the vdev layer, shared by its files: vdev.c (create,
 * destroy, reset, the per-parent registry, error reflection), regs.c (the
 * emulated BAR0), cmd.c (command mediation onto the parent), portal.c
 * (BAR2 assembly and submission), intr.c (vector 0, interrupt handles
 * backed by parent IMS entries, eventfd bindings) and fn.c (config space
 * and the vfio-user PCI function).
 *
 * Locks, in acquisition order:
 *   vdev->lock        recursive; every register, command, portal and
 *                     config-space access of one vdev;
 *   registry_lock     (vdev.c) the parent registry and WQ/PASID ownership;
 *                     also held while a parent SWERR is reflected;
 *   par->cmd_lock     serialises the parent commands and parent WQCFG
 *                     writes issued by all vdevs of one parent;
 *   (parent locks)    taken inside vidxd_dsa_* and vidxd_irq_* calls;
 *   vdev->rf.err_lock leaf: the vdev's SWERR and INTCAUSE.
 * Nothing here runs inside a parent host op, so no parent worker thread
 * ever waits for a vdev lock (the parent's commands wait for its workers).
 */
#ifndef VIDXD_VDEV_INT_H
#define VIDXD_VDEV_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsa/emul.h"
#include "vidxd/dsa.h"
#include "vidxd/irq.h"
#include "vidxd/mem.h"
#include "vidxd/pci.h"
#include "vidxd/vdev.h"

#define VDEV_LOG "vdev"

/* Virtual BAR0 layout, as the 2020 vidxd (dsa.md §5.2). */
#define VDEV_MSIX_PERM_OFFSET 0x300u
#define VDEV_GRPCFG_OFFSET 0x400u
#define VDEV_WQCFG_OFFSET 0x500u
#define VDEV_MSIX_TABLE_OFFSET 0x600u
#define VDEV_MSIX_PBA_OFFSET 0x700u
#define VDEV_FIXED_REGS_END 0x100u
#define VDEV_WQCFG_DWORDS (VIDXD_WQCFG_STRIDE_DSA1 / 4)
#define VDEV_MAX_VECTORS (VIDXD_VDEV_MAX_WQS + 1)
/* Mapped mode exposes the two IMS pages of each parent WQ (dsa.md §5.4). */
#define VDEV_MAPPED_PAGES 2u

/* One parent device with vdevs on it. */
struct vdev_parent {
    struct vdev_parent *next;
    struct vidxd_dsa *dsa;
    unsigned refs; /* vdevs on this parent */
    pthread_mutex_t cmd_lock;
    struct vidxd_vdev *owner[VIDXD_DSA_MAX_WQS]; /* under registry_lock */
    /* Parent layout, read from its registers once (dsa.md §1.2, §1.3). */
    unsigned num_wqs;
    unsigned num_groups;
    uint32_t wqcfg_offset;
    uint32_t wqcfg_stride;
    uint32_t grpcfg_offset;
};

/* An interrupt handle: a parent IMS entry bound to one vdev vector. */
struct vdev_handle {
    bool used;
    uint16_t vector; /* 1..nr_wqs */
    uint32_t ims;    /* parent IMS index = the handle value */
};

struct vidxd_vdev {
    struct vidxd_vdev_config cfg;
    char name[32];
    struct vidxd_dsa *parent;
    struct vidxd_irq_dev *parent_irq;
    struct vdev_parent *par;
    struct vidxd_as *as;
    bool pasid_attached;
    struct vidxd_irq_dev *irq; /* own MSI-X (vector 0 and PBA) */
    struct vidxd_pci_cfg *pci;

    pthread_mutex_t lock;

    /* Capabilities (fixed at create), GENCTRL, GENSTS, CMDSTS, INTCAUSE
     * and SWERR, with the same rules as the parent's (dsa/emul.h). */
    struct dsa_regfile rf;

    /* Read-only configuration, fixed at create. */
    uint64_t grpcfg[VIDXD_GRPCFG_SIZE / 8];
    uint32_t wqcfg[VIDXD_VDEV_MAX_WQS][VDEV_WQCFG_DWORDS];
    uint32_t parent_mode[VIDXD_VDEV_MAX_WQS]; /* restored at destroy */
    unsigned num_vectors;                     /* nr_wqs + 1 */

    /* Register state (under lock). */
    uint32_t gencfg;
    uint32_t cmd;
    uint32_t msixperm[VDEV_MAX_VECTORS];
    bool wq_enabled[VIDXD_VDEV_MAX_WQS];
    bool bme;

    /* Interrupts (under lock). */
    struct vdev_handle handles[VIDXD_VDEV_MAX_HANDLES];
    int vec_fd[VDEV_MAX_VECTORS];      /* the server's eventfds, -1 = none */
    bool vec_masked[VDEV_MAX_VECTORS]; /* VMM mask (SET_IRQS) */

    /* Portals. */
    struct dsa_slot *slots; /* nr_wqs x DSA_PORTAL_SLOTS_PER_WQ */
    int portal_fd;          /* mapped: the parent's BAR2 memfd (not ours) */
    uint64_t portal_fd_offset;
    uint8_t *portal_win; /* mapped: our window of the parent's BAR2 */
    size_t portal_win_len;
};

/* vdev.c */
void vdev_report_swerr(struct vidxd_vdev *v, uint64_t q0, uint64_t q1,
                       uint64_t q2);
void vdev_raise_intcause(struct vidxd_vdev *v, uint32_t bits);
void vdev_poll_parent(struct vidxd_vdev *v);
void vdev_halt(struct vidxd_vdev *v, unsigned reset_type, uint8_t code);
void vdev_reset_locked(struct vidxd_vdev *v);
void vdev_quiesce_wqs(struct vidxd_vdev *v);
unsigned vdev_state(const struct vidxd_vdev *v);

/* regs.c */
int vdev_bar0_read(struct vidxd_vdev *v, uint64_t off, unsigned size,
                   uint64_t *val);
int vdev_bar0_write(struct vidxd_vdev *v, uint64_t off, unsigned size,
                    uint64_t val);

/* cmd.c */
uint32_t vdev_cmd_issue(struct vidxd_vdev *v, uint32_t cmd);
uint32_t vdev_parent_cmd(struct vidxd_vdev *v, unsigned code, uint32_t operand);
uint32_t vdev_parent_wq_cmd(struct vidxd_vdev *v, unsigned code,
                            uint32_t vmask);
uint32_t vdev_parent_rd32(struct vidxd_vdev *v, uint64_t off);
uint64_t vdev_parent_rd64(struct vidxd_vdev *v, uint64_t off);

/* portal.c */
int vdev_portal_init(struct vidxd_vdev *v);
void vdev_portal_fini(struct vidxd_vdev *v);
void vdev_portal_clear(struct vidxd_vdev *v, unsigned wq);
int vdev_portal_write(struct vidxd_vdev *v, uint64_t off, const void *data,
                      unsigned size);

/* intr.c */
int vdev_intr_init(struct vidxd_vdev *v);
void vdev_intr_fini(struct vidxd_vdev *v);
void vdev_raise_vector0(struct vidxd_vdev *v);
uint32_t vdev_handle_request(struct vidxd_vdev *v, uint32_t operand);
uint32_t vdev_handle_release(struct vidxd_vdev *v, uint32_t operand);
void vdev_handles_free_all(struct vidxd_vdev *v);
void vdev_intr_set_eventfds(struct vidxd_vdev *v, uint32_t start,
                            uint32_t count, const int *fds);
int vdev_intr_vmm_mask(struct vidxd_vdev *v, uint32_t start, uint32_t count,
                       bool masked);
void vdev_intr_reset(struct vidxd_vdev *v);

/* fn.c */
int vdev_build_pci_cfg(struct vidxd_vdev *v);

#endif /* VIDXD_VDEV_INT_H */
