/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA device model, BAR0 register decode (reference/dsa.md §1.2-§1.6).
 *
 * The decode works on qwords, as emul.h describes: a read extracts bytes
 * from the qword's value, a write carries a bit mask of the bytes written
 * and each register merges only its writable bits under that mask.  The
 * registers that every emulated DSA has alike (capabilities, GENCTRL,
 * GENSTS, INTCAUSE, CMDSTS, SWERR) are decoded by emul.c; GENCFG, the CMD
 * latch and the tables here.  The MSI-X table, PBA and IMS table are not
 * ours: those accesses go to the host ops unchanged.
 */
#include <errno.h>

#include "dsa/dsa_int.h"
#include "vidxd/log.h"

#define GRPFLG_RW                                                              \
    (VIDXD_GRPFLG_TC_A_MASK | VIDXD_GRPFLG_TC_B_MASK |                         \
     VIDXD_GRPFLG_USE_RDBUF_LIMIT | VIDXD_GRPFLG_RDBUFS_RESERVED_MASK |        \
     VIDXD_GRPFLG_RDBUFS_ALLOWED_MASK)
#define WQCFG_MODE_RW                                                          \
    (VIDXD_WQCFG_MODE_DEDICATED | VIDXD_WQCFG_BOF |                            \
     VIDXD_WQCFG_PRIORITY_MASK | VIDXD_WQCFG_PASID_MASK |                      \
     VIDXD_WQCFG_PASID_EN | VIDXD_WQCFG_PRIV)
#define WQCFG_SHIFTS_RW                                                        \
    (VIDXD_WQCFG_MAX_XFER_SHIFT_MASK | VIDXD_WQCFG_MAX_BATCH_SHIFT_MASK)

/* Forward an access to a host-owned table; returns 1 if @off is not in
 * one.  The tables are multiples of 8 bytes long and 8-byte aligned, so a
 * naturally aligned access never straddles a boundary. */
static int
table_access(struct vidxd_dsa *dsa, uint64_t off, unsigned size, uint64_t *rval,
             uint64_t wval, bool write)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;
    unsigned table;
    uint64_t base;

    if (dsa_in_range(off, c->msix_table_offset,
                     (uint64_t)dsa->num_msix * VIDXD_MSIX_ENTRY_SIZE)) {
        table = VIDXD_DSA_TABLE_MSIX;
        base = c->msix_table_offset;
    } else if (dsa_in_range(off, c->msix_pba_offset,
                            ((dsa->num_msix + 63) / 64) * 8ull)) {
        table = VIDXD_DSA_TABLE_PBA;
        base = c->msix_pba_offset;
    } else if (dsa->num_ims != 0 &&
               dsa_in_range(off, c->ims_offset,
                            (uint64_t)dsa->num_ims * VIDXD_IMS_ENTRY_SIZE)) {
        table = VIDXD_DSA_TABLE_IMS;
        base = c->ims_offset;
    } else {
        return 1;
    }
    if (write) {
        if (dsa->host.table_write == NULL) {
            return 0;
        }
        return dsa->host.table_write(dsa->opaque, table, off - base, size,
                                     wval);
    }
    *rval = 0;
    if (dsa->host.table_read == NULL) {
        return 0;
    }
    return dsa->host.table_read(dsa->opaque, table, off - base, size, rval);
}

/* WQCFG dword @d of @wq as software reads it (dsa.md §1.5). */
static uint32_t
wqcfg_dword(struct vidxd_dsa *dsa, struct dsa_wq *wq, unsigned d)
{
    if (d == VIDXD_WQCFG_OCCUP_IDX) {
        uint32_t v = dsa_wq_occupancy(wq) & VIDXD_WQCFG_OCCUPANCY_MASK;

        if (dsa->cfg.configurable) {
            v |= VIDXD_WQCFG_MODE_SUPPORT;
        }
        if (DSA_LOAD(&wq->state_enabled)) {
            v |= VIDXD_WQ_STATE_ENABLED << VIDXD_WQCFG_STATE_SHIFT;
        }
        return v;
    }
    return DSA_LOAD(&wq->cfg[d]);
}

static uint32_t
wqcfg_writable(unsigned d)
{
    switch (d) {
    case VIDXD_WQCFG_SIZE_IDX:
        return VIDXD_WQCFG_SIZE_MASK;
    case VIDXD_WQCFG_THRESH_IDX:
        return VIDXD_WQCFG_THRESH_MASK;
    case VIDXD_WQCFG_MODE_IDX:
        return WQCFG_MODE_RW;
    case VIDXD_WQCFG_SHIFTS_IDX:
        return WQCFG_SHIFTS_RW;
    default:
        /* Occupancy interrupts and op_config are not advertised in WQCAP;
         * dword 6 is read-only and 7 reserved. */
        return 0;
    }
}

