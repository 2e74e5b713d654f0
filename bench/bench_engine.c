/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine benchmark: whole descriptors (decode, validation, translation
 * through the address space, the operation, the completion record with its
 * release store) against the bare library call doing the same work: MEMMOVE
 * against glibc memcpy, CRCGEN against ISA-L crc32_iscsi, from 64 B to
 * 16 MiB, in two settings:
 *
 *  - "NAME_SIZE" (the headline): a realistic working set.  A DMA engine's
 *    buffers are guest memory the engine thread has not touched, so every
 *    trial starts with caches scrubbed and walks slots (source,
 *    destination, record) of a 256 MiB guest-RAM pool (4 KiB pages) in a
 *    shuffled order.  Engine and baseline run on the same slots in the
 *    same order, in alternating turns; figures are medians over the
 *    trials.  The engine runs as a DSA worker draining a backlogged WQ
 *    does (src/dsa/wq.c): before each descriptor it prefetches the next
 *    one's buffers through the address space; "NAME_SIZE_nolookahead"
 *    is the same without that.
 *  - "NAME_SIZE_hot": the same buffers again and again (in L1/L2 for small
 *    sizes), which exposes the fixed per-descriptor cost; best trial.
 *
 * Ratios are "baseline time / engine time" within a trial, median over
 * trials.  Last, the per-descriptor cost of back-to-back 64-byte MEMMOVEs
 * with a record (hot), absolute and minus a 64-byte memcpy call, also with
 * a worker's lookahead.  The engine does everything it does in production:
 * validation, translation through mem, the record with its release store.
 * Output: one "NAME: VALUE UNIT" line per figure, "ratio NAME: VALUE" for
 * ratios.
 */
#include <isa-l/crc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vidxd/engine.h"

#define MAXSZ (16u << 20)
/* Realistic working set: a pool far larger than the LLC, caches scrubbed
 * by reading SCRUB_BYTES of other memory before every trial. */
#define POOL_IOVA 0x200000000ull
#define POOL_BYTES (256ull << 20)
#define SCRUB_BYTES (64ull << 20)
#define COLD_TRIAL_BYTES (8ull << 20)
#define COLD_TRIALS 31
/* "Guest RAM": one mapping holding source, destination and records, as a
 * VMM maps guest memory; plus the same memory mapped again as three
 * separate small/large mappings for the worst case of three lookups. */
#define RAM_IOVA 0x100000000ull
#define RAM_LEN (2 * MAXSZ + 4096)
#define SRC_IOVA RAM_IOVA
#define DST_IOVA (RAM_IOVA + MAXSZ)
#define CR_IOVA (RAM_IOVA + 2 * MAXSZ)
#define SRC3_IOVA 0x10000000ull
#define DST3_IOVA 0x20000000ull
#define CR3_IOVA 0x40000000ull
/* Many short trials: on a shared machine the best of many short runs is
 * far more repeatable than a few long ones. */
#define TRIALS 41
#define TRIAL_BYTES (32ull << 20)

static uint8_t *ram, *src, *dst, *crpage, *other, *pool, *scrubber;
static struct vidxd_as *as;
static struct vidxd_engine_ctx ctx;

/* Keep the compiler from eliding or hoisting the baseline calls. */
static void *(*volatile cpy)(void *, const void *, size_t) = memcpy;
static volatile uint32_t sink;

/*
 * Trials are timed in thread CPU time: on a machine shared with other jobs
 * the main disturbance is losing the CPU, which this clock does not count.
 */
static double
clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void *
region(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    madvise(p, n, MADV_HUGEPAGE);
    memset(p, 0x5a, n);
    return p;
}

/*
 * Guest RAM for the realistic working set: 4 KiB pages, as a VMM's
 * memfd-backed (shmem) guest memory has by default, so TLB misses are
 * part of the picture for engine and baseline alike; and no transparent
 * huge pages appearing half-way through a run.
 */
static void *
guest_ram(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);

    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    madvise(p, n, MADV_NOHUGEPAGE);
    memset(p, 0x5a, n);
    return p;
}

