/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delta record kernels: CR_DELTA and AP_DELTA (reference/dsa.md §3.1).
 * A delta record is a list of 10-byte entries {u16 index of an 8-byte
 * word, u64 new data}, in increasing index order.  CR_DELTA compares two
 * buffers word by word and records the words of src2 that differ from
 * src1; AP_DELTA writes the recorded words into a destination buffer.
 * Both need 8-byte aligned buffers and a transfer size that is a multiple
 * of 8 and at most 512 KiB (2^16 words, the range of the index).
 */
#include <string.h>

#include "engine/engine_int.h"

static bool
delta_size_bad(const struct engine_job *j, uint64_t len)
{
    return engine_size_bad(j, len) || len % 8 != 0 ||
           len > VIDXD_DELTA_MAX_XFER;
}

/* The delta record being written: direct when it lies in one mapping. */
struct delta_out {
    uint64_t iova;
    uint8_t *host;
    uint32_t size;
};

/* Append one entry; returns 0 or a fault status. */
static unsigned
delta_put(struct engine_job *j, struct delta_out *o, uint16_t idx,
          uint64_t word, uint64_t done)
{
    uint8_t e[VIDXD_DELTA_ENTRY_SIZE];
    uint64_t fa = 0;

    memcpy(e, &idx, 2);
    memcpy(e + 2, &word, 8);
    if (o->host != NULL) {
        memcpy(o->host + o->size, e, sizeof(e));
    } else if (engine_write(j, o->iova + o->size, e, sizeof(e), &fa) != 0) {
        return engine_fault(j, fa, true, done);
    }
    o->size += VIDXD_DELTA_ENTRY_SIZE;
    return 0;
}

/*
 * Check Result with expected_res_mask (§3.1 CR_DELTA row): bit N of the
 * mask accepts result N; a result whose bit is clear is a false predicate.
 */
static unsigned
delta_predicate(struct engine_job *j, uint8_t result, unsigned st)
{
    j->cr.result = result;
    if (st == VIDXD_STATUS_SUCCESS && (j->flags & VIDXD_FLAG_CR) != 0 &&
        ((engine_d8(j, VIDXD_DESC_EXPECTED_RES_MASK) >> result) & 1) == 0) {
        return VIDXD_STATUS_SUCCESS_PRED;
    }
    return st;
}

/*
 * Compare one stretch of @n bytes (a multiple of 8) at byte offset @off of
 * both sources, appending the differing words of @b.  Returns 0 or a
 * fault status; sets *@overflow when an entry no longer fits in @max.
 */
static unsigned
delta_scan(struct engine_job *j, struct delta_out *o, uint32_t max,
           const uint8_t *a, const uint8_t *b, uint64_t n, uint64_t off,
           bool *overflow)
{
    uint64_t pos = 0;

    while (pos < n) {
        uint64_t w, k;
        unsigned st;

        pos += engine_first_diff(a + pos, b + pos, n - pos);
        if (pos >= n) {
            break;
        }
        k = pos & ~7ull;
        memcpy(&w, b + k, 8);
        if ((uint64_t)o->size + VIDXD_DELTA_ENTRY_SIZE > max) {
            *overflow = true;
            return 0;
        }
        st = delta_put(j, o, (uint16_t)((off + k) / 8), w, off + k);
        if (st != 0) {
            return st;
        }
        pos = k + 8;
    }
    return 0;
}

