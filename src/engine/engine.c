/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Descriptor execution: decode and validate a 64-byte work descriptor as
 * hardware does (reference/dsa.md §3.1, §8 item 7), dispatch it to an
 * operation kernel, write the completion record with the status byte last
 * (§3.2) and request the completion interrupt.  Also home of the control
 * operations (NOOP, DRAIN, BATCH) and of the guest-memory helpers shared by
 * the kernels in ops_*.c.
 *
 * Validation order, applied to every descriptor, including each one of a
 * batch: completion record alignment (no record can be written, so the
 * error goes to ops->error), opcode, flags, interrupt handle, reserved
 * fields, then the operation's own field checks, then execution.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stddef.h>
#include <string.h>

#include "engine/engine_int.h"

/* What a descriptor of each opcode uses (selects the reserved checks). */
#define USE_SRC 0x01u
#define USE_DST 0x02u
#define USE_SIZE 0x04u
#define USE_CHECK_RESULT 0x08u /* the Check Result flag is defined */
#define USE_CRC_SEED 0x10u     /* the Read CRC Seed flag is defined */

struct engine_opinfo {
    union {
        uint8_t b[24];
        uint64_t q[3];
    } os; /* bits of op_specific[] (0x28..0x3f) in use */
    engine_op_fn *fn;
    uint8_t use;
    /* Derived from use at compile time, for a branch-free fast path: */
    uint32_t flags;  /* flags allowed whatever GENCAP says */
    uint64_t rsv[3]; /* must-be-zero bits of src, dst, xfer_size qwords */
};

/* Flags every operation accepts (§3.1 flag list). */
#define FLAGS_COMMON                                                           \
    (VIDXD_FLAG_FENCE | VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR | VIDXD_FLAG_RCI |    \
     VIDXD_FLAG_ADDR1_TCS | VIDXD_FLAG_ADDR2_TCS | VIDXD_FLAG_ADDR3_TCS |      \
     VIDXD_FLAG_CR_TCS | VIDXD_FLAG_STORD)

static engine_op_fn op_noop;
static engine_op_fn op_drain;
static engine_op_fn op_batch;

/* clang-format off */
#define OS_U8(off, m) [(off) - 0x28] = (m)
#define OS_U16(off) [(off) - 0x28] = 0xff, [(off) - 0x27] = 0xff
#define OS_U32(off)                                                            \
    [(off) - 0x28] = 0xff, [(off) - 0x27] = 0xff, [(off) - 0x26] = 0xff,       \
    [(off) - 0x25] = 0xff
#define OS_U64(off) OS_U32(off), OS_U32((off) + 4)

/*
 * The DSA 1.0 operation set (§3.1 per-operation table).  Opcodes not listed
 * here, or whose OPCAP bit is clear, fail with BAD_OPCODE.
 */
#define OP_FLAGS(use)                                                          \
    (FLAGS_COMMON | (((use) & USE_CHECK_RESULT) ? VIDXD_FLAG_CR : 0u) |        \
     (((use) & USE_CRC_SEED) ? VIDXD_FLAG_CRC_READ_SEED : 0u))
#define OP_RSV(use)                                                            \
    {((use) & USE_SRC) ? 0 : ~0ull, ((use) & USE_DST) ? 0 : ~0ull,             \
     ((use) & USE_SIZE) ? 0 : 0xffffffffull}
#define OP0(f, u)                                                              \
    {.os = {.b = {0}}, .fn = (f), .use = (u), .flags = OP_FLAGS(u),           \
     .rsv = OP_RSV(u)}
#define OP(f, u, ...)                                                          \
    {.os = {.b = {__VA_ARGS__}}, .fn = (f), .use = (u),                        \
     .flags = OP_FLAGS(u), .rsv = OP_RSV(u)}
#define SDU (USE_SRC | USE_DST | USE_SIZE)

