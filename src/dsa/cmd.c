/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA device model, commands (reference/dsa.md §1.4, §5.3).  A CMD write
 * sets CMDSTS.active, runs the command to completion in the writing thread
 * (drains included), stores the final CMDSTS and then, if int_req was set,
 * raises INTCAUSE.CMD with a vector-0 interrupt: Linux sleeps until that
 * interrupt arrives and DPDK polls CMDSTS for only tens of microseconds
 * (dsa.md §0.3, §1.4, §8.4).
 */
#include <errno.h>

#include "dsa/dsa_int.h"
#include "vidxd/log.h"

static uint32_t
wq_size_of(const struct dsa_wq *wq)
{
    return wq->cfg[VIDXD_WQCFG_SIZE_IDX] & VIDXD_WQCFG_SIZE_MASK;
}

static unsigned
enable_device(struct vidxd_dsa *dsa)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;
    uint64_t wqs_seen = 0, engs_seen = 0;
    unsigned i, rsv = 0, sum = 0;

    if (dsa_state(dsa) == VIDXD_GENSTS_ENABLED) {
        return VIDXD_CMDSTS_DEV_ENABLED;
    }
    if (!__atomic_load_n(&dsa->bme, __ATOMIC_ACQUIRE)) {
        return VIDXD_CMDSTS_BUSMASTER_EN;
    }
    for (i = 0; i < c->num_wqs; i++) {
        sum += wq_size_of(&dsa->wqs[i]);
    }
    if (sum > c->total_wq_size) {
        return VIDXD_CMDSTS_WQ_SIZE_ERANGE;
    }
    if ((dsa->gencfg & VIDXD_GENCFG_RDBUF_LIMIT_MASK) > c->total_rdbufs) {
        return VIDXD_CMDSTS_DEV_CONFIG;
    }
    /* The spec names four group-configuration errors without saying which
     * is which (§1.4); this model assigns them in this order. */
    for (i = 0; i < c->num_groups; i++) {
        uint64_t wqs = dsa->grpcfg[i][0], engs = dsa->grpcfg[i][4];

        if ((wqs & wqs_seen) != 0) {
            return VIDXD_CMDSTS_GRP_CONFIG;
        }
        if ((engs & engs_seen) != 0) {
            return VIDXD_CMDSTS_GRP_CONFIG2;
        }
        if (wqs != 0 && engs == 0) {
            return VIDXD_CMDSTS_GRP_CONFIG3;
        }
        wqs_seen |= wqs;
        engs_seen |= engs;
        rsv += (unsigned)((dsa->grpcfg[i][5] &
                           VIDXD_GRPFLG_RDBUFS_RESERVED_MASK) >>
                          VIDXD_GRPFLG_RDBUFS_RESERVED_SHIFT);
    }
    if (rsv > c->total_rdbufs) {
        return VIDXD_CMDSTS_GRP_CONFIG4;
    }
    __atomic_store_n(&dsa->rf.gensts, VIDXD_GENSTS_ENABLED, __ATOMIC_RELEASE);
    return VIDXD_CMDSTS_SUCCESS;
}

static void
disable_wq(struct dsa_wq *wq, bool drain)
{
    if (drain) {
        /* Take in what sits in mapped portal slots, stop accepting, then
         * let everything submitted so far complete. */
        dsa_portal_poll(wq->dsa, wq);
        pthread_mutex_lock(&wq->lock);
        wq->enabled = false;
        pthread_mutex_unlock(&wq->lock);
        dsa_wq_drain(wq);
    }
    dsa_wq_disable(wq);
    DSA_STORE(&wq->state_enabled, false);
}

