/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the engine: every DSA 1.0 operation against an address
 * space of plain buffers with a few mappings (two adjacent ones that are
 * contiguous in IOVA but not in host memory, a gap, a read-only one),
 * with expected values from independent sources: the CRC-32C check value,
 * ISA-L for CRC and DIF guards, and hand-computed vectors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <isa-l/crc.h>

#include "vidxd/engine.h"

/* Address-space layout. */
#define A_IOVA 0x100000ull   /* 64 KiB RW */
#define B_IOVA 0x110000ull   /* 64 KiB RW, adjacent to A, other host buffer */
#define GAP_IOVA 0x120000ull /* 64 KiB unmapped */
#define C_IOVA 0x130000ull   /* 64 KiB RW */
#define R_IOVA 0x200000ull   /* 16 KiB read-only */
#define TOP_IOVA (UINT64_MAX - 0xfffull) /* last page of the space, RW */
#define REG 0x10000ull
#define R_LEN 0x4000ull
#define CRA (C_IOVA + 0xf000) /* completion records live in C */
#define CRA2 (C_IOVA + 0xf020)
#define LIST (C_IOVA + 0xe000) /* batch descriptor lists */

struct fx {
    struct vidxd_as *as;
    uint8_t *a, *b, *c, *r, *top;
    struct vidxd_engine_ctx ctx;
    struct vidxd_engine_ops ops;
    struct vidxd_engine_stats stats;
    bool handle_ok;
    int nint;
    uint16_t int_handle;
    bool int_ims;
    int nerr;
    struct vidxd_engine_error err;
};

static bool
fake_handle_valid(void *opaque, uint16_t handle, bool ims)
{
    struct fx *f = opaque;

    (void)handle;
    (void)ims;
    return f->handle_ok;
}

static void
fake_interrupt(void *opaque, uint16_t handle, bool ims)
{
    struct fx *f = opaque;

    f->nint++;
    f->int_handle = handle;
    f->int_ims = ims;
}

static void
fake_error(void *opaque, const struct vidxd_engine_error *err)
{
    struct fx *f = opaque;

    f->nerr++;
    f->err = *err;
}

static uint8_t *
xalloc(size_t n)
{
    uint8_t *p = aligned_alloc(4096, n);

    assert_non_null(p);
    memset(p, 0, n);
    return p;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    unsigned rw = VIDXD_MEM_READ | VIDXD_MEM_WRITE;

    assert_non_null(f);
    assert_int_equal(vidxd_as_create(7, &f->as), 0);
    f->a = xalloc(REG);
    f->b = xalloc(REG);
    f->c = xalloc(REG);
    f->r = xalloc(R_LEN);
    f->top = xalloc(0x1000);
    assert_int_equal(vidxd_as_map(f->as, A_IOVA, REG, f->a, rw), 0);
    assert_int_equal(vidxd_as_map(f->as, B_IOVA, REG, f->b, rw), 0);
    assert_int_equal(vidxd_as_map(f->as, C_IOVA, REG, f->c, rw), 0);
    assert_int_equal(vidxd_as_map(f->as, R_IOVA, R_LEN, f->r, VIDXD_MEM_READ),
                     0);
    assert_int_equal(vidxd_as_map(f->as, TOP_IOVA, 0x1000, f->top, rw), 0);
    f->ops.int_handle_valid = fake_handle_valid;
    f->ops.interrupt = fake_interrupt;
    f->ops.error = fake_error;
    f->handle_ok = true;
    f->ctx.as = f->as;
    f->ctx.ops = &f->ops;
    f->ctx.opaque = f;
    f->ctx.gencap = VIDXD_GENCAP_OVERLAP_COPY | VIDXD_GENCAP_BLOCK_ON_FAULT |
                    VIDXD_GENCAP_CACHE_CTRL_MEM |
                    VIDXD_GENCAP_CACHE_CTRL_CACHE | VIDXD_GENCAP_DRAIN_READBACK;
    f->ctx.opcap[0] = VIDXD_OPCAP0_DSA1;
    f->ctx.max_xfer_size = 1u << 20;
    f->ctx.max_batch_size = 32;
    f->ctx.stats = &f->stats;
    vidxd_as_enter(f->as);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    vidxd_as_leave(f->as);
    vidxd_as_destroy(f->as);
    free(f->a);
    free(f->b);
    free(f->c);
    free(f->r);
    free(f->top);
    free(f);
    return 0;
}

/* Host address of a mapped IOVA. */
static uint8_t *
H(struct fx *f, uint64_t iova)
{
    uint64_t n = 0;
    uint8_t *p = vidxd_as_translate(f->as, iova, 1, VIDXD_MEM_READ, &n);

    assert_non_null(p);
    return p;
}

static struct vidxd_comp *
CR(struct fx *f, uint64_t cra)
{
    return (struct vidxd_comp *)H(f, cra);
}

static struct vidxd_desc
mk(unsigned op, uint32_t flags, uint64_t src, uint64_t dst, uint32_t size)
{
    struct vidxd_desc d;

    memset(&d, 0, sizeof(d));
    d.flags_opcode = (op << VIDXD_DESC_OPCODE_SHIFT) | flags;
    d.completion_addr = CRA;
    d.src = src;
    d.dst = dst;
    d.xfer_size = size;
    return d;
}

static void
set8(struct vidxd_desc *d, unsigned off, uint8_t v)
{
    ((uint8_t *)d)[off] = v;
}

static void
set16(struct vidxd_desc *d, unsigned off, uint16_t v)
{
    memcpy((uint8_t *)d + off, &v, 2);
}

static void
set32(struct vidxd_desc *d, unsigned off, uint32_t v)
{
    memcpy((uint8_t *)d + off, &v, 4);
}

static void
set64(struct vidxd_desc *d, unsigned off, uint64_t v)
{
    memcpy((uint8_t *)d + off, &v, 8);
}

static uint32_t
cr32(const struct vidxd_comp *cr, unsigned off)
{
    uint32_t v;

    memcpy(&v, (const uint8_t *)cr + off, 4);
    return v;
}

static uint16_t
cr16(const struct vidxd_comp *cr, unsigned off)
{
    uint16_t v;

    memcpy(&v, (const uint8_t *)cr + off, 2);
    return v;
}

static unsigned
run(struct fx *f, const struct vidxd_desc *d)
{
    return vidxd_engine_execute(&f->ctx, d);
}

/* Fill guest memory with a byte sequence that differs at every offset. */
static void
pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
    }
}

#define FL_CR (VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR)

/* ---- NOOP, records, interrupts, statistics ---------------------------- */

static void
test_noop_record_and_interrupt(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_NOOP, FL_CR | VIDXD_FLAG_RCI, 0, 0, 0);
    struct vidxd_comp *cr = CR(f, CRA);

    memset(cr, 0xee, sizeof(*cr));
    d.int_handle = 5;
    f->ctx.ims = true;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* The whole record is written: status 1, everything else zero. */
    assert_int_equal(cr->status, VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, 0);
    assert_int_equal(cr->bytes_completed, 0);
    assert_int_equal(cr->fault_addr, 0);
    assert_int_equal(f->nint, 1);
    assert_int_equal(f->int_handle, 5);
    assert_true(f->int_ims);
    assert_int_equal(f->stats.ops, 1);
    assert_int_equal(f->stats.errors, 0);
}

static void
test_noop_without_rcr_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_NOOP, VIDXD_FLAG_CRAV, 0, 0, 0);

    CR(f, CRA)->status = 0;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(CR(f, CRA)->status, 0);
    assert_int_equal(f->nint, 0);
    /* Nor does an error without CRAV: it goes to the error callback. */
    d = mk(VIDXD_OP_NOOP, 0, 0, 0, 4);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    assert_int_equal(CR(f, CRA)->status, 0);
    assert_int_equal(f->nerr, 1);
    assert_int_equal(f->err.status, VIDXD_STATUS_NOZERO_RESERVE);
    assert_int_equal(f->err.opcode, VIDXD_OP_NOOP);
    assert_int_equal(f->err.pasid, 7);
    assert_false(f->err.batch);
    assert_int_equal(f->stats.ops, 2);
    assert_int_equal(f->stats.errors, 1);
}