static const struct engine_opinfo engine_ops[VIDXD_OP_CFLUSH + 1] = {
    [VIDXD_OP_NOOP] = OP0(op_noop, 0),
    [VIDXD_OP_BATCH] = OP0(op_batch, USE_SRC | USE_SIZE),
    [VIDXD_OP_DRAIN] = OP0(op_drain, USE_SRC | USE_DST),
    [VIDXD_OP_MEMMOVE] = OP0(engine_op_memmove, SDU),
    [VIDXD_OP_MEMFILL] = OP0(engine_op_memfill, SDU),
    [VIDXD_OP_COMPARE] = OP(engine_op_compare, SDU | USE_CHECK_RESULT,
                            OS_U8(VIDXD_DESC_EXPECTED_RES, 0x01)),
    [VIDXD_OP_COMPVAL] = OP(engine_op_compval, SDU | USE_CHECK_RESULT,
                            OS_U8(VIDXD_DESC_EXPECTED_RES, 0x01)),
    [VIDXD_OP_CR_DELTA] = OP(engine_op_cr_delta, SDU | USE_CHECK_RESULT,
                             OS_U64(VIDXD_DESC_DELTA_ADDR),
                             OS_U32(VIDXD_DESC_MAX_DELTA_SIZE),
                             OS_U8(VIDXD_DESC_EXPECTED_RES_MASK, 0x07)),
    [VIDXD_OP_AP_DELTA] = OP(engine_op_ap_delta, SDU,
                             OS_U32(VIDXD_DESC_DELTA_REC_SIZE)),
    [VIDXD_OP_DUALCAST] = OP(engine_op_dualcast, SDU,
                             OS_U64(VIDXD_DESC_DEST2)),
    [VIDXD_OP_CRCGEN] = OP(engine_op_crcgen,
                           USE_SRC | USE_SIZE | USE_CRC_SEED,
                           OS_U32(VIDXD_DESC_CRC_SEED),
                           OS_U64(VIDXD_DESC_CRC_SEED_ADDR)),
    [VIDXD_OP_COPY_CRC] = OP(engine_op_copy_crc, SDU | USE_CRC_SEED,
                             OS_U32(VIDXD_DESC_CRC_SEED),
                             OS_U64(VIDXD_DESC_CRC_SEED_ADDR)),
    [VIDXD_OP_DIF_CHECK] = OP(engine_op_dif_check, USE_SRC | USE_SIZE,
                              OS_U8(VIDXD_DESC_DIF_SRC_FLAGS, 0xff),
                              OS_U8(VIDXD_DESC_DIF_FLAGS, 0x0f),
                              OS_U32(VIDXD_DESC_DIF_SRC_REF_TAG),
                              OS_U16(VIDXD_DESC_DIF_SRC_APP_MASK),
                              OS_U16(VIDXD_DESC_DIF_SRC_APP_TAG)),
    [VIDXD_OP_DIF_INS] = OP(engine_op_dif_ins, SDU,
                            OS_U8(VIDXD_DESC_DIF_DST_FLAGS, 0xf8),
                            OS_U8(VIDXD_DESC_DIF_FLAGS, 0x0f),
                            OS_U32(VIDXD_DESC_DIF_DST_REF_TAG),
                            OS_U16(VIDXD_DESC_DIF_DST_APP_MASK),
                            OS_U16(VIDXD_DESC_DIF_DST_APP_TAG)),
    [VIDXD_OP_DIF_STRP] = OP(engine_op_dif_strp, SDU,
                             OS_U8(VIDXD_DESC_DIF_SRC_FLAGS, 0xff),
                             OS_U8(VIDXD_DESC_DIF_FLAGS, 0x0f),
                             OS_U32(VIDXD_DESC_DIF_SRC_REF_TAG),
                             OS_U16(VIDXD_DESC_DIF_SRC_APP_MASK),
                             OS_U16(VIDXD_DESC_DIF_SRC_APP_TAG)),
    [VIDXD_OP_DIF_UPDT] = OP(engine_op_dif_updt, SDU,
                             OS_U8(VIDXD_DESC_DIF_SRC_FLAGS, 0xff),
                             OS_U8(VIDXD_DESC_DIF_DST_FLAGS, 0xf8),
                             OS_U8(VIDXD_DESC_DIF_FLAGS, 0x0f),
                             OS_U32(VIDXD_DESC_DIF_SRC_REF_TAG),
                             OS_U16(VIDXD_DESC_DIF_SRC_APP_MASK),
                             OS_U16(VIDXD_DESC_DIF_SRC_APP_TAG),
                             OS_U32(VIDXD_DESC_DIF_DST_REF_TAG),
                             OS_U16(VIDXD_DESC_DIF_DST_APP_MASK),
                             OS_U16(VIDXD_DESC_DIF_DST_APP_TAG)),
    [VIDXD_OP_CFLUSH] = OP0(engine_op_cflush, USE_DST | USE_SIZE),
};
/* clang-format on */

