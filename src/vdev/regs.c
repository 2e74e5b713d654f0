/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, the emulated 8 KiB BAR0 (reference/dsa.md §5.2).  The decode
 * works on qwords with the parent model's helpers (dsa/emul.h): a read
 * extracts bytes from the qword's value, a write carries a mask of the
 * bytes written and each register merges only its writable bits, which
 * gives 1/2/4/8-byte access and split 64-bit writes for free; the
 * registers with the parent's semantics (capabilities, GENCTRL, GENSTS,
 * INTCAUSE, CMDSTS, SWERR) are the shared register file's.  GRPCFG and
 * WQCFG are read-only (the Linux driver in read-only mode never writes
 * them, §2.5).  The MSI-X table and PBA belong to the irq layer.
 */
#include <errno.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"

static uint32_t
wqcfg_dword(struct vidxd_vdev *v, unsigned wq, unsigned d)
{
    if (d == VIDXD_WQCFG_OCCUP_IDX) {
        /* mode_support 0 (read-only config); wq_state kept by the vdev
         * (dsa.md §5.2); occupancy is not advertised in WQCAP. */
        return v->wq_enabled[wq]
                   ? VIDXD_WQ_STATE_ENABLED << VIDXD_WQCFG_STATE_SHIFT
                   : 0;
    }
    return v->wqcfg[wq][d];
}

/* Value of the qword at @off (8-aligned).  Caller holds v->lock. */
static uint64_t
qword_read(struct vidxd_vdev *v, uint64_t off)
{
    if (off < VDEV_FIXED_REGS_END) {
        switch (off) {
        case VIDXD_REG_GENCFG:
            return v->gencfg;
        case VIDXD_REG_CMD:
            return v->cmd;
        default:
            return dsa_regfile_read(&v->rf, off);
        }
    }
    if (dsa_in_range(off, VDEV_MSIX_PERM_OFFSET,
                     (uint64_t)v->num_vectors * VIDXD_MSIX_PERM_STRIDE)) {
        return v
            ->msixperm[(off - VDEV_MSIX_PERM_OFFSET) / VIDXD_MSIX_PERM_STRIDE];
    }
    if (dsa_in_range(off, VDEV_GRPCFG_OFFSET, VIDXD_GRPCFG_SIZE)) {
        return v->grpcfg[(off - VDEV_GRPCFG_OFFSET) / 8];
    }
    if (dsa_in_range(off, VDEV_WQCFG_OFFSET,
                     (uint64_t)v->cfg.nr_wqs * VIDXD_WQCFG_STRIDE_DSA1)) {
        uint64_t rel = off - VDEV_WQCFG_OFFSET;
        unsigned wq = (unsigned)(rel / VIDXD_WQCFG_STRIDE_DSA1);
        unsigned d = (unsigned)(rel % VIDXD_WQCFG_STRIDE_DSA1) / 4;

        return wqcfg_dword(v, wq, d) | (uint64_t)wqcfg_dword(v, wq, d + 1)
                                           << 32;
    }
    return 0;
}

/* Apply a write to the qword at @off.  Caller holds v->lock.  Returns true
 * if CMD byte 3 was written: the command must then be issued. */
static bool
qword_write(struct vidxd_vdev *v, uint64_t off, uint64_t val, uint64_t wmask)
{
    if (off < VDEV_FIXED_REGS_END) {
        switch (off) {
        case VIDXD_REG_GENCFG:
            /* Writable only while the device is disabled (dsa.md §1.2). */
            if (vdev_state(v) != VIDXD_GENSTS_DISABLED) {
                return false;
            }
            v->gencfg =
                (uint32_t)dsa_reg_merge(v->gencfg, val, wmask, DSA_GENCFG_RW);
            return false;
        case VIDXD_REG_CMD:
            v->cmd = (uint32_t)dsa_reg_merge(v->cmd, val, wmask, DSA_CMD_RW);
            return (wmask & DSA_CMD_BYTE3) != 0;
        default:
            dsa_regfile_write(&v->rf, off, val, wmask);
            return false;
        }
    }
    if (dsa_in_range(off, VDEV_MSIX_PERM_OFFSET,
                     (uint64_t)v->num_vectors * VIDXD_MSIX_PERM_STRIDE)) {
        /* Stored, without effect: the guest has no PASIDs and its
         * interrupts are IMS entries tagged by the host (dsa.md §5.2). */
        uint32_t *p = &v->msixperm[(off - VDEV_MSIX_PERM_OFFSET) /
                                   VIDXD_MSIX_PERM_STRIDE];
        *p = (uint32_t)dsa_reg_merge(*p, val, wmask, DSA_MSIXPERM_RW);
        return false;
    }
    if (dsa_in_range(off, VDEV_GRPCFG_OFFSET, VIDXD_GRPCFG_SIZE) ||
        dsa_in_range(off, VDEV_WQCFG_OFFSET,
                     (uint64_t)v->cfg.nr_wqs * VIDXD_WQCFG_STRIDE_DSA1)) {
        VIDXD_LOG_RATELIMIT(LOG_DEBUG, VDEV_LOG,
                            "%s: write to read-only config at 0x%llx "
                            "ignored",
                            v->name, (unsigned long long)off);
    }
    return false;
}