/* ---- generic validation ----------------------------------------------- */

static void
test_bad_opcode(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(0x0b, FL_CR, 0, 0, 0);

    assert_int_equal(run(f, &d), VIDXD_STATUS_BAD_OPCODE);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_BAD_OPCODE);
    /* TRANSL_FETCH (2.0) is not implemented even if OPCAP claims it. */
    f->ctx.opcap[0] |= 1ull << VIDXD_OP_TRANSL_FETCH;
    d = mk(VIDXD_OP_TRANSL_FETCH, FL_CR, 0, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BAD_OPCODE);
    d = mk(0xff, FL_CR, 0, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BAD_OPCODE);
    /* An operation whose OPCAP bit is clear. */
    f->ctx.opcap[0] &= ~(1ull << VIDXD_OP_MEMMOVE);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, A_IOVA + 0x100, 16);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BAD_OPCODE);
    f->ctx.opcap[0] &= ~(1ull << VIDXD_OP_CFLUSH);
    d = mk(VIDXD_OP_CFLUSH, FL_CR, 0, A_IOVA, 64);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BAD_OPCODE);
}

static void
test_invalid_flags(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_NOOP, FL_CR | 0x40, 0, 0, 0);
    struct vidxd_comp *cr = CR(f, CRA);

    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(cr->status, VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(cr32(cr, VIDXD_COMP_INVALID_FLAGS), 0x40);
    /* Check Result exists only for the predicate operations. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR | VIDXD_FLAG_CR, A_IOVA, B_IOVA, 8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(cr32(cr, VIDXD_COMP_INVALID_FLAGS), VIDXD_FLAG_CR);
    /* Read CRC seed only for the CRC operations; 2.0 bypass flags never. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR | VIDXD_FLAG_CRC_READ_SEED, A_IOVA, B_IOVA,
           8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
    d = mk(VIDXD_OP_CRCGEN, FL_CR | VIDXD_FLAG_CRC_BYPASS_INV_REF, A_IOVA, 0,
           8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(cr32(cr, VIDXD_COMP_INVALID_FLAGS),
                     VIDXD_FLAG_CRC_BYPASS_INV_REF);
    /* BOF and CC need their GENCAP bits. */
    f->ctx.gencap &=
        ~(VIDXD_GENCAP_BLOCK_ON_FAULT | VIDXD_GENCAP_CACHE_CTRL_MEM);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR | VIDXD_FLAG_BOF | VIDXD_FLAG_CC, A_IOVA,
           B_IOVA, 8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(cr32(cr, VIDXD_COMP_INVALID_FLAGS),
                     VIDXD_FLAG_BOF | VIDXD_FLAG_CC);
    /* With CRAV clear the invalid bits reach the error callback. */
    d = mk(VIDXD_OP_NOOP, VIDXD_FLAG_DSTS, 0, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(f->err.status, VIDXD_STATUS_INVALID_FLAGS);
    assert_int_equal(f->err.invalid_flags, VIDXD_FLAG_DSTS);
}

static void
test_nonzero_reserved(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, B_IOVA, 8);

    d.rsvd = 1;
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, B_IOVA, 8);
    d.op_specific[23] = 1;
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, B_IOVA, 8);
    d.pasid_priv = 1u << 20;
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    /* PASID and priv themselves are not reserved. */
    d.pasid_priv = 0x8000abcdu;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* Fields an operation does not use: NOOP src, CRCGEN dst. */
    d = mk(VIDXD_OP_NOOP, FL_CR, 8, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_CRCGEN, FL_CR, A_IOVA, 8, 8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    /* COMPARE expected_res: only bit 0 is defined. */
    d = mk(VIDXD_OP_COMPARE, FL_CR, A_IOVA, B_IOVA, 8);
    set8(&d, VIDXD_DESC_EXPECTED_RES, 2);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    /* DIF flags: reserved bits of the common and destination bytes. */
    d = mk(VIDXD_OP_DIF_CHECK, FL_CR, A_IOVA, 0, 520);
    set8(&d, VIDXD_DESC_DIF_FLAGS, 0x10);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_DIF_INS, FL_CR, A_IOVA, B_IOVA, 512);
    set8(&d, VIDXD_DESC_DIF_DST_FLAGS, 0x01);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_NOZERO_RESERVE);
}

static void
test_cra_alignment_goes_to_error(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d =
        mk(VIDXD_OP_MEMMOVE, FL_CR | VIDXD_FLAG_RCI, A_IOVA, B_IOVA, 16);

    memset(f->a, 0x11, 16);
    memset(f->b, 0x22, 16);
    d.completion_addr = CRA + 8;
    CR(f, CRA)->status = 0;
    assert_int_equal(run(f, &d), VIDXD_STATUS_CRA_ALIGN);
    assert_int_equal(f->nerr, 1);
    assert_int_equal(f->err.status, VIDXD_STATUS_CRA_ALIGN);
    assert_int_equal(f->err.opcode, VIDXD_OP_MEMMOVE);
    assert_int_equal(f->err.fault_addr, CRA + 8);
    /* Not executed, no record, no completion interrupt. */
    assert_int_equal(f->b[0], 0x22);
    assert_int_equal(CR(f, CRA)->status, 0);
    assert_int_equal(H(f, CRA + 8)[0], 0);
    assert_int_equal(f->nint, 0);
    /* Without CRAV the address is not looked at. */
    d.flags_opcode &= ~VIDXD_FLAG_CRAV;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->b[0], 0x11);
}

static void
test_cra_untranslatable(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, B_IOVA, 16);

    memset(f->a, 0x33, 16);
    d.completion_addr = GAP_IOVA + 0x40;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->b[15], 0x33);
    assert_int_equal(f->nerr, 1);
    assert_int_equal(f->err.status, VIDXD_STATUS_CRA_XLAT);
    assert_int_equal(f->err.fault_addr, GAP_IOVA + 0x40);
    /* A read-only record page cannot be written either. */
    d.completion_addr = R_IOVA;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->nerr, 2);
    assert_int_equal(f->err.status, VIDXD_STATUS_CRA_XLAT);
    assert_int_equal(f->r[0], 0);
}

static void
test_int_handle_invalid(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d =
        mk(VIDXD_OP_MEMMOVE, FL_CR | VIDXD_FLAG_RCI, A_IOVA, B_IOVA, 16);

    memset(f->a, 0x44, 16);
    f->handle_ok = false;
    d.int_handle = 99;
    assert_int_equal(run(f, &d), VIDXD_STATUS_INT_HANDLE_INVAL);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_INT_HANDLE_INVAL);
    assert_int_equal(f->nint, 0);
    assert_int_equal(f->b[0], 0);
    /* The handle is not looked at without RCI. */
    d.flags_opcode &= ~VIDXD_FLAG_RCI;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->b[0], 0x44);
}

/* ---- MEMMOVE ---------------------------------------------------------- */

