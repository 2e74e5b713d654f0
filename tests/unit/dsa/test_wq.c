/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Work queues under worker threads (design.md "Threads", invariant 3): no
 * descriptor lost or executed twice, every RCI completion raises exactly
 * one interrupt after its record, drain and disable wait for what was
 * submitted before them, abort/reset account for every descriptor, and
 * stop/start keep queued work.  Only outcomes are asserted; waits are
 * bounded so that a lost descriptor fails instead of hanging.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define NWQ 4
#define DEPTH 16
#define CMD(c, op) (((uint32_t)(c) << 20) | (op))
#define CR_BASE 0x80000u /* 32-byte records, one per descriptor */
#define SRC_BASE 0x10000u
#define DST_BASE 0x40000u
#define LEN 256u

static void
nap(void)
{
    struct timespec ts = {0, 50000};

    nanosleep(&ts, NULL);
}

/* Wait (bounded, about 60 s) for *p to become non-zero. */
static bool
wait_status(const uint8_t *p)
{
    unsigned i;

    for (i = 0; i < 1200000; i++) {
        if (__atomic_load_n(p, __ATOMIC_ACQUIRE) != 0) {
            return true;
        }
        if (i > 100) {
            nap();
        } else {
            sched_yield();
        }
    }
    return false;
}

static void
setup_wqs(struct harness *h, const struct vidxd_dsa_config *cfg)
{
    unsigned w;

    h_init(h, cfg);
    for (w = 0; w < NWQ; w++) {
        h_quick_enable(h, w, DEPTH);
    }
}

/* Descriptor @i of WQ @w: copy LEN bytes into its own destination, with
 * its own record, RCI on vector w + 1. */
static void
make_desc(struct harness *h, unsigned i, unsigned w, struct vidxd_desc *d)
{
    uint8_t *src = h_ptr(h, SRC_BASE + (i % 64) * LEN);

    h_memmove_desc(d, h_iova(h, src), H_IOVA + DST_BASE + (i % 512) * LEN, LEN,
                   H_IOVA + CR_BASE + 32ull * i,
                   VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI,
                   (uint16_t)(w + 1));
}

static void
fill_sources(struct harness *h)
{
    unsigned i;

    for (i = 0; i < 64 * LEN; i++) {
        *(uint8_t *)h_ptr(h, SRC_BASE + i) = (uint8_t)(i * 13 + 1);
    }
}

/* N descriptors round-robin over the WQs through trapped portal writes
 * (in 8-byte pieces for odd i), never more than DEPTH outstanding per WQ,
 * as a driver sized to the WQ does. */
