/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSA device model, work queues and workers.  Each WQ is a bounded ring
 * (capacity WQCFG.wq_size, dsa.md §1.7) executed in order by at most one
 * thread at a time, which gives ordering, fences and drain descriptors
 * their meaning (dsa.md §3.1).  Sequence counters make drain and abort
 * exact under concurrent submission: a drain waits for the descriptors
 * queued before it, not for the queue to become empty.  Workers poll the
 * WQs (and mapped portals) adaptively: they spin while work arrives and
 * back off to sleeping when idle (design.md "Threads").
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsa/dsa_int.h"
#include "vidxd/log.h"

#define RUN_BUDGET 64u /* descriptors per WQ per worker pass */

/*
 * Idle polling (design.md "Threads": idle devices cost nothing, busy ones
 * see sub-microsecond pickup).  A worker spins for SPIN_NS after its last
 * work, then sleeps.  Trapped portal writes and vidxd_dsa_wq_submit() kick
 * a sleeper (dsa_workers_kick), so sleeping needs no timer but a safety
 * net.  Mapped portals cannot kick: the guest stores into shared memory,
 * so somebody has to look, and on a device with 64 WQs one look at every
 * slot is 1 MiB.  Three things keep that cheap without losing a
 * descriptor (invariant 3):
 *  - one poller: when every worker sleeps, one of them wakes on a timer
 *    to look at the portals (take_poller); the others sleep until a
 *    submission kicks them, which the poller's own imports do;
 *  - expected slots: a WQ is scanned in full (every slot, dsa_portal_poll)
 *    on every pass only while it is hot, i.e. for HOT_NS after a scan
 *    found something.  Otherwise a pass peeks at the slots where a known
 *    writer puts its next descriptor (dsa_portal_peek: 20 cache lines per
 *    WQ instead of 256), and at nothing for a WQ that is not enabled.
 *    Every FULL_SCAN_NS one pass scans every slot of every enabled WQ, so
 *    that a descriptor in any slot is executed within FULL_SCAN_NS plus
 *    one poller sleep; every FULL_SCAN_OFF_NS one pass scans the WQs that
 *    are not enabled too, so that a store there is still dropped and
 *    reported in SWERR (dsa.md §1.7), only later;
 *  - backoff: the poller sleeps 1/2^POLL_IDLE_SHIFT of the time it has
 *    been idle, from SLEEP_MIN_NS up to SLEEP_MAX_POLL_NS, so a pickup is
 *    delayed by at most about 6 % of the idle gap before it and never by
 *    more than SLEEP_MAX_POLL_NS (the figures of vidxd/dsa.h).
 * A wake-up costs 20-70 us of CPU on a virtual machine host and a full
 * scan of 64 WQs 20-45 us: the sleep cap and the scan periods are what the
 * idle CPU of many devices is made of (bench/bench_vdev.c, idle_*).
 */
#define SPIN_NS 200000ull
#define SLEEP_MIN_NS 10000ull
#define SLEEP_MAX_KICKED_NS 1000000000ull
#define POLL_IDLE_SHIFT 4u
#define SLEEP_MAX_POLL_NS 64000000ull
#define FULL_SCAN_NS 128000000ull
#define FULL_SCAN_OFF_NS 1000000000ull
#define HOT_NS 1000000000ull

static void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    sched_yield();
#endif
}

int
dsa_wq_init(struct vidxd_dsa *dsa, struct dsa_wq *wq, unsigned id)
{
    wq->dsa = dsa;
    wq->id = id;
    wq->slots = calloc(DSA_PORTAL_SLOTS_PER_WQ, sizeof(*wq->slots));
    if (wq->slots == NULL) {
        return -ENOMEM;
    }
    pthread_mutex_init(&wq->lock, NULL);
    pthread_cond_init(&wq->cond, NULL);
    pthread_mutex_init(&wq->portal_lock, NULL);
    return 0;
}

void
dsa_wq_fini(struct dsa_wq *wq)
{
    free(wq->ring);
    free(wq->slots);
    pthread_mutex_destroy(&wq->portal_lock);
    pthread_cond_destroy(&wq->cond);
    pthread_mutex_destroy(&wq->lock);
}

/* Is the calling thread the one executing @wq?  (A host op that issues a
 * command touching its own WQ must not wait for itself.) */