static unsigned engine_run(const struct vidxd_engine_ctx *ctx,
                           const struct vidxd_desc *d, bool in_batch,
                           uint16_t idx);

static bool
status_ok(unsigned st)
{
    return st == VIDXD_STATUS_SUCCESS || st == VIDXD_STATUS_SUCCESS_PRED;
}

/*
 * Flags a descriptor of @op may carry on this device beyond the table's
 * (oi->flags: the common ones, Check Result only for the predicate
 * operations, bit 16 only for the CRC operations): BOF, CC and DRDBK exist
 * only if GENCAP advertises them.  CRSTS (5), bit 6, DSTS (15) and bits
 * 17-23 are DSA 2.0 or reserved.
 */
static uint32_t
gencap_flags(const struct vidxd_engine_ctx *ctx, unsigned op)
{
    uint32_t ok = 0;
    uint64_t cc = op == VIDXD_OP_CFLUSH ? VIDXD_GENCAP_CACHE_CTRL_CACHE
                                        : VIDXD_GENCAP_CACHE_CTRL_MEM;

    if ((ctx->gencap & VIDXD_GENCAP_BLOCK_ON_FAULT) != 0) {
        ok |= VIDXD_FLAG_BOF;
    }
    if ((ctx->gencap & cc) != 0) {
        ok |= VIDXD_FLAG_CC;
    }
    if ((ctx->gencap & VIDXD_GENCAP_DEST_READBACK) != 0) {
        ok |= VIDXD_FLAG_DRDBK;
    }
    return ok;
}

/*
 * Reserved bits of the descriptor as eight little-endian qwords: PASID
 * bits 30:20 (qword 0), the reserved word at 0x26 (qword 4), src, dst and
 * xfer_size where the operation does not use them, and op_specific bits
 * the operation does not define.
 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "descriptor decode assumes a little-endian host"
#endif
_Static_assert(offsetof(struct vidxd_desc, rsvd) == 0x26, "rsvd");
#define RSV_Q0 ((uint64_t)VIDXD_DESC_RSVD_PASID_MASK)
#define RSV_Q4 (0xffffull << 48)

static inline uint64_t
ld64(const void *p, unsigned off)
{
    uint64_t v;

    memcpy(&v, (const uint8_t *)p + off, sizeof(v));
    return v;
}

static bool
reserved_nonzero(const struct vidxd_desc *d, const struct engine_opinfo *oi)
{
    return ((ld64(d, 0x00) & RSV_Q0) | (ld64(d, 0x10) & oi->rsv[0]) |
            (ld64(d, 0x18) & oi->rsv[1]) |
            (ld64(d, 0x20) & (RSV_Q4 | oi->rsv[2])) |
            (ld64(d, 0x28) & ~oi->os.q[0]) | (ld64(d, 0x30) & ~oi->os.q[1]) |
            (ld64(d, 0x38) & ~oi->os.q[2])) != 0;
}

/*
 * Checks common to all operations; 0 if the descriptor may execute.
 * Sets the record's invalid_flags field for INVALID_FLAGS (§3.2).
 */
