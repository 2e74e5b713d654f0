/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device manager, core: the host driver of dsa0.  It reads the capability
 * registers as idxd_read_caps() does (dsa.md §2.2 step 5), keeps the
 * host's configuration in a software model, writes it to GENCFG, GRPCFG
 * and WQCFG as idxd_device_config() does (§2.2), and issues ENABLE_DEVICE,
 * ENABLE_WQ, DISABLE_WQ and DISABLE_DEVICE with their CMDSTS errors
 * reported by meaning (§1.4).  The host and a VM never share the parent:
 * host changes are refused while a VMM is attached to the PF socket, and a
 * VMM is refused while the host has enabled the device or vdevs exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vidxd/log.h"
#include "daemon/mgr_int.h"
#include "daemon/pf.h"

/* ---- errors ---- */

int
mgr_fail(struct mgr_err *err, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL) {
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return rc;
}

static const char *const cmd_names[] = {
    [VIDXD_CMD_ENABLE_DEVICE] = "ENABLE_DEVICE",
    [VIDXD_CMD_DISABLE_DEVICE] = "DISABLE_DEVICE",
    [VIDXD_CMD_DRAIN_ALL] = "DRAIN_ALL",
    [VIDXD_CMD_ABORT_ALL] = "ABORT_ALL",
    [VIDXD_CMD_RESET_DEVICE] = "RESET_DEVICE",
    [VIDXD_CMD_ENABLE_WQ] = "ENABLE_WQ",
    [VIDXD_CMD_DISABLE_WQ] = "DISABLE_WQ",
    [VIDXD_CMD_DRAIN_WQ] = "DRAIN_WQ",
    [VIDXD_CMD_ABORT_WQ] = "ABORT_WQ",
    [VIDXD_CMD_RESET_WQ] = "RESET_WQ",
    [VIDXD_CMD_DRAIN_PASID] = "DRAIN_PASID",
    [VIDXD_CMD_ABORT_PASID] = "ABORT_PASID",
    [VIDXD_CMD_REQUEST_INT_HANDLE] = "REQUEST_INT_HANDLE",
    [VIDXD_CMD_RELEASE_INT_HANDLE] = "RELEASE_INT_HANDLE",
};

/*
 * CMDSTS.err meanings (dsa.md §1.4, regs.h enum idxd_cmdsts_err).  0x11 is
 * "configuration error" for both ENABLE_DEVICE (read-buffer limit above
 * the device's read buffers) and ENABLE_WQ (WQ in no group), so it takes
 * the command into account.  The four GRP_CONFIG codes follow the order in
 * which the device model checks them (vidxd/dsa.h).
 */
const char *
mgr_cmdsts_str(unsigned cmd, unsigned code)
{
    switch (code) {
    case VIDXD_CMDSTS_SUCCESS:
        return "success";
    case VIDXD_CMDSTS_INVAL_CMD:
        return "invalid command";
    case VIDXD_CMDSTS_INVAL_WQIDX:
        return "invalid WQ index";
    case VIDXD_CMDSTS_HW_ERR:
        return "hardware error (device halted: reset it)";
    case VIDXD_CMDSTS_DEV_ENABLED:
        return "device already enabled";
    case VIDXD_CMDSTS_DEV_CONFIG:
        return cmd == VIDXD_CMD_ENABLE_WQ
                   ? "WQ is not in a group"
                   : "read_buffer_limit exceeds the device's read buffers";
    case VIDXD_CMDSTS_BUSMASTER_EN:
        return "bus mastering is disabled";
    case VIDXD_CMDSTS_PASID_INVAL:
        return "invalid PASID";
    case VIDXD_CMDSTS_WQ_SIZE_ERANGE:
        return "sum of WQ sizes exceeds total_wq_size";
    case VIDXD_CMDSTS_GRP_CONFIG:
        return "a WQ is in more than one group";
    case VIDXD_CMDSTS_GRP_CONFIG2:
        return "an engine is in more than one group";
    case VIDXD_CMDSTS_GRP_CONFIG3:
        return "a group has WQs but no engine";
    case VIDXD_CMDSTS_GRP_CONFIG4:
        return "read buffers reserved by the groups exceed the device's "
               "read buffers";
    case VIDXD_CMDSTS_DEV_NOTEN:
        return "device not enabled";
    case VIDXD_CMDSTS_WQ_ENABLED:
        return "WQ already enabled";
    case VIDXD_CMDSTS_WQ_SIZE:
        return "invalid WQ size (0, more than the WQ space left, or "
               "threshold above size)";
    case VIDXD_CMDSTS_WQ_PRIOR:
        return "WQ priority is 0 (must be 1..15)";
    case VIDXD_CMDSTS_WQ_MODE:
        return "WQ mode not supported by the device";
    case VIDXD_CMDSTS_BOF_EN:
        return "block on fault not supported by the device";
    case VIDXD_CMDSTS_PASID_EN:
        return "PASID enable not supported, or a shared WQ without PASID";
    case VIDXD_CMDSTS_MAX_BATCH_SIZE:
        return "WQ max batch size above the device's maximum";
    case VIDXD_CMDSTS_MAX_XFER_SIZE:
        return "WQ max transfer size above the device's maximum";
    case VIDXD_CMDSTS_DIS_DEV_EN:
        return "device not enabled";
    case VIDXD_CMDSTS_DEV_NOT_EN:
        return "device not enabled";
    case VIDXD_CMDSTS_WQ_NOT_EN:
        return "WQ not enabled";
    case VIDXD_CMDSTS_INVAL_INT_IDX:
        return "invalid interrupt index";
    case VIDXD_CMDSTS_NO_HANDLE:
        return "no interrupt handle available";
    case VIDXD_CMDSTS_INVAL_INT_IDX_RELEASE:
        return "invalid interrupt handle";
    default:
        return "unknown error";
    }
}