static bool
executing_here(const struct dsa_wq *wq)
{
    return wq->busy && pthread_equal(wq->owner, pthread_self());
}

static void
wake_waiters(struct dsa_wq *wq)
{
    if (wq->waiters != 0) {
        pthread_cond_broadcast(&wq->cond);
    }
}

int
dsa_wq_enable(struct dsa_wq *wq, const struct dsa_wq_run *run)
{
    struct dsa_entry *ring = calloc(run->size, sizeof(*ring));

    if (ring == NULL) {
        return -ENOMEM;
    }
    pthread_mutex_lock(&wq->lock);
    free(wq->ring);
    wq->ring = ring;
    wq->cap = run->size;
    wq->head = 0;
    wq->count = 0;
    wq->run = *run;
    wq->enabled = true;
    pthread_mutex_unlock(&wq->lock);
    return 0;
}

/* Discard queued entries (all, or those of @pasid).  Caller holds
 * wq->lock. */
static void
discard_locked(struct dsa_wq *wq, bool pasid_only, uint32_t pasid)
{
    uint32_t i, kept = 0, n;

    if (!pasid_only) {
        n = wq->count;
        wq->head = 0;
        wq->count = 0;
    } else {
        for (i = 0; i < wq->count; i++) {
            struct dsa_entry *e = &wq->ring[(wq->head + i) % wq->cap];
            if (e->pasid != pasid) {
                wq->ring[(wq->head + kept) % wq->cap] = *e;
                kept++;
            }
        }
        n = wq->count - kept;
        wq->count = kept;
    }
    if (n == 0) {
        return;
    }
    wq->seq_done += n;
    dsa_stat_add(&wq->stats.aborted, n);
    __atomic_sub_fetch(&wq->dsa->pending, n, __ATOMIC_SEQ_CST);
    wake_waiters(wq);
}

/* Wait until the descriptor executing now (if any) has finished.  Caller
 * holds wq->lock. */
static void
wait_current_locked(struct dsa_wq *wq)
{
    uint64_t done = wq->seq_done;

    if (executing_here(wq)) {
        return;
    }
    while (wq->busy && wq->seq_done == done && wq->exec_pending) {
        wq->waiters++;
        pthread_cond_wait(&wq->cond, &wq->lock);
        wq->waiters--;
    }
}

void
dsa_wq_abort(struct dsa_wq *wq, bool pasid_only, uint32_t pasid)
{
    pthread_mutex_lock(&wq->lock);
    discard_locked(wq, pasid_only, pasid);
    wait_current_locked(wq);
    pthread_mutex_unlock(&wq->lock);
}

void
dsa_wq_disable(struct dsa_wq *wq)
{
    pthread_mutex_lock(&wq->lock);
    wq->enabled = false;
    discard_locked(wq, false, 0);
    if (!executing_here(wq)) {
        while (wq->busy) {
            wq->waiters++;
            pthread_cond_wait(&wq->cond, &wq->lock);
            wq->waiters--;
        }
        free(wq->ring);
        wq->ring = NULL;
        wq->cap = 0;
    }
    /* else: the executor (us, further up the stack) sees count == 0 and
     * stops; the ring is freed at the next enable or at destroy. */
    pthread_mutex_unlock(&wq->lock);
}

void
dsa_wq_drain(struct dsa_wq *wq)
{
    uint64_t target;

    /* Descriptors sitting in mapped portal slots were submitted before the
     * drain as far as the guest is concerned. */
    dsa_portal_poll(wq->dsa, wq);
    pthread_mutex_lock(&wq->lock);
    target = wq->seq_in;
    if (executing_here(wq)) {
        pthread_mutex_unlock(&wq->lock);
        return;
    }
    while (wq->seq_done < target) {
        if (!wq->busy && wq->count != 0) {
            /* Nobody is executing this WQ: do it ourselves. */
            pthread_mutex_unlock(&wq->lock);
            dsa_wq_run(wq, UINT32_MAX);
            pthread_mutex_lock(&wq->lock);
            continue;
        }
        wq->waiters++;
        pthread_cond_wait(&wq->cond, &wq->lock);
        wq->waiters--;
    }
    pthread_mutex_unlock(&wq->lock);
}

unsigned
dsa_wq_occupancy(struct dsa_wq *wq)
{
    unsigned n;

    pthread_mutex_lock(&wq->lock);
    n = wq->count;
    pthread_mutex_unlock(&wq->lock);
    return n;
}