static uint64_t
grpcfg_writable(const struct vidxd_dsa *dsa, unsigned q)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;

    switch (q) {
    case 0: /* GRPWQCFG: one bit per existing WQ (at most 64 WQs) */
        return c->num_wqs >= 64 ? ~0ull : (1ull << c->num_wqs) - 1;
    case 4: /* GRPENGCFG */
        return c->num_engines >= 64 ? ~0ull : (1ull << c->num_engines) - 1;
    case 5:
        return GRPFLG_RW;
    default:
        return 0;
    }
}

/* Value of the qword at @off (8-aligned, not a host table).  Lock-free:
 * each field is read atomically (DSA_LOAD), INTCAUSE/SWERR under the leaf
 * rf.err_lock. */
static uint64_t
qword_read(struct vidxd_dsa *dsa, uint64_t off)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;

    if (off < 0x100) {
        switch (off) {
        case VIDXD_REG_GENCFG:
            return DSA_LOAD(&dsa->gencfg);
        case VIDXD_REG_CMD:
            return DSA_LOAD(&dsa->cmd);
        default:
            return dsa_regfile_read(&dsa->rf, off);
        }
    }
    if (dsa_in_range(off, c->msix_perm_offset,
                     (uint64_t)dsa->num_msix * VIDXD_MSIX_PERM_STRIDE)) {
        return __atomic_load_n(&dsa->msixperm[(off - c->msix_perm_offset) /
                                              VIDXD_MSIX_PERM_STRIDE],
                               __ATOMIC_ACQUIRE);
    }
    if (dsa_in_range(off, c->grpcfg_offset,
                     (uint64_t)c->num_groups * VIDXD_GRPCFG_SIZE)) {
        uint64_t rel = off - c->grpcfg_offset;
        return DSA_LOAD(&dsa->grpcfg[rel / VIDXD_GRPCFG_SIZE]
                                    [(rel % VIDXD_GRPCFG_SIZE) / 8]);
    }
    if (dsa_in_range(off, c->wqcfg_offset,
                     (uint64_t)c->num_wqs * c->wqcfg_stride)) {
        uint64_t rel = off - c->wqcfg_offset;
        struct dsa_wq *wq = &dsa->wqs[rel / c->wqcfg_stride];
        unsigned d = (unsigned)(rel % c->wqcfg_stride) / 4;

        return wqcfg_dword(dsa, wq, d) | (uint64_t)wqcfg_dword(dsa, wq, d + 1)
                                             << 32;
    }
    /* PERFMON: PERFCAP reads 0 counters, so the block is all zero and
     * read-only (Linux then skips perfmon, dsa.md §1.5). */
    return 0;
}

static void
write_grpcfg(struct vidxd_dsa *dsa, uint64_t rel, uint64_t val, uint64_t wmask)
{
    unsigned g = (unsigned)(rel / VIDXD_GRPCFG_SIZE);
    unsigned q = (unsigned)(rel % VIDXD_GRPCFG_SIZE) / 8;
    uint64_t *p = &dsa->grpcfg[g][q];
    uint64_t nv;

    pthread_mutex_lock(&dsa->lock);
    nv = dsa_reg_merge(*p, val, wmask, grpcfg_writable(dsa, q));
    if (nv == *p) {
        /* Linux rewrites GRPCFG with the same values while the device is
         * enabled (dsa.md §2.2): accept silently. */
    } else if (!dsa->cfg.configurable ||
               dsa_state(dsa) != VIDXD_GENSTS_DISABLED) {
        VIDXD_LOG_RATELIMIT(
            LOG_WARNING, DSA_LOG, "GRPCFG[%u] qword %u write ignored: %s", g, q,
            dsa->cfg.configurable ? "device not disabled" : "read-only config");
    } else {
        DSA_STORE(p, nv);
    }
    pthread_mutex_unlock(&dsa->lock);
}

static void
write_wqcfg(struct vidxd_dsa *dsa, uint64_t rel, uint64_t val, uint64_t wmask)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;
    struct dsa_wq *wq = &dsa->wqs[rel / c->wqcfg_stride];
    unsigned d0 = (unsigned)(rel % c->wqcfg_stride) / 4;
    unsigned i;

    pthread_mutex_lock(&dsa->lock);
    for (i = 0; i < 2; i++) {
        unsigned d = d0 + i;
        uint32_t m = (uint32_t)(wmask >> (32 * i));
        uint32_t v = (uint32_t)(val >> (32 * i));
        uint32_t nv;

        if (m == 0) {
            continue;
        }
        nv = (uint32_t)dsa_reg_merge(wq->cfg[d], v, m, wqcfg_writable(d));
        if (nv == wq->cfg[d]) {
            continue;
        }
        /* A WQCFG is writable only while its WQ is disabled, and only in a
         * configurable device (dsa.md §1.5, §2.5). */
        if (!c->configurable || wq->state_enabled) {
            VIDXD_LOG_RATELIMIT(
                LOG_WARNING, DSA_LOG, "WQCFG[%u] dword %u write ignored: %s",
                wq->id, d, c->configurable ? "WQ enabled" : "read-only config");
            continue;
        }
        DSA_STORE(&wq->cfg[d], nv);
    }
    pthread_mutex_unlock(&dsa->lock);
}