static void
test_memmove_contiguous_and_scatter(void **state)
{
    struct fx *f = *state;
    uint8_t ref[0x3000];
    struct vidxd_desc d;

    pattern(f->a, REG, 1);
    memcpy(ref, f->a + 0x100, 0x3000);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA + 0x100, C_IOVA + 0x10, 0x3000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->c + 0x10, ref, 0x3000);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->stats.bytes, 0x3000);
    /* Source straddles A|B (host-discontiguous), destination in C. */
    pattern(f->b, REG, 2);
    memcpy(ref, f->a + REG - 0x1000, 0x1000);
    memcpy(ref + 0x1000, f->b, 0x2000);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, B_IOVA - 0x1000, C_IOVA + 0x4000, 0x3000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->c + 0x4000, ref, 0x3000);
    /* Destination straddles A|B. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, C_IOVA + 0x4000, B_IOVA - 0x800, 0x3000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->a + REG - 0x800, ref, 0x800);
    assert_memory_equal(f->b, ref + 0x800, 0x2800);
}

static void
test_memmove_page_faults(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;

    pattern(f->b, REG, 3);
    memset(f->c, 0, 0x3000);
    /* Source runs into the gap after 0x100 bytes: read fault. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, GAP_IOVA - 0x100, C_IOVA, 0x200);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->status, VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    assert_int_equal(cr->bytes_completed, 0x100);
    assert_int_equal(cr->result, 0);
    assert_memory_equal(f->c, f->b + REG - 0x100, 0x100);
    assert_int_equal(f->c[0x100], 0);
    /* Destination runs into the gap: write bit set. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, C_IOVA, GAP_IOVA - 0x40, 0x80);
    assert_int_equal(run(f, &d),
                     VIDXD_STATUS_PAGE_FAULT_NOBOF | VIDXD_STATUS_WRITE_FAULT);
    assert_int_equal(cr->status, 0x83);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    assert_int_equal(cr->bytes_completed, 0x40);
    /* Read-only destination faults at its first byte. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, C_IOVA, R_IOVA + 0x10, 0x80);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(cr->fault_addr, R_IOVA + 0x10);
    assert_int_equal(cr->bytes_completed, 0);
    assert_int_equal(f->r[0x10], 0);
    /* A buffer running past 2^64 faults at the wrapped address 0. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, UINT64_MAX - 0x7f, C_IOVA, 0x100);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->fault_addr, 0);
    assert_int_equal(cr->bytes_completed, 0x80);
    /* Without CRAV the fault goes to the error callback. */
    d = mk(VIDXD_OP_MEMMOVE, 0, C_IOVA, GAP_IOVA + 0x10, 0x80);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(f->nerr, 1);
    assert_int_equal(f->err.status, VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_true(f->err.fault_write);
    assert_int_equal(f->err.fault_addr, GAP_IOVA + 0x10);
    assert_int_equal(f->stats.errors, 5);
}

static void
test_memmove_block_on_fault(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_MEMMOVE, FL_CR | VIDXD_FLAG_BOF,
                             GAP_IOVA - 0x10, C_IOVA, 0x20);

    /* BOF requested but the WQ does not enable it: ignored. */
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    /* Enabled: the fault cannot be resolved, as with an Invalid response. */
    f->ctx.wq_bof = true;
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_IR);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_PAGE_FAULT_IR);
    assert_int_equal(CR(f, CRA)->fault_addr, GAP_IOVA);
    assert_int_equal(CR(f, CRA)->bytes_completed, 0x10);
}

static void
test_memmove_overlap(void **state)
{
    struct fx *f = *state;
    uint8_t ref[0x2000];
    struct vidxd_desc d;

    /* Upward overlap in one mapping: like memmove(3). */
    pattern(f->a, REG, 4);
    memcpy(ref, f->a, sizeof(ref));
    memmove(ref + 0x100, ref, 0x1000);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, A_IOVA + 0x100, 0x1000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->a, ref, sizeof(ref));
    /* Downward overlap. */
    memmove(ref, ref + 0x333, 0x1000);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA + 0x333, A_IOVA, 0x1000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->a, ref, sizeof(ref));
    /* Upward overlap across the A|B boundary (two host buffers). */
    pattern(f->a, REG, 5);
    pattern(f->b, REG, 6);
    {
        static uint8_t big[2 * REG];

        memcpy(big, f->a, REG);
        memcpy(big + REG, f->b, REG);
        memmove(big + REG - 0x800 + 0x300, big + REG - 0x800, 0x1000);
        d = mk(VIDXD_OP_MEMMOVE, FL_CR, B_IOVA - 0x800, B_IOVA - 0x500, 0x1000);
        assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
        assert_memory_equal(f->a, big, REG);
        assert_memory_equal(f->b, big + REG, REG);
    }
    /* Without GENCAP.overlap_copy any overlap is refused. */
    f->ctx.gencap &= ~VIDXD_GENCAP_OVERLAP_COPY;
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, A_IOVA + 0xfff, 0x1000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA + 0x10, A_IOVA, 0x20);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    /* Adjacent is not overlapping. */
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, A_IOVA + 0x1000, 0x1000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
}

/*
 * Descending copy with a fault: src [B+0xf000, C+0x1000) and dst 0x1000
 * higher both cross the gap.  The top 0x1000 bytes (src C..C+0x1000) are
 * copied first; then the source byte just below C is missing.
 */
static void
test_memmove_descending_fault(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    uint8_t ref[0x1000];
    struct vidxd_desc d;

    pattern(f->c, 0x2000, 7);
    memcpy(ref, f->c, 0x1000);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, B_IOVA + 0xf000, GAP_IOVA, 0x12000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->result, VIDXD_RESULT_MEMMOVE_DESCENDING);
    assert_int_equal(cr->bytes_completed, 0x1000);
    assert_int_equal(cr->fault_addr, C_IOVA - 1);
    assert_memory_equal(f->c + 0x1000, ref, 0x1000);
}

static void
test_memmove_size_rules(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, B_IOVA, 0);

    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_XFER_ERANGE);
    f->ctx.max_xfer_size = 0x1000;
    d.xfer_size = 0x1001;
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
    d.xfer_size = 0x1000;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
}

/* ---- MEMFILL ---------------------------------------------------------- */

static void
test_memfill(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d;
    size_t i;

    /* Pattern bytes in memory order: 08 07 06 05 04 03 02 01. */
    memset(f->a, 0xcc, 0x200);
    d = mk(VIDXD_OP_MEMFILL, FL_CR, 0x0102030405060708ull, A_IOVA + 3, 100);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->a[2], 0xcc);
    for (i = 0; i < 100; i++) {
        assert_int_equal(f->a[3 + i], 8 - (i % 8));
    }
    assert_int_equal(f->a[103], 0xcc);
    /* Across A|B, the phase continues in the second mapping. */
    d = mk(VIDXD_OP_MEMFILL, FL_CR, 0x0102030405060708ull, B_IOVA - 13, 9000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (i = 0; i < 13; i++) {
        assert_int_equal(f->a[REG - 13 + i], 8 - (i % 8));
    }
    for (i = 13; i < 9000; i++) {
        assert_int_equal(f->b[i - 13], 8 - (i % 8));
    }
    /* A one-byte pattern value. */
    d = mk(VIDXD_OP_MEMFILL, FL_CR, 0x5a5a5a5a5a5a5a5aull, C_IOVA, 0x2000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (i = 0; i < 0x2000; i++) {
        assert_int_equal(f->c[i], 0x5a);
    }
    /* Into a read-only mapping. */
    d = mk(VIDXD_OP_MEMFILL, FL_CR, 1, R_IOVA, 16);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(CR(f, CRA)->fault_addr, R_IOVA);
    d = mk(VIDXD_OP_MEMFILL, FL_CR, 1, R_IOVA, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
}

/* ---- COMPARE / COMPVAL ------------------------------------------------ */

static void
test_compare(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;

    pattern(f->a, REG, 8);
    memcpy(f->c, f->a, REG);
    d = mk(VIDXD_OP_COMPARE, FL_CR, A_IOVA, C_IOVA, 0x5000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, VIDXD_RESULT_EQUAL);
    assert_int_equal(cr->bytes_completed, 0);
    f->c[1234] ^= 0x80;
    f->c[3000] ^= 1;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, VIDXD_RESULT_DIFFERENT);
    assert_int_equal(cr->bytes_completed, 1234);
    /* Check Result: a result other than expected_res is a false predicate. */
    d = mk(VIDXD_OP_COMPARE, FL_CR | VIDXD_FLAG_CR, A_IOVA, C_IOVA, 0x5000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS_PRED);
    assert_int_equal(cr->status, VIDXD_STATUS_SUCCESS_PRED);
    assert_int_equal(cr->result, 1);
    set8(&d, VIDXD_DESC_EXPECTED_RES, 1);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* A false predicate is a success: no record without RCR. */
    cr->status = 0;
    d = mk(VIDXD_OP_COMPARE, VIDXD_FLAG_CRAV | VIDXD_FLAG_CR, A_IOVA, C_IOVA,
           0x5000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS_PRED);
    assert_int_equal(cr->status, 0);
    assert_int_equal(f->stats.errors, 0);
    /* Source 1 across A|B against a copy in C: difference after the seam. */
    pattern(f->b, REG, 9);
    memcpy(f->c, f->a + REG - 0x100, 0x100);
    memcpy(f->c + 0x100, f->b, 0x300);
    f->c[0x100 + 0x55] ^= 0xff;
    d = mk(VIDXD_OP_COMPARE, FL_CR, B_IOVA - 0x100, C_IOVA, 0x400);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, 1);
    assert_int_equal(cr->bytes_completed, 0x155);
    /* Equal up to the gap: read fault on the second source. */
    memcpy(f->c, f->b + REG - 0x80, 0x80);
    d = mk(VIDXD_OP_COMPARE, FL_CR, C_IOVA, GAP_IOVA - 0x80, 0x100);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    assert_int_equal(cr->bytes_completed, 0x80);
    d = mk(VIDXD_OP_COMPARE, FL_CR, C_IOVA, A_IOVA, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
}

static void
test_compval(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    const uint64_t pat = 0x8877665544332211ull;
    struct vidxd_desc d;
    size_t i;

    for (i = 0; i < 0x3000; i++) {
        f->b[i] = (uint8_t)(0x11 * ((i % 8) + 1));
    }
    d = mk(VIDXD_OP_COMPVAL, FL_CR, B_IOVA, pat, 0x3000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, 0);
    /* A source not starting on the pattern phase differs at byte 0. */
    d = mk(VIDXD_OP_COMPVAL, FL_CR, B_IOVA + 1, pat, 0x100);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, 1);
    assert_int_equal(cr->bytes_completed, 0);
    f->b[0x2001] = 0;
    d = mk(VIDXD_OP_COMPVAL, FL_CR | VIDXD_FLAG_CR, B_IOVA, pat, 0x3000);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS_PRED);
    assert_int_equal(cr->result, 1);
    assert_int_equal(cr->bytes_completed, 0x2001);
    d = mk(VIDXD_OP_COMPVAL, FL_CR, GAP_IOVA, pat, 8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
}