static void
run_trapped(struct harness *h, unsigned n)
{
    struct vidxd_dsa_wq_stats st;
    unsigned i, k, w, ops = 0;

    fill_sources(h);
    memset(h_ptr(h, CR_BASE), 0, 32ull * n);
    for (i = 0; i < n; i++) {
        struct vidxd_desc d;
        uint64_t portal;

        w = i % NWQ;
        if (i >= NWQ * DEPTH) {
            assert_true(
                wait_status(h_ptr(h, CR_BASE + 32ull * (i - NWQ * DEPTH))));
        }
        make_desc(h, i, w, &d);
        portal = (uint64_t)w * 0x4000 + 0x1000 + 64ull * (i % 64);
        if (i % 2) {
            for (k = 0; k < 8; k++) {
                assert_int_equal(vidxd_dsa_portal_write(h->dsa, portal + 8 * k,
                                                        (uint8_t *)&d + 8 * k,
                                                        8),
                                 0);
            }
        } else {
            assert_int_equal(vidxd_dsa_portal_write(h->dsa, portal, &d, 64), 0);
        }
    }
    for (i = 0; i < n; i++) {
        uint8_t *cr = h_ptr(h, CR_BASE + 32ull * i);
        assert_true(wait_status(cr));
        assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    }
    /* The record precedes its interrupt: drain so that the executors have
     * finished (interrupt delivered) before counting. */
    assert_int_equal(h_cmd(h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
    for (w = 0; w < NWQ; w++) {
        assert_int_equal(vidxd_dsa_wq_stats(h->dsa, w, &st), 0);
        assert_int_equal(st.dropped, 0);
        assert_int_equal(st.submitted, n / NWQ);
        assert_int_equal(st.ops, n / NWQ);
        /* Exactly one interrupt per completion. */
        assert_int_equal(__atomic_load_n(&h->msix[w + 1], __ATOMIC_RELAXED),
                         n / NWQ);
        ops += (unsigned)st.ops;
    }
    assert_int_equal(ops, n);
    assert_memory_equal(h_ptr(h, DST_BASE + 5 * LEN),
                        h_ptr(h, SRC_BASE + 5 * LEN), LEN);
}

static void
test_workers_trapped(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    setup_wqs(&h, &cfg);
    run_trapped(&h, 4000);
    h_fini(&h);
}

/* Mapped portal with the documented protocol, one writer per WQ page. */
static void
test_workers_mapped(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_wq_stats st;
    struct harness h;
    uint8_t *bar2;
    unsigned i, j, w, n = 2000, slot[NWQ] = {0};
    int fd;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    setup_wqs(&h, &cfg);
    assert_int_equal(vidxd_dsa_portal_fd(h.dsa, &fd), 0);
    bar2 = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(bar2 != MAP_FAILED);
    fill_sources(&h);
    memset(h_ptr(&h, CR_BASE), 0, 32ull * n);
    for (i = 0; i < n; i++) {
        struct vidxd_desc d;
        uint64_t *q, *s;

        w = i % NWQ;
        if (i >= NWQ * DEPTH) {
            assert_true(
                wait_status(h_ptr(&h, CR_BASE + 32ull * (i - NWQ * DEPTH))));
        }
        make_desc(&h, i, w, &d);
        q = (uint64_t *)&d;
        s = (uint64_t *)(bar2 + (size_t)w * 0x4000 + 0x1000 + 64 * slot[w]);
        /* A slot is reused only after the poller released it. */
        for (j = 0; __atomic_load_n(&s[0], __ATOMIC_ACQUIRE) != 0; j++) {
            assert_true(j < 1200000);
            nap();
        }
        for (j = 1; j < 8; j++) {
            __atomic_store_n(&s[j], q[j], __ATOMIC_RELAXED);
        }
        __atomic_store_n(&s[0], q[0], __ATOMIC_RELEASE);
        slot[w] = (slot[w] + 1) % 64;
    }
    for (i = 0; i < n; i++) {
        uint8_t *cr = h_ptr(&h, CR_BASE + 32ull * i);
        assert_true(wait_status(cr));
        assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    }
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
    for (w = 0; w < NWQ; w++) {
        assert_int_equal(vidxd_dsa_wq_stats(h.dsa, w, &st), 0);
        assert_int_equal(st.ops, n / NWQ);
        assert_int_equal(st.dropped, 0);
        assert_int_equal(__atomic_load_n(&h.msix[w + 1], __ATOMIC_RELAXED),
                         n / NWQ);
    }
    munmap(bar2, 0x20000);
    h_fini(&h);
}

/* Store @d into mapped slot @slot of page @page of WQ @w by the protocol
 * of vidxd/dsa.h: wait (bounded) until the slot is free, qwords 1..7,
 * then qword 0.  Returns the slot. */
static uint64_t *
mapped_store(uint8_t *bar2, unsigned w, unsigned page, unsigned slot,
             const struct vidxd_desc *d)
{
    const uint64_t *q = (const uint64_t *)d;
    uint64_t *s = (uint64_t *)(bar2 + (size_t)w * VIDXD_PORTAL_WQ_STRIDE +
                               (size_t)page * VIDXD_PORTAL_PAGE +
                               (size_t)slot * VIDXD_PORTAL_SLOT);
    unsigned j;

    for (j = 0; __atomic_load_n(&s[0], __ATOMIC_ACQUIRE) != 0; j++) {
        assert_true(j < 1200000);
        nap();
    }
    for (j = 1; j < 8; j++) {
        __atomic_store_n(&s[j], q[j], __ATOMIC_RELAXED);
    }
    __atomic_store_n(&s[0], q[0], __ATOMIC_RELEASE);
    return s;
}

static uint8_t *
map_bar2(struct harness *h)
{
    uint8_t *bar2;
    int fd;

    assert_int_equal(vidxd_dsa_portal_fd(h->dsa, &fd), 0);
    bar2 = mmap(NULL, vidxd_dsa_bar2_size(h->dsa), PROT_READ | PROT_WRITE,
                MAP_SHARED, fd, 0);
    assert_true(bar2 != MAP_FAILED);
    return bar2;
}

/*
 * An idle mapped device looks only at the slots where a known writer puts
 * its next descriptor, plus a periodic scan of every slot (dsa/wq.c "Idle
 * polling").  Descriptors stored elsewhere (slot 37 of WQ 2's limited
 * page, slot 58 of WQ 3's unlimited page) are still executed, exactly
 * once: one record, one interrupt, one op, the slot released.  The wait
 * is bounded (about 60 s) far above the scan period.
 */
static void
test_mapped_any_slot(void **state)
{
    static const unsigned wq[2] = {2, 3}, page[2] = {1, 0}, slot[2] = {37, 58};
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_wq_stats st;
    struct harness h;
    uint64_t *s[2];
    uint8_t *bar2;
    unsigned i;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    setup_wqs(&h, &cfg);
    bar2 = map_bar2(&h);
    fill_sources(&h);
    memset(h_ptr(&h, CR_BASE), 0, 64);
    for (i = 0; i < 2; i++) {
        struct vidxd_desc d;

        make_desc(&h, i, wq[i], &d);
        s[i] = mapped_store(bar2, wq[i], page[i], slot[i], &d);
    }
    for (i = 0; i < 2; i++) {
        uint8_t *cr = h_ptr(&h, CR_BASE + 32ull * i);

        assert_true(wait_status(cr));
        assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
        assert_memory_equal(h_ptr(&h, DST_BASE + i * LEN),
                            h_ptr(&h, SRC_BASE + i * LEN), LEN);
        assert_int_equal(__atomic_load_n(&s[i][0], __ATOMIC_ACQUIRE), 0);
    }
    /* Whatever is still in a slot would be taken in and run by the drain. */
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
    for (i = 0; i < 2; i++) {
        assert_int_equal(vidxd_dsa_wq_stats(h.dsa, wq[i], &st), 0);
        assert_int_equal(st.submitted, 1);
        assert_int_equal(st.ops, 1);
        assert_int_equal(st.dropped, 0);
        assert_int_equal(__atomic_load_n(&h.msix[wq[i] + 1], __ATOMIC_RELAXED),
                         1);
    }
    assert_int_equal(__atomic_load_n(&h.nirq, __ATOMIC_RELAXED), 2);
    munmap(bar2, vidxd_dsa_bar2_size(h.dsa));
    h_fini(&h);
}

/* Slows the executor down (a host op on the worker thread). */
static void
hook_nap(struct harness *h, unsigned index, bool ims)
{
    (void)h;
    (void)index;
    (void)ims;
    nap();
}

#define ROT_N 200u
#define ROT_CELL 0x70000u /* the value the pairs pass along */
#define ROT_REC 0x70100u  /* ROT_N / 2 copies of it, one per pair */
#define ROT_VAL 0x71000u  /* ROT_N / 2 values 1, 2, ... */

/*
 * A Linux-style writer (dsa.md §2.4) rotates through the 64 slots of WQ 1's
 * limited page without waiting for completions, reusing a slot once the
 * device released it: 200 descriptors, three wrap-arounds, a WQ of 16.
 * Each completion interrupt naps, so that the writer runs ahead: the
 * slots after the ring's last import still hold older descriptors when
 * the writer refills the slots before them.  Descriptor 2k copies CELL
 * into REC[k],
 * descriptor 2k + 1 copies k + 1 into CELL, so REC[k] == k for every k
 * only if the descriptors ran in submission order; the stats and the
 * interrupt count say each ran exactly once.
 */
static void
test_mapped_rotating_order(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_wq_stats st;
    struct harness h;
    uint8_t *bar2;
    uint64_t v;
    unsigned i;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    setup_wqs(&h, &cfg);
    bar2 = map_bar2(&h);
    __atomic_store_n(&h.hook, hook_nap, __ATOMIC_RELEASE);
    memset(h_ptr(&h, CR_BASE), 0, 32ull * ROT_N);
    memset(h_ptr(&h, ROT_CELL), 0, 8);
    memset(h_ptr(&h, ROT_REC), 0xee, 8ull * ROT_N / 2);
    for (i = 0; i < ROT_N / 2; i++) {
        v = i + 1;
        memcpy(h_ptr(&h, ROT_VAL + 8ull * i), &v, 8);
    }
    for (i = 0; i < ROT_N; i++) {
        struct vidxd_desc d;
        uint64_t src = i % 2 == 0 ? ROT_CELL : ROT_VAL + 8ull * (i / 2);
        uint64_t dst = i % 2 == 0 ? ROT_REC + 8ull * (i / 2) : ROT_CELL;

        h_memmove_desc(&d, H_IOVA + src, H_IOVA + dst, 8,
                       H_IOVA + CR_BASE + 32ull * i,
                       VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI, 2);
        mapped_store(bar2, 1, 1, i % 64, &d);
    }
    for (i = 0; i < ROT_N; i++) {
        uint8_t *cr = h_ptr(&h, CR_BASE + 32ull * i);

        assert_true(wait_status(cr));
        assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    }
    assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
    __atomic_store_n(&h.hook, NULL, __ATOMIC_RELEASE);
    for (i = 0; i < ROT_N / 2; i++) {
        memcpy(&v, h_ptr(&h, ROT_REC + 8ull * i), 8);
        assert_int_equal(v, i);
    }
    memcpy(&v, h_ptr(&h, ROT_CELL), 8);
    assert_int_equal(v, ROT_N / 2);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 1, &st), 0);
    assert_int_equal(st.submitted, ROT_N);
    assert_int_equal(st.ops, ROT_N);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(__atomic_load_n(&h.msix[2], __ATOMIC_RELAXED), ROT_N);
    munmap(bar2, vidxd_dsa_bar2_size(h.dsa));
    h_fini(&h);
}

