/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engine internals shared by the dispatcher (engine.c) and the operation
 * kernels (ops_*.c): the per-descriptor job, guest-memory access helpers
 * that turn a failed translation into a DSA partial completion, and the
 * operation entry points.  Nothing here is visible outside the engine.
 */
#ifndef VIDXD_ENGINE_INT_H
#define VIDXD_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vidxd/engine.h"

/* One descriptor being executed. */
struct engine_job {
    const struct vidxd_engine_ctx *ctx;
    struct vidxd_as *as;
    const struct vidxd_desc *d;
    uint32_t flags;
    uint8_t opcode;
    bool bof; /* block on fault requested and enabled (flag + WQ + GENCAP) */
    bool in_batch;
    uint16_t batch_idx;
    uint64_t bytes; /* processed bytes, for statistics */
    uint8_t *crh;   /* record already translated (writable), or NULL */
    /* Record under construction; status set last.  Aligned so that its
     * zeroing and the record write see whole, forwardable stores. */
    _Alignas(32) struct vidxd_comp cr;
};

typedef unsigned engine_op_fn(struct engine_job *j);

/* Little-endian field access inside the descriptor and the record. */
static inline uint8_t
engine_d8(const struct engine_job *j, unsigned off)
{
    return ((const uint8_t *)j->d)[off];
}

static inline uint16_t
engine_d16(const struct engine_job *j, unsigned off)
{
    uint16_t v;

    memcpy(&v, (const uint8_t *)j->d + off, sizeof(v));
    return v;
}

static inline uint32_t
engine_d32(const struct engine_job *j, unsigned off)
{
    uint32_t v;

    memcpy(&v, (const uint8_t *)j->d + off, sizeof(v));
    return v;
}

static inline uint64_t
engine_d64(const struct engine_job *j, unsigned off)
{
    uint64_t v;

    memcpy(&v, (const uint8_t *)j->d + off, sizeof(v));
    return v;
}

static inline void
engine_cr16(struct engine_job *j, unsigned off, uint16_t v)
{
    memcpy((uint8_t *)&j->cr + off, &v, sizeof(v));
}

static inline void
engine_cr32(struct engine_job *j, unsigned off, uint32_t v)
{
    memcpy((uint8_t *)&j->cr + off, &v, sizeof(v));
}

/*
 * Translate guest address base + off for up to @len bytes.  Returns the host
 * pointer and the contiguous length in *n, or NULL if the byte at base + off
 * is not accessible with @prot or the address wrapped past 2^64 (a page
 * fault at base + off in both cases).
 */
static inline uint8_t *
engine_xlate(const struct engine_job *j, uint64_t base, uint64_t off,
             uint64_t len, unsigned prot, uint64_t *n)
{
    uint64_t a = base + off;

    if (a < base) {
        return NULL;
    }
    return vidxd_as_translate(j->as, a, len, prot, n);
}

/*
 * Start fetching the line at @p for writing.  PREFETCHW brings it ready to
 * be written, without a later ownership request (the guest polls its
 * records from another core).  GCC emits it for __builtin_prefetch only
 * with -mprfchw, and CPUs without it may not take the encoding, so CPUID
 * decides once (engine_prfchw: -1 not probed yet, 0 no, 1 yes).
 */
extern int engine_prfchw;
int engine_prfchw_probe(void);

static inline void
engine_prefetch_w(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
    int v = __atomic_load_n(&engine_prfchw, __ATOMIC_RELAXED);

    if (v < 0) {
        v = engine_prfchw_probe();
    }
    if (v != 0) {
        __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
        return;
    }
#endif
    __builtin_prefetch(p, 1, 3);
}

/*
 * The record of a descriptor that writes one on success (CRAV and RCR)
 * is resolved before the operation runs and its line fetched for writing
 * meanwhile, so that the write at the end does not wait for memory with
 * nothing else in flight: guest records are rarely in this thread's
 * caches.  engine_record_prefetch() takes a host address the operation
 * already translated writable; engine_record_early() translates it.  A
 * record that does not translate is left to write_record(), which reports
 * it.
 */
static inline void
engine_record_prefetch(struct engine_job *j, uint8_t *h)
{
    j->crh = h;
    engine_prefetch_w(h);
}

void engine_record_early(struct engine_job *j);

/*
 * Translate the contiguous tail of [base, base + end): returns the host
 * pointer of its first byte and its length in *n (1 <= *n <= end), or NULL
 * if the byte at base + end - 1 is not accessible.  Used by descending
 * copies.
 */
uint8_t *engine_xlate_back(const struct engine_job *j, uint64_t base,
                           uint64_t end, unsigned prot, uint64_t *n);

/*
 * Record a page fault at @addr after @done bytes (§3.2): fault address and
 * bytes completed in the record, status PAGE_FAULT_NOBOF, or PAGE_FAULT_IR
 * when the descriptor asked to block on faults (no page request service
 * can make the address valid, so the request fails as with an Invalid
 * Request response), plus the write bit.
 */
static inline unsigned
engine_fault(struct engine_job *j, uint64_t addr, bool write, uint64_t done)
{
    j->cr.fault_addr = addr;
    j->cr.bytes_completed = (uint32_t)done;
    j->bytes = done;
    return (j->bof ? VIDXD_STATUS_PAGE_FAULT_IR
                   : VIDXD_STATUS_PAGE_FAULT_NOBOF) |
           (write ? VIDXD_STATUS_WRITE_FAULT : 0u);
}

/*
 * Copy between guest memory and a host buffer, crossing mappings.  Return
 * 0, or -1 with *fault set to the first inaccessible guest address (bytes
 * before it have been transferred).
 */
int engine_read(const struct engine_job *j, uint64_t iova, void *dst,
                uint64_t len, uint64_t *fault);
int engine_write(const struct engine_job *j, uint64_t iova, const void *src,
                 uint64_t len, uint64_t *fault);

static inline uint64_t
engine_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* True if [a, a + la) and [b, b + lb) intersect (la, lb > 0). */
static inline bool
engine_overlap(uint64_t a, uint64_t la, uint64_t b, uint64_t lb)
{
    return a >= b ? a - b < lb : b - a < la;
}

/* Transfer size rule shared by the data operations (§8 item 7). */
static inline bool
engine_size_bad(const struct engine_job *j, uint64_t size)
{
    return size == 0 || size > j->ctx->max_xfer_size;
}

/* Offset of the first byte where @a and @b differ, @n if none. */
uint64_t engine_first_diff(const uint8_t *a, const uint8_t *b, uint64_t n);

/* Operation kernels (ops_*.c).  Each validates its own fields first. */
engine_op_fn engine_op_memmove;
engine_op_fn engine_op_memfill;
engine_op_fn engine_op_dualcast;
engine_op_fn engine_op_cflush;
engine_op_fn engine_op_compare;
engine_op_fn engine_op_compval;
engine_op_fn engine_op_cr_delta;
engine_op_fn engine_op_ap_delta;
engine_op_fn engine_op_crcgen;
engine_op_fn engine_op_copy_crc;
engine_op_fn engine_op_dif_check;
engine_op_fn engine_op_dif_ins;
engine_op_fn engine_op_dif_strp;
engine_op_fn engine_op_dif_updt;

#endif /* VIDXD_ENGINE_INT_H */
