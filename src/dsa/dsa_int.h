/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal state of the DSA device model, shared by its files: dsa.c
 * (state, create/reset, address spaces, error reporting), regs.c (BAR0
 * decode), cmd.c (commands), wq.c (rings, execution, workers) and portal.c
 * (BAR2).  What the vdev layer's emulation shares with this one (register
 * file, access rules, WQ bitmaps, slot assembly) is in emul.h / emul.c.
 *
 * Locks, in acquisition order:
 *   dsa->lock      recursive; commands (held across drains) and writes
 *                  of GENCFG/GRPCFG/WQCFG; register reads take no lock;
 *   wq->portal_lock trapped assembly and mapped polling of one WQ;
 *   wq->lock       the ring, the enabled flag and the run snapshot;
 *   dsa->as_lock   rwlock; read side held while a descriptor executes;
 *   dsa->rf.err_lock leaf: SWERR and INTCAUSE.
 * No lock but as_lock (read) is held while host ops run from the data path.
 */
#ifndef VIDXD_DSA_INT_H
#define VIDXD_DSA_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dsa/emul.h"
#include "vidxd/dsa.h"
#include "vidxd/engine.h"

#define DSA_LOG "dsa"
/* Slots from the expected one that dsa_portal_peek() looks at, per page. */
#define DSA_PORTAL_PEEK_SLOTS 4u
#define DSA_WQCFG_MAX_DWORDS 16

/* One queued descriptor with what the portal or WQ gave it. */
struct dsa_entry {
    struct vidxd_desc desc;
    uint32_t pasid; /* VIDXD_DSA_NO_PASID if none */
    bool priv;
    bool ims;
};

/* WQ parameters frozen by ENABLE_WQ (WQCFG cannot change while enabled). */
struct dsa_wq_run {
    bool dedicated;
    bool bof;
    bool pasid_en;
    bool priv;
    uint32_t pasid;
    uint32_t size;
    uint32_t thresh;
    unsigned xfer_shift;
    unsigned batch_shift;
};

struct dsa_wq {
    struct vidxd_dsa *dsa;
    unsigned id;

    /* WQCFG shadow, dword 6 excluded (computed); under dsa->lock. */
    uint32_t cfg[DSA_WQCFG_MAX_DWORDS];
    /* WQCFG.wq_state as seen by registers; under dsa->lock. */
    bool state_enabled;

    pthread_mutex_t lock;
    pthread_cond_t cond; /* done advanced or busy cleared */
    bool enabled;        /* accepting descriptors */
    bool busy;           /* an executor owns the WQ */
    bool exec_pending;   /* the executor has an entry in flight */
    pthread_t owner;     /* the executor, valid while busy */
    unsigned waiters;
    struct dsa_wq_run run;
    struct dsa_entry *ring;
    uint32_t cap;
    uint32_t head;
    uint32_t count;
    uint64_t seq_in;   /* entries ever queued */
    uint64_t seq_done; /* entries executed or discarded */

    /* The entry being executed; only the executor touches it. */
    const struct dsa_entry *cur;

    pthread_mutex_t portal_lock;
    struct dsa_slot *slots; /* DSA_PORTAL_SLOTS_PER_WQ, trapped assembly */
    /* Mapped: per page, the slot after the one consumed last, where a
     * rotating writer puts its next descriptor.  Written under
     * portal_lock, read lock-free by dsa_portal_peek() (__atomic). */
    uint8_t scan[VIDXD_PORTAL_PAGES_PER_WQ];
    /* Mapped: workers scan every slot of this WQ's pages on every pass
     * until this time (CLOCK_MONOTONIC ns), set when a scan found a
     * descriptor; afterwards only the expected slots (__atomic). */
    uint64_t hot_until;

    struct vidxd_dsa_wq_stats stats; /* __atomic updates */
};

struct dsa_pasid_as {
    uint32_t pasid;
    struct vidxd_as *as;
};

struct vidxd_dsa {
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_host_ops host;
    void *opaque;

    /* Capabilities (fixed at create), GENCTRL, GENSTS, CMDSTS, INTCAUSE
     * and SWERR; rf.err_lock is the leaf lock below. */
    struct dsa_regfile rf;
    unsigned num_msix;
    unsigned num_ims;
    uint64_t bar2_size;

    pthread_mutex_t lock;
    uint32_t gencfg;
    uint32_t cmd;
    uint64_t (*grpcfg)[8]; /* num_groups x 8 qwords */
    uint32_t *msixperm;    /* num_msix, __atomic */
    bool bme;              /* __atomic */

    struct dsa_wq *wqs;