/*
 * A store into the portal of a WQ that is not enabled is looked at only by
 * the periodic scan of every slot, and still dropped and reported as
 * before (dsa.md §1.7, vidxd/dsa.h): SWERR with the vidxd code 0x53 and
 * WQ 6, the slot released, one drop, nothing executed.
 */
static void
test_mapped_disabled_wq(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_wq_stats st;
    struct vidxd_desc d;
    struct harness h;
    uint64_t *s, q0 = 0;
    uint8_t *bar2;
    unsigned i;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    cfg.portal_mode = VIDXD_DSA_PORTAL_MAPPED;
    setup_wqs(&h, &cfg);
    bar2 = map_bar2(&h);
    fill_sources(&h);
    memset(h_ptr(&h, CR_BASE), 0, 32);
    make_desc(&h, 0, 6, &d);
    s = mapped_store(bar2, 6, 0, 9, &d);
    for (i = 0; i < 1200000; i++) {
        q0 = h_rd64(&h, VIDXD_REG_SWERR);
        if ((q0 & VIDXD_SWERR_VALID) != 0) {
            break;
        }
        nap();
    }
    assert_int_equal(
        q0 & 0xffffffffull,
        VIDXD_SWERR_VALID | VIDXD_SWERR_DESC_VALID | VIDXD_SWERR_WQ_IDX_VALID |
            ((uint64_t)VIDXD_SWERR_WQ_NOT_ENABLED << VIDXD_SWERR_ERROR_SHIFT) |
            (6ull << VIDXD_SWERR_WQ_IDX_SHIFT));
    assert_int_equal(q0 >> VIDXD_SWERR_OPERATION_SHIFT & 0xff,
                     VIDXD_OP_MEMMOVE);
    assert_int_equal(__atomic_load_n(&s[0], __ATOMIC_ACQUIRE), 0);
    assert_int_equal(vidxd_dsa_wq_stats(h.dsa, 6, &st), 0);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.submitted, 0);
    assert_int_equal(st.ops, 0);
    assert_int_equal(*(uint8_t *)h_ptr(&h, CR_BASE), 0);
    munmap(bar2, vidxd_dsa_bar2_size(h.dsa));
    h_fini(&h);
}