static unsigned
enable_wq(struct vidxd_dsa *dsa, unsigned id)
{
    const struct vidxd_dsa_config *c = &dsa->cfg;
    struct dsa_wq *wq;
    struct dsa_wq_run run;
    uint32_t mode, shifts, others = 0;
    unsigned i;
    bool grouped = false;

    if (id >= c->num_wqs) {
        return VIDXD_CMDSTS_INVAL_WQIDX;
    }
    if (dsa_state(dsa) != VIDXD_GENSTS_ENABLED) {
        return VIDXD_CMDSTS_DEV_NOTEN;
    }
    wq = &dsa->wqs[id];
    if (wq->state_enabled) {
        return VIDXD_CMDSTS_WQ_ENABLED;
    }
    for (i = 0; i < c->num_groups; i++) {
        if (id < 64 && (dsa->grpcfg[i][0] & (1ull << id)) != 0) {
            grouped = true;
        }
    }
    if (!grouped) {
        return VIDXD_CMDSTS_DEV_CONFIG;
    }
    mode = wq->cfg[VIDXD_WQCFG_MODE_IDX];
    shifts = wq->cfg[VIDXD_WQCFG_SHIFTS_IDX];
    run = (struct dsa_wq_run){
        .dedicated = (mode & VIDXD_WQCFG_MODE_DEDICATED) != 0,
        .bof = (mode & VIDXD_WQCFG_BOF) != 0,
        .pasid_en = (mode & VIDXD_WQCFG_PASID_EN) != 0,
        .priv = (mode & VIDXD_WQCFG_PRIV) != 0,
        .pasid = (mode & VIDXD_WQCFG_PASID_MASK) >> VIDXD_WQCFG_PASID_SHIFT,
        .size = wq_size_of(wq),
        .thresh = wq->cfg[VIDXD_WQCFG_THRESH_IDX] & VIDXD_WQCFG_THRESH_MASK,
        .xfer_shift = shifts & VIDXD_WQCFG_MAX_XFER_SHIFT_MASK,
        .batch_shift = (shifts & VIDXD_WQCFG_MAX_BATCH_SHIFT_MASK) >>
                       VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT,
    };
    for (i = 0; i < c->num_wqs; i++) {
        if (dsa->wqs[i].state_enabled) {
            others += dsa->wqs[i].run.size;
        }
    }
    if (run.size == 0 || others + run.size > c->total_wq_size ||
        (!run.dedicated && run.thresh > run.size)) {
        return VIDXD_CMDSTS_WQ_SIZE;
    }
    if ((mode & VIDXD_WQCFG_PRIORITY_MASK) == 0) {
        return VIDXD_CMDSTS_WQ_PRIOR;
    }
    if (!run.dedicated && !c->shared_mode) {
        return VIDXD_CMDSTS_WQ_MODE;
    }
    if (run.bof && (dsa->rf.gencap & VIDXD_GENCAP_BLOCK_ON_FAULT) == 0) {
        return VIDXD_CMDSTS_BOF_EN;
    }
    /* A shared WQ takes the PASID of each descriptor (ENQCMD), so it
     * needs PASID mode; this model reports both cases as PASID_EN. */
    if ((run.pasid_en && !c->pasid) || (!run.dedicated && !run.pasid_en)) {
        return VIDXD_CMDSTS_PASID_EN;
    }
    if (run.batch_shift > c->max_batch_shift) {
        return VIDXD_CMDSTS_MAX_BATCH_SIZE;
    }
    if (run.xfer_shift > c->max_xfer_shift) {
        return VIDXD_CMDSTS_MAX_XFER_SIZE;
    }
    /* Descriptors written to the portal while the WQ was disabled are
     * dropped (and reported) now, not executed later. */
    dsa_portal_poll(dsa, wq);
    if (dsa_wq_enable(wq, &run) != 0) {
        return VIDXD_CMDSTS_HW_ERR;
    }
    DSA_STORE(&wq->state_enabled, true);
    return VIDXD_CMDSTS_SUCCESS;
}

