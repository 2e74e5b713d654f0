/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * T10 DIF kernels: DIF_CHECK, DIF_INS, DIF_STRP, DIF_UPDT (reference/dsa.md
 * §3.1 "DIF details", §3.2).  Data is a run of blocks of 512, 520, 4096 or
 * 4104 bytes, each followed (in protected form) by an 8-byte tuple: guard
 * (CRC16 T10-DIF, polynomial 0x8BB7, via ISA-L), application tag and
 * reference tag, all big-endian.
 *
 * Choices where the reference is silent, applied consistently:
 * - The application tag mask has 1 for bits that are not checked (SPDK
 *   programs 0xffff to disable the check).  When a destination tag is
 *   generated, the masked bits come from the source tag (DIF_UPDT) or are
 *   zero (DIF_INS, which has no source tag).
 * - All-F detect (source flag bit 1) on an all-ones tuple skips the block's
 *   checks, or is an error (dif_status bit 3) with flag bit 0.
 * - Processing stops at the first failing block; bytes_completed is the
 *   number of source bytes of the blocks before it, and the record's tag
 *   fields hold the tags expected for that block (after a success: for the
 *   block after the last), so software can resubmit from there.
 */
#include <isa-l/crc.h>
#include <string.h>

#include "engine/engine_int.h"

#define DIF_MAX_STEP (4104u + VIDXD_DIF_TUPLE_SIZE)

static const uint32_t dif_blk[4] = {512, 520, 4096, 4104};

struct dif_tags {
    uint32_t ref;
    uint16_t app;
    uint16_t mask;
    uint8_t flags;
};

struct dif_cfg {
    uint32_t blk;
    uint16_t seed;
    bool inv;
    struct dif_tags src, dst;
};

typedef unsigned dif_block_fn(const struct dif_cfg *c, const uint8_t *in,
                              uint8_t *out, uint64_t b);

static void
dif_cfg_init(const struct engine_job *j, struct dif_cfg *c)
{
    uint8_t f = engine_d8(j, VIDXD_DESC_DIF_FLAGS);

    c->blk = dif_blk[f & VIDXD_DIF_BLOCK_SIZE_MASK];
    c->seed = (f & VIDXD_DIF_INVERT_CRC_SEED) != 0 ? 0xffff : 0;
    c->inv = (f & VIDXD_DIF_INVERT_CRC_RESULT) != 0;
    c->src.flags = engine_d8(j, VIDXD_DESC_DIF_SRC_FLAGS);
    c->src.ref = engine_d32(j, VIDXD_DESC_DIF_SRC_REF_TAG);
    c->src.mask = engine_d16(j, VIDXD_DESC_DIF_SRC_APP_MASK);
    c->src.app = engine_d16(j, VIDXD_DESC_DIF_SRC_APP_TAG);
    c->dst.flags = engine_d8(j, VIDXD_DESC_DIF_DST_FLAGS);
    c->dst.ref = engine_d32(j, VIDXD_DESC_DIF_DST_REF_TAG);
    c->dst.mask = engine_d16(j, VIDXD_DESC_DIF_DST_APP_MASK);
    c->dst.app = engine_d16(j, VIDXD_DESC_DIF_DST_APP_TAG);
}

/* Tags of block @b: reference tag increments unless fixed, app tag fixed
 * unless incrementing (source and destination flags share bit layout). */
static uint32_t
tag_ref(const struct dif_tags *t, uint64_t b)
{
    return (t->flags & VIDXD_DIF_SRC_REF_TAG_FIXED) != 0 ? t->ref
                                                         : t->ref + (uint32_t)b;
}

static uint16_t
tag_app(const struct dif_tags *t, uint64_t b)
{
    return (t->flags & VIDXD_DIF_SRC_APP_TAG_INC) != 0
               ? (uint16_t)(t->app + (uint16_t)b)
               : t->app;
}

static uint16_t
be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void
put_tuple(uint8_t *p, uint16_t guard, uint16_t app, uint32_t ref)
{
    p[0] = (uint8_t)(guard >> 8);
    p[1] = (uint8_t)guard;
    p[2] = (uint8_t)(app >> 8);
    p[3] = (uint8_t)app;
    p[4] = (uint8_t)(ref >> 24);
    p[5] = (uint8_t)(ref >> 16);
    p[6] = (uint8_t)(ref >> 8);
    p[7] = (uint8_t)ref;
}

static uint16_t
dif_guard(const struct dif_cfg *c, const uint8_t *data)
{
    uint16_t g = crc16_t10dif(c->seed, data, c->blk);

    return c->inv ? (uint16_t)~g : g;
}

/*
 * Check block @b against its tuple; returns dif_status bits (0 = good).
 * @g is the block's guard if already computed, or -1.
 */