/* errno for a failed command, for the control protocol's "code". */
static int
cmdsts_errno(unsigned code)
{
    switch (code) {
    case VIDXD_CMDSTS_DEV_ENABLED:
    case VIDXD_CMDSTS_WQ_ENABLED:
        return -EALREADY;
    case VIDXD_CMDSTS_HW_ERR:
        return -EIO;
    case VIDXD_CMDSTS_WQ_MODE:
    case VIDXD_CMDSTS_BOF_EN:
        return -EOPNOTSUPP;
    case VIDXD_CMDSTS_DEV_NOTEN:
    case VIDXD_CMDSTS_DIS_DEV_EN:
    case VIDXD_CMDSTS_DEV_NOT_EN:
    case VIDXD_CMDSTS_WQ_NOT_EN:
        return -ENODEV;
    default:
        return -EINVAL;
    }
}

int
mgr_command(struct mgr *m, unsigned cmd, uint32_t operand, const char *what,
            struct mgr_err *err)
{
    uint32_t sts = 0;
    unsigned code;

    /* No int_req: the host polls, as idxd does for its probe-time
     * RESET_DEVICE (dsa.md §2.2 step 3); commands complete synchronously. */
    vidxd_dsa_command(m->dsa,
                      (cmd << VIDXD_CMD_CODE_SHIFT) |
                          (operand & VIDXD_CMD_OPERAND_MASK),
                      &sts);
    code = sts & VIDXD_CMDSTS_ERR_MASK;
    if (code == VIDXD_CMDSTS_SUCCESS) {
        return 0;
    }
    return mgr_fail(err, cmdsts_errno(code), "%s: %s failed: CMDSTS 0x%02x (%s)",
                    what,
                    cmd < sizeof(cmd_names) / sizeof(cmd_names[0]) &&
                            cmd_names[cmd] != NULL
                        ? cmd_names[cmd]
                        : "command",
                    code, mgr_cmdsts_str(cmd, code));
}

/* ---- registers ---- */

static uint64_t
rd(struct mgr *m, uint64_t off, unsigned size)
{
    uint64_t v = 0;

    vidxd_dsa_bar0_read(m->dsa, off, size, &v);
    return v;
}

static int
wr(struct mgr *m, uint64_t off, unsigned size, uint64_t v,
   struct mgr_err *err)
{
    int rc = vidxd_dsa_bar0_write(m->dsa, off, size, v);

    if (rc < 0) {
        return mgr_fail(err, rc, "%s: register write at 0x%llx failed: %s",
                        m->name, (unsigned long long)off, strerror(-rc));
    }
    return 0;
}

static void
read_caps(struct mgr *m)
{
    struct mgr_caps *c = &m->caps;
    uint64_t offsets;
    unsigned i;

    c->version = (uint32_t)rd(m, VIDXD_REG_VERSION, 4);
    c->gencap = rd(m, VIDXD_REG_GENCAP, 8);
    c->wqcap = rd(m, VIDXD_REG_WQCAP, 8);
    c->grpcap = rd(m, VIDXD_REG_GRPCAP, 8);
    c->engcap = rd(m, VIDXD_REG_ENGCAP, 8);
    for (i = 0; i < 4; i++) {
        c->opcap[i] = rd(m, VIDXD_REG_OPCAP + 8 * i, 8);
    }
    c->num_wqs = (unsigned)((c->wqcap & VIDXD_WQCAP_NUM_WQS_MASK) >>
                            VIDXD_WQCAP_NUM_WQS_SHIFT);
    c->total_wq_size = (unsigned)(c->wqcap & VIDXD_WQCAP_TOTAL_WQ_SIZE_MASK);
    c->wqcfg_stride = 1u << (((c->wqcap & VIDXD_WQCAP_WQCFG_SIZE_MASK) >>
                              VIDXD_WQCAP_WQCFG_SIZE_SHIFT) +
                             5);
    c->shared_mode = (c->wqcap & VIDXD_WQCAP_SHARED_MODE) != 0;
    c->num_groups = (unsigned)(c->grpcap & VIDXD_GRPCAP_NUM_GROUPS_MASK);
    c->total_rdbufs = (unsigned)((c->grpcap & VIDXD_GRPCAP_TOTAL_RDBUFS_MASK) >>
                                 VIDXD_GRPCAP_TOTAL_RDBUFS_SHIFT);
    c->num_engines = (unsigned)(c->engcap & VIDXD_ENGCAP_NUM_ENGINES_MASK);
    c->max_xfer_shift = (unsigned)((c->gencap &
                                    VIDXD_GENCAP_MAX_XFER_SHIFT_MASK) >>
                                   VIDXD_GENCAP_MAX_XFER_SHIFT_SHIFT);
    c->max_batch_shift = (unsigned)((c->gencap &
                                     VIDXD_GENCAP_MAX_BATCH_SHIFT_MASK) >>
                                    VIDXD_GENCAP_MAX_BATCH_SHIFT_SHIFT);
    c->configurable = (c->gencap & VIDXD_GENCAP_CONFIG_EN) != 0;
    c->bof = (c->gencap & VIDXD_GENCAP_BLOCK_ON_FAULT) != 0;
    offsets = rd(m, VIDXD_REG_OFFSETS, 8);
    c->grpcfg_off = ((offsets >> VIDXD_OFFSETS_GRPCFG_SHIFT) & 0xffff) *
                    VIDXD_TABLE_MULT;
    c->wqcfg_off = ((offsets >> VIDXD_OFFSETS_WQCFG_SHIFT) & 0xffff) *
                   VIDXD_TABLE_MULT;
    /* The model supports at most this many; the registers cannot say more
     * for a device this daemon created, but never index past the arrays. */
    if (c->num_wqs > VIDXD_DSA_MAX_WQS) {
        c->num_wqs = VIDXD_DSA_MAX_WQS;
    }
    if (c->num_engines > VIDXD_DSA_MAX_ENGINES) {
        c->num_engines = VIDXD_DSA_MAX_ENGINES;
    }
    if (c->num_groups > VIDXD_DSA_MAX_GROUPS) {
        c->num_groups = VIDXD_DSA_MAX_GROUPS;
    }
}