/* --- Execution ---------------------------------------------------------- */

static bool
eng_int_handle_valid(void *opaque, uint16_t handle, bool ims)
{
    struct dsa_wq *wq = opaque;
    struct vidxd_dsa *dsa = wq->dsa;
    uint32_t pasid = wq->cur != NULL ? wq->cur->pasid : VIDXD_DSA_NO_PASID;

    if (dsa->host.int_handle_valid != NULL) {
        return dsa->host.int_handle_valid(dsa->opaque, handle, ims, pasid);
    }
    if (ims) {
        return handle < dsa->num_ims;
    }
    if (handle >= dsa->num_msix) {
        return false;
    }
    if (dsa->host.alloc_handle != NULL) {
        return true; /* handles are the host's: it must judge them */
    }
    return vidxd_dsa_msixperm_allows(dsa, handle, pasid);
}

bool
vidxd_dsa_msixperm_allows(struct vidxd_dsa *dsa, unsigned vector,
                          uint32_t pasid)
{
    uint32_t perm;

    if (vector >= dsa->num_msix) {
        return false;
    }
    /* MSIXPERM with pasid_en admits only descriptors of that PASID
     * (dsa.md §1.5; Linux sets it for kernel WQs with a PASID, §2.3). */
    perm = __atomic_load_n(&dsa->msixperm[vector], __ATOMIC_ACQUIRE);
    if ((perm & VIDXD_MSIXPERM_PASID_EN) != 0) {
        return pasid != VIDXD_DSA_NO_PASID &&
               pasid == (perm >> VIDXD_MSIXPERM_PASID_SHIFT);
    }
    return true;
}

static void
eng_interrupt(void *opaque, uint16_t handle, bool ims)
{
    struct dsa_wq *wq = opaque;
    struct vidxd_dsa *dsa = wq->dsa;

    /* MSIXPERM.ignore: requests through this entry are dropped (the
     * completion record is still written). */
    if (!ims && dsa->host.alloc_handle == NULL && handle < dsa->num_msix &&
        (__atomic_load_n(&dsa->msixperm[handle], __ATOMIC_ACQUIRE) &
         VIDXD_MSIXPERM_IGNORE) != 0) {
        return;
    }
    if (dsa->host.interrupt != NULL) {
        dsa->host.interrupt(dsa->opaque, handle, ims);
    }
}

/* An error the engine could not put in a completion record goes to SWERR
 * with the WQ, opcode, PASID and fault address (dsa.md §1.6, §3.2). */
static void
eng_error(void *opaque, const struct vidxd_engine_error *err)
{
    struct dsa_wq *wq = opaque;
    uint32_t pasid = err->pasid;
    bool priv = err->priv;
    uint64_t q0;

    if (wq->cur != NULL) {
        pasid = wq->cur->pasid == VIDXD_DSA_NO_PASID ? 0 : wq->cur->pasid;
        priv = wq->cur->priv;
    }
    q0 = VIDXD_SWERR_DESC_VALID | VIDXD_SWERR_WQ_IDX_VALID |
         (err->batch ? VIDXD_SWERR_BATCH : 0) |
         (err->fault_write ? VIDXD_SWERR_FAULT_RW : 0) |
         (priv ? VIDXD_SWERR_PRIV : 0) |
         ((uint64_t)(err->status & VIDXD_STATUS_MASK)
          << VIDXD_SWERR_ERROR_SHIFT) |
         ((uint64_t)wq->id << VIDXD_SWERR_WQ_IDX_SHIFT) |
         ((uint64_t)err->opcode << VIDXD_SWERR_OPERATION_SHIFT) |
         ((uint64_t)(pasid & VIDXD_DESC_PASID_MASK) << VIDXD_SWERR_PASID_SHIFT);
    VIDXD_LOG_RATELIMIT(LOG_INFO, DSA_LOG,
                        "WQ %u: opcode 0x%x error 0x%x at 0x%llx reported "
                        "in SWERR",
                        wq->id, err->opcode, err->status,
                        (unsigned long long)err->fault_addr);
    dsa_report_swerr(wq->dsa, q0,
                     err->batch_idx | ((uint64_t)err->invalid_flags << 32),
                     err->fault_addr);
}

