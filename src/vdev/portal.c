/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vdev layer, BAR2 portals (reference/dsa.md §1.7, §5.4).  The vdev's BAR2
 * has the parent's page layout (four pages per WQ).  Trapped stores are
 * assembled per 64-byte slot in any order; a complete descriptor is
 * submitted to the parent WQ behind the vdev WQ through the parent's IMS
 * portal (the guest's handles are parent IMS indexes, §4), limited pages
 * staying limited.  The parent WQ runs it with the vdev's PASID, so it can
 * only touch the vdev's address space.  In mapped mode the guest stores
 * straight into the parent's IMS portal pages of its own WQs (a window of
 * the parent's portal memfd) and the parent's pollers execute them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vdev/vdev_int.h"
#include "vidxd/log.h"

static uint64_t
bar2_size(const struct vidxd_vdev *v)
{
    return (uint64_t)v->cfg.nr_wqs * VIDXD_PORTAL_WQ_STRIDE;
}

int
vdev_portal_init(struct vidxd_vdev *v)
{
    unsigned i;
    void *p;
    int fd;

    v->slots = calloc((size_t)v->cfg.nr_wqs * DSA_PORTAL_SLOTS_PER_WQ,
                      sizeof(*v->slots));
    if (v->slots == NULL) {
        return -ENOMEM;
    }
    if (v->cfg.portal_mode != VIDXD_DSA_PORTAL_MAPPED) {
        return 0;
    }
    /* One region fd gives one linear window (dsa.md §5.4): the parent WQs
     * must be consecutive, and the parent's portals shared memory. */
    for (i = 1; i < v->cfg.nr_wqs; i++) {
        if (v->cfg.wqs[i] != v->cfg.wqs[0] + i) {
            return -EOPNOTSUPP;
        }
    }
    if (vidxd_dsa_portal_fd(v->parent, &fd) != 0) {
        return -EOPNOTSUPP;
    }
    v->portal_fd = fd;
    v->portal_fd_offset =
        (uint64_t)v->cfg.wqs[0] * VIDXD_PORTAL_WQ_STRIDE + VIDXD_PORTAL_IMS;
    /* Our own view of the window, to wipe stale slots at reset. */
    v->portal_win_len = (size_t)((v->cfg.nr_wqs - 1) * VIDXD_PORTAL_WQ_STRIDE +
                                 VDEV_MAPPED_PAGES * VIDXD_PORTAL_PAGE);
    p = mmap(NULL, v->portal_win_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             (off_t)v->portal_fd_offset);
    if (p == MAP_FAILED) {
        v->portal_win_len = 0;
        return -errno;
    }
    v->portal_win = p;
    return 0;
}

void
vdev_portal_fini(struct vidxd_vdev *v)
{
    if (v->portal_win != NULL) {
        munmap(v->portal_win, v->portal_win_len);
        v->portal_win = NULL;
    }
    free(v->slots);
    v->slots = NULL;
}

/* Forget partial stores to vdev WQ @wq and wipe its mapped slots.  The WQ
 * is disabled: a poller racing with the wipe drops what it sees. */
void
vdev_portal_clear(struct vidxd_vdev *v, unsigned wq)
{
    if (v->slots != NULL) {
        memset(&v->slots[(size_t)wq * DSA_PORTAL_SLOTS_PER_WQ], 0,
               DSA_PORTAL_SLOTS_PER_WQ * sizeof(*v->slots));
    }
    if (v->portal_win != NULL) {
        uint64_t *q =
            (uint64_t *)(v->portal_win + (size_t)wq * VIDXD_PORTAL_WQ_STRIDE);
        size_t i, n = VDEV_MAPPED_PAGES * VIDXD_PORTAL_PAGE / 8;

        for (i = 0; i < n; i++) {
            __atomic_store_n(&q[i], 0, __ATOMIC_RELEASE);
        }
    }
}

/* Submit a complete descriptor of vdev WQ @wq.  Caller holds v->lock. */
static void
submit(struct vidxd_vdev *v, unsigned wq, unsigned page,
       const struct vidxd_desc *desc)
{
    /* Always through the parent's IMS portal; limited stays limited. */
    unsigned flags = VIDXD_DSA_SUBMIT_IMS | dsa_portal_page_flags(page);
    unsigned state = vdev_state(v);
    int rc;

    if (state != VIDXD_GENSTS_ENABLED || !v->wq_enabled[wq]) {
        /* Dropped, as the parent does for its own disabled WQs (dsa.md
         * §1.7); a halted device reports nothing more. */
        if (state == VIDXD_GENSTS_HALT) {
            return;
        }
        VIDXD_LOG_RATELIMIT(LOG_INFO, VDEV_LOG,
                            "%s: descriptor for disabled WQ %u dropped",
                            v->name, wq);
        vdev_report_swerr(v,
                          VIDXD_SWERR_DESC_VALID | VIDXD_SWERR_WQ_IDX_VALID |
                              ((uint64_t)VIDXD_SWERR_WQ_NOT_ENABLED
                               << VIDXD_SWERR_ERROR_SHIFT) |
                              ((uint64_t)wq << VIDXD_SWERR_WQ_IDX_SHIFT) |
                              ((uint64_t)vidxd_desc_opcode(desc)
                               << VIDXD_SWERR_OPERATION_SHIFT),
                          0, 0);
        return;
    }
    rc = vidxd_dsa_wq_submit(v->parent, v->cfg.wqs[wq], desc, flags);
    if (rc != 0) {
        /* -ENOSPC: a full DWQ drops silently, as hardware (dsa.md §1.7);
         * -ENXIO: the parent reported it in its SWERR, reflected below. */
        VIDXD_LOG_RATELIMIT(LOG_DEBUG, VDEV_LOG, "%s: WQ %u submission: %s",
                            v->name, wq, strerror(-rc));
    }
}

int
vdev_portal_write(struct vidxd_vdev *v, uint64_t off, const void *data,
                  unsigned size)
{
    struct dsa_portal_pos pos;
    struct vidxd_desc desc;
    bool complete;

    if (data == NULL || !dsa_portal_access_ok(off, size, bar2_size(v))) {
        return -EINVAL;
    }
    pos = dsa_portal_decode(off);

    pthread_mutex_lock(&v->lock);
    complete = dsa_slot_write(
        &v->slots[(size_t)pos.wq * DSA_PORTAL_SLOTS_PER_WQ + pos.slot],
        pos.byte, data, size, &desc);
    if (complete) {
        submit(v, pos.wq, pos.page, &desc);
    }
    pthread_mutex_unlock(&v->lock);
    if (complete) {
        /* With synchronous execution an error without a completion record
         * is already in the parent's SWERR: move it to the guest now. */
        vdev_poll_parent(v);
    }
    return 0;
}