bool
mgr_hw_dev_enabled(struct mgr *m)
{
    return (rd(m, VIDXD_REG_GENSTS, 4) & VIDXD_GENSTS_STATE_MASK) ==
           VIDXD_GENSTS_ENABLED;
}

static uint64_t
wqcfg_off(const struct mgr *m, unsigned wq, unsigned dword)
{
    return m->caps.wqcfg_off + (uint64_t)wq * m->caps.wqcfg_stride +
           dword * 4u;
}

unsigned
mgr_hw_wq_state(struct mgr *m, unsigned wq)
{
    return (unsigned)((rd(m, wqcfg_off(m, wq, VIDXD_WQCFG_OCCUP_IDX), 4) &
                       VIDXD_WQCFG_STATE_MASK) >>
                      VIDXD_WQCFG_STATE_SHIFT);
}

bool
mgr_hw_wq_enabled(struct mgr *m, unsigned wq)
{
    return mgr_hw_wq_state(m, wq) != VIDXD_WQ_STATE_DISABLED;
}

static unsigned
log2_pow2(uint64_t v)
{
    unsigned s = 0;

    while (v > 1) {
        v >>= 1;
        s++;
    }
    return s;
}

/* WQCFG of one WQ (dsa.md §1.5), as idxd_wq_config_write() fills it. */
int
mgr_program_wq(struct mgr *m, unsigned wq, struct mgr_err *err)
{
    const struct mgr_wq *w = &m->model.wqs[wq];
    uint32_t mode, shifts;
    int rc;

    if (!m->caps.configurable) {
        return 0;
    }
    mode = (w->dedicated ? VIDXD_WQCFG_MODE_DEDICATED : 0) |
           (w->bof ? VIDXD_WQCFG_BOF : 0) |
           ((w->priority << VIDXD_WQCFG_PRIORITY_SHIFT) &
            VIDXD_WQCFG_PRIORITY_MASK);
    /* A shared WQ takes each descriptor's PASID (ENQCMD), which needs
     * pasid_en (dsa.md §1.4 error 0x26). */
    if (!w->dedicated) {
        mode |= VIDXD_WQCFG_PASID_EN;
    }
    shifts = (log2_pow2(w->max_transfer_size) &
              VIDXD_WQCFG_MAX_XFER_SHIFT_MASK) |
             ((log2_pow2(w->max_batch_size)
               << VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT) &
              VIDXD_WQCFG_MAX_BATCH_SHIFT_MASK);
    rc = wr(m, wqcfg_off(m, wq, VIDXD_WQCFG_SIZE_IDX), 4, w->size, err);
    if (rc == 0) {
        rc = wr(m, wqcfg_off(m, wq, VIDXD_WQCFG_THRESH_IDX), 4,
                w->dedicated ? 0 : w->threshold, err);
    }
    if (rc == 0) {
        rc = wr(m, wqcfg_off(m, wq, VIDXD_WQCFG_MODE_IDX), 4, mode, err);
    }
    if (rc == 0) {
        rc = wr(m, wqcfg_off(m, wq, VIDXD_WQCFG_SHIFTS_IDX), 4, shifts, err);
    }
    if (rc == 0) {
        rc = wr(m, wqcfg_off(m, wq, VIDXD_WQCFG_OCCUP_INTH_IDX), 4, 0, err);
    }
    if (rc == 0) {
        rc = wr(m, wqcfg_off(m, wq, VIDXD_WQCFG_OCCUP_LIMIT_IDX), 4, 0, err);
    }
    return rc;
}

/*
 * Write the model to the registers, as idxd_device_config() does
 * (dsa.md §2.2): GENCFG and GRPCFG while the device is disabled (they are
 * read-only while it is enabled), then the WQCFG of every disabled WQ that
 * no vdev uses.  A read-only device (config_en = 0) takes nothing.
 */
