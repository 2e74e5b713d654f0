/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA device model, state and realize: configuration defaults and
 * validation, capability values, create/destroy, power-on and reset state,
 * bus-master gating and halt, address-space binding, and the two ways the
 * device reports events to software (SWERR and INTCAUSE with vector 0).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/dsa_int.h"
#include "vidxd/log.h"

#define DSA_FIXED_REGS_END 0x100u /* capability/control block, dsa.md §1.2 */
#define DSA_GENCAP_FEATURES                                                    \
    (VIDXD_GENCAP_BLOCK_ON_FAULT | VIDXD_GENCAP_OVERLAP_COPY |                 \
     VIDXD_GENCAP_CACHE_CTRL_MEM | VIDXD_GENCAP_CACHE_CTRL_CACHE |             \
     VIDXD_GENCAP_DEST_READBACK | VIDXD_GENCAP_DRAIN_READBACK)
/* CMDCAP with cmd_cap: every command this model implements (1..14). */
#define DSA_CMDCAP_ALL 0x7ffeu
/* The Sapphire Rapids BAR0 layout (dsa.md §1.1). */
#define DSA_SPR_BAR0_SIZE 0x10000u
#define DSA_SPR_MSIX_PERM 0x200u
#define DSA_SPR_GRPCFG 0x300u
#define DSA_SPR_WQCFG 0x400u
#define DSA_SPR_PERFMON 0x1000u
#define DSA_SPR_MSIX_TABLE 0x2000u
#define DSA_SPR_MSIX_PBA 0x3000u
#define DSA_SPR_IMS 0x4000u

void
vidxd_dsa_config_default(struct vidxd_dsa_config *cfg)
{
    unsigned i;

    memset(cfg, 0, sizeof(*cfg));
    /* Sapphire Rapids values, dsa.md §1.1. */
    cfg->version = VIDXD_VERSION_1_0;
    cfg->num_wqs = 8;
    cfg->num_engines = 4;
    cfg->num_groups = 4;
    cfg->total_wq_size = 128;
    cfg->wqcfg_stride = VIDXD_WQCFG_STRIDE_DSA1;
    cfg->shared_mode = false;
    cfg->pasid = true;
    cfg->max_xfer_shift = 31;
    cfg->max_batch_shift = 10;
    cfg->max_ims_mult = 8;
    cfg->total_rdbufs = 96;
    cfg->gencap_features =
        VIDXD_GENCAP_BLOCK_ON_FAULT | VIDXD_GENCAP_OVERLAP_COPY |
        VIDXD_GENCAP_CACHE_CTRL_MEM | VIDXD_GENCAP_DEST_READBACK;
    cfg->gencap_hi = 0x40;
    cfg->cmd_cap = false;
    cfg->opcap[0] = VIDXD_OPCAP0_DSA1;
    cfg->configurable = true;
    for (i = 0; i < VIDXD_DSA_MAX_WQS; i++) {
        cfg->ro_wqs[i] = (struct vidxd_dsa_wq_preset){
            .size = 16,
            .priority = 1,
            .group = (uint8_t)(i % 4),
            .bof = false,
            .max_xfer_shift = 31,
            .max_batch_shift = 10,
        };
    }
    for (i = 0; i < VIDXD_DSA_MAX_ENGINES; i++) {
        cfg->ro_engine_group[i] = (uint8_t)(i % 4);
    }
    cfg->bar0_size = DSA_SPR_BAR0_SIZE;
    cfg->msix_perm_offset = DSA_SPR_MSIX_PERM;
    cfg->grpcfg_offset = DSA_SPR_GRPCFG;
    cfg->wqcfg_offset = DSA_SPR_WQCFG;
    cfg->perfmon_offset = DSA_SPR_PERFMON;
    cfg->msix_table_offset = DSA_SPR_MSIX_TABLE;
    cfg->msix_pba_offset = DSA_SPR_MSIX_PBA;
    cfg->ims_offset = DSA_SPR_IMS;
    cfg->portal_mode = VIDXD_DSA_PORTAL_TRAPPED;
    cfg->workers = 0;
}