/* The MSI-X table / PBA, forwarded to the irq layer.  Returns 1 if @off is
 * not in them.  PCI allows DWORD and QWORD accesses there; a smaller read
 * is served from its DWORD, a smaller write ignored. */
static int
table_access(struct vidxd_vdev *v, uint64_t off, unsigned size, uint64_t *rval,
             uint64_t wval, bool write)
{
    uint64_t tbytes = VIDXD_IRQ_MSIX_TABLE_BYTES(v->num_vectors);
    uint64_t pbytes = VIDXD_IRQ_MSIX_PBA_BYTES(v->num_vectors);
    uint64_t base, dw;
    bool pba;
    int rc;

    if (dsa_in_range(off, VDEV_MSIX_TABLE_OFFSET, tbytes)) {
        base = VDEV_MSIX_TABLE_OFFSET;
        pba = false;
    } else if (dsa_in_range(off, VDEV_MSIX_PBA_OFFSET, pbytes)) {
        base = VDEV_MSIX_PBA_OFFSET;
        pba = true;
    } else {
        return 1;
    }
    if (write) {
        if (pba || size < 4) {
            return 0; /* PBA writes are ignored (PCI) */
        }
        return vidxd_irq_msix_table_write(v->irq, off - base, size, wval);
    }
    if (size >= 4) {
        return pba ? vidxd_irq_msix_pba_read(v->irq, off - base, size, rval)
                   : vidxd_irq_msix_table_read(v->irq, off - base, size, rval);
    }
    dw = (off - base) & ~3ull;
    rc = pba ? vidxd_irq_msix_pba_read(v->irq, dw, 4, rval)
             : vidxd_irq_msix_table_read(v->irq, dw, 4, rval);
    if (rc == 0) {
        *rval = (*rval >> (8 * ((off - base) & 3))) & dsa_size_mask(size);
    }
    return rc;
}

int
vdev_bar0_read(struct vidxd_vdev *v, uint64_t off, unsigned size, uint64_t *val)
{
    uint64_t q = 0;
    int rc;

    if (!dsa_reg_access_ok(off, size, VIDXD_VDEV_BAR0_SIZE)) {
        return -EINVAL;
    }
    rc = table_access(v, off, size, val, 0, false);
    if (rc <= 0) {
        return rc;
    }
    /* A guest reading INTCAUSE or SWERR is looking for errors: collect
     * the parent's that concern us first (dsa.md §5.3). */
    if ((off & ~7ull) == VIDXD_REG_INTCAUSE ||
        dsa_in_range(off, VIDXD_REG_SWERR, 32)) {
        vdev_poll_parent(v);
    }
    pthread_mutex_lock(&v->lock);
    q = qword_read(v, off & ~7ull);
    pthread_mutex_unlock(&v->lock);
    *val = dsa_reg_extract(q, off, size);
    return 0;
}

int
vdev_bar0_write(struct vidxd_vdev *v, uint64_t off, unsigned size, uint64_t val)
{
    uint32_t cmd;
    bool issue;
    int rc;

    if (!dsa_reg_access_ok(off, size, VIDXD_VDEV_BAR0_SIZE)) {
        return -EINVAL;
    }
    rc = table_access(v, off, size, NULL, val & dsa_size_mask(size), true);
    if (rc <= 0) {
        return rc;
    }
    pthread_mutex_lock(&v->lock);
    issue = qword_write(v, off & ~7ull, dsa_reg_place(val, off, size),
                        dsa_reg_wmask(off, size));
    cmd = v->cmd;
    pthread_mutex_unlock(&v->lock);
    if (issue) {
        vdev_cmd_issue(v, cmd);
    }
    return 0;
}