int
mgr_program(struct mgr *m, struct mgr_err *err)
{
    const struct mgr_caps *c = &m->caps;
    unsigned g, i;
    int rc = 0;

    if (!c->configurable) {
        return 0;
    }
    if (!mgr_hw_dev_enabled(m)) {
        uint64_t gencfg = rd(m, VIDXD_REG_GENCFG, 4);

        gencfg = (gencfg & ~(uint64_t)VIDXD_GENCFG_RDBUF_LIMIT_MASK) |
                 (m->model.rdbuf_limit & VIDXD_GENCFG_RDBUF_LIMIT_MASK);
        rc = wr(m, VIDXD_REG_GENCFG, 4, gencfg, err);
        for (g = 0; g < c->num_groups && rc == 0; g++) {
            const struct mgr_group *gr = &m->model.groups[g];
            uint64_t base = c->grpcfg_off + (uint64_t)g * VIDXD_GRPCFG_SIZE;
            uint64_t wqs[4] = {0}, engs = 0, flags;

            for (i = 0; i < c->num_wqs; i++) {
                if (m->model.wqs[i].group == (int)g) {
                    wqs[i / 64] |= 1ull << (i % 64);
                }
            }
            for (i = 0; i < c->num_engines; i++) {
                if (m->model.engine_group[i] == (int)g) {
                    engs |= 1ull << i;
                }
            }
            flags = ((uint64_t)gr->tc_a & VIDXD_GRPFLG_TC_A_MASK) |
                    (((uint64_t)gr->tc_b << VIDXD_GRPFLG_TC_B_SHIFT) &
                     VIDXD_GRPFLG_TC_B_MASK) |
                    (gr->use_rdbuf_limit ? VIDXD_GRPFLG_USE_RDBUF_LIMIT : 0) |
                    (((uint64_t)gr->rdbufs_reserved
                      << VIDXD_GRPFLG_RDBUFS_RESERVED_SHIFT) &
                     VIDXD_GRPFLG_RDBUFS_RESERVED_MASK) |
                    (((uint64_t)gr->rdbufs_allowed
                      << VIDXD_GRPFLG_RDBUFS_ALLOWED_SHIFT) &
                     VIDXD_GRPFLG_RDBUFS_ALLOWED_MASK);
            for (i = 0; i < 4 && rc == 0; i++) {
                rc = wr(m, base + VIDXD_GRPCFG_WQS + 8 * i, 8, wqs[i], err);
            }
            if (rc == 0) {
                rc = wr(m, base + VIDXD_GRPCFG_ENGINES, 8, engs, err);
            }
            if (rc == 0) {
                rc = wr(m, base + VIDXD_GRPCFG_FLAGS, 8, flags, err);
            }
        }
    }
    for (i = 0; i < c->num_wqs && rc == 0; i++) {
        if (mgr_wq_owner(m, i) == NULL && !mgr_hw_wq_enabled(m, i)) {
            rc = mgr_program_wq(m, i, err);
        }
    }
    return rc;
}

/* ---- model ---- */

void
mgr_model_defaults(const struct mgr *m, struct mgr_model *model)
{
    const struct mgr_caps *c = &m->caps;
    unsigned i;

    memset(model, 0, sizeof(*model));
    /* Linux's group defaults: traffic classes 1 on DSA 1.x/2.0 and every
     * read buffer allowed (dsa.md §1.5). */
    for (i = 0; i < VIDXD_DSA_MAX_GROUPS; i++) {
        model->groups[i].tc_a = 1;
        model->groups[i].tc_b = 1;
        model->groups[i].rdbufs_allowed = c->total_rdbufs;
    }
    for (i = 0; i < VIDXD_DSA_MAX_ENGINES; i++) {
        model->engine_group[i] = MGR_NO_GROUP;
    }
    /* WQ defaults: Linux's WQ_DEFAULT_MAX_XFER (2 MiB) and
     * WQ_DEFAULT_MAX_BATCH (32), capped by the device (dsa.md §2.2 step 7);
     * dedicated, since shared mode is optional (WQCAP.shared_mode). */
    for (i = 0; i < VIDXD_DSA_MAX_WQS; i++) {
        struct mgr_wq *w = &model->wqs[i];

        w->group = MGR_NO_GROUP;
        w->dedicated = true;
        w->max_batch_size = c->max_batch_shift >= 5
                                ? 32u
                                : 1u << c->max_batch_shift;
        w->max_transfer_size = c->max_xfer_shift >= 21
                                   ? 2097152u
                                   : 1ull << c->max_xfer_shift;
    }
}

/* Read-only configuration: the host driver loads it from the registers
 * (idxd_device_load_config, dsa.md §2.2 step 8). */
static void
model_from_registers(struct mgr *m, struct mgr_model *model)
{
    const struct mgr_caps *c = &m->caps;
    unsigned g, i;

    model->rdbuf_limit = (unsigned)(rd(m, VIDXD_REG_GENCFG, 4) &
                                    VIDXD_GENCFG_RDBUF_LIMIT_MASK);
    for (g = 0; g < c->num_groups; g++) {
        uint64_t base = c->grpcfg_off + (uint64_t)g * VIDXD_GRPCFG_SIZE;
        uint64_t wqs = rd(m, base + VIDXD_GRPCFG_WQS, 8);
        uint64_t engs = rd(m, base + VIDXD_GRPCFG_ENGINES, 8);
        uint64_t flags = rd(m, base + VIDXD_GRPCFG_FLAGS, 8);
        struct mgr_group *gr = &model->groups[g];

        gr->tc_a = (unsigned)(flags & VIDXD_GRPFLG_TC_A_MASK);
        gr->tc_b = (unsigned)((flags & VIDXD_GRPFLG_TC_B_MASK) >>
                              VIDXD_GRPFLG_TC_B_SHIFT);
        gr->use_rdbuf_limit = (flags & VIDXD_GRPFLG_USE_RDBUF_LIMIT) != 0;
        gr->rdbufs_reserved =
            (unsigned)((flags & VIDXD_GRPFLG_RDBUFS_RESERVED_MASK) >>
                       VIDXD_GRPFLG_RDBUFS_RESERVED_SHIFT);
        gr->rdbufs_allowed =
            (unsigned)((flags & VIDXD_GRPFLG_RDBUFS_ALLOWED_MASK) >>
                       VIDXD_GRPFLG_RDBUFS_ALLOWED_SHIFT);
        for (i = 0; i < c->num_wqs && i < 64; i++) {
            if ((wqs & (1ull << i)) != 0) {
                model->wqs[i].group = (int)g;
            }
        }
        for (i = 0; i < c->num_engines && i < 64; i++) {
            if ((engs & (1ull << i)) != 0) {
                model->engine_group[i] = (int)g;
            }
        }
    }
    for (i = 0; i < c->num_wqs; i++) {
        struct mgr_wq *w = &model->wqs[i];
        uint32_t mode = (uint32_t)rd(m, wqcfg_off(m, i, VIDXD_WQCFG_MODE_IDX),
                                     4);
        uint32_t shifts =
            (uint32_t)rd(m, wqcfg_off(m, i, VIDXD_WQCFG_SHIFTS_IDX), 4);

        w->size = (unsigned)(rd(m, wqcfg_off(m, i, VIDXD_WQCFG_SIZE_IDX), 4) &
                             VIDXD_WQCFG_SIZE_MASK);
        w->threshold =
            (unsigned)(rd(m, wqcfg_off(m, i, VIDXD_WQCFG_THRESH_IDX), 4) &
                       VIDXD_WQCFG_THRESH_MASK);
        w->dedicated = (mode & VIDXD_WQCFG_MODE_DEDICATED) != 0;
        w->bof = (mode & VIDXD_WQCFG_BOF) != 0;
        w->priority = (mode & VIDXD_WQCFG_PRIORITY_MASK) >>
                      VIDXD_WQCFG_PRIORITY_SHIFT;
        w->max_transfer_size = 1ull
                               << (shifts & VIDXD_WQCFG_MAX_XFER_SHIFT_MASK);
        w->max_batch_size = 1u << ((shifts & VIDXD_WQCFG_MAX_BATCH_SHIFT_MASK) >>
                                   VIDXD_WQCFG_MAX_BATCH_SHIFT_SHIFT);
    }
}