/* DISABLE/DRAIN/ABORT/RESET_WQ on an enabled device. */
static unsigned
wq_command(struct vidxd_dsa *dsa, unsigned code, uint32_t operand)
{
    uint64_t set;
    unsigned i, err;

    err = dsa_wq_mask_decode(operand, dsa->cfg.num_wqs, &set);
    if (err != VIDXD_CMDSTS_SUCCESS) {
        return err;
    }
    if (code == VIDXD_CMD_DISABLE_WQ) {
        for (i = 0; i < dsa->cfg.num_wqs; i++) {
            if ((set & (1ull << i)) != 0 && !dsa->wqs[i].state_enabled) {
                return VIDXD_CMDSTS_WQ_NOT_EN;
            }
        }
    }
    for (i = 0; i < dsa->cfg.num_wqs; i++) {
        struct dsa_wq *wq = &dsa->wqs[i];

        if ((set & (1ull << i)) == 0) {
            continue;
        }
        switch (code) {
        case VIDXD_CMD_DISABLE_WQ:
            disable_wq(wq, true);
            break;
        case VIDXD_CMD_DRAIN_WQ:
            dsa_wq_drain(wq);
            break;
        case VIDXD_CMD_ABORT_WQ:
            dsa_wq_abort(wq, false, 0);
            break;
        default: /* RESET_WQ */
            disable_wq(wq, false);
            dsa_portal_clear(dsa, wq);
            dsa_wq_reset_config(wq);
            break;
        }
    }
    return VIDXD_CMDSTS_SUCCESS;
}

static uint32_t
request_int_handle(struct vidxd_dsa *dsa, uint32_t operand)
{
    unsigned vector = operand & VIDXD_CMD_INT_HANDLE_MASK;
    bool ims = (operand & VIDXD_CMD_INT_HANDLE_IMS) != 0;
    uint16_t handle = 0;

    if (dsa->host.alloc_handle != NULL) {
        int rc = dsa->host.alloc_handle(dsa->opaque, vector, ims, &handle);
        if (rc == -EINVAL) {
            return dsa_cmdsts(VIDXD_CMDSTS_INVAL_INT_IDX, 0);
        }
        if (rc != 0) {
            return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
        }
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, handle);
    }
    /* Identity handles: the handle is the MSI-X index; vector 0 is the
     * misc vector and no IMS entry can be handed out (dsa.md §4). */
    if (ims) {
        return dsa_cmdsts(VIDXD_CMDSTS_NO_HANDLE, 0);
    }
    if (vector == 0 || vector >= dsa->num_msix) {
        return dsa_cmdsts(VIDXD_CMDSTS_INVAL_INT_IDX, 0);
    }
    return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, vector);
}

static uint32_t
release_int_handle(struct vidxd_dsa *dsa, uint32_t operand)
{
    uint16_t handle = (uint16_t)(operand & VIDXD_CMD_INT_HANDLE_MASK);
    bool ims = (operand & VIDXD_CMD_INT_HANDLE_IMS) != 0;

    if (dsa->host.release_handle != NULL) {
        bool ok = dsa->host.release_handle(dsa->opaque, handle, ims) == 0;

        return dsa_cmdsts(
            ok ? VIDXD_CMDSTS_SUCCESS : VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE, 0);
    }
    if (ims || handle == 0 || handle >= dsa->num_msix) {
        return dsa_cmdsts(VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE, 0);
    }
    return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
}

static void
reset_device(struct vidxd_dsa *dsa)
{
    unsigned i;

    for (i = 0; i < dsa->cfg.num_wqs; i++) {
        disable_wq(&dsa->wqs[i], false);
        dsa_portal_clear(dsa, &dsa->wqs[i]);
    }
    dsa_reset_config(dsa);
}