struct region {
    uint64_t start;
    uint64_t len;
};

static bool
regions_ok(const struct region *r, unsigned n, uint64_t bar0_size)
{
    unsigned i, j;

    for (i = 0; i < n; i++) {
        if (r[i].len == 0) {
            continue;
        }
        if (r[i].start > bar0_size || r[i].len > bar0_size - r[i].start) {
            return false;
        }
        for (j = 0; j < i; j++) {
            if (r[j].len != 0 && r[i].start < r[j].start + r[j].len &&
                r[j].start < r[i].start + r[i].len) {
                return false;
            }
        }
    }
    return true;
}

static bool
table_offset_ok(uint32_t off)
{
    /* OFFSETS holds 16-bit fields in units of 0x100 (dsa.md §1.2). */
    return off % VIDXD_TABLE_MULT == 0 && off / VIDXD_TABLE_MULT <= 0xffff &&
           off >= DSA_FIXED_REGS_END;
}

static bool
presets_ok(const struct vidxd_dsa_config *c)
{
    unsigned i, sum = 0;

    for (i = 0; i < c->num_wqs; i++) {
        const struct vidxd_dsa_wq_preset *p = &c->ro_wqs[i];

        if (p->size == 0) {
            continue;
        }
        sum += p->size;
        if ((p->group != VIDXD_DSA_NO_GROUP && p->group >= c->num_groups) ||
            p->priority == 0 || p->priority > 15 ||
            p->max_xfer_shift > c->max_xfer_shift ||
            p->max_batch_shift > c->max_batch_shift ||
            (p->bof &&
             (c->gencap_features & VIDXD_GENCAP_BLOCK_ON_FAULT) == 0)) {
            return false;
        }
    }
    if (sum > c->total_wq_size) {
        return false;
    }
    for (i = 0; i < c->num_engines; i++) {
        if (c->ro_engine_group[i] != VIDXD_DSA_NO_GROUP &&
            c->ro_engine_group[i] >= c->num_groups) {
            return false;
        }
    }
    return true;
}

/* The fields that size the BAR0 tables are in range. */
static bool
table_sizes_ok(const struct vidxd_dsa_config *c)
{
    return c->num_wqs >= 1 && c->num_wqs <= VIDXD_DSA_MAX_WQS &&
           c->num_groups >= 1 && c->num_groups <= VIDXD_DSA_MAX_GROUPS &&
           (c->wqcfg_stride == VIDXD_WQCFG_STRIDE_DSA1 ||
            c->wqcfg_stride == VIDXD_WQCFG_STRIDE_DSA2) &&
           c->max_ims_mult <= 63;
}

static bool
bar0_size_ok(uint64_t size)
{
    return size >= 0x1000 && (size & (size - 1)) == 0;
}

/* The BAR0 layout of @c: every table where OFFSETS can point at it, none
 * overlapping another or leaving BAR0.  The table sizes are in range. */
static bool
layout_ok(const struct vidxd_dsa_config *c)
{
    unsigned nmsix = c->num_wqs + 1;
    unsigned nims = c->max_ims_mult * 256;
    struct region r[8];

    if (!bar0_size_ok(c->bar0_size)) {
        return false;
    }
    if (!table_offset_ok(c->grpcfg_offset) ||
        !table_offset_ok(c->wqcfg_offset) ||
        !table_offset_ok(c->msix_perm_offset) ||
        (c->perfmon_offset != 0 && !table_offset_ok(c->perfmon_offset)) ||
        (nims != 0 && !table_offset_ok(c->ims_offset)) ||
        c->msix_table_offset % 8 != 0 || c->msix_pba_offset % 8 != 0) {
        return false;
    }
    r[0] = (struct region){0, DSA_FIXED_REGS_END};
    r[1] = (struct region){c->grpcfg_offset,
                           (uint64_t)c->num_groups * VIDXD_GRPCFG_SIZE};
    r[2] = (struct region){c->wqcfg_offset,
                           (uint64_t)c->num_wqs * c->wqcfg_stride};
    r[3] = (struct region){c->msix_perm_offset,
                           (uint64_t)nmsix * VIDXD_MSIX_PERM_STRIDE};
    r[4] = (struct region){c->perfmon_offset,
                           c->perfmon_offset ? VIDXD_PERFMON_BLOCK_SIZE : 0};
    r[5] = (struct region){c->msix_table_offset,
                           (uint64_t)nmsix * VIDXD_MSIX_ENTRY_SIZE};
    r[6] = (struct region){c->msix_pba_offset, ((nmsix + 63) / 64) * 8ull};
    r[7] =
        (struct region){c->ims_offset, (uint64_t)nims * VIDXD_IMS_ENTRY_SIZE};
    return regions_ok(r, 8, c->bar0_size);
}