static unsigned
dif_check_block(const struct dif_cfg *c, const uint8_t *data, int32_t g,
                uint64_t b)
{
    const uint8_t *t = data + c->blk;
    uint8_t f = c->src.flags;
    uint16_t app = be16(t + 2);
    uint32_t ref = be32(t + 4);
    unsigned st = 0;

    if ((f & VIDXD_DIF_SRC_ALL_F_DETECT) != 0 && be16(t) == 0xffff &&
        app == 0xffff && ref == 0xffffffffu) {
        return (f & VIDXD_DIF_SRC_ALL_F_DETECT_ERR) != 0
                   ? VIDXD_DIF_STATUS_ALL_F
                   : 0;
    }
    if ((f & VIDXD_DIF_SRC_APP_REF_F_DETECT) != 0 && app == 0xffff &&
        ref == 0xffffffffu) {
        return 0;
    }
    if ((f & VIDXD_DIF_SRC_APP_F_DETECT) != 0 && app == 0xffff) {
        return 0;
    }
    if ((f & VIDXD_DIF_SRC_GUARD_CHECK_DISABLE) == 0) {
        if (g < 0) {
            g = dif_guard(c, data);
        }
        if ((uint16_t)g != be16(t)) {
            st |= VIDXD_DIF_STATUS_GUARD;
        }
    }
    if (((app ^ tag_app(&c->src, b)) & (uint16_t)~c->src.mask) != 0) {
        st |= VIDXD_DIF_STATUS_APP_TAG;
    }
    if ((f & VIDXD_DIF_SRC_REF_CHECK_DISABLE) == 0 &&
        ref != tag_ref(&c->src, b)) {
        st |= VIDXD_DIF_STATUS_REF_TAG;
    }
    return st;
}

static unsigned
blk_check(const struct dif_cfg *c, const uint8_t *in, uint8_t *out, uint64_t b)
{
    (void)out;
    return dif_check_block(c, in, -1, b);
}

static unsigned
blk_strip(const struct dif_cfg *c, const uint8_t *in, uint8_t *out, uint64_t b)
{
    unsigned st = dif_check_block(c, in, -1, b);

    if (st == 0) {
        memcpy(out, in, c->blk);
    }
    return st;
}

static unsigned
blk_insert(const struct dif_cfg *c, const uint8_t *in, uint8_t *out, uint64_t b)
{
    uint16_t g = crc16_t10dif_copy(c->seed, out, (uint8_t *)in, c->blk);

    put_tuple(out + c->blk, c->inv ? (uint16_t)~g : g,
              (uint16_t)(tag_app(&c->dst, b) & ~c->dst.mask),
              tag_ref(&c->dst, b));
    return 0;
}

static unsigned
blk_update(const struct dif_cfg *c, const uint8_t *in, uint8_t *out, uint64_t b)
{
    const uint8_t *t = in + c->blk;
    uint8_t f = c->dst.flags;
    uint16_t g = dif_guard(c, in), sapp = be16(t + 2), app;
    uint32_t ref;
    unsigned st = dif_check_block(c, in, g, b);

    if (st != 0) {
        return st;
    }
    if ((f & VIDXD_DIF_DST_GUARD_PASS) != 0) {
        g = be16(t);
    }
    app = (f & VIDXD_DIF_DST_APP_PASS) != 0
              ? sapp
              : (uint16_t)((sapp & c->dst.mask) |
                           (tag_app(&c->dst, b) & ~c->dst.mask));
    ref = (f & VIDXD_DIF_DST_REF_PASS) != 0 ? be32(t + 4) : tag_ref(&c->dst, b);
    memcpy(out, in, c->blk);
    put_tuple(out + c->blk, g, app, ref);
    return 0;
}

/* Transfer size (whole blocks) and overlap checks: 0 or a status. */
static unsigned
dif_validate(const struct engine_job *j, uint32_t in_step, uint32_t out_step)
{
    uint64_t len = j->d->xfer_size, nblk;

    if (engine_size_bad(j, len) || len % in_step != 0) {
        return VIDXD_STATUS_XFER_ERANGE;
    }
    nblk = len / in_step;
    if (out_step != 0 &&
        engine_overlap(j->d->src, len, j->d->dst, nblk * out_step)) {
        return VIDXD_STATUS_OVERLAP_BUFFERS;
    }
    return 0;
}

/*
 * Run @fn over every block.  Buffers in one mapping are used in place;
 * otherwise each block goes through a bounce buffer so that a block split
 * by a mapping boundary is still processed, and a missing page ends the
 * operation at that block.
 */