/* ---- CR_DELTA / AP_DELTA ---------------------------------------------- */

static void
test_create_delta(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    const uint64_t da = C_IOVA + 0x8000;
    /* Words 1 and 6 differ: two entries {index LE16, new word LE64}. */
    static const uint8_t expect[20] = {
        0x01, 0x00, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
        0x06, 0x00, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    };
    struct vidxd_desc d;
    unsigned i;

    memset(f->a, 0xaa, 64);
    memset(f->b, 0xaa, 64);
    for (i = 0; i < 8; i++) {
        f->b[8 + i] = (uint8_t)(0x11 + i);
        f->b[48 + i] = (uint8_t)(0x61 + i);
    }
    memset(f->c + 0x8000, 0xee, 200);
    d = mk(VIDXD_OP_CR_DELTA, FL_CR, A_IOVA, B_IOVA, 64);
    set64(&d, VIDXD_DESC_DELTA_ADDR, da);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 80);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, VIDXD_RESULT_DIFFERENT);
    assert_int_equal(cr32(cr, VIDXD_COMP_DELTA_REC_SIZE), 20);
    assert_memory_equal(f->c + 0x8000, expect, sizeof(expect));
    assert_int_equal(f->c[0x8000 + 20], 0xee);
    /* Check result: expected_res_mask bit N accepts result N. */
    d.flags_opcode |= VIDXD_FLAG_CR;
    set8(&d, VIDXD_DESC_EXPECTED_RES_MASK, 0x1);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS_PRED);
    set8(&d, VIDXD_DESC_EXPECTED_RES_MASK, 0x2);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* Equal buffers: result 0, empty record. */
    memcpy(f->b, f->a, 64);
    set8(&d, VIDXD_DESC_EXPECTED_RES_MASK, 0x1);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, VIDXD_RESULT_EQUAL);
    assert_int_equal(cr32(cr, VIDXD_COMP_DELTA_REC_SIZE), 0);
    /* Nine differing words do not fit in 80 bytes: overflow. */
    memset(f->b, 0x55, 72);
    d = mk(VIDXD_OP_CR_DELTA, FL_CR, A_IOVA, B_IOVA, 72);
    set64(&d, VIDXD_DESC_DELTA_ADDR, da);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 80);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, VIDXD_RESULT_DELTA_OVERFLOW);
    assert_int_equal(cr32(cr, VIDXD_COMP_DELTA_REC_SIZE), 80);
    assert_int_equal(f->c[0x8000 + 70], 7);
    /* Sources across A|B with a difference in B. */
    pattern(f->a, REG, 10);
    pattern(f->b, REG, 11);
    memcpy(f->c, f->a + REG - 0x40, 0x40);
    memcpy(f->c + 0x40, f->b, 0x40);
    f->c[0x48] ^= 1;
    d = mk(VIDXD_OP_CR_DELTA, FL_CR, B_IOVA - 0x40, C_IOVA, 0x80);
    set64(&d, VIDXD_DESC_DELTA_ADDR, da);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 100);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr32(cr, VIDXD_COMP_DELTA_REC_SIZE), 10);
    assert_int_equal(f->c[0x8000], 9);
    assert_int_equal(f->c[0x8001], 0);
    assert_memory_equal(f->c + 0x8002, f->c + 0x48, 8);
}

static void
test_create_delta_errors(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_CR_DELTA, FL_CR, A_IOVA, B_IOVA, 60);

    set64(&d, VIDXD_DESC_DELTA_ADDR, C_IOVA);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 80);
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
    d.xfer_size = VIDXD_DELTA_MAX_XFER + 8;
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
    d.xfer_size = 64;
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 75);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DR_ERANGE);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 70);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DR_ERANGE);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 80);
    d.src = A_IOVA + 4;
    assert_int_equal(run(f, &d), VIDXD_STATUS_ADDR_ALIGN);
    d.src = A_IOVA;
    set64(&d, VIDXD_DESC_DELTA_ADDR, B_IOVA + 8);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    /* Delta record in read-only memory: write fault at the first entry. */
    memset(f->a, 1, 64);
    memset(f->b, 2, 64);
    set64(&d, VIDXD_DESC_DELTA_ADDR, R_IOVA);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(CR(f, CRA)->fault_addr, R_IOVA);
    assert_int_equal(CR(f, CRA)->bytes_completed, 0);
}

static void
test_apply_delta(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    const uint64_t da = C_IOVA + 0x8000;
    struct vidxd_desc d;
    uint8_t *rec = f->c + 0x8000;
    uint16_t idx;
    uint64_t w;
    unsigned i;

    /* Create a delta from A to B, then apply it to a copy of A in C. */
    pattern(f->a, 0x100, 12);
    memcpy(f->b, f->a, 0x100);
    f->b[0x10] ^= 1;
    f->b[0xf8] ^= 2;
    memcpy(f->c, f->a, 0x100);
    d = mk(VIDXD_OP_CR_DELTA, FL_CR, A_IOVA, B_IOVA, 0x100);
    set64(&d, VIDXD_DESC_DELTA_ADDR, da);
    set32(&d, VIDXD_DESC_MAX_DELTA_SIZE, 200);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr32(cr, VIDXD_COMP_DELTA_REC_SIZE), 20);
    d = mk(VIDXD_OP_AP_DELTA, FL_CR, da, C_IOVA, 0x100);
    set32(&d, VIDXD_DESC_DELTA_REC_SIZE, 20);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->c, f->b, 0x100);
    /* A hand-built record: word 3 := 0x1122334455667788. */
    idx = 3;
    w = 0x1122334455667788ull;
    memcpy(rec, &idx, 2);
    memcpy(rec + 2, &w, 8);
    memset(f->c, 0, 0x40);
    set32(&d, VIDXD_DESC_DELTA_REC_SIZE, 10);
    d.xfer_size = 0x40;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (i = 0; i < 8; i++) {
        assert_int_equal(f->c[24 + i], 0x88 - 0x11 * i);
    }
    assert_int_equal(f->c[23], 0);
    assert_int_equal(f->c[32], 0);
    /* Indices must increase: second entry repeats index 3. */
    memcpy(rec + 10, rec, 10);
    set32(&d, VIDXD_DESC_DELTA_REC_SIZE, 20);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DR_OFFSET_NOINC);
    assert_int_equal(cr->bytes_completed, 10);
    /* Index 8 of a 64-byte buffer is out of range. */
    idx = 8;
    memcpy(rec + 10, &idx, 2);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DR_OFFSET_ERANGE);
    assert_int_equal(cr->bytes_completed, 10);
    set32(&d, VIDXD_DESC_DELTA_REC_SIZE, 15);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DR_ERANGE);
    set32(&d, VIDXD_DESC_DELTA_REC_SIZE, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DR_ERANGE);
    set32(&d, VIDXD_DESC_DELTA_REC_SIZE, 10);
    d.dst = da - 8;
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    d.dst = C_IOVA + 4;
    assert_int_equal(run(f, &d), VIDXD_STATUS_ADDR_ALIGN);
    d.dst = R_IOVA;
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(cr->fault_addr, R_IOVA + 24);
}