const char *
mgr_wq_type_str(enum mgr_wq_type t)
{
    switch (t) {
    case MGR_WQ_KERNEL:
        return "kernel";
    case MGR_WQ_USER:
        return "user";
    case MGR_WQ_VDEV:
        return "vdev";
    default:
        return "none";
    }
}

struct mgr_vdev *
mgr_wq_owner(const struct mgr *m, unsigned wq)
{
    struct mgr_vdev *v;
    unsigned i;

    for (v = m->vdevs; v != NULL; v = v->next) {
        for (i = 0; i < v->nr_wqs; i++) {
            if (v->wqs[i] == wq) {
                return v;
            }
        }
    }
    return NULL;
}

/* ---- names ---- */

int
mgr_check_dev(struct mgr *m, const char *dev, struct mgr_err *err)
{
    if (dev == NULL) {
        return mgr_fail(err, -EINVAL, "missing device name");
    }
    if (strcmp(dev, m->name) != 0) {
        return mgr_fail(err, -ENODEV, "unknown device '%s' (this daemon "
                                      "manages %s)",
                        dev, m->name);
    }
    return 0;
}

/* A decimal number without sign or leading zeros; advances *@s. */
static bool
parse_uint(const char **s, unsigned long max, unsigned long *out)
{
    const char *p = *s;
    unsigned long v = 0;

    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) {
        return false;
    }
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > max) {
            return false;
        }
        p++;
    }
    *s = p;
    *out = v;
    return true;
}

/*
 * Parse "[dsa0/]wq0.3" (or group / engine), accel-config's names
 * (dsa.md §2.3): <kind><device id>.<index>.
 */
int
mgr_parse_obj(struct mgr *m, enum mgr_obj kind, const char *name,
              unsigned *index, struct mgr_err *err)
{
    static const char *const prefix[] = {"group", "engine", "wq"};
    const unsigned count[] = {m->caps.num_groups, m->caps.num_engines,
                              m->caps.num_wqs};
    const char *p = name, *slash;
    unsigned long dev_id, idx;
    size_t plen = strlen(prefix[kind]);

    if (name == NULL || name[0] == '\0') {
        return mgr_fail(err, -EINVAL, "missing %s name", prefix[kind]);
    }
    slash = strchr(name, '/');
    if (slash != NULL) {
        size_t dlen = (size_t)(slash - name);

        if (dlen != strlen(m->name) || strncmp(name, m->name, dlen) != 0) {
            return mgr_fail(err, -ENODEV,
                            "unknown device in '%s' (this daemon manages %s)",
                            name, m->name);
        }
        p = slash + 1;
    }
    if (strncmp(p, prefix[kind], plen) != 0) {
        goto bad;
    }
    p += plen;
    if (!parse_uint(&p, 255, &dev_id) || *p != '.') {
        goto bad;
    }
    p++;
    if (!parse_uint(&p, 0xffff, &idx) || *p != '\0') {
        goto bad;
    }
    if (dev_id != m->dev_id || idx >= count[kind]) {
        return mgr_fail(err, -ENOENT,
                        "unknown %s '%s' (%s has %s%u.0..%s%u.%u)",
                        kind == MGR_OBJ_WQ ? "work queue" : prefix[kind], name,
                        m->name, prefix[kind], m->dev_id, prefix[kind],
                        m->dev_id, count[kind] - 1);
    }
    *index = (unsigned)idx;
    return 0;
bad:
    return mgr_fail(err, -EINVAL, "malformed %s name '%s' (expected %s/%s%u.N)",
                    prefix[kind], name, m->name, prefix[kind], m->dev_id);
}

/* ---- host versus VM ---- */

int
mgr_vm_check(struct mgr *m, struct mgr_err *err)
{
    if (pf_vm_attached(m->pf)) {
        return mgr_fail(err, -EBUSY,
                        "%s is assigned to a VM (a VMM is connected to %s): "
                        "it cannot be managed until the VMM disconnects",
                        m->name, pf_socket(m->pf));
    }
    return 0;
}

/*
 * After a VM used the function, reset it and write the host's
 * configuration back, as idxd's probe does when the device comes back
 * from vfio-pci (RESET_DEVICE, then configure; dsa.md §2.2).
 */
static int
reclaim(struct mgr *m, struct mgr_err *err)
{
    unsigned i;

    if (!m->vm_touched) {
        return 0;
    }
    pf_host_reset(m->pf);
    m->vm_touched = false;
    m->model.enabled = false;
    for (i = 0; i < VIDXD_DSA_MAX_WQS; i++) {
        m->model.wqs[i].enabled = false;
    }
    VIDXD_INFO("mgr", "%s: reset after VM use; host configuration restored",
               m->name);
    return mgr_program(m, err);
}