/* DRAIN_ALL returns only when everything submitted before it is done. */
static void
test_drain_waits(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    unsigned round, i, w;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    setup_wqs(&h, &cfg);
    fill_sources(&h);
    for (round = 0; round < 20; round++) {
        memset(h_ptr(&h, CR_BASE), 0, 32ull * NWQ * DEPTH);
        for (i = 0; i < NWQ * DEPTH; i++) {
            struct vidxd_desc d;
            w = i % NWQ;
            make_desc(&h, i, w, &d);
            assert_int_equal(vidxd_dsa_wq_submit(h.dsa, w, &d, 0), 0);
        }
        assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
        for (i = 0; i < NWQ * DEPTH; i++) {
            assert_int_equal(*(uint8_t *)h_ptr(&h, CR_BASE + 32ull * i),
                             VIDXD_STATUS_SUCCESS);
        }
    }
    h_fini(&h);
}

/* Reset and abort while workers run: every descriptor is either executed
 * (record written, one interrupt) or aborted, never both, never twice. */
static void
test_abort_accounting(void **state)
{
    struct vidxd_dsa_config cfg;
    struct vidxd_dsa_wq_stats st;
    struct harness h;
    unsigned round, i, w;
    uint64_t executed = 0, aborted = 0, submitted = 0, irqs = 0;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    setup_wqs(&h, &cfg);
    fill_sources(&h);
    for (round = 0; round < 50; round++) {
        for (i = 0; i < NWQ * DEPTH; i++) {
            struct vidxd_desc d;
            w = i % NWQ;
            make_desc(&h, i, w, &d);
            assert_int_equal(vidxd_dsa_wq_submit(h.dsa, w, &d, 0), 0);
        }
        if (round % 2) {
            assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_ABORT_ALL, 0)), 0);
        } else {
            /* RESET_WQ on all, then re-enable. */
            assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_RESET_WQ, 0xf)), 0);
            for (w = 0; w < NWQ; w++) {
                h_quick_enable(&h, w, DEPTH);
            }
        }
    }
    for (w = 0; w < NWQ; w++) {
        assert_int_equal(vidxd_dsa_wq_stats(h.dsa, w, &st), 0);
        executed += st.ops;
        aborted += st.aborted;
        submitted += st.submitted;
        irqs += __atomic_load_n(&h.msix[w + 1], __ATOMIC_RELAXED);
        assert_int_equal(st.dropped, 0);
    }
    assert_int_equal(submitted, 50ull * NWQ * DEPTH);
    assert_int_equal(executed + aborted, submitted);
    assert_int_equal(irqs, executed);
    h_fini(&h);
}