static unsigned
validate(struct engine_job *j, const struct engine_opinfo **oip)
{
    const struct vidxd_engine_ctx *ctx = j->ctx;
    const struct engine_opinfo *oi;
    unsigned op = j->opcode;
    uint32_t bad;

    if (op > VIDXD_OP_CFLUSH || engine_ops[op].fn == NULL ||
        ((ctx->opcap[op / 64] >> (op % 64)) & 1) == 0) {
        return VIDXD_STATUS_BAD_OPCODE;
    }
    /* A batch may hold neither a batch nor a drain (§3.1 BATCH row). */
    if (j->in_batch && (op == VIDXD_OP_BATCH || op == VIDXD_OP_DRAIN)) {
        return VIDXD_STATUS_BAD_OPCODE;
    }
    oi = &engine_ops[op];
    bad = j->flags & ~oi->flags;
    if (bad != 0) {
        bad &= ~gencap_flags(ctx, op);
        if (bad != 0) {
            engine_cr32(j, VIDXD_COMP_INVALID_FLAGS, bad);
            return VIDXD_STATUS_INVALID_FLAGS;
        }
    }
    if ((j->flags & VIDXD_FLAG_RCI) != 0 && ctx->ops != NULL &&
        ctx->ops->int_handle_valid != NULL &&
        !ctx->ops->int_handle_valid(ctx->opaque, j->d->int_handle, ctx->ims)) {
        return VIDXD_STATUS_INT_HANDLE_INVAL;
    }
    if (reserved_nonzero(j->d, oi)) {
        return VIDXD_STATUS_NOZERO_RESERVE;
    }
    *oip = oi;
    return 0;
}

static void
report_error(const struct engine_job *j, unsigned st, uint64_t addr)
{
    const struct vidxd_engine_ctx *ctx = j->ctx;
    struct vidxd_engine_error e;

    if (ctx->ops == NULL || ctx->ops->error == NULL) {
        return;
    }
    memset(&e, 0, sizeof(e));
    e.status = (uint8_t)(st & VIDXD_STATUS_MASK);
    e.opcode = j->opcode;
    e.fault_write = (st & VIDXD_STATUS_WRITE_FAULT) != 0;
    e.batch = j->in_batch;
    e.batch_idx = j->batch_idx;
    if ((st & VIDXD_STATUS_MASK) == VIDXD_STATUS_INVALID_FLAGS) {
        memcpy(&e.invalid_flags, j->cr.op_specific, sizeof(e.invalid_flags));
    }
    e.pasid = vidxd_as_pasid(j->as);
    e.priv = (j->d->pasid_priv & VIDXD_DESC_PRIV) != 0;
    e.fault_addr = addr;
    ctx->ops->error(ctx->opaque, &e);
}

/*
 * §3.2: bytes 1..31 first, then the status byte with release ordering, so
 * a consumer polling the status byte sees a complete record.  A record
 * that cannot be written goes to the SWERR path as CRA_XLAT.
 *
 * The record is 32-byte aligned, so bytes 1..31 go out as naturally
 * aligned stores (1, 2, 4 and 8 bytes), each fed by a load that the
 * stores building j->cr can forward to (no load straddles two of them).
 * The release store alone orders every earlier write of this thread, the
 * copies into guest memory included, before the status byte (C11 7.17.3;
 * on x86 it is a plain store); glibc's non-temporal copy paths end with
 * SFENCE themselves.
 */
static void
write_record(struct engine_job *j, unsigned st)
{
    uint64_t cra = j->d->completion_addr, n = sizeof(j->cr);
    uint64_t q0 = ld64(&j->cr, 0), q1 = ld64(&j->cr, 8);
    uint64_t q2 = ld64(&j->cr, 16), q3 = ld64(&j->cr, 24);
    uint8_t *h = j->crh;
    uint16_t w = (uint16_t)(q0 >> 16);
    uint32_t dw = (uint32_t)(q0 >> 32);

    if (h == NULL) {
        h = vidxd_as_translate(j->as, cra, sizeof(j->cr), VIDXD_MEM_WRITE, &n);
    }
    if (h == NULL || n < sizeof(j->cr)) {
        report_error(j, VIDXD_STATUS_CRA_XLAT, cra);
        return;
    }
    h[1] = (uint8_t)(q0 >> 8);
    memcpy(h + 2, &w, sizeof(w));
    memcpy(h + 4, &dw, sizeof(dw));
    memcpy(h + 8, &q1, sizeof(q1));
    memcpy(h + 16, &q2, sizeof(q2));
    memcpy(h + 24, &q3, sizeof(q3));
    __atomic_store_n(h, (uint8_t)st, __ATOMIC_RELEASE);
}