int
mgr_host_check(struct mgr *m, struct mgr_err *err)
{
    int rc = mgr_vm_check(m, err);

    if (rc == 0) {
        rc = reclaim(m, err);
    }
    return rc;
}

int
mgr_pf_attach(void *opaque)
{
    struct mgr *m = opaque;

    if (m->model.enabled || m->nr_vdevs > 0) {
        /* A VMM can retry in a loop: rate-limited (design.md inv. 6). */
        VIDXD_LOG_RATELIMIT(LOG_WARNING, "mgr",
                            "%s: VMM refused: the host uses the device "
                            "(%s%s); remove the vdevs and disable it first",
                            m->name,
                            m->model.enabled ? "enabled" : "disabled",
                            m->nr_vdevs > 0 ? ", vdevs exist" : "");
        return -EBUSY;
    }
    m->vm_touched = true;
    return 0;
}

void
mgr_pf_detach(void *opaque)
{
    struct mgr *m = opaque;

    VIDXD_INFO("mgr", "%s: VM released the device", m->name);
}

/* ---- persistence hook ---- */

void
mgr_saved(struct mgr *m, struct mgr_err *err)
{
    int rc;

    if (m->state_path == NULL || m->restoring) {
        return;
    }
    rc = mgr_state_save(m);
    if (rc < 0) {
        VIDXD_ERR("mgr", "cannot save %s: %s", m->state_path, strerror(-rc));
        if (err != NULL) {
            snprintf(err->warning, sizeof(err->warning),
                     "applied, but the state could not be saved to %s: %s",
                     m->state_path, strerror(-rc));
        }
    }
}

/* ---- configuration verbs ---- */

static bool
wq_hw_differs(const struct mgr_wq *a, const struct mgr_wq *b)
{
    return a->group != b->group || a->dedicated != b->dedicated ||
           a->bof != b->bof || a->size != b->size ||
           a->priority != b->priority || a->threshold != b->threshold ||
           a->max_batch_size != b->max_batch_size ||
           a->max_transfer_size != b->max_transfer_size;
}

static bool
wq_differs(const struct mgr_wq *a, const struct mgr_wq *b)
{
    return wq_hw_differs(a, b) || a->type != b->type ||
           strcmp(a->name, b->name) != 0 ||
           strcmp(a->driver_name, b->driver_name) != 0;
}

/*
 * May the configuration change from the current model to @cand?  The
 * rules of the registers (vidxd/dsa.h, dsa.md §1.5) and of idxd's sysfs
 * stores (§2.3): nothing but type/name/driver_name on a read-only device;
 * GENCFG, GRPCFG (and so group membership) only while the device is
 * disabled; a WQ only while it is disabled; never a WQ a vdev uses.
 */
static int
check_changes(struct mgr *m, const struct mgr_model *cand,
              struct mgr_err *err)
{
    const struct mgr_caps *c = &m->caps;
    const struct mgr_model *cur = &m->model;
    bool dev_on = mgr_hw_dev_enabled(m), hw_change = false;
    unsigned i;

    if (cand->rdbuf_limit != cur->rdbuf_limit ||
        memcmp(cand->groups, cur->groups,
               sizeof(cur->groups[0]) * c->num_groups) != 0 ||
        memcmp(cand->engine_group, cur->engine_group,
               sizeof(cur->engine_group[0]) * c->num_engines) != 0) {
        if (!c->configurable) {
            goto read_only;
        }
        if (dev_on) {
            return mgr_fail(err, -EBUSY,
                            "%s is enabled: disable it before changing the "
                            "device, groups or engines",
                            m->name);
        }
    }
    for (i = 0; i < c->num_wqs; i++) {
        const struct mgr_wq *a = &cur->wqs[i], *b = &cand->wqs[i];
        struct mgr_vdev *v;

        if (!wq_differs(a, b)) {
            continue;
        }
        v = mgr_wq_owner(m, i);
        if (v != NULL) {
            return mgr_fail(err, -EBUSY,
                            "%s/wq%u.%u is used by vdev %s: remove the vdev "
                            "first",
                            m->name, m->dev_id, i, v->uuid_str);
        }
        if (mgr_hw_wq_enabled(m, i)) {
            return mgr_fail(err, -EBUSY,
                            "%s/wq%u.%u is enabled: disable it first",
                            m->name, m->dev_id, i);
        }
        if (wq_hw_differs(a, b)) {
            hw_change = true;
        }
        if (a->group != b->group && dev_on) {
            return mgr_fail(err, -EBUSY,
                            "%s is enabled: disable it before moving "
                            "wq%u.%u to another group",
                            m->name, m->dev_id, i);
        }
    }
    if (hw_change && !c->configurable) {
        goto read_only;
    }
    return 0;
read_only:
    return mgr_fail(err, -EPERM,
                    "%s has a read-only configuration (GENCAP.config_en = "
                    "0): only a WQ's type, name and driver_name can be set",
                    m->name);
}

/* Validate @cand, take it, write it to the registers and save it. */
int
mgr_commit(struct mgr *m, const struct mgr_model *cand, struct mgr_err *err)
{
    int rc = mgr_validate_model(m, cand, err);

    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc == 0) {
        rc = check_changes(m, cand, err);
    }
    if (rc < 0) {
        return rc;
    }
    m->model = *cand;
    rc = mgr_program(m, err);
    if (rc == 0) {
        mgr_saved(m, err);
    }
    return rc;
}

int
mgr_config_device(struct mgr *m, const char *dev, json_object *attrs,
                  struct mgr_err *err)
{
    struct mgr_model cand;
    int rc = mgr_check_dev(m, dev, err);

