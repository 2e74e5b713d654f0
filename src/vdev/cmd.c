/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, command mediation (reference/dsa.md §5.3).  A CMD write runs
 * to completion in the writing thread: the vdev checks the command against
 * its own state, translates vdev WQ indexes into the parent WQs it owns and
 * issues parent commands for those WQs only, one WQ at a time, so a vdev
 * can never start, stop or drain a WQ that is not its own.  CMDSTS is final
 * before the int_req completion interrupt (INTCAUSE.CMD on vector 0), which
 * the Linux driver sleeps on (§0.3).
 */
#include <errno.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"

uint32_t
vdev_parent_rd32(struct vidxd_vdev *v, uint64_t off)
{
    uint64_t val = 0;

    vidxd_dsa_bar0_read(v->parent, off, 4, &val);
    return (uint32_t)val;
}

uint64_t
vdev_parent_rd64(struct vidxd_vdev *v, uint64_t off)
{
    uint64_t val = 0;

    vidxd_dsa_bar0_read(v->parent, off, 8, &val);
    return val;
}

/*
 * Issue parent command @code with @operand, without int_req (the parent's
 * vector 0 belongs to its own driver).  Commands of every vdev of a parent
 * go through par->cmd_lock: the parent reports a CMD write during an active
 * command as a software error (dsa.md §1.6), so two vdevs must not overlap.
 * Returns the parent CMDSTS.
 */
uint32_t
vdev_parent_cmd(struct vidxd_vdev *v, unsigned code, uint32_t operand)
{
    uint32_t sts = 0;

    pthread_mutex_lock(&v->par->cmd_lock);
    vidxd_dsa_command(v->parent,
                      (code << VIDXD_CMD_CODE_SHIFT) |
                          (operand & VIDXD_CMD_OPERAND_MASK),
                      &sts);
    pthread_mutex_unlock(&v->par->cmd_lock);
    if ((sts & VIDXD_CMDSTS_ERR_MASK) != 0) {
        VIDXD_LOG_RATELIMIT(LOG_NOTICE, VDEV_LOG,
                            "%s: parent command %u operand 0x%x: error 0x%x",
                            v->name, code, operand,
                            sts & VIDXD_CMDSTS_ERR_MASK);
    }
    return sts;
}

/*
 * Run a bitmap-operand WQ command (DISABLE/DRAIN/ABORT_WQ) on the parent
 * WQs behind the vdev WQs in @vmask, one parent command per WQ so that a
 * WQ the host disabled behind our back cannot make the others fail.
 * Returns the first parent error code (0 if none).
 */
uint32_t
vdev_parent_wq_cmd(struct vidxd_vdev *v, unsigned code, uint32_t vmask)
{
    unsigned i, first = 0;

    for (i = 0; i < v->cfg.nr_wqs; i++) {
        unsigned w = v->cfg.wqs[i];
        uint32_t sts;

        if ((vmask & (1u << i)) == 0) {
            continue;
        }
        /* dsa.md §1.4: bit (id mod 16), (id / 16) in bits 19:16. */
        sts = vdev_parent_cmd(v, code,
                              ((w / 16) << VIDXD_CMD_WQ_MASK_GROUP_SHIFT) |
                                  (1u << (w % 16)));
        if (first == 0) {
            first = sts & VIDXD_CMDSTS_ERR_MASK;
        }
    }
    return first;
}

static uint32_t
enabled_mask(const struct vidxd_vdev *v)
{
    uint32_t m = 0;
    unsigned i;

    for (i = 0; i < v->cfg.nr_wqs; i++) {
        if (v->wq_enabled[i]) {
            m |= 1u << i;
        }
    }
    return m;
}

static unsigned
enable_device(struct vidxd_vdev *v)
{
    if (vdev_state(v) == VIDXD_GENSTS_ENABLED) {
        return VIDXD_CMDSTS_DEV_ENABLED;
    }
    if (!v->bme) {
        return VIDXD_CMDSTS_BUSMASTER_EN;
    }
    /* GRPCAP.total_rdbufs is 0: any read-buffer limit is too large. */
    if ((v->gencfg & VIDXD_GENCFG_RDBUF_LIMIT_MASK) != 0) {
        return VIDXD_CMDSTS_DEV_CONFIG;
    }
    /* The host enables the parent; without it no WQ could run (§5.3). */
    if ((vdev_parent_rd32(v, VIDXD_REG_GENSTS) & VIDXD_GENSTS_STATE_MASK) !=
        VIDXD_GENSTS_ENABLED) {
        return VIDXD_CMDSTS_HW_ERR;
    }
    __atomic_store_n(&v->rf.gensts, VIDXD_GENSTS_ENABLED, __ATOMIC_RELEASE);
    return VIDXD_CMDSTS_SUCCESS;
}

