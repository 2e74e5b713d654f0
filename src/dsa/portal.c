/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA device model, BAR2 portals (reference/dsa.md §1.7, design.md
 * "Portals").  Trapped mode assembles the pieces of a 64-byte store per
 * slot, in any order, and submits the descriptor when every byte has
 * arrived.  Mapped mode backs BAR2 with a memfd that the VMM maps into the
 * guest; the device polls each slot for a non-zero first qword, copies the
 * descriptor and releases the slot by clearing qwords 1..7 and then qword 0
 * (the protocol documented in vidxd/dsa.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dsa/dsa_int.h"
#include "vidxd/log.h"

int
dsa_portal_init(struct vidxd_dsa *dsa)
{
    void *p;
    int fd, rc;

    if (dsa->cfg.portal_mode != VIDXD_DSA_PORTAL_MAPPED) {
        return 0;
    }
    fd = memfd_create("vidxd-dsa-bar2", MFD_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    if (ftruncate(fd, (off_t)dsa->bar2_size) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    p = mmap(NULL, dsa->bar2_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        rc = -errno;
        close(fd);
        return rc;
    }
    dsa->portal_fd = fd;
    dsa->portal_mem = p;
    return 0;
}

void
dsa_portal_fini(struct vidxd_dsa *dsa)
{
    if (dsa->portal_mem != NULL) {
        munmap(dsa->portal_mem, dsa->bar2_size);
        dsa->portal_mem = NULL;
    }
    if (dsa->portal_fd >= 0) {
        close(dsa->portal_fd);
        dsa->portal_fd = -1;
    }
}

/* Forget partial trapped stores and mapped slot contents of @wq (reset). */
void
dsa_portal_clear(struct vidxd_dsa *dsa, struct dsa_wq *wq)
{
    size_t i;

    pthread_mutex_lock(&wq->portal_lock);
    memset(wq->slots, 0, DSA_PORTAL_SLOTS_PER_WQ * sizeof(*wq->slots));
    for (i = 0; i < VIDXD_PORTAL_PAGES_PER_WQ; i++) {
        __atomic_store_n(&wq->scan[i], 0, __ATOMIC_RELAXED);
    }
    if (dsa->portal_mem != NULL) {
        uint64_t *q = (uint64_t *)(dsa->portal_mem +
                                   (size_t)wq->id * VIDXD_PORTAL_WQ_STRIDE);

        for (i = 0; i < VIDXD_PORTAL_WQ_STRIDE / 8; i++) {
            __atomic_store_n(&q[i], 0, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_unlock(&wq->portal_lock);
}

/* Import the descriptors waiting in @wq's mapped portal pages into its
 * ring, in slot order starting after the last slot consumed (so a writer
 * rotating through the slots keeps its order).  With @try, give up if
 * another thread is polling @wq (it takes them in).  Returns the number
 * imported (accepted or not). */
static unsigned
poll_wq(struct vidxd_dsa *dsa, struct dsa_wq *wq, bool try)
{
    uint8_t *base;
    /* First qwords of descriptors dropped, reported after the lock. */
    uint64_t dropped[DSA_PORTAL_SLOTS_PER_WQ];
    unsigned page, i, n = 0, ndropped = 0;

    if (dsa->portal_mem == NULL) {
        return 0;
    }
    base = dsa->portal_mem + (size_t)wq->id * VIDXD_PORTAL_WQ_STRIDE;
    if (try) {
        if (pthread_mutex_trylock(&wq->portal_lock) != 0) {
            return 0;
        }
    } else {
        pthread_mutex_lock(&wq->portal_lock);
    }
    for (page = 0; page < VIDXD_PORTAL_PAGES_PER_WQ; page++) {
        uint8_t *pg = base + (size_t)page * VIDXD_PORTAL_PAGE;
        unsigned start = __atomic_load_n(&wq->scan[page], __ATOMIC_RELAXED);

        for (i = 0; i < DSA_PORTAL_SLOTS_PER_PAGE; i++) {
            unsigned slot = (start + i) % DSA_PORTAL_SLOTS_PER_PAGE;
            uint64_t *q = (uint64_t *)(pg + (size_t)slot * VIDXD_PORTAL_SLOT);
            uint64_t d[8];
            struct vidxd_desc desc;
            unsigned j;
            int rc;

            d[0] = __atomic_load_n(&q[0], __ATOMIC_ACQUIRE);
            if (d[0] == 0) {
                continue;
            }
            for (j = 1; j < 8; j++) {
                d[j] = __atomic_load_n(&q[j], __ATOMIC_RELAXED);
            }
            memcpy(&desc, d, sizeof(desc));
            /* Pushed under portal_lock so that concurrent pollers cannot
             * reorder descriptors of one WQ; a SWERR report (which may
             * call host ops) waits until the lock is dropped.  A full WQ
             * leaves the descriptor in its slot: the slot memory is the
             * queue's overflow, and the writer sees back-pressure because
             * the slot is not released. */
            rc = dsa_wq_push(wq, &desc, dsa_portal_page_flags(page),
                             DSA_PUSH_TRY);
            if (rc == -ENOSPC || rc == -EAGAIN) {
                __atomic_store_n(&wq->scan[page], (uint8_t)slot,
                                 __ATOMIC_RELAXED);
                goto out;
            }
            if (rc == -ENXIO) {
                dropped[ndropped++] = d[0];
            }
            for (j = 1; j < 8; j++) {
                __atomic_store_n(&q[j], 0, __ATOMIC_RELAXED);
            }
            __atomic_store_n(&q[0], 0, __ATOMIC_RELEASE);
            __atomic_store_n(&wq->scan[page],
                             (uint8_t)((slot + 1) % DSA_PORTAL_SLOTS_PER_PAGE),
                             __ATOMIC_RELAXED);
            n++;
        }
    }
out:
    pthread_mutex_unlock(&wq->portal_lock);
    for (i = 0; i < ndropped; i++) {
        struct vidxd_desc desc;

        memset(&desc, 0, sizeof(desc));
        memcpy(&desc, &dropped[i], sizeof(dropped[i]));
        dsa_wq_report_not_enabled(wq, &desc);
    }
    return n;
}

unsigned
dsa_portal_poll(struct vidxd_dsa *dsa, struct dsa_wq *wq)
{
    return poll_wq(dsa, wq, false);
}

unsigned
dsa_portal_try_poll(struct vidxd_dsa *dsa, struct dsa_wq *wq)
{
    return poll_wq(dsa, wq, true);
}

static bool
slot_used(const uint8_t *page, unsigned slot)
{
    const uint64_t *q =
        (const uint64_t *)(page + (size_t)slot * VIDXD_PORTAL_SLOT);

    return __atomic_load_n(&q[0], __ATOMIC_RELAXED) != 0;
}

/*
 * Is a descriptor waiting where the next one of a known writer lands?  On
 * each page: slot 0 (DPDK always stores there, dsa.md §0.8) and
 * DSA_PORTAL_PEEK_SLOTS slots from the one after the slot consumed last
 * (Linux rotates through the slots, dsa.md §2.4; the extra ones catch
 * CPUs that took consecutive offsets and stored out of order).  A few
 * cache lines per page instead of 64; a descriptor anywhere else is found
 * by the periodic scan of every slot (wq.c "Idle polling").  Lock-free: a
 * stale answer only delays the pickup to the next pass.
 */
bool
dsa_portal_peek(struct vidxd_dsa *dsa, struct dsa_wq *wq)
{
    const uint8_t *base;
    unsigned page, i;

    if (dsa->portal_mem == NULL) {
        return false;
    }
    base = dsa->portal_mem + (size_t)wq->id * VIDXD_PORTAL_WQ_STRIDE;
    for (page = 0; page < VIDXD_PORTAL_PAGES_PER_WQ; page++) {
        const uint8_t *pg = base + (size_t)page * VIDXD_PORTAL_PAGE;
        unsigned next = __atomic_load_n(&wq->scan[page], __ATOMIC_RELAXED);

        if (slot_used(pg, 0)) {
            return true;
        }
        for (i = 0; i < DSA_PORTAL_PEEK_SLOTS; i++) {
            if (slot_used(pg, (next + i) % DSA_PORTAL_SLOTS_PER_PAGE)) {
                return true;
            }
        }
    }
    return false;
}

int
vidxd_dsa_portal_write(struct vidxd_dsa *dsa, uint64_t off, const void *data,
                       unsigned size)
{
    struct dsa_portal_pos pos;
    struct dsa_wq *wq;
    struct vidxd_desc desc;
    bool complete;

    if (data == NULL || !dsa_portal_access_ok(off, size, dsa->bar2_size)) {
        return -EINVAL;
    }
    pos = dsa_portal_decode(off);
    wq = &dsa->wqs[pos.wq];

    pthread_mutex_lock(&wq->portal_lock);
    complete =
        dsa_slot_write(&wq->slots[pos.slot], pos.byte, data, size, &desc);
    pthread_mutex_unlock(&wq->portal_lock);
    if (complete) {
        /* A posted store cannot fail: rejections are counted in stats. */
        dsa_wq_push(wq, &desc, dsa_portal_page_flags(pos.page),
                    DSA_PUSH_REPORT |
                        (dsa->cfg.workers == 0 ? DSA_PUSH_EXECUTE : 0));
    }
    return 0;
}

int
vidxd_dsa_portal_read(struct vidxd_dsa *dsa, uint64_t off, void *data,
                      unsigned size)
{
    if (data == NULL || !dsa_portal_access_ok(off, size, dsa->bar2_size)) {
        return -EINVAL;
    }
    memset(data, 0, size);
    return 0;
}

int
vidxd_dsa_portal_fd(struct vidxd_dsa *dsa, int *fd)
{
    if (dsa->portal_fd < 0) {
        return -EOPNOTSUPP;
    }
    *fd = dsa->portal_fd;
    return 0;
}
