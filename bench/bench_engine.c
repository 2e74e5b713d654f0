/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine benchmark: whole-descriptor MEMMOVE (decode, translation, copy,
 * completion record) against glibc memcpy on the same buffers, CRCGEN
 * against ISA-L crc32_iscsi, from 64 B to 16 MiB, and the per-descriptor
 * cost of back-to-back 64-byte MEMMOVEs with a completion record.
 *
 * Each figure is the best of several trials (engine and baseline trials
 * interleaved) so that it is stable on a small shared machine.  Output:
 * one "NAME: VALUE UNIT" line per figure and "ratio NAME: VALUE" lines.
 */
#include <isa-l/crc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vidxd/engine.h"

#define MAXSZ (16u << 20)
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

static uint8_t *ram, *src, *dst, *crpage, *other;
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
 * Figures in GB/s are the best trial.  Ratios are the median over trials of
 * the ratio within a trial (engine and baseline run back to back, in
 * alternating order), which cancels slow drifts in machine load.
 */
static void
bench_sizes(void)
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
        printf("memmove_%s: %.2f GB/s\n", l, gb / em);
        printf("memcpy_%s: %.2f GB/s\n", l, gb / mc);
        printf("ratio memmove_vs_memcpy_%s: %.3f\n", l, median(rm, TRIALS));
        printf("crc32c_%s: %.2f GB/s\n", l, gb / ec);
        printf("isal_crc32c_%s: %.2f GB/s\n", l, gb / ic);
        printf("ratio crc32c_vs_isal_%s: %.3f\n", l, median(rc, TRIALS));
        fflush(stdout);
    }
}

/*
 * Per-descriptor cost of back-to-back 64-byte MEMMOVEs with a completion
 * record (CRAV | RCR): many short trials, reported as the median (robust
 * against both slow and glitch-fast trials on a shared machine).
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
    double e[NT], e3[NT], m[NT], de, de3, dm;

    t_engine(&mv, n);
    for (int t = 0; t < NT; t++) {
        e[t] = t_engine(&mv, n);
        e3[t] = t_engine(&mv3, n);
        m[t] = t_memcpy(64, n);
    }
    de = median(e, NT) / n * 1e9;
    de3 = median(e3, NT) / n * 1e9;
    dm = median(m, NT) / n * 1e9;
    printf("desc_memmove_64B: %.1f ns\n", de);
    printf("desc_memmove_64B_3maps: %.1f ns\n", de3);
    printf("memcpy_call_64B: %.1f ns\n", dm);
    printf("desc_overhead_64B: %.1f ns\n", de - dm);
    printf("desc_overhead_64B_3maps: %.1f ns\n", de3 - dm);
}

int
main(void)
{
    unsigned rw = VIDXD_MEM_READ | VIDXD_MEM_WRITE;
    double t0 = clock_s(CLOCK_MONOTONIC);

    ram = region(RAM_LEN);
    other = region(4096);
    src = ram;
    dst = ram + MAXSZ;
    crpage = ram + 2 * MAXSZ;
    if (vidxd_as_create(1, &as) != 0 ||
        vidxd_as_map(as, 0x1000, 0x1000, other, rw) != 0 ||
        vidxd_as_map(as, RAM_IOVA, RAM_LEN, ram, rw) != 0 ||
        vidxd_as_map(as, SRC3_IOVA, MAXSZ, src, rw) != 0 ||
        vidxd_as_map(as, DST3_IOVA, MAXSZ, dst, rw) != 0 ||
        vidxd_as_map(as, CR3_IOVA, 4096, crpage, rw) != 0 ||
        vidxd_as_map(as, 0x80000000ull, 0x1000, other, VIDXD_MEM_READ) != 0) {
        fprintf(stderr, "address space setup failed\n");
        return 1;
    }
    ctx.as = as;
    ctx.gencap = VIDXD_GENCAP_OVERLAP_COPY;
    ctx.opcap[0] = VIDXD_OPCAP0_DSA1;
    ctx.max_xfer_size = 1ull << 31;
    ctx.max_batch_size = 1024;
    vidxd_as_enter(as);
    bench_sizes();
    bench_overhead();
    vidxd_as_leave(as);
    vidxd_as_destroy(as);
    fprintf(stderr, "bench_engine: %.1f s\n", clock_s(CLOCK_MONOTONIC) - t0);
    return 0;
}