/*
 * ENABLE_WQ (§5.3): point the parent WQ at the vdev's PASID (its address
 * space and its IMS entries) and enable it.  The parent accepts WQCFG
 * writes only while that WQ is disabled; the write is checked by reading
 * it back, and any refusal of the parent is a hardware error to the guest.
 */
static unsigned
enable_wq(struct vidxd_vdev *v, uint32_t idx)
{
    struct vdev_parent *p = v->par;
    uint64_t off;
    uint32_t mode, want, back, sts = 0;

    if (idx >= v->cfg.nr_wqs) {
        return VIDXD_CMDSTS_INVAL_WQIDX;
    }
    if (vdev_state(v) != VIDXD_GENSTS_ENABLED) {
        return VIDXD_CMDSTS_DEV_NOTEN;
    }
    if (v->wq_enabled[idx]) {
        return VIDXD_CMDSTS_WQ_ENABLED;
    }
    /* Forget what was stored while the WQ was disabled, before the parent
     * would find it in the mapped slots and report it (dsa.md §1.7). */
    vdev_portal_clear(v, idx);
    off = p->wqcfg_offset + (uint64_t)v->cfg.wqs[idx] * p->wqcfg_stride +
          4 * VIDXD_WQCFG_MODE_IDX;
    pthread_mutex_lock(&p->cmd_lock);
    mode = vdev_parent_rd32(v, off);
    want = (mode & ~(VIDXD_WQCFG_PASID_MASK | VIDXD_WQCFG_PASID_EN)) |
           (v->cfg.pasid << VIDXD_WQCFG_PASID_SHIFT) | VIDXD_WQCFG_PASID_EN;
    if (want != mode) {
        vidxd_dsa_bar0_write(v->parent, off, 4, want);
    }
    back = vdev_parent_rd32(v, off);
    if (back == want) {
        vidxd_dsa_command(v->parent,
                          (VIDXD_CMD_ENABLE_WQ << VIDXD_CMD_CODE_SHIFT) |
                              v->cfg.wqs[idx],
                          &sts);
    }
    pthread_mutex_unlock(&p->cmd_lock);
    if (back != want || (sts & VIDXD_CMDSTS_ERR_MASK) != 0) {
        VIDXD_LOG_RATELIMIT(
            LOG_WARNING, VDEV_LOG, "%s: parent WQ %u refused: %s 0x%x", v->name,
            v->cfg.wqs[idx], back != want ? "WQCFG write, reads" : "CMDSTS",
            back != want ? back : (sts & VIDXD_CMDSTS_ERR_MASK));
        return VIDXD_CMDSTS_HW_ERR;
    }
    v->wq_enabled[idx] = true;
    return VIDXD_CMDSTS_SUCCESS;
}

/* DISABLE/DRAIN/ABORT/RESET_WQ on an enabled vdev. */
static unsigned
wq_command(struct vidxd_vdev *v, unsigned code, uint32_t operand)
{
    uint64_t bits;
    uint32_t set, on;
    unsigned i, err;

    /* The operand names vdev WQs (§1.4), at most VIDXD_VDEV_MAX_WQS. */
    err = dsa_wq_mask_decode(operand, v->cfg.nr_wqs, &bits);
    if (err != VIDXD_CMDSTS_SUCCESS) {
        return err;
    }
    set = (uint32_t)bits;
    on = set & enabled_mask(v);
    switch (code) {
    case VIDXD_CMD_DISABLE_WQ:
        if (on != set) {
            return VIDXD_CMDSTS_WQ_NOT_EN;
        }
        /* The parent drains before it disables (§2.3 WQ disable). */
        vdev_parent_wq_cmd(v, VIDXD_CMD_DISABLE_WQ, on);
        break;
    case VIDXD_CMD_DRAIN_WQ:
    case VIDXD_CMD_ABORT_WQ:
        if (vdev_parent_wq_cmd(v, code, on) != 0) {
            return VIDXD_CMDSTS_HW_ERR;
        }
        return VIDXD_CMDSTS_SUCCESS;
    default: /* RESET_WQ: abort + disable; the WQCFG is the host's */
        vdev_parent_wq_cmd(v, VIDXD_CMD_ABORT_WQ, on);
        vdev_parent_wq_cmd(v, VIDXD_CMD_DISABLE_WQ, on);
        break;
    }
    for (i = 0; i < v->cfg.nr_wqs; i++) {
        if ((set & (1u << i)) != 0) {
            v->wq_enabled[i] = false;
            if (code == VIDXD_CMD_RESET_WQ) {
                vdev_portal_clear(v, i);
            }
        }
    }
    return VIDXD_CMDSTS_SUCCESS;
}

