/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, state and lifecycle: the registry of parents and of the WQs
 * and PASIDs their vdevs own, create (checking the parent WQs the host set
 * up and deriving the read-only virtual configuration from them, dsa.md
 * §5.2), destroy, function-level reset, halt on bus-master loss (§5.1),
 * and the two ways a vdev reports events to its guest: SWERR and INTCAUSE
 * with vector 0, including parent errors that concern its WQs (§5.3 "error
 * notification from host driver to mediated device").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"

/* CMDCAP: every command 1..14 is implemented (dsa.md §5.2, v5). */
#define VDEV_CMDCAP_ALL 0x7ffeu
#define PASID_BITS (VIDXD_WQCFG_PASID_MASK | VIDXD_WQCFG_PASID_EN)

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vdev_parent *registry;

unsigned
vdev_state(const struct vidxd_vdev *v)
{
    return dsa_regfile_state(&v->rf);
}

/* ---- parent registry ---- */

static uint64_t
parent_rd(struct vidxd_dsa *dsa, uint64_t off, unsigned size)
{
    uint64_t v = 0;

    if (vidxd_dsa_bar0_read(dsa, off, size, &v) != 0) {
        return 0;
    }
    return v;
}

/* Find or add the registry entry of @dsa.  Caller holds registry_lock. */
static struct vdev_parent *
registry_get(struct vidxd_dsa *dsa)
{
    struct vdev_parent *p;
    uint64_t wqcap, off0;

    for (p = registry; p != NULL; p = p->next) {
        if (p->dsa == dsa) {
            return p;
        }
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    p->dsa = dsa;
    pthread_mutex_init(&p->cmd_lock, NULL);
    /* The parent's layout as its registers describe it (dsa.md §1.2). */
    wqcap = parent_rd(dsa, VIDXD_REG_WQCAP, 8);
    off0 = parent_rd(dsa, VIDXD_REG_OFFSETS, 8);
    p->num_wqs = (unsigned)((wqcap & VIDXD_WQCAP_NUM_WQS_MASK) >>
                            VIDXD_WQCAP_NUM_WQS_SHIFT);
    if (p->num_wqs > VIDXD_DSA_MAX_WQS) {
        p->num_wqs = VIDXD_DSA_MAX_WQS;
    }
    p->num_groups = (unsigned)(parent_rd(dsa, VIDXD_REG_GRPCAP, 8) &
                               VIDXD_GRPCAP_NUM_GROUPS_MASK);
    p->wqcfg_stride = 32u << ((wqcap & VIDXD_WQCAP_WQCFG_SIZE_MASK) >>
                              VIDXD_WQCAP_WQCFG_SIZE_SHIFT);
    p->grpcfg_offset =
        (uint32_t)((off0 >> VIDXD_OFFSETS_GRPCFG_SHIFT) & 0xffff) *
        VIDXD_TABLE_MULT;
    p->wqcfg_offset = (uint32_t)((off0 >> VIDXD_OFFSETS_WQCFG_SHIFT) & 0xffff) *
                      VIDXD_TABLE_MULT;
    p->next = registry;
    registry = p;
    return p;
}

/* Drop the entry of @p if no vdev uses it.  Caller holds registry_lock. */
static void
registry_put(struct vdev_parent *p)
{
    struct vdev_parent **pp;

    if (p->refs != 0) {
        return;
    }
    for (pp = &registry; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_destroy(&p->cmd_lock);
    free(p);
}

/* ---- events to the guest ---- */

void
vdev_raise_intcause(struct vidxd_vdev *v, uint32_t bits)
{
    dsa_regfile_raise(&v->rf, bits);
    vdev_raise_vector0(v);
}

/* Record an error in SWERR (or OVERFLOW) and raise INTCAUSE.ERR if
 * enabled (dsa.md §1.6, §5.3 vidxd_set_swerr). */
void
vdev_report_swerr(struct vidxd_vdev *v, uint64_t q0, uint64_t q1, uint64_t q2)
{
    uint32_t bits = dsa_regfile_swerr(&v->rf, q0, q1, q2);

    if (bits != 0) {
        vdev_raise_intcause(v, bits);
    }
}

/*
 * Move a parent SWERR that names a WQ owned by a vdev of @p into that
 * vdev, translating the WQ index and hiding the PASID (the guest runs
 * without PASIDs), then acknowledge it in the parent (W1C of the bits
 * seen).  Caller holds registry_lock, which keeps the owner alive and
 * makes the read-report-acknowledge sequence atomic among vdevs.
 */
static void
reflect_locked(struct vdev_parent *p)
{
    struct vidxd_vdev *owner;
    uint64_t q0, q1, q2, nq0;
    unsigned pwq, i;

    q0 = parent_rd(p->dsa, VIDXD_REG_SWERR, 8);
    if ((q0 & VIDXD_SWERR_VALID) == 0 || (q0 & VIDXD_SWERR_WQ_IDX_VALID) == 0) {
        return;
    }
    pwq = (unsigned)(q0 >> VIDXD_SWERR_WQ_IDX_SHIFT) & 0xff;
    owner = pwq < p->num_wqs ? p->owner[pwq] : NULL;
    if (owner == NULL) {
        return; /* the parent's own business */
    }
    q1 = parent_rd(p->dsa, VIDXD_REG_SWERR + 8, 8);
    q2 = parent_rd(p->dsa, VIDXD_REG_SWERR + 16, 8);
    for (i = 0; i < owner->cfg.nr_wqs && owner->cfg.wqs[i] != pwq; i++) {
    }
    nq0 = q0 & ~(VIDXD_SWERR_VALID | VIDXD_SWERR_OVERFLOW |
                 (0xffull << VIDXD_SWERR_WQ_IDX_SHIFT) |
                 ((uint64_t)VIDXD_DESC_PASID_MASK << VIDXD_SWERR_PASID_SHIFT));
    nq0 |= (uint64_t)i << VIDXD_SWERR_WQ_IDX_SHIFT;
    VIDXD_LOG_RATELIMIT(
        LOG_INFO, VDEV_LOG, "%s: parent WQ %u error 0x%x reflected as WQ %u",
        owner->name, pwq, (unsigned)(q0 >> VIDXD_SWERR_ERROR_SHIFT) & 0xff, i);
    vdev_report_swerr(owner, nq0, q1, q2);
    vidxd_dsa_bar0_write(p->dsa, VIDXD_REG_SWERR, 8,
                         q0 & (VIDXD_SWERR_VALID | VIDXD_SWERR_OVERFLOW));
}

void
vdev_poll_parent(struct vidxd_vdev *v)
{
    uint64_t q0 = parent_rd(v->parent, VIDXD_REG_SWERR, 8);

    /* Cheap test first: most of the time nothing is pending. */
    if ((q0 & (VIDXD_SWERR_VALID | VIDXD_SWERR_WQ_IDX_VALID)) !=
        (VIDXD_SWERR_VALID | VIDXD_SWERR_WQ_IDX_VALID)) {
        return;
    }
    pthread_mutex_lock(&registry_lock);
    reflect_locked(v->par);
    pthread_mutex_unlock(&registry_lock);
}

void
vidxd_vdev_poll_errors(struct vidxd_dsa *parent)
{
    struct vdev_parent *p;

    pthread_mutex_lock(&registry_lock);
    for (p = registry; p != NULL; p = p->next) {
        if (p->dsa == parent) {
            reflect_locked(p);
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
}

/* ---- WQ quiesce, halt, reset ---- */

/* Abort and disable every enabled WQ of @v in the parent (only those);
 * forget partial portal stores.  Caller holds v->lock. */
void
vdev_quiesce_wqs(struct vidxd_vdev *v)
{
    uint32_t mask = 0;
    unsigned i;

    for (i = 0; i < v->cfg.nr_wqs; i++) {
        if (v->wq_enabled[i]) {
            mask |= 1u << i;
        }
    }
    if (mask != 0) {
        vdev_parent_wq_cmd(v, VIDXD_CMD_ABORT_WQ, mask);
        vdev_parent_wq_cmd(v, VIDXD_CMD_DISABLE_WQ, mask);
    }
    for (i = 0; i < v->cfg.nr_wqs; i++) {
        v->wq_enabled[i] = false;
        vdev_portal_clear(v, i);
    }
}

/* Enter HALT (dsa.md §5.1: BME cleared while enabled): stop the WQs, log
 * the cause in SWERR and tell the guest on vector 0. */
void
vdev_halt(struct vidxd_vdev *v, unsigned reset_type, uint8_t code)
{
    uint32_t bits;

    pthread_mutex_lock(&v->lock);
    if (vdev_state(v) == VIDXD_GENSTS_HALT) {
        pthread_mutex_unlock(&v->lock);
        return;
    }
    __atomic_store_n(&v->rf.gensts,
                     VIDXD_GENSTS_HALT |
                         (reset_type << VIDXD_GENSTS_RESET_TYPE_SHIFT),
                     __ATOMIC_RELEASE);
    vdev_quiesce_wqs(v);
    bits = dsa_regfile_halt_cause(&v->rf, code);
    pthread_mutex_unlock(&v->lock);
    VIDXD_LOG_RATELIMIT(LOG_WARNING, VDEV_LOG,
                        "%s: halted (error 0x%x, reset type %u)", v->name, code,
                        reset_type);
    if (bits != 0) {
        vdev_raise_intcause(v, bits);
    }
}

/* Function-level reset (FLR, DEVICE_RESET).  Caller holds v->lock. */
void
vdev_reset_locked(struct vidxd_vdev *v)
{
    vdev_quiesce_wqs(v);
    vdev_handles_free_all(v);
    __atomic_store_n(&v->rf.gensts, VIDXD_GENSTS_DISABLED, __ATOMIC_RELEASE);
    dsa_regfile_reset(&v->rf);
    v->gencfg = 0;
    v->cmd = 0;
    v->bme = false;
    memset(v->msixperm, 0, sizeof(v->msixperm));
    vidxd_pci_cfg_reset(v->pci);
    vdev_intr_reset(v);
}

void
vidxd_vdev_reset(struct vidxd_vdev *vdev)
{
    pthread_mutex_lock(&vdev->lock);
    vdev_reset_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

/* ---- create / destroy ---- */

static bool
config_ok(const struct vidxd_vdev_config *cfg)
{
    unsigned i, j;

    if (cfg->nr_wqs < 1 || cfg->nr_wqs > VIDXD_VDEV_MAX_WQS || cfg->pasid < 1 ||
        cfg->pasid > VIDXD_DESC_PASID_MASK ||
        (cfg->portal_mode != VIDXD_DSA_PORTAL_TRAPPED &&
         cfg->portal_mode != VIDXD_DSA_PORTAL_MAPPED)) {
        return false;
    }
    for (i = 0; i < cfg->nr_wqs; i++) {
        for (j = 0; j < i; j++) {
            if (cfg->wqs[i] == cfg->wqs[j]) {
                return false;
            }
        }
    }
    return true;
}

static unsigned
popcount64(uint64_t x)
{
    return (unsigned)__builtin_popcountll(x);
}

/*
 * Check the parent WQs and derive the virtual registers from them
 * (dsa.md §5.2).  Caller holds registry_lock.  Returns 0 or -EINVAL.
 */
static int
load_parent(struct vidxd_vdev *v, struct vdev_parent *p)
{
    struct vidxd_dsa *dsa = v->parent;
    uint64_t pgencap = parent_rd(dsa, VIDXD_REG_GENCAP, 8);
    uint64_t engines = 0, flags = 0;
    unsigned i, g, sum = 0;

    /* The PASID goes into the parent WQCFG, which only a configurable
     * device lets software write (dsa.md §1.5); the vectors need IMS. */
    if ((pgencap & VIDXD_GENCAP_CONFIG_EN) == 0 ||
        (pgencap & VIDXD_GENCAP_MAX_IMS_MULT_MASK) == 0 ||
        p->wqcfg_stride < VIDXD_WQCFG_STRIDE_DSA1) {
        return -EINVAL;
    }
    for (i = 0; i < v->cfg.nr_wqs; i++) {
        unsigned w = v->cfg.wqs[i];
        uint64_t base = p->wqcfg_offset + (uint64_t)w * p->wqcfg_stride;
        uint32_t size, mode, shifts, occ;
        uint64_t grp_engines = 0;
        bool grouped = false;

        if (w >= p->num_wqs) {
            return -EINVAL;
        }
        size = (uint32_t)parent_rd(dsa, base + 4 * VIDXD_WQCFG_SIZE_IDX, 4) &
               VIDXD_WQCFG_SIZE_MASK;
        mode = (uint32_t)parent_rd(dsa, base + 4 * VIDXD_WQCFG_MODE_IDX, 4);
        shifts = (uint32_t)parent_rd(dsa, base + 4 * VIDXD_WQCFG_SHIFTS_IDX, 4);
        occ = (uint32_t)parent_rd(dsa, base + 4 * VIDXD_WQCFG_OCCUP_IDX, 4);
        for (g = 0; g < p->num_groups; g++) {
            uint64_t gb = p->grpcfg_offset + (uint64_t)g * VIDXD_GRPCFG_SIZE;

            if ((parent_rd(dsa, gb + VIDXD_GRPCFG_WQS + (w / 64) * 8, 8) &
                 (1ull << (w % 64))) != 0) {
                grouped = true;
                grp_engines = parent_rd(dsa, gb + VIDXD_GRPCFG_ENGINES, 8);
                if (i == 0) {
                    flags = parent_rd(dsa, gb + VIDXD_GRPCFG_FLAGS, 8);
                }
                break;
            }
        }
        if (size == 0 || (mode & VIDXD_WQCFG_MODE_DEDICATED) == 0 ||
            (mode & VIDXD_WQCFG_PRIORITY_MASK) == 0 || !grouped ||
            grp_engines == 0 ||
            ((occ & VIDXD_WQCFG_STATE_MASK) >> VIDXD_WQCFG_STATE_SHIFT) !=
                VIDXD_WQ_STATE_DISABLED) {
            VIDXD_WARN(VDEV_LOG,
                       "%s: parent WQ %u is not set up for a virtual device "
                       "(needs size, dedicated mode, priority, a group "
                       "with engines, disabled)",
                       v->name, w);
            return -EINVAL;
        }
        engines |= grp_engines;
        sum += size;
        v->parent_mode[i] = mode;
        /* The guest's WQCFG: the parent's settings, dedicated, no PASID
         * (dsa.md §2.5: Linux RO mode refuses pasid_en = 1). */
        memset(v->wqcfg[i], 0, sizeof(v->wqcfg[i]));
        v->wqcfg[i][VIDXD_WQCFG_SIZE_IDX] = size;
        v->wqcfg[i][VIDXD_WQCFG_MODE_IDX] = VIDXD_WQCFG_MODE_DEDICATED |
                                            (mode & VIDXD_WQCFG_BOF) |
                                            (mode & VIDXD_WQCFG_PRIORITY_MASK);
        v->wqcfg[i][VIDXD_WQCFG_SHIFTS_IDX] =
            shifts & (VIDXD_WQCFG_MAX_XFER_SHIFT_MASK |
                      VIDXD_WQCFG_MAX_BATCH_SHIFT_MASK);
    }
    v->rf.version = (uint32_t)parent_rd(dsa, VIDXD_REG_VERSION, 4);
    v->rf.gencap =
        (pgencap & ~(VIDXD_GENCAP_CONFIG_EN | VIDXD_GENCAP_MAX_IMS_MULT_MASK)) |
        VIDXD_GENCAP_CMD_CAP;
    v->rf.wqcap = (sum & VIDXD_WQCAP_TOTAL_WQ_SIZE_MASK) |
                  ((uint64_t)v->cfg.nr_wqs << VIDXD_WQCAP_NUM_WQS_SHIFT) |
                  VIDXD_WQCAP_DEDICATED_MODE;
    v->rf.grpcap = 1; /* one group, no read-buffer control */
    v->rf.engcap = popcount64(engines);
    for (i = 0; i < 4; i++) {
        v->rf.opcap[i] = parent_rd(dsa, VIDXD_REG_OPCAP + 8ull * i, 8);
    }
    v->rf.offsets[0] = ((uint64_t)(VDEV_GRPCFG_OFFSET / VIDXD_TABLE_MULT)
                        << VIDXD_OFFSETS_GRPCFG_SHIFT) |
                       ((uint64_t)(VDEV_WQCFG_OFFSET / VIDXD_TABLE_MULT)
                        << VIDXD_OFFSETS_WQCFG_SHIFT) |
                       ((uint64_t)(VDEV_MSIX_PERM_OFFSET / VIDXD_TABLE_MULT)
                        << VIDXD_OFFSETS_MSIX_PERM_SHIFT);
    v->rf.offsets[1] = 0;
    v->rf.cmdcap = VDEV_CMDCAP_ALL;
    memset(v->grpcfg, 0, sizeof(v->grpcfg));
    v->grpcfg[VIDXD_GRPCFG_WQS / 8] = (1ull << v->cfg.nr_wqs) - 1;
    v->grpcfg[VIDXD_GRPCFG_ENGINES / 8] =
        v->rf.engcap >= 64 ? ~0ull : (1ull << v->rf.engcap) - 1;
    /* Traffic classes of the parent group; no read-buffer fields, as
     * GRPCAP advertises none. */
    v->grpcfg[VIDXD_GRPCFG_FLAGS / 8] =
        flags & (VIDXD_GRPFLG_TC_A_MASK | VIDXD_GRPFLG_TC_B_MASK);
    return 0;
}

/* May @v take its WQs and its PASID on @p?  Caller holds registry_lock. */
static int
claim_check(const struct vidxd_vdev *v, const struct vdev_parent *p)
{
    unsigned i;

    for (i = 0; i < p->num_wqs; i++) {
        if (p->owner[i] != NULL && p->owner[i]->cfg.pasid == v->cfg.pasid) {
            return -EBUSY;
        }
    }
    for (i = 0; i < v->cfg.nr_wqs; i++) {
        if (v->cfg.wqs[i] >= p->num_wqs) {
            return -EINVAL;
        }
        if (p->owner[v->cfg.wqs[i]] != NULL) {
            return -EBUSY;
        }
    }
    return 0;
}

/* Take them (after claim_check).  Caller holds registry_lock. */
static void
claim(struct vidxd_vdev *v, struct vdev_parent *p)
{
    unsigned i;

    for (i = 0; i < v->cfg.nr_wqs; i++) {
        p->owner[v->cfg.wqs[i]] = v;
    }
    p->refs++;
    v->par = p;
}

static void
unclaim(struct vidxd_vdev *v)
{
    struct vdev_parent *p = v->par;
    unsigned i;

    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&registry_lock);
    for (i = 0; i < p->num_wqs; i++) {
        if (p->owner[i] == v) {
            p->owner[i] = NULL;
        }
    }
    p->refs--;
    registry_put(p);
    pthread_mutex_unlock(&registry_lock);
    v->par = NULL;
}

/* Give the parent WQCFG PASID fields back their values from before the
 * vdev (the WQs are disabled now, so the parent accepts the write). */
static void
restore_parent_wqcfg(struct vidxd_vdev *v)
{
    struct vdev_parent *p = v->par;
    unsigned i;

    pthread_mutex_lock(&p->cmd_lock);
    for (i = 0; i < v->cfg.nr_wqs; i++) {
        uint64_t off = p->wqcfg_offset +
                       (uint64_t)v->cfg.wqs[i] * p->wqcfg_stride +
                       4 * VIDXD_WQCFG_MODE_IDX;
        uint32_t cur = (uint32_t)parent_rd(v->parent, off, 4);
        uint32_t want = (cur & ~PASID_BITS) | (v->parent_mode[i] & PASID_BITS);

        if (cur != want) {
            vidxd_dsa_bar0_write(v->parent, off, 4, want);
        }
    }
    pthread_mutex_unlock(&p->cmd_lock);
}

int
vidxd_vdev_create(struct vidxd_dsa *parent, struct vidxd_irq_dev *parent_irq,
                  const struct vidxd_vdev_config *cfg, struct vidxd_vdev **out)
{
    struct vidxd_vdev *v;
    struct vdev_parent *p;
    pthread_mutexattr_t ma;
    unsigned i;
    int rc;

    if (parent == NULL || parent_irq == NULL || cfg == NULL || out == NULL ||
        !config_ok(cfg)) {
        return -EINVAL;
    }
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        return -ENOMEM;
    }
    v->cfg = *cfg;
    v->parent = parent;
    v->parent_irq = parent_irq;
    v->num_vectors = cfg->nr_wqs + 1;
    v->portal_fd = -1;
    for (i = 0; i < VDEV_MAX_VECTORS; i++) {
        v->vec_fd[i] = -1;
    }
    snprintf(v->name, sizeof(v->name), "vdev-pasid%u", cfg->pasid);
    /* Recursive: config-space hooks and FLR run inside locked accesses. */
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&v->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    dsa_regfile_init(&v->rf);

    pthread_mutex_lock(&registry_lock);
    p = registry_get(parent);
    if (p == NULL) {
        rc = -ENOMEM;
    } else {
        /* Ownership first: a WQ another vdev has enabled is busy, not
         * misconfigured. */
        rc = claim_check(v, p);
        if (rc == 0) {
            rc = load_parent(v, p);
        }
        if (rc == 0) {
            claim(v, p);
        } else {
            registry_put(p);
        }
    }
    pthread_mutex_unlock(&registry_lock);
    if (rc != 0) {
        goto fail;
    }
    rc = vidxd_as_create(cfg->pasid, &v->as);
    if (rc != 0) {
        goto fail;
    }
    rc = vidxd_dsa_attach_pasid_as(parent, cfg->pasid, v->as);
    if (rc != 0) {
        rc = rc == -EEXIST ? -EBUSY : rc;
        goto fail;
    }
    v->pasid_attached = true;
    rc = vdev_intr_init(v);
    if (rc == 0) {
        rc = vdev_build_pci_cfg(v);
    }
    if (rc == 0) {
        rc = vdev_portal_init(v);
    }
    if (rc != 0) {
        goto fail;
    }
    VIDXD_INFO(VDEV_LOG, "%s: created on parent WQ %u (+%u more)", v->name,
               cfg->wqs[0], cfg->nr_wqs - 1);
    *out = v;
    return 0;
fail:
    vidxd_vdev_destroy(v);
    return rc;
}

void
vidxd_vdev_destroy(struct vidxd_vdev *vdev)
{
    struct vidxd_vdev *v = vdev;

    if (v == NULL) {
        return;
    }
    if (v->par != NULL) {
        pthread_mutex_lock(&v->lock);
        vdev_quiesce_wqs(v);
        vdev_handles_free_all(v);
        restore_parent_wqcfg(v);
        pthread_mutex_unlock(&v->lock);
    }
    if (v->pasid_attached) {
        vidxd_dsa_detach_pasid_as(v->parent, v->cfg.pasid);
    }
    unclaim(v);
    vdev_portal_fini(v);
    vdev_intr_fini(v);
    vidxd_pci_cfg_destroy(v->pci);
    vidxd_as_destroy(v->as);
    dsa_regfile_fini(&v->rf);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

const struct vidxd_vdev_config *
vidxd_vdev_config(const struct vidxd_vdev *vdev)
{
    return &vdev->cfg;
}

struct vidxd_as *
vidxd_vdev_as(const struct vidxd_vdev *vdev)
{
    return vdev->as;
}