static bool
config_ok(const struct vidxd_dsa_config *c)
{
    if (!table_sizes_ok(c) || c->num_engines < 1 ||
        c->num_engines > VIDXD_DSA_MAX_ENGINES || c->total_wq_size < 1 ||
        c->total_wq_size > 0xffff || c->max_xfer_shift > 31 ||
        c->max_batch_shift > 15 || c->total_rdbufs > 255 ||
        (c->gencap_features & ~DSA_GENCAP_FEATURES) != 0 ||
        c->workers > VIDXD_DSA_MAX_WORKERS ||
        (c->portal_mode != VIDXD_DSA_PORTAL_TRAPPED &&
         c->portal_mode != VIDXD_DSA_PORTAL_MAPPED)) {
        return false;
    }
    if (!layout_ok(c)) {
        return false;
    }
    return c->configurable || presets_ok(c);
}

/* Put a table of @len bytes at @pref if that is at or past *@end, else at
 * the next multiple of @align past it; advance *@end past the table. */
static uint32_t
place(uint64_t *end, uint32_t pref, uint64_t len, uint64_t align)
{
    uint64_t off = pref >= *end ? pref : (*end + align - 1) & ~(align - 1);

    *end = off + len;
    return (uint32_t)off;
}

int
vidxd_dsa_config_layout(struct vidxd_dsa_config *cfg)
{
    struct vidxd_dsa_config c;
    uint64_t end = DSA_SPR_MSIX_PERM, nmsix, nims;

    if (cfg == NULL || !table_sizes_ok(cfg)) {
        return -EINVAL;
    }
    if (layout_ok(cfg)) {
        return 0;
    }
    c = *cfg;
    nmsix = c.num_wqs + 1;
    nims = c.max_ims_mult * 256ull;
    /* The SPR order from the SPR MSIXPERM offset (0x100-0x1ff holds
     * IAACAP on IAA, dsa.md §1.2).  The blocks SPR starts on a 4 KiB
     * boundary stay on one: PERFMON, and the MSI-X table, PBA and IMS,
     * which a VMM maps or traps by page. */
    c.msix_perm_offset =
        place(&end, DSA_SPR_MSIX_PERM, nmsix * VIDXD_MSIX_PERM_STRIDE,
              VIDXD_TABLE_MULT);
    c.grpcfg_offset =
        place(&end, DSA_SPR_GRPCFG, (uint64_t)c.num_groups * VIDXD_GRPCFG_SIZE,
              VIDXD_TABLE_MULT);
    c.wqcfg_offset =
        place(&end, DSA_SPR_WQCFG, (uint64_t)c.num_wqs * c.wqcfg_stride,
              VIDXD_TABLE_MULT);
    if (c.perfmon_offset != 0) {
        c.perfmon_offset =
            place(&end, DSA_SPR_PERFMON, VIDXD_PERFMON_BLOCK_SIZE, 0x1000);
    }
    c.msix_table_offset =
        place(&end, DSA_SPR_MSIX_TABLE, nmsix * VIDXD_MSIX_ENTRY_SIZE, 0x1000);
    c.msix_pba_offset =
        place(&end, DSA_SPR_MSIX_PBA, (nmsix + 63) / 64 * 8, 0x1000);
    if (nims != 0) {
        c.ims_offset =
            place(&end, DSA_SPR_IMS, nims * VIDXD_IMS_ENTRY_SIZE, 0x1000);
    }
    if (!bar0_size_ok(c.bar0_size)) {
        c.bar0_size = 0x1000;
    }
    while (c.bar0_size < end) {
        c.bar0_size <<= 1;
    }
    if (!layout_ok(&c)) {
        return -EINVAL; /* beyond what OFFSETS can express */
    }
    *cfg = c;
    return 0;
}