static const struct vidxd_engine_ops engine_ops = {
    .int_handle_valid = eng_int_handle_valid,
    .interrupt = eng_interrupt,
    .error = eng_error,
};

/*
 * An executor's hold on the address spaces.  Entering a space (and the
 * read side of dsa->as_lock, which keeps the PASID table and the spaces in
 * it alive) costs a few atomic operations, more than executing a small
 * descriptor, so an executor keeps them across a sweep: up to SWEEP_DESCS
 * descriptors or SWEEP_BYTES bytes of one dsa_wq_run() call.  It leaves
 * between sweeps, so an unmap (or a PASID table change) waits for at most
 * the rest of one sweep: vidxd_as locks prefer writers, so the executor's
 * next enter queues behind a waiting unmap.
 *
 * While holding them the executor takes wq->lock between descriptors.
 * That is safe because nobody takes dsa->as_lock or a space's lock for
 * writing, or enters a space, while holding wq->lock.
 */
#define SWEEP_DESCS RUN_BUDGET
#define SWEEP_BYTES (1ull << 20)

struct sweep {
    bool held;           /* dsa->as_lock read side */
    struct vidxd_as *as; /* entered, or NULL */
    uint32_t pasid;      /* the PASID @as was looked up for */
    unsigned descs;      /* executed in this sweep */
    uint64_t bytes;
};

static struct vidxd_as *
sweep_as(struct vidxd_dsa *dsa, struct sweep *sw, uint32_t pasid)
{
    struct vidxd_as *as;

    if (!sw->held) {
        pthread_rwlock_rdlock(&dsa->as_lock);
        sw->held = true;
        sw->descs = 0;
        sw->bytes = 0;
    } else if (sw->as != NULL && sw->pasid == pasid) {
        return sw->as;
    }
    as = dsa_as_for(dsa, pasid);
    if (as != sw->as) {
        /* Never inside two spaces at once: an unmap pending on the second
         * could otherwise wait for us while we wait for it. */
        if (sw->as != NULL) {
            vidxd_as_leave(sw->as);
        }
        vidxd_as_enter(as);
        sw->as = as;
    }
    sw->pasid = pasid;
    return as;
}

static void
sweep_end(struct vidxd_dsa *dsa, struct sweep *sw)
{
    if (!sw->held) {
        return;
    }
    if (sw->as != NULL) {
        vidxd_as_leave(sw->as);
        sw->as = NULL;
    }
    pthread_rwlock_unlock(&dsa->as_lock);
    sw->held = false;
}

/*
 * The entry queued behind the one about to execute, if any: its buffers
 * are prefetched while the current one runs (see prefetch_next()).
 */
struct peek {
    bool valid;
    uint32_t pasid;
    uint64_t src, dst, cra;
    uint32_t size;
    uint32_t flags;
};

static void
peek_next_locked(const struct dsa_wq *wq, struct peek *pk)
{
    const struct dsa_entry *n;

    pk->valid = wq->count != 0;
    if (!pk->valid) {
        return;
    }
    n = &wq->ring[wq->head];
    pk->pasid = n->pasid;
    pk->src = n->desc.src;
    pk->dst = n->desc.dst;
    pk->cra = n->desc.completion_addr;
    pk->size = n->desc.xfer_size;
    pk->flags = vidxd_desc_flags(&n->desc);
}

/*
 * A backlogged queue is a stream of descriptors whose guest buffers are
 * rarely in this thread's caches.  Prefetching the first lines of the next
 * descriptor's source, destination and record (when it goes to the space
 * we are in) lets their cache and TLB misses overlap the current
 * descriptor instead of following it; the hardware prefetchers do the
 * rest of a long buffer.  Pure hints: the fields are not validated (a
 * field that is no address for its opcode just translates to nothing or
 * to the guest's own memory), nothing can fault.  Zero fields, which is
 * what an operation's unused ones hold, are skipped: looking them up costs
 * more than it can gain.
 */
static void
prefetch_next(struct sweep *sw, const struct peek *pk, uint32_t pasid)
{
    if (!pk->valid || pk->pasid != pasid) {
        return;
    }
    if (pk->src != 0) {
        vidxd_as_prefetch(sw->as, pk->src, pk->size, VIDXD_MEM_READ);
    }
    if (pk->dst != 0) {
        vidxd_as_prefetch(sw->as, pk->dst, pk->size, VIDXD_MEM_WRITE);
    }
    if ((pk->flags & VIDXD_FLAG_CRAV) != 0) {
        vidxd_as_prefetch(sw->as, pk->cra, sizeof(struct vidxd_comp),
                          VIDXD_MEM_WRITE);
    }
}

