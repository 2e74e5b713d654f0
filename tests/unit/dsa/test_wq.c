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
        cmocka_unit_test(test_drain_waits),
        cmocka_unit_test(test_abort_accounting),
        cmocka_unit_test(test_host_op_reads_registers),
        cmocka_unit_test(test_stop_start),
    };

    return cmocka_run_group_tests_name("dsa_wq", tests, NULL, NULL);
}
