/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, the emulated 8 KiB BAR0 (reference/dsa.md §5.2).  The decode
 * works on qwords, as the parent model does: a read extracts bytes from
 * the qword's value, a write carries a mask of the bytes written and each
 * register merges only its writable bits, which gives 1/2/4/8-byte access
 * and split 64-bit writes for free.  GRPCFG and WQCFG are read-only (the
 * Linux driver in read-only mode never writes them, §2.5).  The MSI-X
 * table and PBA belong to the irq layer.
 */
#include <errno.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"

#define INTCAUSE_W1C                                                           \
    (VIDXD_INTCAUSE_ERR | VIDXD_INTCAUSE_CMD | VIDXD_INTCAUSE_OCCUPY |         \
     VIDXD_INTCAUSE_PERFMON_OVFL | VIDXD_INTCAUSE_HALT_STATE |                 \
     VIDXD_INTCAUSE_INT_HANDLE_REVOKED)
#define GENCTRL_RW (VIDXD_GENCTRL_SOFTERR_INT_EN | VIDXD_GENCTRL_HALT_INT_EN)
#define GENCFG_RW (VIDXD_GENCFG_RDBUF_LIMIT_MASK | VIDXD_GENCFG_USER_INT_EN)
#define CMD_RW                                                                 \
    (VIDXD_CMD_OPERAND_MASK | VIDXD_CMD_CODE_MASK | VIDXD_CMD_INT_REQ)
#define CMD_BYTE3 (0xffull << 24)
#define MSIXPERM_RW                                                            \
    (VIDXD_MSIXPERM_IGNORE | VIDXD_MSIXPERM_PASID_EN |                         \
     VIDXD_MSIXPERM_PASID_MASK)

static bool
in_range(uint64_t off, uint64_t start, uint64_t len)
{
    return off >= start && off - start < len;
}

static uint64_t
merge(uint64_t old, uint64_t val, uint64_t wmask, uint64_t writable)
{
    uint64_t m = wmask & writable;

    return (old & ~m) | (val & m);
}

