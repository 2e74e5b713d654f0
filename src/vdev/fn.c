/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, the PCI function served over vfio-user: the config space of
 * the virtual DSA (dsa.md §5.1: 8086:0b25, class 0x088000, an RCiEP with
 * FLR, BAR0 and BAR2 64-bit prefetchable, MSI-X nr_wqs + 1 vectors at BAR0
 * 0x600/0x700), its hooks (bus master, MSI-X control, FLR), and the
 * struct vidxd_pci_fn_ops that routes the server's requests to the
 * registers, portals, interrupts and address space of the vdev.  Each
 * entry point takes the vdev lock: the pci layer is not thread-safe.
 */
#include <errno.h>
#include <string.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"
#include "vidxd/server.h"

#define PCI_COMMAND_MASTER 0x4u

/* ---- config space hooks (called inside vidxd_pci_cfg_write) ---- */

static void
cfg_command(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
    struct vidxd_vdev *v = opaque;
    bool on = (new_cmd & PCI_COMMAND_MASTER) != 0;

    if (((old_cmd ^ new_cmd) & PCI_COMMAND_MASTER) == 0) {
        return;
    }
    v->bme = on;
    /* Clearing BME while enabled halts with SWERR 0x51, reset type FLR,
     * as the 2020 vidxd did (dsa.md §5.1). */
    if (!on && vdev_state(v) == VIDXD_GENSTS_ENABLED) {
        vdev_halt(v, VIDXD_GENSTS_RESET_FLR, VIDXD_SWERR_PCI_CFG);
    }
}

static void
cfg_msix(void *opaque, bool enabled, bool function_masked)
{
    struct vidxd_vdev *v = opaque;

    vidxd_irq_msix_set_ctrl(v->irq, enabled, function_masked);
}

static void
cfg_flr(void *opaque)
{
    vdev_reset_locked(opaque);
}

static const struct vidxd_pci_cfg_hooks cfg_hooks = {
    .command = cfg_command,
    .msix = cfg_msix,
    .flr = cfg_flr,
};

int
vdev_build_pci_cfg(struct vidxd_vdev *v)
{
    int rc;

    rc = vidxd_dsa_pci_cfg_create(
        VIDXD_VDEV_BAR0_SIZE, (uint64_t)v->cfg.nr_wqs * VIDXD_PORTAL_WQ_STRIDE,
        v->num_vectors, VDEV_MSIX_TABLE_OFFSET, VDEV_MSIX_PBA_OFFSET, &v->pci);
    if (rc != 0) {
        return rc;
    }
    vidxd_pci_cfg_set_hooks(v->pci, &cfg_hooks, v);
    return 0;
}

/* ---- vfio-user PCI function ---- */

static int
fn_region_info(void *opaque, uint32_t index, struct vidxd_region_info *info)
{
    struct vidxd_vdev *v = opaque;
    unsigned i;

    memset(info, 0, sizeof(*info));
    info->fd = -1;
    switch (index) {
    case VIDXD_PCI_REGION_CONFIG:
        info->size = vidxd_pci_cfg_size(v->pci);
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        break;
    case VIDXD_PCI_REGION_BAR0:
        info->size = VIDXD_VDEV_BAR0_SIZE;
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        break;
    case VIDXD_PCI_REGION_BAR0 + 2:
        info->size = (uint64_t)v->cfg.nr_wqs * VIDXD_PORTAL_WQ_STRIDE;
        info->flags = VIDXD_REGION_READ | VIDXD_REGION_WRITE;
        if (v->portal_win != NULL) {
            /* Pages 0-1 of each WQ map the parent's IMS portal pages of
             * that WQ (dsa.md §5.4); pages 2-3 stay trapped. */
            info->flags |= VIDXD_REGION_MMAP;
            info->fd = v->portal_fd;
            info->fd_offset = v->portal_fd_offset;
            info->nr_areas = v->cfg.nr_wqs;
            for (i = 0; i < v->cfg.nr_wqs; i++) {
                info->areas[i].offset = (uint64_t)i * VIDXD_PORTAL_WQ_STRIDE;
                info->areas[i].size = VDEV_MAPPED_PAGES * VIDXD_PORTAL_PAGE;
            }
        }
        break;
    default:
        break;
    }
    return 0;
}

