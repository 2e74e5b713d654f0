/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compare kernels: COMPARE (two buffers) and COMPVAL (buffer against an
 * 8-byte pattern), reference/dsa.md §3.1.  Result 0 means equal, 1 means
 * different with bytes_completed holding the offset of the first differing
 * byte.  With the Check Result flag a result other than expected_res gives
 * SUCCESS_PRED, the "false predicate" a fenced batch uses to stop.
 * Scanning uses glibc memcmp (vectorised) block by block and narrows down
 * only inside the block that differs.
 */
#include <string.h>

#include "engine/engine_int.h"

#define CMP_BLOCK 4096u
#define PAT_BUF (CMP_BLOCK + 8u)

/* Offset of the first byte where a and b differ (n if none). */
uint64_t
engine_first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
    uint64_t off = 0, i;

    while (off < n) {
        uint64_t c = engine_min(n - off, CMP_BLOCK);

        if (memcmp(a + off, b + off, c) != 0) {
            for (i = off; i + 8 <= off + c; i += 8) {
                uint64_t x, y;

                memcpy(&x, a + i, 8);
                memcpy(&y, b + i, 8);
                if (x != y) {
                    return i + (uint64_t)__builtin_ctzll(x ^ y) / 8;
                }
            }
            while (a[i] == b[i]) {
                i++;
            }
            return i;
        }
        off += c;
    }
    return n;
}

static unsigned
predicate(struct engine_job *j, uint8_t result)
{
    j->cr.result = result;
    if ((j->flags & VIDXD_FLAG_CR) != 0 &&
        result != engine_d8(j, VIDXD_DESC_EXPECTED_RES)) {
        return VIDXD_STATUS_SUCCESS_PRED;
    }
    return VIDXD_STATUS_SUCCESS;
}

unsigned
engine_op_compare(struct engine_job *j)
{
    uint64_t s1 = j->d->src, s2 = j->d->dst, len = j->d->xfer_size;
    uint64_t off = 0;

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    j->bytes = len;
    while (off < len) {
        uint64_t n1 = 0, n2 = 0, pos;
        const uint8_t *a =
            engine_xlate(j, s1, off, len - off, VIDXD_MEM_READ, &n1);
        const uint8_t *b;

        if (a == NULL) {
            return engine_fault(j, s1 + off, false, off);
        }
        b = engine_xlate(j, s2, off, len - off, VIDXD_MEM_READ, &n2);
        if (b == NULL) {
            return engine_fault(j, s2 + off, false, off);
        }
        n1 = engine_min(n1, n2);
        pos = engine_first_diff(a, b, n1);
        if (pos < n1) {
            j->cr.bytes_completed = (uint32_t)(off + pos);
            return predicate(j, VIDXD_RESULT_DIFFERENT);
        }
        off += n1;
    }
    return predicate(j, VIDXD_RESULT_EQUAL);
}

/*
 * COMPVAL: byte i of the source is compared with byte i % 8 of the pattern
 * (the pattern field, little-endian, at descriptor offset 0x18).
 */
unsigned
engine_op_compval(struct engine_job *j)
{
    uint64_t src = j->d->src, pat = j->d->dst, len = j->d->xfer_size;
    uint64_t off = 0, i, plen;
    uint8_t pbuf[PAT_BUF];

    if (engine_size_bad(j, len)) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    j->bytes = len;
    plen = engine_min(len, CMP_BLOCK) + 8;
    for (i = 0; i < plen; i += 8) {
        memcpy(pbuf + i, &pat, 8);
    }
    while (off < len) {
        uint64_t n = 0, done = 0;
        const uint8_t *a =
            engine_xlate(j, src, off, len - off, VIDXD_MEM_READ, &n);

        if (a == NULL) {
            return engine_fault(j, src + off, false, off);
        }
        while (done < n) {
            uint64_t c = engine_min(n - done, CMP_BLOCK), pos;

            pos = engine_first_diff(a + done, pbuf + ((off + done) & 7), c);
            if (pos < c) {
                j->cr.bytes_completed = (uint32_t)(off + done + pos);
                return predicate(j, VIDXD_RESULT_DIFFERENT);
            }
            done += c;
        }
        off += n;
    }
    return predicate(j, VIDXD_RESULT_EQUAL);
}