static void
compute_caps(struct vidxd_dsa *dsa)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;
    struct dsa_regfile *rf = &dsa->rf;

    rf->version = c->version;
    memcpy(rf->opcap, c->opcap, sizeof(rf->opcap));
    rf->gencap =
        c->gencap_features | (c->cmd_cap ? VIDXD_GENCAP_CMD_CAP : 0) |
        ((uint64_t)c->max_xfer_shift << VIDXD_GENCAP_MAX_XFER_SHIFT_SHIFT) |
        ((uint64_t)c->max_batch_shift << VIDXD_GENCAP_MAX_BATCH_SHIFT_SHIFT) |
        ((uint64_t)c->max_ims_mult << VIDXD_GENCAP_MAX_IMS_MULT_SHIFT) |
        (c->configurable ? VIDXD_GENCAP_CONFIG_EN : 0) |
        ((uint64_t)c->gencap_hi << VIDXD_GENCAP_HI_SHIFT);
    rf->wqcap = c->total_wq_size |
                ((uint64_t)c->num_wqs << VIDXD_WQCAP_NUM_WQS_SHIFT) |
                ((uint64_t)(c->wqcfg_stride == VIDXD_WQCFG_STRIDE_DSA2)
                 << VIDXD_WQCAP_WQCFG_SIZE_SHIFT) |
                (c->shared_mode ? VIDXD_WQCAP_SHARED_MODE : 0) |
                VIDXD_WQCAP_DEDICATED_MODE | VIDXD_WQCAP_PRIORITY |
                VIDXD_WQCAP_OCCUPANCY;
    rf->grpcap =
        c->num_groups |
        ((uint64_t)c->total_rdbufs << VIDXD_GRPCAP_TOTAL_RDBUFS_SHIFT) |
        VIDXD_GRPCAP_RDBUF_CTRL | VIDXD_GRPCAP_RDBUF_LIMIT;
    rf->engcap = c->num_engines;
    dsa->num_msix = c->num_wqs + 1;
    dsa->num_ims = c->max_ims_mult * 256;
    rf->offsets[0] =
        ((uint64_t)(c->grpcfg_offset / VIDXD_TABLE_MULT)
         << VIDXD_OFFSETS_GRPCFG_SHIFT) |
        ((uint64_t)(c->wqcfg_offset / VIDXD_TABLE_MULT)
         << VIDXD_OFFSETS_WQCFG_SHIFT) |
        ((uint64_t)(c->msix_perm_offset / VIDXD_TABLE_MULT)
         << VIDXD_OFFSETS_MSIX_PERM_SHIFT) |
        ((uint64_t)(dsa->num_ims ? c->ims_offset / VIDXD_TABLE_MULT : 0)
         << VIDXD_OFFSETS_IMS_SHIFT);
    rf->offsets[1] = (uint64_t)(c->perfmon_offset / VIDXD_TABLE_MULT)
                     << VIDXD_OFFSETS_PERFMON_SHIFT;
    rf->cmdcap = c->cmd_cap ? DSA_CMDCAP_ALL : 0;
    dsa->bar2_size = (uint64_t)c->num_wqs * VIDXD_PORTAL_WQ_STRIDE;
}

unsigned
dsa_state(const struct vidxd_dsa *dsa)
{
    return dsa_regfile_state(&dsa->rf);
}

/* Power-on WQCFG: all zero, or the read-only preset (dsa.md §2.5).  After
 * a reset the table must read back clean because Linux 6.12 ORs it into
 * its shadow (dsa.md §1.5).  Caller holds dsa->lock; the WQ is disabled. */