/* A host op that reads registers (and acknowledges INTCAUSE) on a worker
 * thread while the main thread keeps draining: must not deadlock. */
static void
hook_read_regs(struct harness *h, unsigned index, bool ims)
{
    uint64_t v;

    (void)index;
    (void)ims;
    nap(); /* let the main thread reach the drain wait meanwhile */
    assert_int_equal(vidxd_dsa_bar0_read(h->dsa, VIDXD_REG_GENSTS, 4, &v), 0);
    assert_int_equal(vidxd_dsa_bar0_read(h->dsa, 0x400 + 24, 4, &v), 0);
    assert_int_equal(vidxd_dsa_bar0_read(h->dsa, VIDXD_REG_INTCAUSE, 4, &v), 0);
    assert_int_equal(vidxd_dsa_bar0_write(h->dsa, VIDXD_REG_INTCAUSE, 4, v), 0);
}

static void
test_host_op_reads_registers(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    unsigned round, i, w;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 2;
    setup_wqs(&h, &cfg);
    fill_sources(&h);
    h.hook = hook_read_regs;
    for (round = 0; round < 10; round++) {
        for (i = 0; i < NWQ * DEPTH; i++) {
            struct vidxd_desc d;
            w = i % NWQ;
            make_desc(&h, i, w, &d);
            assert_int_equal(vidxd_dsa_wq_submit(h.dsa, w, &d, 0), 0);
        }
        assert_int_equal(h_cmd(&h, CMD(VIDXD_CMD_DRAIN_ALL, 0)), 0);
    }
    h.hook = NULL;
    assert_int_equal(__atomic_load_n(&h.msix[1], __ATOMIC_RELAXED), 10 * DEPTH);
    h_fini(&h);
}

/* Stopped workers keep the queue; started ones execute it. */
static void
test_stop_start(void **state)
{
    struct vidxd_dsa_config cfg;
    struct harness h;
    unsigned i;

    (void)state;
    vidxd_dsa_config_default(&cfg);
    cfg.workers = 1;
    setup_wqs(&h, &cfg);
    fill_sources(&h);
    vidxd_dsa_stop(h.dsa);
    vidxd_dsa_stop(h.dsa);
    memset(h_ptr(&h, CR_BASE), 0, 32 * DEPTH);
    for (i = 0; i < DEPTH; i++) {
        struct vidxd_desc d;
        make_desc(&h, i, 0, &d);
        assert_int_equal(vidxd_dsa_wq_submit(h.dsa, 0, &d, 0), 0);
    }
    assert_int_equal(*(uint8_t *)h_ptr(&h, CR_BASE), 0);
    assert_int_equal(vidxd_dsa_start(h.dsa), 0);
    assert_int_equal(vidxd_dsa_start(h.dsa), 0);
    for (i = 0; i < DEPTH; i++) {
        uint8_t *cr = h_ptr(&h, CR_BASE + 32ull * i);
        assert_true(wait_status(cr));
        assert_int_equal(cr[0], VIDXD_STATUS_SUCCESS);
    }
    h_fini(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workers_trapped),
        cmocka_unit_test(test_workers_mapped),
        cmocka_unit_test(test_mapped_any_slot),
        cmocka_unit_test(test_mapped_rotating_order),
        cmocka_unit_test(test_mapped_disabled_wq),
        cmocka_unit_test(test_drain_waits),
        cmocka_unit_test(test_abort_accounting),
        cmocka_unit_test(test_host_op_reads_registers),
        cmocka_unit_test(test_stop_start),
    };

    return cmocka_run_group_tests_name("dsa_wq", tests, NULL, NULL);
}