/* ---- DUALCAST --------------------------------------------------------- */

static void
test_dualcast(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d;

    pattern(f->a, 0x2000, 13);
    memset(f->b, 0, REG);
    memset(f->c, 0, 0x4000);
    d = mk(VIDXD_OP_DUALCAST, FL_CR, A_IOVA, B_IOVA + 0x123, 0x1800);
    set64(&d, VIDXD_DESC_DEST2, C_IOVA + 0x2123);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->b + 0x123, f->a, 0x1800);
    assert_memory_equal(f->c + 0x2123, f->a, 0x1800);
    assert_int_equal(f->b[0x122], 0);
    set64(&d, VIDXD_DESC_DEST2, C_IOVA + 0x2124);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DCAST_ERR);
    assert_int_equal(CR(f, CRA)->status, VIDXD_STATUS_DCAST_ERR);
    /* dst2 overlapping dst1, and src overlapping dst1. */
    set64(&d, VIDXD_DESC_DEST2, B_IOVA + 0x1123);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    d = mk(VIDXD_OP_DUALCAST, FL_CR, A_IOVA, A_IOVA + 0x1000, 0x1800);
    set64(&d, VIDXD_DESC_DEST2, C_IOVA);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    /* Second destination read-only: write fault there. */
    d = mk(VIDXD_OP_DUALCAST, FL_CR, A_IOVA, B_IOVA, 0x100);
    set64(&d, VIDXD_DESC_DEST2, R_IOVA);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(CR(f, CRA)->fault_addr, R_IOVA);
}

/* ---- CRCGEN / COPY_CRC ------------------------------------------------ */

static uint32_t
isal_crc32c(const uint8_t *p, size_t n, uint32_t seed)
{
    return ~crc32_iscsi((unsigned char *)p, (int)n, ~seed);
}

static void
test_crcgen(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;
    uint32_t seed, whole, part;

    memcpy(f->a, "123456789", 9);
    d = mk(VIDXD_OP_CRCGEN, FL_CR, A_IOVA, 0, 9);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL), 0xE3069283u);
    assert_int_equal(cr32(cr, 0x14), 0);
    /* Chaining: crc("12345" || "6789") == crc("6789", seed = crc("12345")) */
    d.xfer_size = 5;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    part = cr32(cr, VIDXD_COMP_CRC_VAL);
    d = mk(VIDXD_OP_CRCGEN, FL_CR, A_IOVA + 5, 0, 4);
    set32(&d, VIDXD_DESC_CRC_SEED, part);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL), 0xE3069283u);
    /* The seed read from memory (READ_CRC_SEED). */
    memcpy(f->c + 0x100, &part, 4);
    d.flags_opcode |= VIDXD_FLAG_CRC_READ_SEED;
    set32(&d, VIDXD_DESC_CRC_SEED, 0xdeadbeef);
    set64(&d, VIDXD_DESC_CRC_SEED_ADDR, C_IOVA + 0x100);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL), 0xE3069283u);
    set64(&d, VIDXD_DESC_CRC_SEED_ADDR, C_IOVA + 0x102);
    assert_int_equal(run(f, &d), VIDXD_STATUS_ADDR_ALIGN);
    set64(&d, VIDXD_DESC_CRC_SEED_ADDR, GAP_IOVA);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    /* Across A|B against ISA-L over the same bytes. */
    pattern(f->a, REG, 14);
    pattern(f->b, REG, 15);
    seed = 0x12345678;
    whole = isal_crc32c(f->a + REG - 0x777, 0x777, seed);
    whole = isal_crc32c(f->b, 0x2000, whole);
    d = mk(VIDXD_OP_CRCGEN, FL_CR, B_IOVA - 0x777, 0, 0x2777);
    set32(&d, VIDXD_DESC_CRC_SEED, seed);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL), whole);
    /* Partial completion: the CRC of the bytes before the gap. */
    d = mk(VIDXD_OP_CRCGEN, FL_CR, GAP_IOVA - 0x100, 0, 0x200);
    assert_int_equal(run(f, &d), VIDXD_STATUS_PAGE_FAULT_NOBOF);
    assert_int_equal(cr->bytes_completed, 0x100);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL),
                     isal_crc32c(f->b + REG - 0x100, 0x100, 0));
}

static void
test_copy_crc(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;

    pattern(f->a, REG, 16);
    memset(f->c, 0, REG);
    d = mk(VIDXD_OP_COPY_CRC, FL_CR, A_IOVA + 1, C_IOVA + 3, 0x9001);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->c + 3, f->a + 1, 0x9001);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL),
                     isal_crc32c(f->a + 1, 0x9001, 0));
    d = mk(VIDXD_OP_COPY_CRC, FL_CR, A_IOVA, A_IOVA + 0x10, 0x20);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    d = mk(VIDXD_OP_COPY_CRC, FL_CR, A_IOVA, GAP_IOVA - 0x10, 0x20);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(cr->bytes_completed, 0x10);
    assert_int_equal(cr32(cr, VIDXD_COMP_CRC_VAL), isal_crc32c(f->a, 0x10, 0));
}

/* ---- DIF -------------------------------------------------------------- */

static void
be_tuple(uint8_t *t, uint16_t g, uint16_t app, uint32_t ref)
{
    t[0] = (uint8_t)(g >> 8);
    t[1] = (uint8_t)g;
    t[2] = (uint8_t)(app >> 8);
    t[3] = (uint8_t)app;
    t[4] = (uint8_t)(ref >> 24);
    t[5] = (uint8_t)(ref >> 16);
    t[6] = (uint8_t)(ref >> 8);
    t[7] = (uint8_t)ref;
}

static struct vidxd_desc
dif_ins_desc(uint64_t src, uint64_t dst, uint32_t size, uint8_t dif,
             uint8_t dflags, uint32_t ref, uint16_t app, uint16_t mask)
{
    struct vidxd_desc d = mk(VIDXD_OP_DIF_INS, FL_CR, src, dst, size);

    set8(&d, VIDXD_DESC_DIF_DST_FLAGS, dflags);
    set8(&d, VIDXD_DESC_DIF_FLAGS, dif);
    set32(&d, VIDXD_DESC_DIF_DST_REF_TAG, ref);
    set16(&d, VIDXD_DESC_DIF_DST_APP_MASK, mask);
    set16(&d, VIDXD_DESC_DIF_DST_APP_TAG, app);
    return d;
}

static struct vidxd_desc
dif_chk_desc(unsigned op, uint64_t src, uint64_t dst, uint32_t size,
             uint8_t dif, uint8_t sflags, uint32_t ref, uint16_t app,
             uint16_t mask)
{
    struct vidxd_desc d = mk(op, FL_CR, src, dst, size);

    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS, sflags);
    set8(&d, VIDXD_DESC_DIF_FLAGS, dif);
    set32(&d, VIDXD_DESC_DIF_SRC_REF_TAG, ref);
    set16(&d, VIDXD_DESC_DIF_SRC_APP_MASK, mask);
    set16(&d, VIDXD_DESC_DIF_SRC_APP_TAG, app);
    return d;
}