unsigned
engine_op_cr_delta(struct engine_job *j)
{
    uint64_t s1 = j->d->src, s2 = j->d->dst, len = j->d->xfer_size;
    uint64_t da = engine_d64(j, VIDXD_DESC_DELTA_ADDR), off = 0, n = 0;
    uint32_t max = engine_d32(j, VIDXD_DESC_MAX_DELTA_SIZE);
    struct delta_out o = {da, NULL, 0};
    bool overflow = false;
    unsigned st = VIDXD_STATUS_SUCCESS;

    if (delta_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    if (((s1 | s2 | da) & (VIDXD_DELTA_ALIGN - 1)) != 0) {
        return VIDXD_STATUS_ADDR_ALIGN;
    }
    if (max % VIDXD_DELTA_ENTRY_SIZE != 0 || max < VIDXD_DELTA_MIN_MAX_SIZE) {
        return VIDXD_STATUS_DR_ERANGE;
    }
    if (engine_overlap(da, max, s1, len) || engine_overlap(da, max, s2, len)) {
        return VIDXD_STATUS_OVERLAP_BUFFERS;
    }
    o.host = vidxd_as_translate(j->as, da, max, VIDXD_MEM_WRITE, &n);
    if (o.host != NULL && n < max) {
        o.host = NULL;
    }
    j->bytes = len;
    while (off < len && !overflow) {
        uint64_t n1 = 0, n2 = 0, w1, w2, fa = 0;
        const uint8_t *a =
            engine_xlate(j, s1, off, len - off, VIDXD_MEM_READ, &n1);
        const uint8_t *b;

        if (a == NULL) {
            st = engine_fault(j, s1 + off, false, off);
            break;
        }
        b = engine_xlate(j, s2, off, len - off, VIDXD_MEM_READ, &n2);
        if (b == NULL) {
            st = engine_fault(j, s2 + off, false, off);
            break;
        }
        n1 = engine_min(n1, n2) & ~7ull;
        if (n1 > 0) {
            st = delta_scan(j, &o, max, a, b, n1, off, &overflow);
            if (st != 0) {
                break;
            }
            st = VIDXD_STATUS_SUCCESS;
            off += n1;
            continue;
        }
        /* A word straddles a mapping boundary: read it piecewise. */
        if (engine_read(j, s1 + off, &w1, 8, &fa) != 0 ||
            engine_read(j, s2 + off, &w2, 8, &fa) != 0) {
            st = engine_fault(j, fa, false, off);
            break;
        }
        if (w1 != w2) {
            if ((uint64_t)o.size + VIDXD_DELTA_ENTRY_SIZE > max) {
                overflow = true;
                break;
            }
            st = delta_put(j, &o, (uint16_t)(off / 8), w2, off);
            if (st != 0) {
                break;
            }
            st = VIDXD_STATUS_SUCCESS;
        }
        off += 8;
    }
    engine_cr32(j, VIDXD_COMP_DELTA_REC_SIZE, o.size);
    if (st != VIDXD_STATUS_SUCCESS) {
        return st;
    }
    return delta_predicate(j,
                           overflow     ? VIDXD_RESULT_DELTA_OVERFLOW
                           : o.size > 0 ? VIDXD_RESULT_DIFFERENT
                                        : VIDXD_RESULT_EQUAL,
                           st);
}

/*
 * AP_DELTA: entries are applied in order; an index not above the previous
 * one is DR_OFFSET_NOINC, an index beyond the buffer DR_OFFSET_ERANGE
 * (entries before it stay applied, bytes_completed counts the record bytes
 * consumed).
 */
unsigned
engine_op_ap_delta(struct engine_job *j)
{
    uint64_t rec = j->d->src, dst = j->d->dst, len = j->d->xfer_size;
    uint32_t rsz = engine_d32(j, VIDXD_DESC_DELTA_REC_SIZE), pos;
    uint64_t n = 0, fa = 0;
    const uint8_t *rh;
    uint8_t *dh;
    int prev = -1;

    if (delta_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    if (((rec | dst) & (VIDXD_DELTA_ALIGN - 1)) != 0) {
        return VIDXD_STATUS_ADDR_ALIGN;
    }
    if (rsz == 0 || rsz % VIDXD_DELTA_ENTRY_SIZE != 0) {
        return VIDXD_STATUS_DR_ERANGE;
    }
    if (engine_overlap(rec, rsz, dst, len)) {
        return VIDXD_STATUS_OVERLAP_BUFFERS;
    }
    rh = vidxd_as_translate(j->as, rec, rsz, VIDXD_MEM_READ, &n);
    if (rh != NULL && n < rsz) {
        rh = NULL;
    }
    dh = vidxd_as_translate(j->as, dst, len, VIDXD_MEM_WRITE, &n);
    if (dh != NULL && n < len) {
        dh = NULL;
    }
    j->bytes = len;
    for (pos = 0; pos < rsz; pos += VIDXD_DELTA_ENTRY_SIZE) {
        uint8_t e[VIDXD_DELTA_ENTRY_SIZE];
        uint16_t idx;

        if (rh != NULL) {
            memcpy(e, rh + pos, sizeof(e));
        } else if (engine_read(j, rec + pos, e, sizeof(e), &fa) != 0) {
            return engine_fault(j, fa, false, pos);
        }
        memcpy(&idx, e, 2);
        if ((int)idx <= prev) {
            j->cr.bytes_completed = pos;
            return VIDXD_STATUS_DR_OFFSET_NOINC;
        }
        if ((uint64_t)idx * 8 >= len) {
            j->cr.bytes_completed = pos;
            return VIDXD_STATUS_DR_OFFSET_ERANGE;
        }
        prev = idx;
        if (dh != NULL) {
            memcpy(dh + (uint64_t)idx * 8, e + 2, 8);
        } else if (engine_write(j, dst + (uint64_t)idx * 8, e + 2, 8, &fa) !=
                   0) {
            return engine_fault(j, fa, true, pos);
        }
    }
    return VIDXD_STATUS_SUCCESS;
}
