/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Data movement kernels: MEMMOVE, MEMFILL, DUALCAST and CFLUSH
 * (reference/dsa.md §3.1).  Each translates its buffers once and runs a
 * single host copy when every buffer lies in one mapping (the common
 * case); otherwise it walks the buffers mapping by mapping so that a
 * missing page ends the operation exactly where hardware would report the
 * partial completion.  Copies use glibc memmove/memcpy, which pick the
 * widest vector and non-temporal paths the CPU has.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#include "engine/engine_int.h"

/* Ascending copy across mappings; src read faults win over dst faults. */
static unsigned
copy_up(struct engine_job *j, uint64_t src, uint64_t dst, uint64_t len)
{
    uint64_t off = 0;

    while (off < len) {
        uint64_t ns = 0, nd = 0;
        const uint8_t *s =
            engine_xlate(j, src, off, len - off, VIDXD_MEM_READ, &ns);
        uint8_t *t;

        if (s == NULL) {
            return engine_fault(j, src + off, false, off);
        }
        t = engine_xlate(j, dst, off, len - off, VIDXD_MEM_WRITE, &nd);
        if (t == NULL) {
            return engine_fault(j, dst + off, true, off);
        }
        ns = engine_min(ns, nd);
        memmove(t, s, ns);
        off += ns;
    }
    return VIDXD_STATUS_SUCCESS;
}

/*
 * Descending copy (overlapping buffers with dst above src): the tail is
 * copied first, so a fault leaves the top of the buffer done and sets
 * result bit 0 (§3.1 MEMMOVE row).
 */
static unsigned
copy_down(struct engine_job *j, uint64_t src, uint64_t dst, uint64_t len)
{
    uint64_t rem = len;
    unsigned st;

    while (rem > 0) {
        uint64_t ns = 0, nd = 0, n;
        const uint8_t *s = engine_xlate_back(j, src, rem, VIDXD_MEM_READ, &ns);
        uint8_t *t;

        if (s == NULL) {
            st = engine_fault(j, src + rem - 1, false, len - rem);
            goto fault;
        }
        t = engine_xlate_back(j, dst, rem, VIDXD_MEM_WRITE, &nd);
        if (t == NULL) {
            st = engine_fault(j, dst + rem - 1, true, len - rem);
            goto fault;
        }
        n = engine_min(ns, nd);
        memmove(t + nd - n, s + ns - n, n);
        rem -= n;
    }
    return VIDXD_STATUS_SUCCESS;
fault:
    j->cr.result = VIDXD_RESULT_MEMMOVE_DESCENDING;
    return st;
}

/* True if [x, x + xl) lies in [lo, lo + c) (x >= lo). */
static inline bool
inside(uint64_t x, uint64_t xl, uint64_t lo, uint64_t c)
{
    return x - lo <= c && xl <= c - (x - lo);
}

/*
 * Fast path of MEMMOVE: guest RAM is usually one large mapping, so one
 * read-write translation from the lowest of source, destination and (if a
 * record will be written on success) completion record resolves every
 * buffer that lies in the same mapping; only the others are translated on
 * their own.  A record found this way is prefetched for writing
 * (engine_record_prefetch()).  Returns true with host pointers if both
 * buffers are contiguous.
 */