static void
write_gencfg(struct vidxd_dsa *dsa, uint64_t val, uint64_t wmask)
{
    uint32_t nv;

    pthread_mutex_lock(&dsa->lock);
    nv = (uint32_t)dsa_reg_merge(dsa->gencfg, val, wmask, DSA_GENCFG_RW);
    /* Writable only while the device is disabled (dsa.md §1.2). */
    if (dsa_state(dsa) == VIDXD_GENSTS_DISABLED) {
        DSA_STORE(&dsa->gencfg, nv);
    } else if (nv != dsa->gencfg) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, DSA_LOG,
                            "GENCFG write ignored: device not disabled");
    }
    pthread_mutex_unlock(&dsa->lock);
}

/* Apply a write to the qword at @off with the written bits in @wmask.
 * Only GENCFG/GRPCFG/WQCFG writes take dsa->lock.  Returns true if CMD
 * byte 3 was written: the command in *@cmd must then be issued. */
static bool
qword_write(struct vidxd_dsa *dsa, uint64_t off, uint64_t val, uint64_t wmask,
            uint32_t *cmd)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;

    if (off < 0x100) {
        switch (off) {
        case VIDXD_REG_GENCFG:
            write_gencfg(dsa, val, wmask);
            return false;
        case VIDXD_REG_CMD: {
            /* The latch merges bytes without a lock, so that a CMD write
             * during a command reaches the 0x52 check instead of waiting. */
            uint32_t old = DSA_LOAD(&dsa->cmd), nv;
            do {
                nv = (uint32_t)dsa_reg_merge(old, val, wmask, DSA_CMD_RW);
            } while (!__atomic_compare_exchange_n(&dsa->cmd, &old, nv, false,
                                                  __ATOMIC_RELAXED,
                                                  __ATOMIC_RELAXED));
            *cmd = nv;
            return (wmask & DSA_CMD_BYTE3) != 0;
        }
        default:
            dsa_regfile_write(&dsa->rf, off, val, wmask);
            return false;
        }
    }
    if (dsa_in_range(off, c->msix_perm_offset,
                     (uint64_t)dsa->num_msix * VIDXD_MSIX_PERM_STRIDE)) {
        uint32_t *p = &dsa->msixperm[(off - c->msix_perm_offset) /
                                     VIDXD_MSIX_PERM_STRIDE];
        __atomic_store_n(
            p, (uint32_t)dsa_reg_merge(*p, val, wmask, DSA_MSIXPERM_RW),
            __ATOMIC_RELEASE);
        return false;
    }
    if (dsa_in_range(off, c->grpcfg_offset,
                     (uint64_t)c->num_groups * VIDXD_GRPCFG_SIZE)) {
        write_grpcfg(dsa, off - c->grpcfg_offset, val, wmask);
        return false;
    }
    if (dsa_in_range(off, c->wqcfg_offset,
                     (uint64_t)c->num_wqs * c->wqcfg_stride)) {
        write_wqcfg(dsa, off - c->wqcfg_offset, val, wmask);
    }
    return false;
}

int
dsa_regs_read(struct vidxd_dsa *dsa, uint64_t off, unsigned size, uint64_t *val)
{
    int rc;

    rc = table_access(dsa, off, size, val, 0, false);
    if (rc <= 0) {
        return rc;
    }
    *val = dsa_reg_extract(qword_read(dsa, off & ~7ull), off, size);
    return 0;
}

int
dsa_regs_write(struct vidxd_dsa *dsa, uint64_t off, unsigned size, uint64_t val)
{
    uint32_t cmd = 0;
    bool issue;
    int rc;

    rc = table_access(dsa, off, size, NULL, val & dsa_size_mask(size), true);
    if (rc <= 0) {
        return rc;
    }
    issue = qword_write(dsa, off & ~7ull, dsa_reg_place(val, off, size),
                        dsa_reg_wmask(off, size), &cmd);
    if (issue) {
        dsa_cmd_issue(dsa, cmd);
    }
    return 0;
}