static void
test_dif_insert(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;
    uint8_t t[8];
    unsigned b;

    pattern(f->a, 3 * 512, 17);
    memset(f->c, 0, 4 * 520);
    /* Incrementing ref tag from 0x100, fixed app tag 0x5a5a, mask 0. */
    d = dif_ins_desc(A_IOVA, C_IOVA, 3 * 512, 0, 0, 0x100, 0x5a5a, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (b = 0; b < 3; b++) {
        assert_memory_equal(f->c + b * 520, f->a + b * 512, 512);
        be_tuple(t, crc16_t10dif(0, f->a + b * 512, 512), 0x5a5a, 0x100 + b);
        assert_memory_equal(f->c + b * 520 + 512, t, 8);
    }
    assert_int_equal(f->c[3 * 520], 0);
    /* Record: destination tags of the next block, mask echoed. */
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_DST_REF_TAG), 0x103);
    assert_int_equal(cr16(cr, VIDXD_COMP_DIF_DST_APP_TAG), 0x5a5a);
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_SRC_REF_TAG), 0);
    /* 4096-byte blocks, inverted seed and result, fixed ref, app inc,
     * masked app bits zero. */
    pattern(f->a, 2 * 4096, 18);
    d = dif_ins_desc(A_IOVA, C_IOVA, 2 * 4096,
                     2 | VIDXD_DIF_INVERT_CRC_SEED |
                         VIDXD_DIF_INVERT_CRC_RESULT,
                     VIDXD_DIF_DST_REF_TAG_FIXED | VIDXD_DIF_DST_APP_TAG_INC,
                     0xabcdef01, 0x1234, 0x00ff);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (b = 0; b < 2; b++) {
        uint16_t g = (uint16_t)~crc16_t10dif(0xffff, f->a + b * 4096, 4096);

        be_tuple(t, g, (uint16_t)((0x1234 + b) & 0xff00), 0xabcdef01);
        assert_memory_equal(f->c + b * 4104, f->a + b * 4096, 4096);
        assert_memory_equal(f->c + b * 4104 + 4096, t, 8);
    }
    /* Source not a whole number of blocks; overlapping buffers. */
    d = dif_ins_desc(A_IOVA, C_IOVA, 1000, 0, 0, 0, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
    d = dif_ins_desc(A_IOVA, A_IOVA + 1024, 2048, 0, 0, 0, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
    /* Destination running into the gap: the second block faults. */
    d = dif_ins_desc(A_IOVA, GAP_IOVA - 520 - 100, 2 * 512, 0, 0, 0, 0, 0);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    assert_int_equal(cr->bytes_completed, 512);
}

/* Build two 520-byte protected blocks (512 + tuple) at C. */
static void
make_protected(struct fx *f, uint32_t ref, uint16_t app)
{
    unsigned b;

    pattern(f->a, 1024, 19);
    for (b = 0; b < 2; b++) {
        memcpy(f->c + b * 520, f->a + b * 512, 512);
        be_tuple(f->c + b * 520 + 512, crc16_t10dif(0, f->a + b * 512, 512),
                 app, ref + b);
    }
}

static void
test_dif_check(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;

    make_protected(f, 0x200, 0x4242);
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, C_IOVA, 0, 1040, 0, 0, 0x200, 0x4242,
                     0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->result, 0);
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_SRC_REF_TAG), 0x202);
    assert_int_equal(cr16(cr, VIDXD_COMP_DIF_SRC_APP_TAG), 0x4242);
    /* Wrong ref seed: block 0 fails the reference tag check. */
    set32(&d, VIDXD_DESC_DIF_SRC_REF_TAG, 0x201);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->status, VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_REF_TAG);
    assert_int_equal(cr->bytes_completed, 0);
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_SRC_REF_TAG), 0x201);
    /* ...unless the reference check is disabled or the tag is fixed. */
    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS, VIDXD_DIF_SRC_REF_CHECK_DISABLE);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* Corrupt block 1's data: guard error at 520 bytes completed. */
    f->c[520 + 7] ^= 1;
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, C_IOVA, 0, 1040, 0, 0, 0x200, 0x4242,
                     0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_GUARD);
    assert_int_equal(cr->bytes_completed, 520);
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_SRC_REF_TAG), 0x201);
    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS, VIDXD_DIF_SRC_GUARD_CHECK_DISABLE);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    f->c[520 + 7] ^= 1;
    /* App tag: mismatch, masked mismatch, app+ref and guard together. */
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, C_IOVA, 0, 1040, 0, 0, 0x200, 0x4243,
                     0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_APP_TAG);
    set16(&d, VIDXD_DESC_DIF_SRC_APP_MASK, 0x0001);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr16(cr, VIDXD_COMP_DIF_SRC_APP_MASK), 0x0001);
    set16(&d, VIDXD_DESC_DIF_SRC_APP_MASK, 0);
    set32(&d, VIDXD_DESC_DIF_SRC_REF_TAG, 7);
    f->c[0] ^= 1;
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_GUARD |
                                     VIDXD_DIF_STATUS_APP_TAG |
                                     VIDXD_DIF_STATUS_REF_TAG);
    f->c[0] ^= 1;
    /* Incrementing app tag expected but the blocks carry a fixed one. */
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, C_IOVA, 0, 1040, 0,
                     VIDXD_DIF_SRC_APP_TAG_INC, 0x200, 0x4242, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->bytes_completed, 520);
    assert_int_equal(cr16(cr, VIDXD_COMP_DIF_SRC_APP_TAG), 0x4243);
    /* Size not a multiple of 520. */
    d.xfer_size = 1000;
    assert_int_equal(run(f, &d), VIDXD_STATUS_XFER_ERANGE);
    /* Without CRAV a DIF error reaches the error callback. */
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, C_IOVA, 0, 1040, 0, 0, 0, 0, 0);
    d.flags_opcode &= ~(VIDXD_FLAG_CRAV | VIDXD_FLAG_RCR);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(f->err.status, VIDXD_STATUS_DIF_ERR);
}

static void
test_dif_f_detect(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;

    make_protected(f, 0x10, 0x1);
    /* Block 1: application tag all ones (a "do not check" escape). */
    f->c[520 + 514] = 0xff;
    f->c[520 + 515] = 0xff;
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, C_IOVA, 0, 1040, 0, 0, 0x10, 0x1, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_APP_TAG);
    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS, VIDXD_DIF_SRC_APP_F_DETECT);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* App+ref escape needs both tags all ones. */
    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS, VIDXD_DIF_SRC_APP_REF_F_DETECT);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    memset(f->c + 520 + 516, 0xff, 4);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* Whole tuple all ones: skipped, or an error with the error flag. */
    memset(f->c + 520 + 512, 0xff, 8);
    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS, VIDXD_DIF_SRC_ALL_F_DETECT);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    set8(&d, VIDXD_DESC_DIF_SRC_FLAGS,
         VIDXD_DIF_SRC_ALL_F_DETECT | VIDXD_DIF_SRC_ALL_F_DETECT_ERR);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_ALL_F);
    assert_int_equal(cr->bytes_completed, 520);
}

static void
test_dif_strip(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;

    make_protected(f, 0x300, 0x7);
    memset(f->b, 0, 2048);
    d = dif_chk_desc(VIDXD_OP_DIF_STRP, C_IOVA, B_IOVA, 1040, 0, 0, 0x300, 0x7,
                     0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->b, f->a, 1024);
    assert_int_equal(f->b[1024], 0);
    /* A bad second block: only the first is written. */
    memset(f->b, 0, 2048);
    f->c[520 + 513] ^= 1;
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->result, VIDXD_DIF_STATUS_GUARD);
    assert_int_equal(cr->bytes_completed, 520);
    assert_memory_equal(f->b, f->a, 512);
    assert_int_equal(f->b[512], 0);
    d.dst = C_IOVA + 1000;
    assert_int_equal(run(f, &d), VIDXD_STATUS_OVERLAP_BUFFERS);
}