static void
execute(struct dsa_wq *wq, const struct dsa_entry *e,
        const struct dsa_wq_run *run, struct sweep *sw, const struct peek *pk)
{
    struct vidxd_dsa *dsa = wq->dsa;
    struct vidxd_engine_stats st = {0};
    struct vidxd_engine_ctx ctx = {
        .ops = &engine_ops,
        .opaque = wq,
        .gencap = dsa->rf.gencap,
        .max_xfer_size = 1ull << run->xfer_shift,
        .max_batch_size = 1u << run->batch_shift,
        .wq_bof = run->bof,
        .ims = e->ims,
        .stats = &st,
    };

    memcpy(ctx.opcap, dsa->cfg.opcap, sizeof(ctx.opcap));
    ctx.as = sweep_as(dsa, sw, e->pasid);
    prefetch_next(sw, pk, e->pasid);
    wq->cur = e;
    vidxd_engine_execute(&ctx, &e->desc);
    wq->cur = NULL;
    dsa_stat_add(&wq->stats.ops, st.ops);
    dsa_stat_add(&wq->stats.bytes, st.bytes);
    if (st.errors != 0) {
        dsa_stat_add(&wq->stats.errors, st.errors);
    }
    sw->descs++;
    sw->bytes += st.bytes;
    if (sw->descs >= SWEEP_DESCS || sw->bytes >= SWEEP_BYTES) {
        sweep_end(dsa, sw);
    }
}

unsigned
dsa_wq_run(struct dsa_wq *wq, unsigned budget)
{
    struct dsa_entry e;
    struct dsa_wq_run run;
    struct sweep sw = {0};
    struct peek pk;
    unsigned n = 0;

    pthread_mutex_lock(&wq->lock);
    if (wq->busy || wq->count == 0) {
        pthread_mutex_unlock(&wq->lock);
        return 0;
    }
    wq->busy = true;
    wq->owner = pthread_self();
    while (wq->count != 0 && n < budget) {
        e = wq->ring[wq->head];
        wq->head = (wq->head + 1) % wq->cap;
        wq->count--;
        wq->exec_pending = true;
        run = wq->run;
        __atomic_sub_fetch(&wq->dsa->pending, 1, __ATOMIC_SEQ_CST);
        peek_next_locked(wq, &pk);
        pthread_mutex_unlock(&wq->lock);
        execute(wq, &e, &run, &sw, &pk);
        pthread_mutex_lock(&wq->lock);
        wq->exec_pending = false;
        wq->seq_done++;
        n++;
        wake_waiters(wq);
    }
    wq->busy = false;
    wake_waiters(wq);
    pthread_mutex_unlock(&wq->lock);
    sweep_end(wq->dsa, &sw);
    return n;
}

/* --- Submission --------------------------------------------------------- */

void
dsa_wq_report_not_enabled(struct dsa_wq *wq, const struct vidxd_desc *desc)
{
    struct vidxd_dsa *dsa = wq->dsa;

    if (dsa_state(dsa) == VIDXD_GENSTS_HALT) {
        return; /* a halted device reports nothing more */
    }
    VIDXD_LOG_RATELIMIT(LOG_INFO, DSA_LOG,
                        "descriptor for disabled WQ %u dropped", wq->id);
    dsa_report_swerr(
        dsa,
        VIDXD_SWERR_DESC_VALID | VIDXD_SWERR_WQ_IDX_VALID |
            ((uint64_t)VIDXD_SWERR_WQ_NOT_ENABLED << VIDXD_SWERR_ERROR_SHIFT) |
            ((uint64_t)wq->id << VIDXD_SWERR_WQ_IDX_SHIFT) |
            ((uint64_t)vidxd_desc_opcode(desc) << VIDXD_SWERR_OPERATION_SHIFT) |
            ((uint64_t)(desc->pasid_priv & VIDXD_DESC_PASID_MASK)
             << VIDXD_SWERR_PASID_SHIFT),
        0, 0);
}

