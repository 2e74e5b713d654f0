/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC kernels: CRCGEN and COPY_CRC (reference/dsa.md §0 item 10, §3.1).
 * DSA's CRC is CRC-32C (reflected 0x82F63B78) started from the inverted
 * seed and inverted at the end, so seed 0 gives the standard CRC32C and a
 * previous result used as the seed continues the computation.  ISA-L's
 * crc32_iscsi() runs the register without the inversions, hence
 * crc = ~crc32_iscsi(data, ~seed).  On a page fault the record holds the
 * CRC of the bytes completed, so software can resume with it as the seed.
 */
#include <isa-l/crc.h>
#include <string.h>

#include "engine/engine_int.h"

/* COPY_CRC works in slices that stay in L1/L2 between the CRC and copy. */
#define COPY_CRC_SLICE (16u * 1024u)
/* crc32_iscsi() takes an int length. */
#define CRC_CHUNK (1u << 30)

static uint32_t
crc_update(uint32_t raw, const uint8_t *p, uint64_t n)
{
    while (n > 0) {
        uint64_t c = engine_min(n, CRC_CHUNK);

        raw = crc32_iscsi((unsigned char *)p, (int)c, raw);
        p += c;
        n -= c;
    }
    return raw;
}

/*
 * Fetch the seed: the descriptor field, or with READ_CRC_SEED (flag bit 16)
 * a 4-byte aligned u32 at seed_addr.  Returns 0 or a status.
 */
static unsigned
crc_seed(struct engine_job *j, uint32_t *raw)
{
    uint32_t seed = engine_d32(j, VIDXD_DESC_CRC_SEED);
    uint64_t a = engine_d64(j, VIDXD_DESC_CRC_SEED_ADDR), fa = 0;

    if ((j->flags & VIDXD_FLAG_CRC_READ_SEED) != 0) {
        if ((a & (VIDXD_CRC_SEED_ALIGN - 1)) != 0) {
            return VIDXD_STATUS_ADDR_ALIGN;
        }
        if (engine_read(j, a, &seed, sizeof(seed), &fa) != 0) {
            return engine_fault(j, fa, false, 0);
        }
    }
    *raw = ~seed;
    return 0;
}

/* Common start of both ops once the buffers are checked: the seed, the
 * early completion-record fields and the byte count.  0 or a status. */
static unsigned
crc_start(struct engine_job *j, uint64_t len, uint32_t *raw)
{
    unsigned st = crc_seed(j, raw);

    if (st != 0) {
        return st;
    }
    engine_record_early(j);
    j->bytes = len;
    return 0;
}

static unsigned
crc_done(struct engine_job *j, uint32_t raw, unsigned st)
{
    engine_cr32(j, VIDXD_COMP_CRC_VAL, ~raw);
    return st;
}

unsigned
engine_op_crcgen(struct engine_job *j)
{
    uint64_t src = j->d->src, len = j->d->xfer_size, off = 0;
    uint32_t raw = 0;
    unsigned st;

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    st = crc_start(j, len, &raw);
    if (st != 0) {
        return st;
    }
    while (off < len) {
        uint64_t n = 0;
        const uint8_t *s =
            engine_xlate(j, src, off, len - off, VIDXD_MEM_READ, &n);

        if (s == NULL) {
            return crc_done(j, raw, engine_fault(j, src + off, false, off));
        }
        raw = crc_update(raw, s, n);
        off += n;
    }
    return crc_done(j, raw, VIDXD_STATUS_SUCCESS);
}

/* COPY_CRC: copy src to dst and CRC the data; the buffers may not overlap. */
unsigned
engine_op_copy_crc(struct engine_job *j)
{
    uint64_t src = j->d->src, dst = j->d->dst, len = j->d->xfer_size;
    uint64_t off = 0;
    uint32_t raw = 0;
    unsigned st;

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    if (engine_overlap(src, len, dst, len)) {
        return VIDXD_STATUS_OVERLAP_BUFFERS;
    }
    st = crc_start(j, len, &raw);
    if (st != 0) {
        return st;
    }
    while (off < len) {
        uint64_t ns = 0, nd = 0, i;
        const uint8_t *s =
            engine_xlate(j, src, off, len - off, VIDXD_MEM_READ, &ns);
        uint8_t *t;

        if (s == NULL) {
            return crc_done(j, raw, engine_fault(j, src + off, false, off));
        }
        t = engine_xlate(j, dst, off, len - off, VIDXD_MEM_WRITE, &nd);
        if (t == NULL) {
            return crc_done(j, raw, engine_fault(j, dst + off, true, off));
        }
        ns = engine_min(ns, nd);
        for (i = 0; i < ns; i += COPY_CRC_SLICE) {
            uint64_t c = engine_min(COPY_CRC_SLICE, ns - i);

            raw = crc_update(raw, s + i, c);
            memcpy(t + i, s + i, c);
        }
        off += ns;
    }
    return crc_done(j, raw, VIDXD_STATUS_SUCCESS);
}