static uint64_t
size_mask(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

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
    uint64_t val = 0;

    if (off < VDEV_FIXED_REGS_END) {
        switch (off) {
        case VIDXD_REG_VERSION:
            return v->version;
        case VIDXD_REG_GENCAP:
            return v->gencap;
        case VIDXD_REG_WQCAP:
            return v->wqcap;
        case VIDXD_REG_GRPCAP:
            return v->grpcap;
        case VIDXD_REG_ENGCAP:
            return v->engcap;
        case VIDXD_REG_OPCAP:
        case VIDXD_REG_OPCAP + 8:
        case VIDXD_REG_OPCAP + 16:
        case VIDXD_REG_OPCAP + 24:
            return v->opcap[(off - VIDXD_REG_OPCAP) / 8];
        case VIDXD_REG_OFFSETS:
        case VIDXD_REG_OFFSETS + 8:
            return v->offsets[(off - VIDXD_REG_OFFSETS) / 8];
        case VIDXD_REG_GENCFG:
            return v->gencfg;
        case VIDXD_REG_GENCTRL:
            return __atomic_load_n(&v->genctrl, __ATOMIC_ACQUIRE);
        case VIDXD_REG_GENSTS:
            return __atomic_load_n(&v->gensts, __ATOMIC_ACQUIRE);
        case VIDXD_REG_INTCAUSE:
            pthread_mutex_lock(&v->err_lock);
            val = v->intcause;
            pthread_mutex_unlock(&v->err_lock);
            return val;
        case VIDXD_REG_CMD:
            return v->cmd;
        case VIDXD_REG_CMDSTS:
            return __atomic_load_n(&v->cmdsts, __ATOMIC_ACQUIRE);
        case VIDXD_REG_CMDCAP:
            return v->cmdcap;
        case VIDXD_REG_SWERR:
        case VIDXD_REG_SWERR + 8:
        case VIDXD_REG_SWERR + 16:
        case VIDXD_REG_SWERR + 24:
            pthread_mutex_lock(&v->err_lock);
            val = v->swerr[(off - VIDXD_REG_SWERR) / 8];
            pthread_mutex_unlock(&v->err_lock);
            return val;
        default:
            return 0; /* reserved; no event log */
        }
    }
    if (in_range(off, VDEV_MSIX_PERM_OFFSET,
                 (uint64_t)v->num_vectors * VIDXD_MSIX_PERM_STRIDE)) {
        return v
            ->msixperm[(off - VDEV_MSIX_PERM_OFFSET) / VIDXD_MSIX_PERM_STRIDE];
    }
    if (in_range(off, VDEV_GRPCFG_OFFSET, VIDXD_GRPCFG_SIZE)) {
        return v->grpcfg[(off - VDEV_GRPCFG_OFFSET) / 8];
    }
    if (in_range(off, VDEV_WQCFG_OFFSET,
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
            v->gencfg = (uint32_t)merge(v->gencfg, val, wmask, GENCFG_RW);
            return false;
        case VIDXD_REG_GENCTRL:
            __atomic_store_n(
                &v->genctrl,
                (uint32_t)merge(v->genctrl, val, wmask, GENCTRL_RW),
                __ATOMIC_RELEASE);
            return false;
        case VIDXD_REG_INTCAUSE:
            pthread_mutex_lock(&v->err_lock);
            v->intcause &= ~(uint32_t)(val & wmask & INTCAUSE_W1C);
            pthread_mutex_unlock(&v->err_lock);
            return false;
        case VIDXD_REG_CMD:
            v->cmd = (uint32_t)merge(v->cmd, val, wmask, CMD_RW);
            return (wmask & CMD_BYTE3) != 0;
        case VIDXD_REG_SWERR:
            /* The driver acknowledges with VALID|OVERFLOW (§1.6). */
            pthread_mutex_lock(&v->err_lock);
            v->swerr[0] &=
                ~(val & wmask & (VIDXD_SWERR_VALID | VIDXD_SWERR_OVERFLOW));
            pthread_mutex_unlock(&v->err_lock);
            return false;
        default:
            return false; /* read-only or reserved */
        }
    }
    if (in_range(off, VDEV_MSIX_PERM_OFFSET,
                 (uint64_t)v->num_vectors * VIDXD_MSIX_PERM_STRIDE)) {
        /* Stored, without effect: the guest has no PASIDs and its
         * interrupts are IMS entries tagged by the host (dsa.md §5.2). */
        uint32_t *p = &v->msixperm[(off - VDEV_MSIX_PERM_OFFSET) /
                                   VIDXD_MSIX_PERM_STRIDE];
        *p = (uint32_t)merge(*p, val, wmask, MSIXPERM_RW);
        return false;
    }
    if (in_range(off, VDEV_GRPCFG_OFFSET, VIDXD_GRPCFG_SIZE) ||
        in_range(off, VDEV_WQCFG_OFFSET,
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

    if (in_range(off, VDEV_MSIX_TABLE_OFFSET, tbytes)) {
        base = VDEV_MSIX_TABLE_OFFSET;
        pba = false;
    } else if (in_range(off, VDEV_MSIX_PBA_OFFSET, pbytes)) {
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
        *rval = (*rval >> (8 * ((off - base) & 3))) & size_mask(size);
    }
    return rc;
}

static bool
access_ok(uint64_t off, unsigned size)
{
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        return false;
    }
    return off % size == 0 && off < VIDXD_VDEV_BAR0_SIZE &&
           size <= VIDXD_VDEV_BAR0_SIZE - off;
}

int
vdev_bar0_read(struct vidxd_vdev *v, uint64_t off, unsigned size, uint64_t *val)
{
    unsigned shift = (unsigned)(off & 7) * 8;
    uint64_t q = 0;
    int rc;

    if (!access_ok(off, size)) {
        return -EINVAL;
    }
    rc = table_access(v, off, size, val, 0, false);
    if (rc <= 0) {
        return rc;
    }
    /* A guest reading INTCAUSE or SWERR is looking for errors: collect
     * the parent's that concern us first (dsa.md §5.3). */
    if ((off & ~7ull) == VIDXD_REG_INTCAUSE ||
        in_range(off, VIDXD_REG_SWERR, 32)) {
        vdev_poll_parent(v);
    }
    pthread_mutex_lock(&v->lock);
    q = qword_read(v, off & ~7ull);
    pthread_mutex_unlock(&v->lock);
    *val = (q >> shift) & size_mask(size);
    return 0;
}

int
vdev_bar0_write(struct vidxd_vdev *v, uint64_t off, unsigned size, uint64_t val)
{
    unsigned shift = (unsigned)(off & 7) * 8;
    uint64_t wmask = size_mask(size) << shift;
    uint32_t cmd;
    bool issue;
    int rc;

    if (!access_ok(off, size)) {
        return -EINVAL;
    }
    rc = table_access(v, off, size, NULL, val & size_mask(size), true);
    if (rc <= 0) {
        return rc;
    }
    pthread_mutex_lock(&v->lock);
    issue =
        qword_write(v, off & ~7ull, (val & size_mask(size)) << shift, wmask);
    cmd = v->cmd;
    pthread_mutex_unlock(&v->lock);
    if (issue) {
        vdev_cmd_issue(v, cmd);
    }
    return 0;
}