static void
test_dif_update(void **state)
{
    struct fx *f = *state;
    struct vidxd_comp *cr = CR(f, CRA);
    struct vidxd_desc d;
    uint8_t t[8];
    unsigned b;

    make_protected(f, 0x400, 0xa0a0);
    memset(f->b, 0, 2048);
    d = dif_chk_desc(VIDXD_OP_DIF_UPDT, C_IOVA, B_IOVA, 1040, 0, 0, 0x400,
                     0xa0a0, 0);
    set32(&d, VIDXD_DESC_DIF_DST_REF_TAG, 0x9000);
    set16(&d, VIDXD_DESC_DIF_DST_APP_TAG, 0x0b0b);
    set16(&d, VIDXD_DESC_DIF_DST_APP_MASK, 0x00ff);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (b = 0; b < 2; b++) {
        /* Masked app bits come from the source tag. */
        be_tuple(t, crc16_t10dif(0, f->a + b * 512, 512), 0x0ba0, 0x9000 + b);
        assert_memory_equal(f->b + b * 520, f->a + b * 512, 512);
        assert_memory_equal(f->b + b * 520 + 512, t, 8);
    }
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_SRC_REF_TAG), 0x402);
    assert_int_equal(cr32(cr, VIDXD_COMP_DIF_DST_REF_TAG), 0x9002);
    assert_int_equal(cr16(cr, VIDXD_COMP_DIF_DST_APP_MASK), 0x00ff);
    /* Pass-through of all three fields copies the source tuples. */
    set8(&d, VIDXD_DESC_DIF_DST_FLAGS,
         VIDXD_DIF_DST_GUARD_PASS | VIDXD_DIF_DST_APP_PASS |
             VIDXD_DIF_DST_REF_PASS);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->b, f->c, 1040);
    /* Source check failure: nothing written for that block. */
    memset(f->b, 0, 2048);
    set32(&d, VIDXD_DESC_DIF_SRC_REF_TAG, 0x401);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DIF_ERR);
    assert_int_equal(cr->bytes_completed, 0);
    assert_int_equal(f->b[0], 0);
}

/* A protected block split across the A|B boundary goes through a bounce. */
static void
test_dif_across_mappings(void **state)
{
    struct fx *f = *state;
    uint8_t src[1024], t[8];
    struct vidxd_desc d;
    unsigned b;

    /* 2 x 512 bytes from C into B - 700: block 1 straddles the seam. */
    pattern(src, sizeof(src), 20);
    memcpy(f->c, src, sizeof(src));
    d = dif_ins_desc(C_IOVA, B_IOVA - 700, 1024, 0, 0, 1, 2, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    for (b = 0; b < 2; b++) {
        uint8_t blk[520];

        be_tuple(t, crc16_t10dif(0, src + b * 512, 512), 2, 1 + b);
        memcpy(blk, src + b * 512, 512);
        memcpy(blk + 512, t, 8);
        for (unsigned i = 0; i < 520; i++) {
            uint64_t off = (uint64_t)b * 520 + i;
            uint8_t got = off < 700 ? f->a[REG - 700 + off] : f->b[off - 700];

            assert_int_equal(got, blk[i]);
        }
    }
    /* And check it back in place, reading across the seam. */
    d = dif_chk_desc(VIDXD_OP_DIF_CHECK, B_IOVA - 700, 0, 1040, 0, 0, 1, 2, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
}

/* ---- CFLUSH / DRAIN --------------------------------------------------- */

static void
test_cflush(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_CFLUSH, FL_CR, 0, B_IOVA - 100, 300);

    memset(f->a, 0x77, REG);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* Flushing never changes memory contents. */
    assert_int_equal(f->a[REG - 1], 0x77);
    d.flags_opcode |= VIDXD_FLAG_CC;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    d = mk(VIDXD_OP_CFLUSH, FL_CR, 0, R_IOVA, 64);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(CR(f, CRA)->fault_addr, R_IOVA);
    d = mk(VIDXD_OP_CFLUSH, FL_CR, 0, GAP_IOVA - 64, 128);
    assert_int_equal(run(f, &d), 0x83);
    assert_int_equal(CR(f, CRA)->fault_addr, GAP_IOVA);
    assert_int_equal(CR(f, CRA)->bytes_completed, 64);
    /* CC for a flush needs GENCAP.cache_control_cache. */
    f->ctx.gencap &= ~VIDXD_GENCAP_CACHE_CTRL_CACHE;
    d = mk(VIDXD_OP_CFLUSH, FL_CR | VIDXD_FLAG_CC, 0, A_IOVA, 64);
    assert_int_equal(run(f, &d), VIDXD_STATUS_INVALID_FLAGS);
}

static void
test_drain(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d = mk(VIDXD_OP_DRAIN, FL_CR | VIDXD_FLAG_RCI, 0, 0, 0);

    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->nint, 1);
    d.src = A_IOVA;
    d.dst = GAP_IOVA + 8;
    assert_int_equal(run(f, &d), VIDXD_STATUS_PFAULT_RDBA);
    assert_int_equal(CR(f, CRA)->fault_addr, GAP_IOVA + 8);
    /* Without drain readback support the addresses are not used. */
    f->ctx.gencap &= ~VIDXD_GENCAP_DRAIN_READBACK;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    d = mk(VIDXD_OP_DRAIN, FL_CR, 0, 0, 1);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
}

/* ---- BATCH ------------------------------------------------------------ */

static struct vidxd_desc *
list_at(struct fx *f, uint64_t iova)
{
    return (struct vidxd_desc *)H(f, iova);
}

static void
test_batch_fence(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc *l = list_at(f, LIST);
    struct vidxd_comp *cr = CR(f, CRA), *sub = (void *)H(f, C_IOVA + 0xf100);
    struct vidxd_desc d;
    unsigned i;

    pattern(f->a, 0x100, 21);
    memset(f->b, 0, 0x200);
    memset(sub, 0, 4 * 32);
    /* 0: copy A->B; 1: compare A/B with CR flag expecting "different" (a
     * false predicate); 2: fenced fill; 3: noop. */
    l[0] = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, B_IOVA, 0x100);
    l[1] = mk(VIDXD_OP_COMPARE, FL_CR | VIDXD_FLAG_CR, A_IOVA, B_IOVA, 0x100);
    set8(&l[1], VIDXD_DESC_EXPECTED_RES, 1);
    l[2] = mk(VIDXD_OP_MEMFILL, FL_CR | VIDXD_FLAG_FENCE, 0, B_IOVA, 0x100);
    l[3] = mk(VIDXD_OP_NOOP, FL_CR | VIDXD_FLAG_RCI, 0, 0, 0);
    for (i = 0; i < 4; i++) {
        l[i].completion_addr = C_IOVA + 0xf100 + 32 * i;
    }
    d = mk(VIDXD_OP_BATCH, FL_CR | VIDXD_FLAG_RCI, LIST, 0, 4);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_FAIL);
    assert_int_equal(cr->status, VIDXD_STATUS_BATCH_FAIL);
    assert_int_equal(cr->bytes_completed, 2);
    assert_int_equal(sub[0].status, VIDXD_STATUS_SUCCESS);
    assert_int_equal(sub[1].status, VIDXD_STATUS_SUCCESS_PRED);
    assert_int_equal(sub[2].status, 0);
    assert_int_equal(sub[3].status, 0);
    assert_memory_equal(f->b, f->a, 0x100);
    assert_int_equal(f->nint, 1); /* the batch's own only */
    /* Predicate true: everything runs. */
    memset(sub, 0, 4 * 32);
    set8(&l[1], VIDXD_DESC_EXPECTED_RES, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(cr->bytes_completed, 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(sub[i].status, VIDXD_STATUS_SUCCESS);
    }
    assert_int_equal(f->b[0], 0);
    assert_int_equal(f->nint, 3);
    /* A failure without a later fence: the rest still run. */
    memset(sub, 0, 4 * 32);
    l[1] = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, GAP_IOVA, 0x10);
    l[1].completion_addr = C_IOVA + 0xf120;
    l[2].flags_opcode &= ~VIDXD_FLAG_FENCE;
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_FAIL);
    assert_int_equal(cr->bytes_completed, 4);
    assert_int_equal(sub[1].status, 0x83);
    assert_int_equal(sub[1].fault_addr, GAP_IOVA);
    assert_int_equal(sub[3].status, VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->stats.errors, 3);
}