static void
count(const struct engine_job *j, unsigned st)
{
    struct vidxd_engine_stats *s = j->ctx->stats;

    if (s != NULL) {
        s->ops++;
        s->bytes += j->bytes;
        if (!status_ok(st)) {
            s->errors++;
        }
    }
}

static unsigned
engine_run(const struct vidxd_engine_ctx *ctx, const struct vidxd_desc *d,
           bool in_batch, uint16_t idx)
{
    const struct engine_opinfo *oi = NULL;
    struct engine_job j;
    unsigned st;

    j.ctx = ctx;
    j.as = ctx->as;
    j.d = d;
    j.flags = vidxd_desc_flags(d);
    j.opcode = (uint8_t)vidxd_desc_opcode(d);
    j.bof = (j.flags & VIDXD_FLAG_BOF) != 0 && ctx->wq_bof &&
            (ctx->gencap & VIDXD_GENCAP_BLOCK_ON_FAULT) != 0;
    j.in_batch = in_batch;
    j.batch_idx = idx;
    j.bytes = 0;
    j.crh = NULL;
    memset(&j.cr, 0, sizeof(j.cr));

    /* Without an aligned record address nothing else can be reported. */
    if ((j.flags & VIDXD_FLAG_CRAV) != 0 &&
        (d->completion_addr & (VIDXD_COMP_ALIGN - 1)) != 0) {
        report_error(&j, VIDXD_STATUS_CRA_ALIGN, d->completion_addr);
        count(&j, VIDXD_STATUS_CRA_ALIGN);
        return VIDXD_STATUS_CRA_ALIGN;
    }
    st = validate(&j, &oi);
    if (st == 0) {
        st = oi->fn(&j);
    }
    /* A record on error if CRAV, on success only if RCR too (§8 item 6). */
    if ((j.flags & VIDXD_FLAG_CRAV) != 0) {
        if (!status_ok(st) || (j.flags & VIDXD_FLAG_RCR) != 0) {
            write_record(&j, st);
        }
    } else if (!status_ok(st)) {
        report_error(&j, st, j.cr.fault_addr);
    }
    if ((j.flags & VIDXD_FLAG_RCI) != 0 &&
        st != VIDXD_STATUS_INT_HANDLE_INVAL && ctx->ops != NULL &&
        ctx->ops->interrupt != NULL) {
        ctx->ops->interrupt(ctx->opaque, d->int_handle, ctx->ims);
    }
    count(&j, st);
    return st;
}

unsigned
vidxd_engine_execute(const struct vidxd_engine_ctx *ctx,
                     const struct vidxd_desc *desc)
{
    /* One snapshot, so that every check and use sees the same fields even
     * if @desc lies in memory the guest can still write. */
    struct vidxd_desc d = *desc;

    return engine_run(ctx, &d, false, 0);
}

static unsigned
op_noop(struct engine_job *j)
{
    (void)j;
    return VIDXD_STATUS_SUCCESS;
}

/*
 * The owner executes a WQ's descriptors in order, so every earlier
 * descriptor is complete.  With GENCAP.drain_readback, non-zero readback
 * addresses are read (translated) once; a failure is PFAULT_RDBA.
 */
static unsigned
op_drain(struct engine_job *j)
{
    const uint64_t rb[2] = {j->d->src, j->d->dst};
    uint64_t n;

    if ((j->ctx->gencap & VIDXD_GENCAP_DRAIN_READBACK) == 0) {
        return VIDXD_STATUS_SUCCESS;
    }
    for (unsigned i = 0; i < 2; i++) {
        if (rb[i] != 0 &&
            vidxd_as_translate(j->as, rb[i], 1, VIDXD_MEM_READ, &n) == NULL) {
            j->cr.fault_addr = rb[i];
            return VIDXD_STATUS_PFAULT_RDBA;
        }
    }
    return VIDXD_STATUS_SUCCESS;
}