void
dsa_wq_reset_config(struct dsa_wq *wq)
{
    const struct vidxd_dsa_config *c = &wq->dsa->cfg;
    uint32_t v[DSA_WQCFG_MAX_DWORDS] = {0};
    unsigned d;

    if (!c->configurable) {
        const struct vidxd_dsa_wq_preset *p = &c->ro_wqs[wq->id];

        v[VIDXD_WQCFG_SIZE_IDX] = p->size;
        v[VIDXD_WQCFG_MODE_IDX] =
            VIDXD_WQCFG_MODE_DEDICATED | (p->bof ? VIDXD_WQCFG_BOF : 0) |
            ((uint32_t)p->priority << VIDXD_WQCFG_PRIORITY_SHIFT);
        v[VIDXD_WQCFG_SHIFTS_IDX] =
            p->max_xfer_shift |
            ((uint32_t)p->max_batch_shift << VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT);
    }
    for (d = 0; d < DSA_WQCFG_MAX_DWORDS; d++) {
        DSA_STORE(&wq->cfg[d], v[d]);
    }
    DSA_STORE(&wq->state_enabled, false);
}

/* Power-on configuration state (GENSTS, GENCFG, GRPCFG, WQCFG).  Caller
 * holds dsa->lock and has disabled every WQ. */
void
dsa_reset_config(struct vidxd_dsa *dsa)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;
    uint64_t wqs[VIDXD_DSA_MAX_GROUPS] = {0}, engs[VIDXD_DSA_MAX_GROUPS] = {0};
    uint64_t flags = 0;
    unsigned i, q;

    __atomic_store_n(&dsa->rf.gensts, VIDXD_GENSTS_DISABLED, __ATOMIC_RELEASE);
    DSA_STORE(&dsa->gencfg, 0);
    for (i = 0; i < c->num_wqs; i++) {
        dsa_wq_reset_config(&dsa->wqs[i]);
    }
    if (!c->configurable) {
        for (i = 0; i < c->num_wqs; i++) {
            uint8_t g = c->ro_wqs[i].group;
            if (c->ro_wqs[i].size != 0 && g != VIDXD_DSA_NO_GROUP) {
                wqs[g] |= 1ull << i;
            }
        }
        for (i = 0; i < c->num_engines; i++) {
            uint8_t g = c->ro_engine_group[i];
            if (g != VIDXD_DSA_NO_GROUP) {
                engs[g] |= 1ull << i;
            }
        }
        /* Flags as in the SPR dump of dsa.md §2.7: tc_b 1, all buffers. */
        flags =
            (1ull << VIDXD_GRPFLG_TC_B_SHIFT) |
            ((uint64_t)c->total_rdbufs << VIDXD_GRPFLG_RDBUFS_ALLOWED_SHIFT);
    }
    for (i = 0; i < c->num_groups; i++) {
        for (q = 0; q < 8; q++) {
            DSA_STORE(&dsa->grpcfg[i][q], 0);
        }
        DSA_STORE(&dsa->grpcfg[i][0], wqs[i]);
        DSA_STORE(&dsa->grpcfg[i][4], engs[i]);
        DSA_STORE(&dsa->grpcfg[i][5], flags);
    }
}

/* Set INTCAUSE bits and request vector 0 (dsa.md §1.2, §2.3 misc IRQ). */
void
dsa_raise_intcause(struct vidxd_dsa *dsa, uint32_t bits)
{
    dsa_regfile_raise(&dsa->rf, bits);
    if (dsa->host.interrupt != NULL) {
        dsa->host.interrupt(dsa->opaque, 0, false);
    }
}

/* Record an error in SWERR (or OVERFLOW) and raise INTCAUSE.ERR if
 * enabled (dsa.md §1.6, §5.3). */
void
dsa_report_swerr(struct vidxd_dsa *dsa, uint64_t q0, uint64_t q1, uint64_t q2)
{
    uint32_t bits = dsa_regfile_swerr(&dsa->rf, q0, q1, q2);

    if (bits != 0) {
        dsa_raise_intcause(dsa, bits);
    }
}