static struct vidxd_desc
desc(unsigned op, uint64_t s, uint64_t d, uint32_t n, uint64_t cra)
{
    struct vidxd_desc x;

    memset(&x, 0, sizeof(x));
    x.flags_opcode =
        (op << VIDXD_DESC_OPCODE_SHIFT) | VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR;
    x.completion_addr = cra;
    x.src = s;
    x.dst = d;
    x.xfer_size = n;
    return x;
}

static unsigned
reps_for(size_t sz)
{
    uint64_t r = TRIAL_BYTES / sz;

    return r < 2 ? 2 : (unsigned)r;
}

/*
 * Each timed run starts with one untimed call when it has few repetitions
 * (large buffers), so that every run finds the caches in the same state
 * whatever ran before it.
 */
static double
t_engine(const struct vidxd_desc *x, unsigned reps)
{
    double t0;

    if (reps < 16) {
        vidxd_engine_execute(&ctx, x);
    }
    t0 = now();

    for (unsigned i = 0; i < reps; i++) {
        if (vidxd_engine_execute(&ctx, x) != VIDXD_STATUS_SUCCESS) {
            fprintf(stderr, "engine: unexpected status\n");
            exit(1);
        }
    }
    return now() - t0;
}

static void lookahead(const struct vidxd_desc *n);

/* t_engine() plus the worker's lookahead on the (same) next descriptor. */
static double
t_engine_ahead(const struct vidxd_desc *x, unsigned reps)
{
    double t0 = now();

    for (unsigned i = 0; i < reps; i++) {
        lookahead(x);
        if (vidxd_engine_execute(&ctx, x) != VIDXD_STATUS_SUCCESS) {
            fprintf(stderr, "engine: unexpected status\n");
            exit(1);
        }
    }
    return now() - t0;
}

static double
t_memcpy(size_t sz, unsigned reps)
{
    double t0;

    if (reps < 16) {
        cpy(dst, src, sz);
    }
    t0 = now();

    for (unsigned i = 0; i < reps; i++) {
        cpy(dst, src, sz);
    }
    return now() - t0;
}

static double
t_isal(size_t sz, unsigned reps)
{
    double t0;
    uint32_t c = 0;

    if (reps < 16) {
        c = crc32_iscsi(src, (int)sz, ~0u);
    }
    t0 = now();

    for (unsigned i = 0; i < reps; i++) {
        c ^= ~crc32_iscsi(src, (int)sz, ~0u);
    }
    sink = c;
    return now() - t0;
}

static void
label(char *buf, size_t n, size_t sz)
{
    if (sz >= (1u << 20)) {
        snprintf(buf, n, "%zuM", sz >> 20);
    } else if (sz >= 1024) {
        snprintf(buf, n, "%zuK", sz >> 10);
    } else {
        snprintf(buf, n, "%zu", sz);
    }
}