int
dsa_wq_push(struct dsa_wq *wq, const struct vidxd_desc *desc, unsigned flags,
            unsigned mode)
{
    struct dsa_entry e;
    uint32_t limit;

    e.desc = *desc;
    e.ims = (flags & VIDXD_DSA_SUBMIT_IMS) != 0;
    pthread_mutex_lock(&wq->lock);
    if (!wq->enabled) {
        pthread_mutex_unlock(&wq->lock);
        dsa_stat_add(&wq->stats.dropped, 1);
        if ((mode & DSA_PUSH_REPORT) != 0) {
            dsa_wq_report_not_enabled(wq, desc);
        }
        return -ENXIO;
    }
    if (wq->run.dedicated) {
        /* A DWQ uses WQCFG's PASID and privilege; the descriptor's are
         * ignored (dsa.md §2.4). */
        e.pasid = wq->run.pasid_en ? wq->run.pasid : VIDXD_DSA_NO_PASID;
        e.priv = wq->run.priv;
        limit = wq->cap;
    } else {
        e.pasid = desc->pasid_priv & VIDXD_DESC_PASID_MASK;
        e.priv = (desc->pasid_priv & VIDXD_DESC_PRIV) != 0;
        /* The limited portal enforces WQCFG.wq_thresh (dsa.md §1.7). */
        limit = (flags & VIDXD_DSA_SUBMIT_LIMITED) ? wq->run.thresh : wq->cap;
    }
    e.desc.pasid_priv = (e.pasid == VIDXD_DSA_NO_PASID ? 0 : e.pasid) |
                        (e.priv ? VIDXD_DESC_PRIV : 0);
    if (wq->count >= limit) {
        bool dedicated = wq->run.dedicated;

        pthread_mutex_unlock(&wq->lock);
        if ((mode & DSA_PUSH_TRY) != 0) {
            return dedicated ? -ENOSPC : -EAGAIN;
        }
        if (dedicated) {
            /* MOVDIR64B to a full DWQ: silently dropped (dsa.md §1.7). */
            dsa_stat_add(&wq->stats.dropped, 1);
            return -ENOSPC;
        }
        dsa_stat_add(&wq->stats.rejected, 1);
        return -EAGAIN;
    }
    wq->ring[(wq->head + wq->count) % wq->cap] = e;
    wq->count++;
    wq->seq_in++;
    __atomic_add_fetch(&wq->dsa->pending, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&wq->lock);
    dsa_stat_add(&wq->stats.submitted, 1);
    if ((mode & DSA_PUSH_EXECUTE) != 0) {
        dsa_wq_run(wq, UINT32_MAX);
    } else {
        dsa_workers_kick(wq->dsa);
    }
    return 0;
}

int
vidxd_dsa_wq_submit(struct vidxd_dsa *dsa, unsigned wq,
                    const struct vidxd_desc *desc, unsigned flags)
{
    if (wq >= dsa->cfg.num_wqs || desc == NULL ||
        (flags & ~(VIDXD_DSA_SUBMIT_IMS | VIDXD_DSA_SUBMIT_LIMITED)) != 0) {
        return -EINVAL;
    }
    return dsa_wq_push(&dsa->wqs[wq], desc, flags,
                       DSA_PUSH_REPORT |
                           (dsa->cfg.workers == 0 ? DSA_PUSH_EXECUTE : 0));
}

int
vidxd_dsa_process(struct vidxd_dsa *dsa)
{
    unsigned i, imported, executed;
    int n = 0;

    /* Stop when a pass makes no progress (a WQ still queued then belongs
     * to another executor, possibly our own caller). */
    do {
        imported = 0;
        executed = 0;
        for (i = 0; i < dsa->cfg.num_wqs; i++) {
            imported += dsa_portal_poll(dsa, &dsa->wqs[i]);
            executed += dsa_wq_run(&dsa->wqs[i], UINT32_MAX);
        }
        n += (int)executed;
    } while ((imported != 0 || executed != 0) && n < INT32_MAX / 2);
    return n;
}

/* --- Workers ------------------------------------------------------------ */

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Is this pass the periodic scan whose next time is *@next?  One pass
 * per @period, by whichever worker gets there first. */