/* Enter HALT (GENSTS state 3): stop every WQ, log the cause in SWERR and
 * tell software on vector 0 (dsa.md §1.2 GENSTS, §5.1 BME handling). */
void
dsa_halt(struct vidxd_dsa *dsa, unsigned reset_type, uint8_t code)
{
    uint32_t bits;
    unsigned i;

    pthread_mutex_lock(&dsa->lock);
    if (dsa_state(dsa) == VIDXD_GENSTS_HALT) {
        pthread_mutex_unlock(&dsa->lock);
        return;
    }
    __atomic_store_n(&dsa->rf.gensts,
                     VIDXD_GENSTS_HALT |
                         (reset_type << VIDXD_GENSTS_RESET_TYPE_SHIFT),
                     __ATOMIC_RELEASE);
    for (i = 0; i < dsa->cfg.num_wqs; i++) {
        dsa_wq_disable(&dsa->wqs[i]);
        DSA_STORE(&dsa->wqs[i].state_enabled, false);
    }
    bits = dsa_regfile_halt_cause(&dsa->rf, code);
    pthread_mutex_unlock(&dsa->lock);
    VIDXD_LOG_RATELIMIT(LOG_WARNING, DSA_LOG,
                        "device halted (error 0x%x, reset type %u)", code,
                        reset_type);
    if (bits != 0) {
        dsa_raise_intcause(dsa, bits);
    }
}