static double
min2(double a, double b)
{
    return a < b ? a : b;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/*
 * Hot: figures in GB/s are the best trial.  Ratios are the median over
 * trials of the ratio within a trial (engine and baseline run back to
 * back, in alternating order), which cancels slow drifts in machine load.
 */
static void
bench_hot(void)
{
    for (size_t sz = 64; sz <= MAXSZ; sz *= 4) {
        struct vidxd_desc mv =
            desc(VIDXD_OP_MEMMOVE, SRC_IOVA, DST_IOVA, (uint32_t)sz, CR_IOVA);
        struct vidxd_desc crc =
            desc(VIDXD_OP_CRCGEN, SRC_IOVA, 0, (uint32_t)sz, CR_IOVA);
        unsigned reps = reps_for(sz);
        double em = 1e30, mc = 1e30, ec = 1e30, ic = 1e30, gb;
        double rm[TRIALS], rc[TRIALS];
        char l[16];

        t_engine(&mv, reps / 8 + 1);
        t_memcpy(sz, reps / 8 + 1);
        for (int t = 0; t < TRIALS; t++) {
            double a, b, c, d;

            if (t % 2 == 0) {
                a = t_engine(&mv, reps);
                b = t_memcpy(sz, reps);
                c = t_engine(&crc, reps);
                d = t_isal(sz, reps);
            } else {
                b = t_memcpy(sz, reps);
                a = t_engine(&mv, reps);
                d = t_isal(sz, reps);
                c = t_engine(&crc, reps);
            }
            em = min2(em, a);
            mc = min2(mc, b);
            ec = min2(ec, c);
            ic = min2(ic, d);
            rm[t] = b / a;
            rc[t] = d / c;
        }
        gb = (double)sz * reps / 1e9;
        label(l, sizeof(l), sz);
        printf("memmove_%s_hot: %.2f GB/s\n", l, gb / em);
        printf("memcpy_%s_hot: %.2f GB/s\n", l, gb / mc);
        printf("ratio memmove_vs_memcpy_%s_hot: %.3f\n", l, median(rm, TRIALS));
        printf("crc32c_%s_hot: %.2f GB/s\n", l, gb / ec);
        printf("isal_crc32c_%s_hot: %.2f GB/s\n", l, gb / ic);
        printf("ratio crc32c_vs_isal_%s_hot: %.3f\n", l, median(rc, TRIALS));
        fflush(stdout);
    }
}

/*
 * Per-descriptor cost of back-to-back 64-byte MEMMOVEs with a completion
 * record (CRAV | RCR), source, destination and record in one mapping (as
 * guest RAM is) or in three: many short trials, reported as the median
 * (robust against both slow and glitch-fast trials on a shared machine).
 * The overhead is that time minus a 64-byte memcpy call.
 */
static void
bench_overhead(void)
{
    struct vidxd_desc mv =
        desc(VIDXD_OP_MEMMOVE, SRC_IOVA, DST_IOVA, 64, CR_IOVA);
    struct vidxd_desc mv3 =
        desc(VIDXD_OP_MEMMOVE, SRC3_IOVA, DST3_IOVA, 64, CR3_IOVA);
    const unsigned n = 50000;
    enum { NT = 3 * TRIALS };
    double e[NT], e3[NT], ea[NT], m[NT], de, de3, dea, dm;

    t_engine(&mv, n);
    for (int t = 0; t < NT; t++) {
        e[t] = t_engine(&mv, n);
        e3[t] = t_engine(&mv3, n);
        ea[t] = t_engine_ahead(&mv, n);
        m[t] = t_memcpy(64, n);
    }
    de = median(e, NT) / n * 1e9;
    de3 = median(e3, NT) / n * 1e9;
    dea = median(ea, NT) / n * 1e9;
    dm = median(m, NT) / n * 1e9;
    printf("desc_memmove64: %.1f ns\n", de);
    printf("desc_memmove64_3maps: %.1f ns\n", de3);
    printf("desc_memmove64_lookahead: %.1f ns\n", dea);
    printf("memcpy64: %.1f ns\n", dm);
    printf("desc_overhead_memmove64: %.1f ns\n", de - dm);
    printf("desc_overhead_memmove64_3maps: %.1f ns\n", de3 - dm);
    printf("desc_overhead_memmove64_lookahead: %.1f ns\n", dea - dm);
}

/* --- Realistic working set ---------------------------------------------- */

/*
 * One size's layout in the pool: slot i holds the source at offset 0, the
 * destination right after it and the 32-byte record on the next cache line
 * (page-aligned slots from 4 KiB up, as guest buffers of that size usually
 * are).  Trials take k consecutive entries of a shuffled slot order.
 */
struct cold {
    size_t sz, stride, nslots, k;
    uint32_t *order;
};

static void
cold_init(struct cold *c, size_t sz)
{
    size_t align = sz >= 4096 ? 4096 : 64;
    uint64_t x = 0x9e3779b97f4a7c15ull;

    c->sz = sz;
    c->stride = (2 * sz + 64 + align - 1) / align * align;
    c->nslots = POOL_BYTES / c->stride;
    c->k = COLD_TRIAL_BYTES / sz;
    if (c->k < 1) {
        c->k = 1;
    }
    if (c->k > c->nslots) {
        c->k = c->nslots;
    }
    c->order = malloc(c->nslots * sizeof(*c->order));
    if (c->order == NULL) {
        perror("malloc");
        exit(1);
    }
    for (size_t i = 0; i < c->nslots; i++) {
        c->order[i] = (uint32_t)i;
    }
    /* Fisher-Yates with a fixed xorshift: same order on every run. */
    for (size_t i = c->nslots - 1; i > 0; i--) {
        size_t j;
        uint32_t t;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        j = (size_t)(x % (i + 1));
        t = c->order[i];
        c->order[i] = c->order[j];
        c->order[j] = t;
    }
}

/* Evict the pool from every cache level: read unrelated memory. */
static void
scrub(void)
{
    uint64_t acc = 0;

    for (size_t i = 0; i < SCRUB_BYTES; i += 64) {
        acc += *(volatile uint64_t *)(scrubber + i);
    }
    sink = (uint32_t)acc;
}

static uint64_t
slot_off(const struct cold *c, size_t first, size_t i)
{
    return (uint64_t)c->order[(first + i) % c->nslots] * c->stride;
}

/* Slot @i's descriptor of @op. */
static void
cold_desc(const struct cold *c, size_t first, size_t i, unsigned op,
          struct vidxd_desc *x)
{
    uint64_t a = POOL_IOVA + slot_off(c, first, i);

    x->src = a;
    x->dst = op == VIDXD_OP_MEMMOVE ? a + c->sz : 0;
    x->completion_addr = (a + 2 * c->sz + 63) & ~63ull;
}

/*
 * What a DSA worker does with the descriptor queued behind the one it is
 * about to execute (src/dsa/wq.c prefetch_next(): the same calls).
 */
static void
lookahead(const struct vidxd_desc *n)
{
    if (n->src != 0) {
        vidxd_as_prefetch(as, n->src, n->xfer_size, VIDXD_MEM_READ);
    }
    if (n->dst != 0) {
        vidxd_as_prefetch(as, n->dst, n->xfer_size, VIDXD_MEM_WRITE);
    }
    if ((vidxd_desc_flags(n) & VIDXD_FLAG_CRAV) != 0) {
        vidxd_as_prefetch(as, n->completion_addr, sizeof(struct vidxd_comp),
                          VIDXD_MEM_WRITE);
    }
}

/*
 * @ahead: as a worker draining a backlogged WQ, prefetch descriptor i + 1
 * before executing descriptor i; otherwise as descriptors that arrive one
 * at a time.
 */
static double
tc_engine(const struct cold *c, size_t first, unsigned op, bool ahead)
{
    struct vidxd_desc x = desc(op, 0, 0, (uint32_t)c->sz, 0), nx = x;
    double t0;

    scrub();
    t0 = now();
    cold_desc(c, first, 0, op, &nx);
    for (size_t i = 0; i < c->k; i++) {
        x = nx;
        if (i + 1 < c->k) {
            cold_desc(c, first, i + 1, op, &nx);
            if (ahead) {
                lookahead(&nx);
            }
        }
        if (vidxd_engine_execute(&ctx, &x) != VIDXD_STATUS_SUCCESS) {
            fprintf(stderr, "engine: unexpected status\n");
            exit(1);
        }
    }
    return now() - t0;
}

static double
tc_memcpy(const struct cold *c, size_t first)
{
    double t0;

    scrub();
    t0 = now();
    for (size_t i = 0; i < c->k; i++) {
        uint8_t *p = pool + slot_off(c, first, i);

        cpy(p + c->sz, p, c->sz);
    }
    return now() - t0;
}

static double
tc_isal(const struct cold *c, size_t first)
{
    uint32_t v = 0;
    double t0;

    scrub();
    t0 = now();
    for (size_t i = 0; i < c->k; i++) {
        v ^= ~crc32_iscsi(pool + slot_off(c, first, i), (int)c->sz, ~0u);
    }
    sink = v;
    return now() - t0;
}

/*
 * Realistic working set: each trial runs engine and baseline on the same k
 * slots in the same order (which of them goes first alternates), each
 * starting from scrubbed caches; successive trials move on through the
 * pool.  Figures and ratios are medians over the trials.  The headline
 * engine figures are a worker draining a backlogged WQ (lookahead); the
 * "_nolookahead" ones are descriptors executed without it.
 */
static void
bench_cold(void)
{
    enum { NT = COLD_TRIALS };

    for (size_t sz = 64; sz <= MAXSZ; sz *= 4) {
        struct cold c;
        double em[NT], en[NT], mc[NT], ec[NT], cn[NT], ic[NT];
        double rm[NT], rmn[NT], rc[NT], rcn[NT], gb;
        char l[16];

        cold_init(&c, sz);
        for (int t = 0; t < NT; t++) {
            size_t first = (size_t)t * c.k;

            if (t % 2 == 0) {
                em[t] = tc_engine(&c, first, VIDXD_OP_MEMMOVE, true);
                mc[t] = tc_memcpy(&c, first);
                en[t] = tc_engine(&c, first, VIDXD_OP_MEMMOVE, false);
                ec[t] = tc_engine(&c, first, VIDXD_OP_CRCGEN, true);
                ic[t] = tc_isal(&c, first);
                cn[t] = tc_engine(&c, first, VIDXD_OP_CRCGEN, false);
            } else {
                en[t] = tc_engine(&c, first, VIDXD_OP_MEMMOVE, false);
                mc[t] = tc_memcpy(&c, first);
                em[t] = tc_engine(&c, first, VIDXD_OP_MEMMOVE, true);
                cn[t] = tc_engine(&c, first, VIDXD_OP_CRCGEN, false);
                ic[t] = tc_isal(&c, first);
                ec[t] = tc_engine(&c, first, VIDXD_OP_CRCGEN, true);
            }
            rm[t] = mc[t] / em[t];
            rmn[t] = mc[t] / en[t];
            rc[t] = ic[t] / ec[t];
            rcn[t] = ic[t] / cn[t];
        }
        gb = (double)sz * (double)c.k / 1e9;
        label(l, sizeof(l), sz);
        printf("memmove_%s: %.2f GB/s\n", l, gb / median(em, NT));
        printf("memcpy_%s: %.2f GB/s\n", l, gb / median(mc, NT));
        printf("ratio memmove_vs_memcpy_%s: %.3f\n", l, median(rm, NT));
        printf("memmove_%s_nolookahead: %.2f GB/s\n", l, gb / median(en, NT));
        printf("ratio memmove_vs_memcpy_%s_nolookahead: %.3f\n", l,
               median(rmn, NT));
        printf("crc32c_%s: %.2f GB/s\n", l, gb / median(ec, NT));
        printf("isal_crc32c_%s: %.2f GB/s\n", l, gb / median(ic, NT));
        printf("ratio crc32c_vs_isal_%s: %.3f\n", l, median(rc, NT));
        printf("crc32c_%s_nolookahead: %.2f GB/s\n", l, gb / median(cn, NT));
        printf("ratio crc32c_vs_isal_%s_nolookahead: %.3f\n", l,
               median(rcn, NT));
        fflush(stdout);
        free(c.order);
    }
}

int
main(void)
{
    unsigned rw = VIDXD_MEM_READ | VIDXD_MEM_WRITE;
    double t0 = clock_s(CLOCK_MONOTONIC);

    ram = region(RAM_LEN);
    other = region(4096);
    pool = guest_ram(POOL_BYTES);
    scrubber = region(SCRUB_BYTES);
    src = ram;
    dst = ram + MAXSZ;
    crpage = ram + 2 * MAXSZ;
    if (vidxd_as_create(1, &as) != 0 ||
        vidxd_as_map(as, 0x1000, 0x1000, other, rw) != 0 ||
        vidxd_as_map(as, RAM_IOVA, RAM_LEN, ram, rw) != 0 ||
        vidxd_as_map(as, SRC3_IOVA, MAXSZ, src, rw) != 0 ||
        vidxd_as_map(as, DST3_IOVA, MAXSZ, dst, rw) != 0 ||
        vidxd_as_map(as, CR3_IOVA, 4096, crpage, rw) != 0 ||
        vidxd_as_map(as, 0x80000000ull, 0x1000, other, VIDXD_MEM_READ) != 0 ||
        vidxd_as_map(as, POOL_IOVA, POOL_BYTES, pool, rw) != 0) {
        fprintf(stderr, "address space setup failed\n");
        return 1;
    }
    ctx.as = as;
    ctx.gencap = VIDXD_GENCAP_OVERLAP_COPY;
    ctx.opcap[0] = VIDXD_OPCAP0_DSA1;
    ctx.max_xfer_size = 1ull << 31;
    ctx.max_batch_size = 1024;
    vidxd_as_enter(as);
    bench_cold();
    bench_hot();
    bench_overhead();
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
    fprintf(stderr, "bench_engine: %.1f s\n", clock_s(CLOCK_MONOTONIC) - t0);
    return 0;
}