static bool
scan_due(uint64_t *next, uint64_t now, uint64_t period)
{
    uint64_t due = __atomic_load_n(next, __ATOMIC_RELAXED);

    return now >= due &&
           __atomic_compare_exchange_n(next, &due, now + period, false,
                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Scans of every slot due in this pass (see "Idle polling"). */
#define SCAN_ENABLED 0x1u
#define SCAN_DISABLED 0x2u

/* One worker's look at @wq's mapped portal pages (see "Idle polling"). */
static unsigned
worker_poll(struct vidxd_dsa *dsa, struct dsa_wq *wq, uint64_t now,
            unsigned full)
{
    unsigned n;

    if (now >= __atomic_load_n(&wq->hot_until, __ATOMIC_RELAXED)) {
        bool on = DSA_LOAD(&wq->state_enabled);

        if ((full & (on ? SCAN_ENABLED : SCAN_DISABLED)) == 0 &&
            (!on || !dsa_portal_peek(dsa, wq))) {
            return 0;
        }
    }
    /* A worker already scanning this WQ takes in what is there. */
    n = dsa_portal_try_poll(dsa, wq);
    if (n != 0) {
        __atomic_store_n(&wq->hot_until, now + HOT_NS, __ATOMIC_RELAXED);
    }
    return n;
}

/*
 * The poller role.  A worker about to sleep takes it if it found work since
 * it last slept (so that the poller's idle time is the device's) or if
 * nobody has it; a worker about to execute gives it up and kicks a sleeper
 * to take it, because a descriptor may keep it busy for long (up to 2 GiB
 * of copy) while other WQs wait to be looked at.  The role goes only to a
 * worker about to sleep as the poller and is left only by a worker that is
 * awake and will sleep again, so while every worker sleeps one of them is
 * the poller.  One that lost the role while asleep polls once more, then
 * sleeps until kicked.
 */
enum take { TAKE_NO, TAKE_KEPT, TAKE_FREE };

static enum take
take_poller(struct vidxd_dsa *dsa, unsigned self, bool active)
{
    unsigned cur = __atomic_load_n(&dsa->poller, __ATOMIC_SEQ_CST);

    if (cur == self) {
        return TAKE_KEPT;
    }
    if (active) {
        __atomic_store_n(&dsa->poller, self, __ATOMIC_SEQ_CST);
        return TAKE_KEPT;
    }
    if (cur == 0 &&
        __atomic_compare_exchange_n(&dsa->poller, &cur, self, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        return TAKE_FREE;
    }
    return TAKE_NO;
}

static void
give_up_poller(struct vidxd_dsa *dsa, unsigned self)
{
    unsigned cur = self;

    if (__atomic_load_n(&dsa->poller, __ATOMIC_RELAXED) == self &&
        __atomic_compare_exchange_n(&dsa->poller, &cur, 0, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
        dsa_workers_kick(dsa);
    }
}

static void
sleep_idle(struct vidxd_dsa *dsa, uint64_t ns)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ns / 1000000000ull);
    ts.tv_nsec += (long)(ns % 1000000000ull);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&dsa->work_lock);
    /* Announce the sleep, then look for work: a submitter increments
     * pending before it reads sleepers, so one of us sees the other. */
    __atomic_add_fetch(&dsa->sleepers, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&dsa->pending, __ATOMIC_SEQ_CST) == 0 &&
        !__atomic_load_n(&dsa->stopping, __ATOMIC_SEQ_CST)) {
        pthread_cond_timedwait(&dsa->work_cond, &dsa->work_lock, &ts);
    }
    __atomic_sub_fetch(&dsa->sleepers, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&dsa->work_lock);
}