/*
 * BATCH (§3.1): desc_count in 2..max_batch_size, a 64-byte aligned list
 * read through the address space.  Each descriptor runs as if submitted
 * alone (own record, own interrupt).  A descriptor with FENCE after a
 * failure (any status but SUCCESS, so a false predicate too) abandons it
 * and the rest.  The record counts the descriptors processed.
 */
static unsigned
op_batch(struct engine_job *j)
{
    uint32_t cnt = j->d->xfer_size, i;
    uint64_t list = j->d->src, n = 0, fa = 0;
    const uint8_t *h;
    bool failed = false;

    if (cnt < 2 || cnt > j->ctx->max_batch_size) {
        return VIDXD_STATUS_DESC_CNT_ERANGE;
    }
    if ((list & (VIDXD_BATCH_LIST_ALIGN - 1)) != 0) {
        return VIDXD_STATUS_DESCLIST_ALIGN;
    }
    h = vidxd_as_translate(j->as, list, (uint64_t)cnt * 64, VIDXD_MEM_READ, &n);
    if (h != NULL && n < (uint64_t)cnt * 64) {
        h = NULL;
    }
    for (i = 0; i < cnt; i++) {
        struct vidxd_desc sub;

        /* Copy: the guest may rewrite the list while it runs. */
        if (h != NULL) {
            memcpy(&sub, h + (uint64_t)i * 64, sizeof(sub));
        } else if (engine_read(j, list + (uint64_t)i * 64, &sub, sizeof(sub),
                               &fa) != 0) {
            j->cr.fault_addr = fa;
            j->cr.bytes_completed = i;
            return VIDXD_STATUS_BATCH_PAGE_FAULT;
        }
        if (failed && (vidxd_desc_flags(&sub) & VIDXD_FLAG_FENCE) != 0) {
            break;
        }
        if (engine_run(j->ctx, &sub, true, (uint16_t)i) !=
            VIDXD_STATUS_SUCCESS) {
            failed = true;
        }
    }
    j->cr.bytes_completed = i;
    return failed ? VIDXD_STATUS_BATCH_FAIL : VIDXD_STATUS_SUCCESS;
}

int engine_prfchw = -1;

/* CPUID 0x80000001 ECX.PRFCHW (see engine_prefetch_w()). */
int
engine_prfchw_probe(void)
{
    int v = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;

    v = __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & bit_PRFCHW) != 0;
#endif
    __atomic_store_n(&engine_prfchw, v, __ATOMIC_RELAXED);
    return v;
}

void
engine_record_early(struct engine_job *j)
{
    uint64_t n = 0;
    uint8_t *h;

    if ((j->flags & (VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR)) !=
        (VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR)) {
        return;
    }
    h = vidxd_as_translate(j->as, j->d->completion_addr, sizeof(j->cr),
                           VIDXD_MEM_WRITE, &n);
    if (h != NULL && n == sizeof(j->cr)) {
        engine_record_prefetch(j, h);
    }
}

uint8_t *
engine_xlate_back(const struct engine_job *j, uint64_t base, uint64_t end,
                  unsigned prot, uint64_t *n)
{
    uint64_t lo = 0, hi = end - 1, c = 0;
    uint8_t *p;

    if (engine_xlate(j, base, end - 1, 1, prot, &c) == NULL) {
        return NULL;
    }
    p = engine_xlate(j, base, 0, end, prot, &c);
    if (p != NULL && c == end) {
        *n = end;
        return p;
    }
    /*
     * Find the lowest start whose range up to @end lies in one mapping:
     * "start works" is monotonic, hi works, lo does not.
     */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;

        p = engine_xlate(j, base, mid, end - mid, prot, &c);
        if (p != NULL && c == end - mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    p = engine_xlate(j, base, hi, end - hi, prot, &c);
    *n = end - hi;
    return p;
}

int
engine_read(const struct engine_job *j, uint64_t iova, void *dst, uint64_t len,
            uint64_t *fault)
{
    return vidxd_as_read(j->as, iova, dst, len, fault) == 0 ? 0 : -1;
}

int
engine_write(const struct engine_job *j, uint64_t iova, const void *src,
             uint64_t len, uint64_t *fault)
{
    return vidxd_as_write(j->as, iova, src, len, fault) == 0 ? 0 : -1;
}