/* Run command @code; caller holds dsa->lock.  Returns the CMDSTS value. */
static uint32_t
cmd_exec(struct vidxd_dsa *dsa, unsigned code, uint32_t operand)
{
    /* Without GENCAP.cmd_cap every command but the handle requests runs
     * (ENABLE_DEVICE..ABORT_PASID); with it CMDCAP says (dsa.md §1.4). */
    uint32_t supported =
        dsa->cfg.cmd_cap
            ? dsa->rf.cmdcap
            : ((1u << VIDXD_CMD_REQUEST_INT_HANDLE) - 1) & ~(1u << 0);
    unsigned i, err;

    err = dsa_cmd_check(code, supported, dsa_state(dsa));
    if (err != VIDXD_CMDSTS_SUCCESS) {
        return dsa_cmdsts(err, 0);
    }
    switch (code) {
    case VIDXD_CMD_ENABLE_DEVICE:
        return dsa_cmdsts(enable_device(dsa), 0);
    case VIDXD_CMD_DISABLE_DEVICE:
        for (i = 0; i < dsa->cfg.num_wqs; i++) {
            disable_wq(&dsa->wqs[i], true);
        }
        __atomic_store_n(&dsa->rf.gensts, VIDXD_GENSTS_DISABLED,
                         __ATOMIC_RELEASE);
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
    case VIDXD_CMD_DRAIN_ALL:
    case VIDXD_CMD_ABORT_ALL:
    case VIDXD_CMD_DRAIN_PASID:
    case VIDXD_CMD_ABORT_PASID:
        for (i = 0; i < dsa->cfg.num_wqs; i++) {
            if (code == VIDXD_CMD_ABORT_ALL) {
                dsa_wq_abort(&dsa->wqs[i], false, 0);
            } else if (code == VIDXD_CMD_ABORT_PASID) {
                dsa_wq_abort(&dsa->wqs[i], true,
                             operand & VIDXD_CMD_PASID_MASK);
            } else {
                /* DRAIN_PASID drains everything: a superset that keeps the
                 * guarantee "all earlier descriptors of the PASID done". */
                dsa_wq_drain(&dsa->wqs[i]);
            }
        }
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
    case VIDXD_CMD_RESET_DEVICE:
        reset_device(dsa);
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
    case VIDXD_CMD_ENABLE_WQ:
        return dsa_cmdsts(enable_wq(dsa, operand & VIDXD_CMD_OPERAND_MASK), 0);
    case VIDXD_CMD_DISABLE_WQ:
    case VIDXD_CMD_DRAIN_WQ:
    case VIDXD_CMD_ABORT_WQ:
    case VIDXD_CMD_RESET_WQ:
        return dsa_cmdsts(wq_command(dsa, code, operand), 0);
    case VIDXD_CMD_REQUEST_INT_HANDLE:
        return request_int_handle(dsa, operand);
    default: /* RELEASE_INT_HANDLE */
        return release_int_handle(dsa, operand);
    }
}

uint32_t
dsa_cmd_issue(struct vidxd_dsa *dsa, uint32_t cmd)
{
    unsigned code = (cmd & VIDXD_CMD_CODE_MASK) >> VIDXD_CMD_CODE_SHIFT;
    uint32_t old, sts, bits;

    /* A CMD write while the previous command is active is a software
     * error, 0x52 (dsa.md §1.6, §5.2); the new command is not run. */
    if (!dsa_regfile_cmd_begin(&dsa->rf, &old)) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, DSA_LOG,
                            "CMD 0x%08x written while a command is active",
                            cmd);
        dsa_report_swerr(dsa, DSA_SWERR_CMD_BUSY, 0, 0);
        return old;
    }
    pthread_mutex_lock(&dsa->lock);
    sts = cmd_exec(dsa, code, cmd & VIDXD_CMD_OPERAND_MASK);
    pthread_mutex_unlock(&dsa->lock);
    if ((sts & VIDXD_CMDSTS_ERR_MASK) != 0) {
        VIDXD_DBG(DSA_LOG, "command %u operand 0x%x: error 0x%x", code,
                  cmd & VIDXD_CMD_OPERAND_MASK, sts & VIDXD_CMDSTS_ERR_MASK);
    }
    bits = dsa_regfile_cmd_end(&dsa->rf, cmd, sts);
    if (bits != 0) {
        dsa_raise_intcause(dsa, bits);
    }
    return sts;
}

int
vidxd_dsa_command(struct vidxd_dsa *dsa, uint32_t cmd, uint32_t *sts)
{
    uint32_t v;

    DSA_STORE(&dsa->cmd, cmd & DSA_CMD_RW);
    dsa_cmd_issue(dsa, cmd);
    v = __atomic_load_n(&dsa->rf.cmdsts, __ATOMIC_ACQUIRE);
    if (sts != NULL) {
        *sts = v;
    }
    return 0;
}