    pthread_rwlock_t as_lock;
    struct vidxd_as *def_as;
    struct vidxd_as *empty_as;   /* stands in for a missing space */
    struct dsa_pasid_as *pasids; /* sorted by pasid */
    size_t npasids;
    size_t cap_pasids;

    int portal_fd;
    uint8_t *portal_mem; /* MAPPED mode only */

    /* Workers. */
    pthread_mutex_t ctl_lock; /* start/stop */
    pthread_mutex_t work_lock;
    pthread_cond_t work_cond;
    pthread_t *threads;
    unsigned nthreads;
    bool stopping;       /* __atomic */
    unsigned sleepers;   /* __atomic */
    unsigned worker_seq; /* __atomic: worker index allocation */
    uint64_t pending;    /* __atomic: entries in all rings */
    /* Mapped portals (wq.c "Idle polling"): the worker that watches them
     * while every worker sleeps (index + 1, 0 = none), and the times of
     * the next scans of every slot of the enabled WQs and of the others
     * (CLOCK_MONOTONIC ns).  All __atomic. */
    unsigned poller;
    uint64_t next_full_scan;
    uint64_t next_off_scan;
};

/* dsa.c */
void dsa_raise_intcause(struct vidxd_dsa *dsa, uint32_t bits);
void dsa_report_swerr(struct vidxd_dsa *dsa, uint64_t q0, uint64_t q1,
                      uint64_t q2);
void dsa_halt(struct vidxd_dsa *dsa, unsigned reset_type, uint8_t code);
void dsa_reset_config(struct vidxd_dsa *dsa);
void dsa_wq_reset_config(struct dsa_wq *wq);
struct vidxd_as *dsa_as_for(struct vidxd_dsa *dsa, uint32_t pasid);
unsigned dsa_state(const struct vidxd_dsa *dsa);

/* regs.c */
int dsa_regs_read(struct vidxd_dsa *dsa, uint64_t off, unsigned size,
                  uint64_t *val);
int dsa_regs_write(struct vidxd_dsa *dsa, uint64_t off, unsigned size,
                   uint64_t val);

/* cmd.c */
uint32_t dsa_cmd_issue(struct vidxd_dsa *dsa, uint32_t cmd);

/* wq.c */
int dsa_wq_init(struct vidxd_dsa *dsa, struct dsa_wq *wq, unsigned id);
void dsa_wq_fini(struct dsa_wq *wq);
int dsa_wq_enable(struct dsa_wq *wq, const struct dsa_wq_run *run);
void dsa_wq_disable(struct dsa_wq *wq);
void dsa_wq_drain(struct dsa_wq *wq);
void dsa_wq_abort(struct dsa_wq *wq, bool pasid_only, uint32_t pasid);
/* dsa_wq_push() modes. */
#define DSA_PUSH_EXECUTE 0x1u /* run the WQ in this thread afterwards */
#define DSA_PUSH_REPORT 0x2u  /* SWERR for a WQ that is not enabled */
#define DSA_PUSH_TRY 0x4u     /* full: return without counting a drop */
int dsa_wq_push(struct dsa_wq *wq, const struct vidxd_desc *desc,
                unsigned flags, unsigned mode);
void dsa_wq_report_not_enabled(struct dsa_wq *wq,
                               const struct vidxd_desc *desc);
unsigned dsa_wq_run(struct dsa_wq *wq, unsigned budget);
unsigned dsa_wq_occupancy(struct dsa_wq *wq);
int dsa_workers_start(struct vidxd_dsa *dsa);
void dsa_workers_stop(struct vidxd_dsa *dsa);
void dsa_workers_kick(struct vidxd_dsa *dsa);

/* portal.c */
int dsa_portal_init(struct vidxd_dsa *dsa);
void dsa_portal_fini(struct vidxd_dsa *dsa);
void dsa_portal_clear(struct vidxd_dsa *dsa, struct dsa_wq *wq);
unsigned dsa_portal_poll(struct vidxd_dsa *dsa, struct dsa_wq *wq);
unsigned dsa_portal_try_poll(struct vidxd_dsa *dsa, struct dsa_wq *wq);
bool dsa_portal_peek(struct vidxd_dsa *dsa, struct dsa_wq *wq);

/* Register state (GENCFG, GRPCFG, WQCFG, wq_state, the CMD latch) is
 * written under dsa->lock with DSA_STORE and read lock-free with DSA_LOAD,
 * so that a register read never waits for a command (which may be waiting
 * for the very thread that reads, inside a host op). */
#define DSA_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define DSA_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static inline uint64_t
dsa_stat_add(uint64_t *p, uint64_t v)
{
    return __atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

#endif /* VIDXD_DSA_INT_H */