static void
test_batch_rules(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc *l = list_at(f, LIST);
    struct vidxd_comp *cr = CR(f, CRA), *sub = (void *)H(f, CRA2);
    struct vidxd_desc d;

    for (unsigned i = 0; i < 4; i++) {
        l[i] = mk(VIDXD_OP_NOOP, FL_CR, 0, 0, 0);
        l[i].completion_addr = CRA2;
    }
    d = mk(VIDXD_OP_BATCH, FL_CR, LIST, 0, 1);
    assert_int_equal(run(f, &d), VIDXD_STATUS_DESC_CNT_ERANGE);
    d.xfer_size = 0;
    assert_int_equal(run(f, &d), VIDXD_STATUS_DESC_CNT_ERANGE);
    d.xfer_size = 33;
    assert_int_equal(run(f, &d), VIDXD_STATUS_DESC_CNT_ERANGE);
    assert_int_equal(cr->status, VIDXD_STATUS_DESC_CNT_ERANGE);
    d.xfer_size = 2;
    d.src = LIST + 32;
    assert_int_equal(run(f, &d), VIDXD_STATUS_DESCLIST_ALIGN);
    /* List entirely in the gap. */
    d.src = GAP_IOVA;
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_PAGE_FAULT);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    assert_int_equal(cr->bytes_completed, 0);
    /* List whose third entry lies in the gap: two run first. */
    memcpy(H(f, GAP_IOVA - 128), l, 128);
    d.src = GAP_IOVA - 128;
    d.xfer_size = 4;
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_PAGE_FAULT);
    assert_int_equal(cr->fault_addr, GAP_IOVA);
    assert_int_equal(cr->bytes_completed, 2);
    assert_int_equal(f->stats.ops, 8);
    /* A list across A|B is read fine. */
    memcpy(H(f, B_IOVA - 64), l, 64);
    memcpy(H(f, B_IOVA), l, 64);
    d.src = B_IOVA - 64;
    d.xfer_size = 2;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    /* No batch or drain inside a batch: a per-descriptor BAD_OPCODE. */
    sub->status = 0;
    l[1] = mk(VIDXD_OP_BATCH, FL_CR, LIST, 0, 2);
    l[1].completion_addr = CRA2;
    d = mk(VIDXD_OP_BATCH, FL_CR, LIST, 0, 2);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_FAIL);
    assert_int_equal(sub->status, VIDXD_STATUS_BAD_OPCODE);
    assert_int_equal(cr->bytes_completed, 2);
    l[1] = mk(VIDXD_OP_DRAIN, VIDXD_FLAG_CRAV, 0, 0, 0);
    l[1].completion_addr = CRA2;
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_FAIL);
    assert_int_equal(sub->status, VIDXD_STATUS_BAD_OPCODE);
    /* An inner error without CRAV reports its batch position. */
    l[1] = mk(VIDXD_OP_NOOP, 0x40, 0, 0, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_BATCH_FAIL);
    assert_true(f->err.batch);
    assert_int_equal(f->err.batch_idx, 1);
    assert_int_equal(f->err.status, VIDXD_STATUS_INVALID_FLAGS);
}

/*
 * Reserved fields an operation does not use, field by field: src, dst and
 * xfer_size by use; the interrupt handle is never reserved, even without
 * RCI.
 */
static void
test_reserved_unused_fields(void **state)
{
    struct fx *f = *state;
    struct vidxd_desc d;

    d = mk(VIDXD_OP_NOOP, FL_CR, 0, 8, 0);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_NOOP, FL_CR, 0, 0, 0x80000000u);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_NOOP, FL_CR, 0, 0, 0);
    d.int_handle = 0xffff;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    d.rsvd = 0x8000;
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    /* CFLUSH has no source, DRAIN no size, BATCH no destination. */
    d = mk(VIDXD_OP_CFLUSH, FL_CR, 1ull << 63, A_IOVA, 64);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_DRAIN, FL_CR, 0, 0, 1);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d = mk(VIDXD_OP_BATCH, FL_CR, LIST, 4, 2);
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    /* PASID bit 30 is reserved, bit 31 (priv) is not. */
    d = mk(VIDXD_OP_NOOP, FL_CR, 0, 0, 0);
    d.pasid_priv = 1u << 30;
    assert_int_equal(run(f, &d), VIDXD_STATUS_NOZERO_RESERVE);
    d.pasid_priv = 1u << 31;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
}

/* The 32 bytes at @cra are exactly @want (status byte included). */
static void
assert_record(struct fx *f, uint64_t cra, const uint8_t want[32])
{
    assert_memory_equal(H(f, cra), want, 32);
}

/*
 * Every byte of a record is written, over whatever the guest left there,
 * wherever the record lies: in the mapping of the buffers (MEMMOVE's
 * single translation), in another one, at the very top of the IOVA space.
 */
static void
test_record_bytes(void **state)
{
    struct fx *f = *state;
    uint64_t cra_a = A_IOVA + 0xff00, cra_top = UINT64_MAX - 31;
    uint8_t want[32];
    struct vidxd_desc d;
    uint32_t v;
    uint64_t q;

    /* MEMMOVE, buffers and record in one mapping. */
    pattern(f->a, 0x100, 9);
    memset(H(f, cra_a), 0xee, 32);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, A_IOVA, A_IOVA + 0x800, 0x100);
    d.completion_addr = cra_a;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_memory_equal(f->a + 0x800, f->a, 0x100);
    memset(want, 0, sizeof(want));
    want[0] = VIDXD_STATUS_SUCCESS;
    assert_record(f, cra_a, want);

    /* The same with the record in the last 32 bytes of the space. */
    memset(H(f, cra_top), 0xee, 32);
    d.completion_addr = cra_top;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_record(f, cra_top, want);

    /* CRCGEN, record in another mapping: the CRC at 0x10. */
    memcpy(f->a, "123456789", 9);
    memset(H(f, CRA), 0xee, 32);
    d = mk(VIDXD_OP_CRCGEN, FL_CR, A_IOVA, 0, 9);
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    v = 0xE3069283u;
    memcpy(want + VIDXD_COMP_CRC_VAL, &v, 4);
    assert_record(f, CRA, want);

    /* A descending MEMMOVE that faults: result, bytes_completed and
     * fault_addr, in one mapping with the record. */
    memset(H(f, cra_a), 0xee, 32);
    d = mk(VIDXD_OP_MEMMOVE, FL_CR, B_IOVA + REG - 0x100, B_IOVA + REG - 0x80,
           0x100);
    d.completion_addr = cra_a;
    assert_int_equal(run(f, &d),
                     VIDXD_STATUS_PAGE_FAULT_NOBOF | VIDXD_STATUS_WRITE_FAULT);
    memset(want, 0, sizeof(want));
    want[0] = VIDXD_STATUS_PAGE_FAULT_NOBOF | VIDXD_STATUS_WRITE_FAULT;
    want[1] = VIDXD_RESULT_MEMMOVE_DESCENDING;
    v = 0;
    memcpy(want + 4, &v, 4);
    q = GAP_IOVA + 0x7f;
    memcpy(want + 8, &q, 8);
    assert_record(f, cra_a, want);

    /* A record that cannot be written early or late: CRCGEN into a
     * read-only page reports CRA_XLAT and leaves the page alone. */
    d = mk(VIDXD_OP_CRCGEN, FL_CR, A_IOVA, 0, 9);
    d.completion_addr = R_IOVA + 0x20;
    assert_int_equal(run(f, &d), VIDXD_STATUS_SUCCESS);
    assert_int_equal(f->nerr, 1);
    assert_int_equal(f->err.status, VIDXD_STATUS_CRA_XLAT);
    assert_int_equal(f->err.fault_addr, R_IOVA + 0x20);
    assert_int_equal(f->r[0x20], 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_noop_record_and_interrupt),
        T(test_noop_without_rcr_writes_nothing),
        T(test_bad_opcode),
        T(test_invalid_flags),
        T(test_nonzero_reserved),
        T(test_reserved_unused_fields),
        T(test_record_bytes),
        T(test_cra_alignment_goes_to_error),
        T(test_cra_untranslatable),
        T(test_int_handle_invalid),
        T(test_memmove_contiguous_and_scatter),
        T(test_memmove_page_faults),
        T(test_memmove_block_on_fault),
        T(test_memmove_overlap),
        T(test_memmove_descending_fault),
        T(test_memmove_size_rules),
        T(test_memfill),
        T(test_compare),
        T(test_compval),
        T(test_create_delta),
        T(test_create_delta_errors),
        T(test_apply_delta),
        T(test_dualcast),
        T(test_crcgen),
        T(test_copy_crc),
        T(test_dif_insert),
        T(test_dif_check),
        T(test_dif_f_detect),
        T(test_dif_strip),
        T(test_dif_update),
        T(test_dif_across_mappings),
        T(test_cflush),
        T(test_drain),
        T(test_batch_fence),
        T(test_batch_rules),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