    if (rc == 0) {
        rc = mgr_vm_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    cand = m->model;
    rc = mgr_apply_device_attrs(m, &cand, attrs, true, err);
    return rc < 0 ? rc : mgr_commit(m, &cand, err);
}

int
mgr_config_group(struct mgr *m, const char *group, json_object *attrs,
                 struct mgr_err *err)
{
    struct mgr_model cand;
    unsigned g;
    int rc = mgr_parse_obj(m, MGR_OBJ_GROUP, group, &g, err);

    if (rc == 0) {
        rc = mgr_vm_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    cand = m->model;
    rc = mgr_apply_group_attrs(m, &cand, g, attrs, true, err);
    return rc < 0 ? rc : mgr_commit(m, &cand, err);
}

int
mgr_config_engine(struct mgr *m, const char *engine, json_object *attrs,
                  struct mgr_err *err)
{
    struct mgr_model cand;
    unsigned e;
    int rc = mgr_parse_obj(m, MGR_OBJ_ENGINE, engine, &e, err);

    if (rc == 0) {
        rc = mgr_vm_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    cand = m->model;
    rc = mgr_apply_engine_attrs(m, &cand, e, attrs, true, err);
    return rc < 0 ? rc : mgr_commit(m, &cand, err);
}

int
mgr_config_wq(struct mgr *m, const char *wq, json_object *attrs,
              struct mgr_err *err)
{
    struct mgr_model cand;
    unsigned w;
    int rc = mgr_parse_obj(m, MGR_OBJ_WQ, wq, &w, err);