static void *
worker_main(void *arg)
{
    struct vidxd_dsa *dsa = arg;
    /* 1-based: 0 means "no poller". */
    unsigned self = __atomic_add_fetch(&dsa->worker_seq, 1, __ATOMIC_RELAXED);
    unsigned naps = 0, nwq = dsa->cfg.num_wqs, k;
    bool mapped = dsa->portal_mem != NULL, active = true;
    /* Last work found; start of the poller's backoff (last work, or when
     * the role came free to this worker). */
    uint64_t idle_since = now_ns(), backoff_since = idle_since;

    while (!__atomic_load_n(&dsa->stopping, __ATOMIC_ACQUIRE)) {
        uint64_t now = now_ns(), ns;
        unsigned n = 0, full = 0;
        enum take take;

        if (mapped) {
            full = (scan_due(&dsa->next_full_scan, now, FULL_SCAN_NS)
                        ? SCAN_ENABLED
                        : 0) |
                   (scan_due(&dsa->next_off_scan, now, FULL_SCAN_OFF_NS)
                        ? SCAN_DISABLED
                        : 0);
        }

        for (k = 0; k < nwq; k++) {
            struct dsa_wq *wq = &dsa->wqs[(self + k) % nwq];
            if (mapped) {
                n += worker_poll(dsa, wq, now, full);
            }
            if (__atomic_load_n(&dsa->pending, __ATOMIC_ACQUIRE) != 0) {
                if (mapped) {
                    give_up_poller(dsa, self);
                }
                n += dsa_wq_run(wq, RUN_BUDGET);
            }
        }
        if (n != 0) {
            idle_since = now;
            backoff_since = now;
            naps = 0;
            active = true;
            continue;
        }
        if (now - idle_since < SPIN_NS) {
            cpu_relax();
            continue;
        }
        if (__atomic_load_n(&dsa->pending, __ATOMIC_SEQ_CST) != 0) {
            /* Work exists but another worker owns its WQ. */
            sched_yield();
            continue;
        }
        take = mapped ? take_poller(dsa, self, active) : TAKE_NO;
        if (take == TAKE_FREE) {
            backoff_since = now;
        }
        if (take != TAKE_NO) {
            ns = (now - backoff_since) >> POLL_IDLE_SHIFT;
            ns = ns < SLEEP_MIN_NS        ? SLEEP_MIN_NS
                 : ns > SLEEP_MAX_POLL_NS ? SLEEP_MAX_POLL_NS
                                          : ns;
        } else {
            ns = SLEEP_MIN_NS << (naps > 17 ? 17 : naps);
            ns = ns < SLEEP_MAX_KICKED_NS ? ns : SLEEP_MAX_KICKED_NS;
            naps++;
        }
        active = false;
        sleep_idle(dsa, ns);
    }
    return NULL;
}

int
dsa_workers_start(struct vidxd_dsa *dsa)
{
    unsigned i;
    int rc;

    if (dsa->cfg.workers == 0 || dsa->threads != NULL) {
        return 0;
    }
    dsa->threads = calloc(dsa->cfg.workers, sizeof(*dsa->threads));
    if (dsa->threads == NULL) {
        return -ENOMEM;
    }
    __atomic_store_n(&dsa->stopping, false, __ATOMIC_RELEASE);
    /* No worker runs: restart the indexes and the poller role. */
    __atomic_store_n(&dsa->worker_seq, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&dsa->poller, 0, __ATOMIC_RELAXED);
    for (i = 0; i < dsa->cfg.workers; i++) {
        rc = pthread_create(&dsa->threads[i], NULL, worker_main, dsa);
        if (rc != 0) {
            dsa->nthreads = i;
            dsa_workers_stop(dsa);
            return -rc;
        }
    }
    dsa->nthreads = dsa->cfg.workers;
    return 0;
}

void
dsa_workers_stop(struct vidxd_dsa *dsa)
{
    unsigned i;

    if (dsa->threads == NULL) {
        return;
    }
    pthread_mutex_lock(&dsa->work_lock);
    __atomic_store_n(&dsa->stopping, true, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&dsa->work_cond);
    pthread_mutex_unlock(&dsa->work_lock);
    for (i = 0; i < dsa->nthreads; i++) {
        pthread_join(dsa->threads[i], NULL);
    }
    free(dsa->threads);
    dsa->threads = NULL;
    dsa->nthreads = 0;
}

void
dsa_workers_kick(struct vidxd_dsa *dsa)
{
    if (__atomic_load_n(&dsa->sleepers, __ATOMIC_SEQ_CST) == 0) {
        return;
    }
    pthread_mutex_lock(&dsa->work_lock);
    pthread_cond_signal(&dsa->work_cond);
    pthread_mutex_unlock(&dsa->work_lock);
}

int
vidxd_dsa_start(struct vidxd_dsa *dsa)
{
    int rc;

    pthread_mutex_lock(&dsa->ctl_lock);
    rc = dsa_workers_start(dsa);
    pthread_mutex_unlock(&dsa->ctl_lock);
    return rc;
}

void
vidxd_dsa_stop(struct vidxd_dsa *dsa)
{
    pthread_mutex_lock(&dsa->ctl_lock);
    dsa_workers_stop(dsa);
    pthread_mutex_unlock(&dsa->ctl_lock);
}