/* Run command @code; caller holds v->lock.  Returns the CMDSTS value. */
static uint32_t
cmd_exec(struct vidxd_vdev *v, unsigned code, uint32_t operand)
{
    unsigned i, err;

    /* Checked against the vdev's CMDCAP, as the 2021 vidxd (§5.3). */
    err = dsa_cmd_check(code, v->rf.cmdcap, vdev_state(v));
    if (err != VIDXD_CMDSTS_SUCCESS) {
        return dsa_cmdsts(err, 0);
    }
    switch (code) {
    case VIDXD_CMD_ENABLE_DEVICE:
        return dsa_cmdsts(enable_device(v), 0);
    case VIDXD_CMD_DISABLE_DEVICE:
        vdev_parent_wq_cmd(v, VIDXD_CMD_DISABLE_WQ, enabled_mask(v));
        for (i = 0; i < v->cfg.nr_wqs; i++) {
            v->wq_enabled[i] = false;
        }
        __atomic_store_n(&v->rf.gensts, VIDXD_GENSTS_DISABLED,
                         __ATOMIC_RELEASE);
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
    case VIDXD_CMD_DRAIN_ALL:
    case VIDXD_CMD_ABORT_ALL:
    case VIDXD_CMD_DRAIN_PASID:
    case VIDXD_CMD_ABORT_PASID:
        /* Every descriptor of the vdev carries the vdev's PASID and the
         * guest has none of its own, so the *_PASID forms act on all of
         * the vdev's WQs whatever the operand; the parent's own
         * DRAIN_PASID would drain every parent WQ (other vdevs' too). */
        if (vdev_parent_wq_cmd(
                v,
                (code == VIDXD_CMD_DRAIN_ALL || code == VIDXD_CMD_DRAIN_PASID)
                    ? VIDXD_CMD_DRAIN_WQ
                    : VIDXD_CMD_ABORT_WQ,
                enabled_mask(v)) != 0) {
            return dsa_cmdsts(VIDXD_CMDSTS_HW_ERR, 0);
        }
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
    case VIDXD_CMD_RESET_DEVICE:
        vdev_quiesce_wqs(v);
        v->gencfg = 0;
        __atomic_store_n(&v->rf.gensts, VIDXD_GENSTS_DISABLED,
                         __ATOMIC_RELEASE);
        return dsa_cmdsts(VIDXD_CMDSTS_SUCCESS, 0);
    case VIDXD_CMD_ENABLE_WQ:
        return dsa_cmdsts(enable_wq(v, operand & VIDXD_CMD_OPERAND_MASK), 0);
    case VIDXD_CMD_DISABLE_WQ:
    case VIDXD_CMD_DRAIN_WQ:
    case VIDXD_CMD_ABORT_WQ:
    case VIDXD_CMD_RESET_WQ:
        return dsa_cmdsts(wq_command(v, code, operand), 0);
    case VIDXD_CMD_REQUEST_INT_HANDLE:
        return vdev_handle_request(v, operand);
    default: /* RELEASE_INT_HANDLE */
        return vdev_handle_release(v, operand);
    }
}

uint32_t
vdev_cmd_issue(struct vidxd_vdev *v, uint32_t cmd)
{
    unsigned code = (cmd & VIDXD_CMD_CODE_MASK) >> VIDXD_CMD_CODE_SHIFT;
    uint32_t old, sts, bits;

    /* A CMD write while the previous command is active is a software
     * error, 0x52 (dsa.md §1.6, §5.2); the new command is not run. */
    if (!dsa_regfile_cmd_begin(&v->rf, &old)) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, VDEV_LOG,
                            "%s: CMD 0x%08x written while a command is "
                            "active",
                            v->name, cmd);
        vdev_report_swerr(v, DSA_SWERR_CMD_BUSY, 0, 0);
        return old;
    }
    pthread_mutex_lock(&v->lock);
    sts = cmd_exec(v, code, cmd & VIDXD_CMD_OPERAND_MASK);
    pthread_mutex_unlock(&v->lock);
    if ((sts & VIDXD_CMDSTS_ERR_MASK) != 0) {
        VIDXD_DBG(VDEV_LOG, "%s: command %u operand 0x%x: error 0x%x", v->name,
                  code, cmd & VIDXD_CMD_OPERAND_MASK,
                  sts & VIDXD_CMDSTS_ERR_MASK);
    }
    /* Errors the parent met while draining our WQs belong to the guest. */
    vdev_poll_parent(v);
    bits = dsa_regfile_cmd_end(&v->rf, cmd, sts);
    if (bits != 0) {
        vdev_raise_intcause(v, bits);
    }
    return sts;
}