static bool
memmove_resolve(struct engine_job *j, uint64_t src, uint64_t dst, uint64_t len,
                const uint8_t **s, uint8_t **t)
{
    uint64_t cra = j->d->completion_addr, lo, hi, c = 0, n = 0;
    bool rec = (j->flags & (VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR)) ==
               (VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR);
    uint8_t *p = NULL;

    *s = NULL;
    *t = NULL;
    if (src <= UINT64_MAX - len && dst <= UINT64_MAX - len) {
        lo = engine_min(src, dst);
        hi = src > dst ? src + len : dst + len;
        rec = rec && cra <= UINT64_MAX - sizeof(j->cr);
        if (rec) {
            lo = engine_min(lo, cra);
            hi = cra + sizeof(j->cr) > hi ? cra + sizeof(j->cr) : hi;
        }
        p = vidxd_as_translate(j->as, lo, hi - lo,
                               VIDXD_MEM_READ | VIDXD_MEM_WRITE, &c);
    }
    if (p != NULL && c == hi - lo) {
        /* The whole span, record included, lies in one mapping. */
        *s = p + (src - lo);
        *t = p + (dst - lo);
        if (rec) {
            engine_record_prefetch(j, p + (cra - lo));
        }
        return true;
    }
    if (p != NULL) {
        if (inside(src, len, lo, c)) {
            *s = p + (src - lo);
        }
        if (inside(dst, len, lo, c)) {
            *t = p + (dst - lo);
        }
        if (rec && inside(cra, sizeof(j->cr), lo, c)) {
            engine_record_prefetch(j, p + (cra - lo));
        }
    }
    if (*s == NULL) {
        *s = vidxd_as_translate(j->as, src, len, VIDXD_MEM_READ, &n);
        if (*s == NULL || n < len) {
            return false;
        }
    }
    if (*t == NULL) {
        *t = vidxd_as_translate(j->as, dst, len, VIDXD_MEM_WRITE, &n);
        if (*t == NULL || n < len) {
            return false;
        }
    }
    return true;
}

unsigned
engine_op_memmove(struct engine_job *j)
{
    uint64_t src = j->d->src, dst = j->d->dst, len = j->d->xfer_size;
    const uint8_t *s;
    uint8_t *t;
    bool down = false;

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    if (engine_overlap(src, len, dst, len)) {
        if ((j->ctx->gencap & VIDXD_GENCAP_OVERLAP_COPY) == 0) {
            return VIDXD_STATUS_OVERLAP_BUFFERS;
        }
        down = dst > src;
    }
    j->bytes = len;
    if (memmove_resolve(j, src, dst, len, &s, &t)) {
        memmove(t, s, len);
        return VIDXD_STATUS_SUCCESS;
    }
    return down ? copy_down(j, src, dst, len) : copy_up(j, src, dst, len);
}

/*
 * Fill @n bytes with the 8-byte @pat, byte i taking pattern byte
 * (phase + i) % 8: build up to 4 KiB, then replicate it with memcpy.
 */
static void
fill(uint8_t *t, uint64_t n, uint64_t pat, unsigned phase)
{
    uint64_t rot = pat, first, i, off;

    if ((pat & 0xff) * 0x0101010101010101ull == pat) {
        memset(t, (int)(pat & 0xff), n);
        return;
    }
    if (phase != 0) {
        rot = (pat >> (8 * phase)) | (pat << (64 - 8 * phase));
    }
    first = engine_min(n, 4096);
    for (i = 0; i + 8 <= first; i += 8) {
        memcpy(t + i, &rot, 8);
    }
    memcpy(t + i, &rot, first - i);
    for (off = first; off < n; off += first) {
        memcpy(t + off, t, engine_min(first, n - off));
    }
}

unsigned
engine_op_memfill(struct engine_job *j)
{
    uint64_t pat = j->d->src, dst = j->d->dst, len = j->d->xfer_size;
    uint64_t off = 0;

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    j->bytes = len;
    while (off < len) {
        uint64_t n = 0;
        uint8_t *t = engine_xlate(j, dst, off, len - off, VIDXD_MEM_WRITE, &n);

        if (t == NULL) {
            return engine_fault(j, dst + off, true, off);
        }
        fill(t, n, pat, (unsigned)(off & 7));
        off += n;
    }
    return VIDXD_STATUS_SUCCESS;
}

/*
 * DUALCAST (§3.1): the two destinations must agree in bits 11:0 and no two
 * of the three buffers may overlap.
 */