/* Caller holds as_lock (either side). */
struct vidxd_as *
dsa_as_for(struct vidxd_dsa *dsa, uint32_t pasid)
{
    size_t lo = 0, hi = dsa->npasids;

    if (pasid == VIDXD_DSA_NO_PASID) {
        return dsa->def_as != NULL ? dsa->def_as : dsa->empty_as;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dsa->pasids[mid].pasid == pasid) {
            return dsa->pasids[mid].as;
        }
        if (dsa->pasids[mid].pasid < pasid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return dsa->empty_as;
}

int
vidxd_dsa_create(const struct vidxd_dsa_config *cfg,
                 const struct vidxd_dsa_host_ops *ops, void *opaque,
                 struct vidxd_dsa **out)
{
    struct vidxd_dsa *dsa;
    pthread_mutexattr_t ma;
    unsigned i, nwq = 0;
    int rc;

    if (cfg == NULL || out == NULL || !config_ok(cfg)) {
        return -EINVAL;
    }
    dsa = calloc(1, sizeof(*dsa));
    if (dsa == NULL) {
        return -ENOMEM;
    }
    dsa->cfg = *cfg;
    if (ops != NULL) {
        dsa->host = *ops;
    }
    dsa->opaque = opaque;
    dsa->portal_fd = -1;
    compute_caps(dsa);

    /* Recursive: host ops called during a command may access registers. */
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&dsa->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    dsa_regfile_init(&dsa->rf);
    pthread_mutex_init(&dsa->ctl_lock, NULL);
    pthread_mutex_init(&dsa->work_lock, NULL);
    {
        pthread_condattr_t ca;

        /* Idle workers compute their wake-up deadline on the monotonic
         * clock (wq.c sleep_idle); the condition must use the same one. */
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&dsa->work_cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    pthread_rwlock_init(&dsa->as_lock, NULL);

    rc = -ENOMEM;
    dsa->grpcfg = calloc(cfg->num_groups, sizeof(*dsa->grpcfg));
    dsa->msixperm = calloc(dsa->num_msix, sizeof(*dsa->msixperm));
    dsa->wqs = calloc(cfg->num_wqs, sizeof(*dsa->wqs));
    if (dsa->grpcfg == NULL || dsa->msixperm == NULL || dsa->wqs == NULL) {
        goto fail;
    }
    for (nwq = 0; nwq < cfg->num_wqs; nwq++) {
        rc = dsa_wq_init(dsa, &dsa->wqs[nwq], nwq);
        if (rc != 0) {
            goto fail;
        }
    }
    rc = vidxd_as_create(0, &dsa->empty_as);
    if (rc != 0) {
        goto fail;
    }
    rc = dsa_portal_init(dsa);
    if (rc != 0) {
        goto fail;
    }
    dsa_reset_config(dsa);
    rc = dsa_workers_start(dsa);
    if (rc != 0) {
        goto fail;
    }
    *out = dsa;
    return 0;

fail:
    dsa_portal_fini(dsa);
    vidxd_as_destroy(dsa->empty_as);
    for (i = 0; i < nwq; i++) {
        dsa_wq_fini(&dsa->wqs[i]);
    }
    free(dsa->wqs);
    free(dsa->msixperm);
    free(dsa->grpcfg);
    pthread_rwlock_destroy(&dsa->as_lock);
    pthread_cond_destroy(&dsa->work_cond);
    pthread_mutex_destroy(&dsa->work_lock);
    pthread_mutex_destroy(&dsa->ctl_lock);
    dsa_regfile_fini(&dsa->rf);
    pthread_mutex_destroy(&dsa->lock);
    free(dsa);
    return rc;
}

void
vidxd_dsa_destroy(struct vidxd_dsa *dsa)
{
    unsigned i;

    if (dsa == NULL) {
        return;
    }
    dsa_workers_stop(dsa);
    for (i = 0; i < dsa->cfg.num_wqs; i++) {
        dsa_wq_disable(&dsa->wqs[i]);
        dsa_wq_fini(&dsa->wqs[i]);
    }
    dsa_portal_fini(dsa);
    vidxd_as_destroy(dsa->empty_as);
    free(dsa->pasids);
    free(dsa->wqs);
    free(dsa->msixperm);
    free(dsa->grpcfg);
    pthread_rwlock_destroy(&dsa->as_lock);
    pthread_cond_destroy(&dsa->work_cond);
    pthread_mutex_destroy(&dsa->work_lock);
    pthread_mutex_destroy(&dsa->ctl_lock);
    dsa_regfile_fini(&dsa->rf);
    pthread_mutex_destroy(&dsa->lock);
    free(dsa);
}

uint64_t
vidxd_dsa_bar0_size(const struct vidxd_dsa *dsa)
{
    return dsa->cfg.bar0_size;
}

uint64_t
vidxd_dsa_bar2_size(const struct vidxd_dsa *dsa)
{
    return dsa->bar2_size;
}

void
vidxd_dsa_get_layout(const struct vidxd_dsa *dsa, struct vidxd_dsa_layout *out)
{
    out->bar0_size = dsa->cfg.bar0_size;
    out->bar2_size = dsa->bar2_size;
    out->num_msix = dsa->num_msix;
    out->num_ims = dsa->num_ims;
    out->msix_table_offset = dsa->cfg.msix_table_offset;
    out->msix_pba_offset = dsa->cfg.msix_pba_offset;
    out->ims_offset = dsa->num_ims ? dsa->cfg.ims_offset : 0;
}

int
vidxd_dsa_bar0_read(struct vidxd_dsa *dsa, uint64_t off, unsigned size,
                    uint64_t *val)
{
    if (val == NULL || !dsa_reg_access_ok(off, size, dsa->cfg.bar0_size)) {
        return -EINVAL;
    }
    return dsa_regs_read(dsa, off, size, val);
}

int
vidxd_dsa_bar0_write(struct vidxd_dsa *dsa, uint64_t off, unsigned size,
                     uint64_t val)
{
    if (!dsa_reg_access_ok(off, size, dsa->cfg.bar0_size)) {
        return -EINVAL;
    }
    return dsa_regs_write(dsa, off, size, val);
}

int
vidxd_dsa_set_as(struct vidxd_dsa *dsa, struct vidxd_as *as)
{
    pthread_rwlock_wrlock(&dsa->as_lock);
    dsa->def_as = as;
    pthread_rwlock_unlock(&dsa->as_lock);
    return 0;
}

int
vidxd_dsa_attach_pasid_as(struct vidxd_dsa *dsa, uint32_t pasid,
                          struct vidxd_as *as)
{
    size_t i;
    int rc = 0;

    if (pasid > VIDXD_DESC_PASID_MASK || as == NULL) {
        return -EINVAL;
    }
    pthread_rwlock_wrlock(&dsa->as_lock);
    for (i = 0; i < dsa->npasids && dsa->pasids[i].pasid < pasid; i++) {
    }
    if (i < dsa->npasids && dsa->pasids[i].pasid == pasid) {
        rc = -EEXIST;
        goto out;
    }
    if (dsa->npasids == dsa->cap_pasids) {
        size_t ncap = dsa->cap_pasids ? dsa->cap_pasids * 2 : 8;
        struct dsa_pasid_as *p = realloc(dsa->pasids, ncap * sizeof(*p));
        if (p == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        dsa->pasids = p;
        dsa->cap_pasids = ncap;
    }
    memmove(&dsa->pasids[i + 1], &dsa->pasids[i],
            (dsa->npasids - i) * sizeof(*dsa->pasids));
    dsa->pasids[i] = (struct dsa_pasid_as){pasid, as};
    dsa->npasids++;
out:
    pthread_rwlock_unlock(&dsa->as_lock);
    return rc;
}

int
vidxd_dsa_detach_pasid_as(struct vidxd_dsa *dsa, uint32_t pasid)
{
    size_t i;
    int rc = -ENOENT;

    pthread_rwlock_wrlock(&dsa->as_lock);
    for (i = 0; i < dsa->npasids; i++) {
        if (dsa->pasids[i].pasid == pasid) {
            memmove(&dsa->pasids[i], &dsa->pasids[i + 1],
                    (dsa->npasids - i - 1) * sizeof(*dsa->pasids));
            dsa->npasids--;
            rc = 0;
            break;
        }
    }
    pthread_rwlock_unlock(&dsa->as_lock);
    return rc;
}

void
vidxd_dsa_set_bus_master(struct vidxd_dsa *dsa, bool on)
{
    bool was;

    pthread_mutex_lock(&dsa->lock);
    was = __atomic_exchange_n(&dsa->bme, on, __ATOMIC_ACQ_REL);
    /* Clearing BME while enabled: the 2020 vidxd halted with SWERR 0x51
     * and reset type FLR (dsa.md §5.1); DMA cannot continue without it. */
    if (was && !on && dsa_state(dsa) == VIDXD_GENSTS_ENABLED) {
        dsa_halt(dsa, VIDXD_GENSTS_RESET_FLR, VIDXD_SWERR_PCI_CFG);
    }
    pthread_mutex_unlock(&dsa->lock);
}

void
vidxd_dsa_reset(struct vidxd_dsa *dsa)
{
    unsigned i;

    pthread_mutex_lock(&dsa->lock);
    for (i = 0; i < dsa->cfg.num_wqs; i++) {
        dsa_wq_disable(&dsa->wqs[i]);
        dsa_portal_clear(dsa, &dsa->wqs[i]);
    }
    dsa_reset_config(dsa);
    dsa_regfile_reset(&dsa->rf);
    __atomic_store_n(&dsa->bme, false, __ATOMIC_RELEASE);
    DSA_STORE(&dsa->cmd, 0);
    for (i = 0; i < dsa->num_msix; i++) {
        __atomic_store_n(&dsa->msixperm[i], 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&dsa->lock);
}

int
vidxd_dsa_wq_stats(struct vidxd_dsa *dsa, unsigned wq,
                   struct vidxd_dsa_wq_stats *out)
{
    const struct vidxd_dsa_wq_stats *s;

    if (wq >= dsa->cfg.num_wqs || out == NULL) {
        return -EINVAL;
    }
    s = &dsa->wqs[wq].stats;
    out->submitted = __atomic_load_n(&s->submitted, __ATOMIC_RELAXED);
    out->ops = __atomic_load_n(&s->ops, __ATOMIC_RELAXED);
    out->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
    out->dropped = __atomic_load_n(&s->dropped, __ATOMIC_RELAXED);
    out->rejected = __atomic_load_n(&s->rejected, __ATOMIC_RELAXED);
    out->aborted = __atomic_load_n(&s->aborted, __ATOMIC_RELAXED);
    return 0;
}