    if (rc == 0) {
        rc = mgr_vm_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    cand = m->model;
    rc = mgr_apply_wq_attrs(m, &cand, w, attrs, true, err);
    return rc < 0 ? rc : mgr_commit(m, &cand, err);
}

/* ---- enable / disable ---- */

int
mgr_do_enable_device(struct mgr *m, struct mgr_err *err)
{
    bool was_on = mgr_hw_dev_enabled(m);
    int rc = 0;

    if (!was_on) {
        rc = mgr_program(m, err);
        /* Software-error and halt interrupts on vector 0, as idxd's
         * idxd_setup_interrupts() sets them (dsa.md §2.2 step 9): the PF
         * reflects parent errors into the vdevs from that vector. */
        if (rc == 0) {
            uint64_t ctrl = rd(m, VIDXD_REG_GENCTRL, 4);

            rc = wr(m, VIDXD_REG_GENCTRL, 4,
                    ctrl | VIDXD_GENCTRL_SOFTERR_INT_EN |
                        VIDXD_GENCTRL_HALT_INT_EN,
                    err);
        }
        /* pci_set_master() before ENABLE_DEVICE (dsa.md §2.2 step 1):
         * without it the device answers 0x12. */
        if (rc == 0) {
            rc = pf_host_set_bus_master(m->pf, true);
            if (rc < 0) {
                /* rc is a negative errno from the config-space write. */
                return mgr_fail(err, rc, "%s: cannot enable bus mastering: %s",
                                m->name, strerror(-rc));
            }
        }
    }
    if (rc == 0) {
        rc = mgr_command(m, VIDXD_CMD_ENABLE_DEVICE, 0, m->name, err);
    }
    if (rc < 0) {
        if (!was_on) {
            pf_host_set_bus_master(m->pf, false);
        }
        return rc;
    }
    m->model.enabled = true;
    return 0;
}

int
mgr_enable_device(struct mgr *m, const char *dev, struct mgr_err *err)
{
    int rc = mgr_check_dev(m, dev, err);

    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc == 0) {
        rc = mgr_do_enable_device(m, err);
    }
    if (rc == 0) {
        VIDXD_INFO("mgr", "%s enabled", m->name);
        mgr_saved(m, err);
    }
    return rc;
}

int
mgr_disable_device(struct mgr *m, const char *dev, struct mgr_err *err)
{
    unsigned i;
    int rc = mgr_check_dev(m, dev, err);

    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    if (m->nr_vdevs > 0) {
        return mgr_fail(err, -EBUSY,
                        "%s has %u vdev(s): remove them before disabling it",
                        m->name, m->nr_vdevs);
    }
    rc = mgr_command(m, VIDXD_CMD_DISABLE_DEVICE, 0, m->name, err);
    if (rc < 0) {
        return rc;
    }
    /* pci_clear_master() as the driver's remove does; the function is back
     * in the state a VMM may take (dsa.md §2.3, device unbind). */
    pf_host_set_bus_master(m->pf, false);
    m->model.enabled = false;
    for (i = 0; i < VIDXD_DSA_MAX_WQS; i++) {
        m->model.wqs[i].enabled = false;
    }
    VIDXD_INFO("mgr", "%s disabled", m->name);
    mgr_saved(m, err);
    return 0;
}

/*
 * idxd_drv_enable_wq()'s software checks (dsa.md §2.3 kernel side): a type
 * that a host consumer binds, and a name.  vdev WQs are enabled by the
 * guest of their vdev through the vdev, never by the host.
 */
int
mgr_do_enable_wq(struct mgr *m, unsigned wq, struct mgr_err *err)
{
    const struct mgr_wq *w = &m->model.wqs[wq];
    struct mgr_vdev *v = mgr_wq_owner(m, wq);
    char what[64];
    int rc;

    snprintf(what, sizeof(what), "%s/wq%u.%u", m->name, m->dev_id, wq);
    if (v != NULL) {
        return mgr_fail(err, -EBUSY, "%s is used by vdev %s", what,
                        v->uuid_str);
    }
    switch (w->type) {
    case MGR_WQ_VDEV:
        return mgr_fail(err, -EPERM,
                        "%s has type vdev: it is enabled by the guest of the "
                        "vdev that uses it",
                        what);
    case MGR_WQ_NONE:
        return mgr_fail(err, -EINVAL,
                        "%s has type none: set --type kernel or user first",
                        what);
    default:
        break;
    }
    if (w->name[0] == '\0') {
        return mgr_fail(err, -EINVAL, "%s has no name: set --name first",
                        what);
    }
    if (!mgr_hw_wq_enabled(m, wq)) {
        rc = mgr_program_wq(m, wq, err);
        if (rc < 0) {
            return rc;
        }
    }
    rc = mgr_command(m, VIDXD_CMD_ENABLE_WQ, wq, what, err);
    if (rc < 0) {
        return rc;
    }
    m->model.wqs[wq].enabled = true;
    return 0;
}

int
mgr_enable_wq(struct mgr *m, const char *wq, struct mgr_err *err)
{
    unsigned w;
    int rc = mgr_parse_obj(m, MGR_OBJ_WQ, wq, &w, err);

    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc == 0) {
        rc = mgr_do_enable_wq(m, w, err);
    }
    if (rc == 0) {
        VIDXD_INFO("mgr", "%s/wq%u.%u enabled", m->name, m->dev_id, w);
        mgr_saved(m, err);
    }
    return rc;
}

int
mgr_disable_wq(struct mgr *m, const char *wq, struct mgr_err *err)
{
    struct mgr_vdev *v;
    unsigned w;
    char what[64];
    int rc = mgr_parse_obj(m, MGR_OBJ_WQ, wq, &w, err);

    if (rc == 0) {
        rc = mgr_host_check(m, err);
    }
    if (rc < 0) {
        return rc;
    }
    snprintf(what, sizeof(what), "%s/wq%u.%u", m->name, m->dev_id, w);
    v = mgr_wq_owner(m, w);
    if (v != NULL) {
        return mgr_fail(err, -EBUSY,
                        "%s is used by vdev %s: remove the vdev instead", what,
                        v->uuid_str);
    }
    /* DISABLE_WQ takes a bitmap: bit (id % 16), (id / 16) in [19:16]
     * (dsa.md §1.4). */
    rc = mgr_command(m, VIDXD_CMD_DISABLE_WQ,
                     (1u << (w % 16)) |
                         ((w / 16) << VIDXD_CMD_WQ_MASK_GROUP_SHIFT),
                     what, err);
    if (rc < 0) {
        return rc;
    }
    m->model.wqs[w].enabled = false;
    VIDXD_INFO("mgr", "%s disabled", what);
    mgr_saved(m, err);
    return 0;
}

/* Power-on state for the device and the host model (restore failures). */
int
mgr_hw_reset(struct mgr *m, struct mgr_err *err)
{
    pf_host_reset(m->pf);
    m->vm_touched = false;
    mgr_model_defaults(m, &m->model);
    if (!m->caps.configurable) {
        model_from_registers(m, &m->model);
    }
    return 0;
}

/* ---- life cycle ---- */

static int
vdev_layer_create(struct vidxd_dsa *parent, struct vidxd_irq_dev *irq,
                  const struct vidxd_vdev_config *cfg, void **out)
{
    struct vidxd_vdev *v = NULL;
    int rc = vidxd_vdev_create(parent, irq, cfg, &v);

    if (rc == 0) {
        *out = v;
    }
    return rc;
}

static void
vdev_layer_destroy(void *vdev)
{
    vidxd_vdev_destroy(vdev);
}

static const struct mgr_vdev_ops vdev_layer_ops = {
    .create = vdev_layer_create,
    .destroy = vdev_layer_destroy,
    .fn_ops = vidxd_vdev_fn_ops,
};

int
mgr_create(const struct mgr_config *cfg, struct mgr **out)
{
    struct mgr *m;

    if (cfg == NULL || cfg->pf == NULL || cfg->vdev_dir == NULL) {
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    m->pf = cfg->pf;
    m->dsa = pf_dsa(cfg->pf);
    m->loop = cfg->loop;
    m->name = strdup(pf_name(cfg->pf));
    m->vdev_dir = strdup(cfg->vdev_dir);
    m->state_path = cfg->state_path != NULL ? strdup(cfg->state_path) : NULL;
    if (m->name == NULL || m->vdev_dir == NULL ||
        (cfg->state_path != NULL && m->state_path == NULL)) {
        mgr_destroy(m);
        return -ENOMEM;
    }
    /* "dsa<N>": the id in accel-config names (wq<N>.<i>). */
    if (strncmp(m->name, "dsa", 3) == 0) {
        m->dev_id = (unsigned)strtoul(m->name + 3, NULL, 10);
    }
    m->vops = cfg->vdev_ops != NULL ? *cfg->vdev_ops : vdev_layer_ops;
    read_caps(m);
    mgr_model_defaults(m, &m->model);
    if (!m->caps.configurable) {
        model_from_registers(m, &m->model);
    }
    pf_set_host_hooks(m->pf,
                      &(const struct pf_host_hooks){.attach = mgr_pf_attach,
                                                    .detach = mgr_pf_detach},
                      m);
    *out = m;
    return 0;
}

void
mgr_destroy(struct mgr *m)
{
    if (m == NULL) {
        return;
    }
    while (m->vdevs != NULL) {
        mgr_vdev_del(m, m->vdevs);
    }
    if (m->pf != NULL) {
        pf_set_host_hooks(m->pf, NULL, NULL);
    }
    free(m->state_path);
    free(m->vdev_dir);
    free(m->name);
    free(m);
}

const char *
mgr_dev_name(const struct mgr *m)
{
    return m->name;
}

unsigned
mgr_nr_vdevs(const struct mgr *m)
{
    return m->nr_vdevs;
}