unsigned
engine_op_dualcast(struct engine_job *j)
{
    uint64_t src = j->d->src, d1 = j->d->dst, len = j->d->xfer_size;
    uint64_t d2 = engine_d64(j, VIDXD_DESC_DEST2), off = 0;

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    if (((d1 ^ d2) & VIDXD_DCAST_ADDR_MASK) != 0) {
        return VIDXD_STATUS_DCAST_ERR;
    }
    if (engine_overlap(src, len, d1, len) ||
        engine_overlap(src, len, d2, len) || engine_overlap(d1, len, d2, len)) {
        return VIDXD_STATUS_OVERLAP_BUFFERS;
    }
    j->bytes = len;
    while (off < len) {
        uint64_t ns = 0, n1 = 0, n2 = 0;
        const uint8_t *s =
            engine_xlate(j, src, off, len - off, VIDXD_MEM_READ, &ns);
        uint8_t *t1, *t2;

        if (s == NULL) {
            return engine_fault(j, src + off, false, off);
        }
        t1 = engine_xlate(j, d1, off, len - off, VIDXD_MEM_WRITE, &n1);
        if (t1 == NULL) {
            return engine_fault(j, d1 + off, true, off);
        }
        t2 = engine_xlate(j, d2, off, len - off, VIDXD_MEM_WRITE, &n2);
        if (t2 == NULL) {
            return engine_fault(j, d2 + off, true, off);
        }
        ns = engine_min(ns, engine_min(n1, n2));
        memcpy(t1, s, ns);
        memcpy(t2, s, ns);
        off += ns;
    }
    return VIDXD_STATUS_SUCCESS;
}

/* Cache-line flush primitives, chosen once from CPUID leaf 7. */
enum flush_kind {
    FLUSH_UNKNOWN,
    FLUSH_CLFLUSH,
    FLUSH_CLFLUSHOPT,
};

static int flush_kind_cached = FLUSH_UNKNOWN;
static int clwb_cached = -1;

static void
flush_probe(void)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    int kind = FLUSH_CLFLUSH, wb = 0;

    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if ((b & (1u << 23)) != 0) {
            kind = FLUSH_CLFLUSHOPT;
        }
        wb = (b & (1u << 24)) != 0;
    }
    __atomic_store_n(&clwb_cached, wb, __ATOMIC_RELAXED);
    __atomic_store_n(&flush_kind_cached, kind, __ATOMIC_RELAXED);
}

__attribute__((target("clflushopt"))) static void
flush_opt(uint8_t *p, uint64_t n)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, e = (uintptr_t)p + n;

    for (; a < e; a += 64) {
        _mm_clflushopt((void *)a);
    }
}

__attribute__((target("clwb"))) static void
flush_wb(uint8_t *p, uint64_t n)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, e = (uintptr_t)p + n;

    for (; a < e; a += 64) {
        _mm_clwb((void *)a);
    }
}

static void
flush_legacy(uint8_t *p, uint64_t n)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, e = (uintptr_t)p + n;

    for (; a < e; a += 64) {
        _mm_clflush((void *)a);
    }
}

/*
 * CFLUSH (§3.1): write back and invalidate the lines of the destination
 * region; with CC (GENCAP.cache_control_cache) write back and keep them.
 * The region must be mapped writable: the device addresses it as a
 * destination, so a missing or read-only page is a write fault.
 */
unsigned
engine_op_cflush(struct engine_job *j)
{
    uint64_t dst = j->d->dst, len = j->d->xfer_size, off = 0;
    bool keep = (j->flags & VIDXD_FLAG_CC) != 0;
    int kind = __atomic_load_n(&flush_kind_cached, __ATOMIC_RELAXED);

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    if (kind == FLUSH_UNKNOWN) {
        flush_probe();
        kind = __atomic_load_n(&flush_kind_cached, __ATOMIC_RELAXED);
    }
    j->bytes = len;
    while (off < len) {
        uint64_t n = 0;
        uint8_t *t = engine_xlate(j, dst, off, len - off, VIDXD_MEM_WRITE, &n);

        if (t == NULL) {
            _mm_sfence();
            return engine_fault(j, dst + off, true, off);
        }
        if (keep && __atomic_load_n(&clwb_cached, __ATOMIC_RELAXED) == 1) {
            flush_wb(t, n);
        } else if (kind == FLUSH_CLFLUSHOPT) {
            flush_opt(t, n);
        } else {
            flush_legacy(t, n);
        }
        off += n;
    }
    _mm_sfence();
    return VIDXD_STATUS_SUCCESS;
}