static unsigned
dif_run(struct engine_job *j, const struct dif_cfg *c, uint32_t in_step,
        uint32_t out_step, dif_block_fn *fn)
{
    uint64_t src = j->d->src, dst = j->d->dst, len = j->d->xfer_size;
    uint64_t nblk = len / in_step, b, n = 0, fa = 0;
    const uint8_t *sh;
    uint8_t *dh = NULL;
    uint8_t ibuf[DIF_MAX_STEP], obuf[DIF_MAX_STEP];
    unsigned st;

    j->bytes = len;
    sh = vidxd_as_translate(j->as, src, len, VIDXD_MEM_READ, &n);
    if (sh != NULL && n < len) {
        sh = NULL;
    }
    if (out_step != 0) {
        dh = vidxd_as_translate(j->as, dst, nblk * out_step, VIDXD_MEM_WRITE,
                                &n);
        if (dh != NULL && n < nblk * out_step) {
            dh = NULL;
        }
    }
    for (b = 0; b < nblk; b++) {
        const uint8_t *in;
        uint8_t *out = obuf;

        if (sh != NULL) {
            in = sh + b * in_step;
        } else if (engine_read(j, src + b * in_step, ibuf, in_step, &fa) == 0) {
            in = ibuf;
        } else {
            st = engine_fault(j, fa, false, b * in_step);
            goto stop;
        }
        if (dh != NULL) {
            out = dh + b * out_step;
        }
        st = fn(c, in, out, b);
        if (st != 0) {
            j->cr.result = (uint8_t)st;
            j->cr.bytes_completed = (uint32_t)(b * in_step);
            st = VIDXD_STATUS_DIF_ERR;
            goto stop;
        }
        if (out_step != 0 && dh == NULL &&
            engine_write(j, dst + b * out_step, obuf, out_step, &fa) != 0) {
            st = engine_fault(j, fa, true, b * in_step);
            goto stop;
        }
    }
    st = VIDXD_STATUS_SUCCESS;
stop:
    /* Tags of the block where processing stopped (see the file comment). */
    engine_cr32(j, VIDXD_COMP_DIF_SRC_REF_TAG, tag_ref(&c->src, b));
    engine_cr16(j, VIDXD_COMP_DIF_SRC_APP_MASK, c->src.mask);
    engine_cr16(j, VIDXD_COMP_DIF_SRC_APP_TAG, tag_app(&c->src, b));
    engine_cr32(j, VIDXD_COMP_DIF_DST_REF_TAG, tag_ref(&c->dst, b));
    engine_cr16(j, VIDXD_COMP_DIF_DST_APP_MASK, c->dst.mask);
    engine_cr16(j, VIDXD_COMP_DIF_DST_APP_TAG, tag_app(&c->dst, b));
    return st;
}

/* Clear the record fields an operation does not define (§3.2). */
static unsigned
dif_finish(struct engine_job *j, unsigned st, bool src, bool dst)
{
    if (!src) {
        memset(j->cr.op_specific, 0, 8);
    }
    if (!dst) {
        memset(j->cr.op_specific + 8, 0, 8);
    }
    return st;
}

unsigned
engine_op_dif_check(struct engine_job *j)
{
    struct dif_cfg c;
    unsigned st;

    dif_cfg_init(j, &c);
    st = dif_validate(j, c.blk + VIDXD_DIF_TUPLE_SIZE, 0);
    if (st != 0) {
        return st;
    }
    st = dif_run(j, &c, c.blk + VIDXD_DIF_TUPLE_SIZE, 0, blk_check);
    return dif_finish(j, st, true, false);
}

unsigned
engine_op_dif_strp(struct engine_job *j)
{
    struct dif_cfg c;
    unsigned st;

    dif_cfg_init(j, &c);
    st = dif_validate(j, c.blk + VIDXD_DIF_TUPLE_SIZE, c.blk);
    if (st != 0) {
        return st;
    }
    st = dif_run(j, &c, c.blk + VIDXD_DIF_TUPLE_SIZE, c.blk, blk_strip);
    return dif_finish(j, st, true, false);
}

unsigned
engine_op_dif_ins(struct engine_job *j)
{
    struct dif_cfg c;
    unsigned st;

    dif_cfg_init(j, &c);
    st = dif_validate(j, c.blk, c.blk + VIDXD_DIF_TUPLE_SIZE);
    if (st != 0) {
        return st;
    }
    st = dif_run(j, &c, c.blk, c.blk + VIDXD_DIF_TUPLE_SIZE, blk_insert);
    return dif_finish(j, st, false, true);
}

unsigned
engine_op_dif_updt(struct engine_job *j)
{
    struct dif_cfg c;
    unsigned st;

    dif_cfg_init(j, &c);
    st = dif_validate(j, c.blk + VIDXD_DIF_TUPLE_SIZE,
                      c.blk + VIDXD_DIF_TUPLE_SIZE);
    if (st != 0) {
        return st;
    }
    st = dif_run(j, &c, c.blk + VIDXD_DIF_TUPLE_SIZE,
                 c.blk + VIDXD_DIF_TUPLE_SIZE, blk_update);
    return dif_finish(j, st, true, true);
}