static int
fn_cfg_read(void *opaque, uint32_t off, void *buf, size_t len)
{
    struct vidxd_vdev *v = opaque;
    int rc;

    pthread_mutex_lock(&v->lock);
    rc = vidxd_pci_cfg_read(v->pci, off, buf, len);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

static int
fn_cfg_write(void *opaque, uint32_t off, const void *buf, size_t len)
{
    struct vidxd_vdev *v = opaque;
    int rc;

    pthread_mutex_lock(&v->lock);
    rc = vidxd_pci_cfg_write(v->pci, off, buf, len);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

static int
fn_bar_read(void *opaque, unsigned bar, uint64_t off, void *buf, size_t len)
{
    struct vidxd_vdev *v = opaque;
    uint64_t val = 0;
    int rc;

    if (bar == 2) {
        /* Portals read as zero (dsa.md §1.7). */
        if (off >= (uint64_t)v->cfg.nr_wqs * VIDXD_PORTAL_WQ_STRIDE ||
            len > (uint64_t)v->cfg.nr_wqs * VIDXD_PORTAL_WQ_STRIDE - off) {
            return -EINVAL;
        }
        memset(buf, 0, len);
        return 0;
    }
    if (bar != 0 || len > sizeof(val)) {
        return -EINVAL;
    }
    rc = vdev_bar0_read(v, off, (unsigned)len, &val);
    if (rc == 0) {
        memcpy(buf, &val, len); /* little-endian host */
    }
    return rc;
}

static int
fn_bar_write(void *opaque, unsigned bar, uint64_t off, const void *buf,
             size_t len)
{
    struct vidxd_vdev *v = opaque;
    uint64_t val = 0;

    if (bar == 2) {
        return vdev_portal_write(v, off, buf, (unsigned)len);
    }
    if (bar != 0 || len > sizeof(val)) {
        return -EINVAL;
    }
    memcpy(&val, buf, len);
    return vdev_bar0_write(v, off, (unsigned)len, val);
}

static uint32_t
fn_irq_count(void *opaque, uint32_t index)
{
    struct vidxd_vdev *v = opaque;

    /* MSI-X only; no INTx (dsa.md §5.1, §0.4). */
    return index == VIDXD_PCI_IRQ_MSIX ? v->num_vectors : 0;
}

static void
fn_irq_eventfds(void *opaque, uint32_t index, uint32_t start, uint32_t count,
                const int *fds)
{
    struct vidxd_vdev *v = opaque;

    if (index != VIDXD_PCI_IRQ_MSIX) {
        return;
    }
    pthread_mutex_lock(&v->lock);
    vdev_intr_set_eventfds(v, start, count, fds);
    pthread_mutex_unlock(&v->lock);
}

static int
fn_irq_mask(void *opaque, uint32_t index, uint32_t start, uint32_t count,
            bool masked)
{
    struct vidxd_vdev *v = opaque;
    int rc;

    if (index != VIDXD_PCI_IRQ_MSIX) {
        return -EINVAL;
    }
    pthread_mutex_lock(&v->lock);
    rc = vdev_intr_vmm_mask(v, start, count, masked);
    pthread_mutex_unlock(&v->lock);
    return rc;
}

static int
fn_reset(void *opaque)
{
    vidxd_vdev_reset(opaque);
    return 0;
}

static struct vidxd_as *
fn_dma_as(void *opaque)
{
    struct vidxd_vdev *v = opaque;

    return v->as;
}

static int
fn_attach(void *opaque)
{
    struct vidxd_vdev *v = opaque;

    VIDXD_INFO(VDEV_LOG, "%s: VMM connected", v->name);
    return 0;
}

/*
 * The VMM is gone (design.md invariant 1): drop its eventfds (interrupts
 * go pending), forget its masks, and abort what its guest queued before
 * the DMA maps disappear.  The device keeps its state for the next VMM.
 */
static void
fn_detach(void *opaque)
{
    struct vidxd_vdev *v = opaque;
    uint32_t on = 0;
    unsigned i;

    pthread_mutex_lock(&v->lock);
    vdev_intr_vmm_mask(v, 0, v->num_vectors, false);
    vdev_intr_set_eventfds(v, 0, v->num_vectors, NULL);
    for (i = 0; i < v->cfg.nr_wqs; i++) {
        if (v->wq_enabled[i]) {
            on |= 1u << i;
        }
    }
    if (on != 0) {
        vdev_parent_wq_cmd(v, VIDXD_CMD_ABORT_WQ, on);
    }
    pthread_mutex_unlock(&v->lock);
    VIDXD_INFO(VDEV_LOG, "%s: VMM disconnected", v->name);
}

static const struct vidxd_pci_fn_ops vdev_fn_ops = {
    .region_info = fn_region_info,
    .cfg_read = fn_cfg_read,
    .cfg_write = fn_cfg_write,
    .bar_read = fn_bar_read,
    .bar_write = fn_bar_write,
    .irq_count = fn_irq_count,
    .irq_eventfds = fn_irq_eventfds,
    .irq_mask = fn_irq_mask,
    .reset = fn_reset,
    .dma_as = fn_dma_as,
    .attach = fn_attach,
    .detach = fn_detach,
};

const struct vidxd_pci_fn_ops *
vidxd_vdev_fn_ops(void)
{
    return &vdev_fn_ops;
}
