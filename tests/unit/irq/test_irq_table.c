/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the built-in 16-byte tables: PCI MSI-X table and PBA
 * register semantics (entry layout, DWORD/QWORD access, reserved bits, mask
 * bits, PBA bits, function mask and enable) and IMS arrays in DSA's format
 * (PASID-tagged vector control, dsa.md §4), guest- and host-programmed.
 */
#include <stdlib.h>

#include "irq_test.h"

struct tstate {
    struct vidxd_irq_dev *dev;
    int efd;
};

static int
setup(void **state)
{
    struct tstate *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    assert_int_equal(vidxd_irq_dev_create("tbl", 64, &s->dev), 0);
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(s->efd >= 0);
    *state = s;
    return 0;
}

static int
teardown(void **state)
{
    struct tstate *s = *state;

    vidxd_irq_dev_destroy(s->dev);
    close(s->efd);
    free(s);
    return 0;
}

static uint64_t
rd(struct vidxd_irq_dev *dev, uint64_t off, unsigned size)
{
    uint64_t v = 0xdeadbeef;

    assert_int_equal(vidxd_irq_msix_table_read(dev, off, size, &v), 0);
    return v;
}

static void
wr(struct vidxd_irq_dev *dev, uint64_t off, unsigned size, uint64_t v)
{
    assert_int_equal(vidxd_irq_msix_table_write(dev, off, size, v), 0);
}

static uint64_t
pba(struct vidxd_irq_dev *dev, uint64_t off, unsigned size)
{
    uint64_t v = 0xdeadbeef;

    assert_int_equal(vidxd_irq_msix_pba_read(dev, off, size, &v), 0);
    return v;
}

/* Program vector @v of the MSI-X table with one QWORD and two DWORDs. */
static void
program(struct vidxd_irq_dev *dev, uint32_t v, uint64_t addr, uint32_t data,
        bool masked)
{
    wr(dev, v * 16 + VIDXD_IRQ_ENTRY_ADDR_LO, 8, addr);
    wr(dev, v * 16 + VIDXD_IRQ_ENTRY_DATA, 4, data);
    wr(dev, v * 16 + VIDXD_IRQ_ENTRY_CTRL, 4, masked ? 1 : 0);
}

static void
test_msix_create(void **state)
{
    struct tstate *s = *state;

    assert_int_equal(vidxd_irq_msix_create(s->dev, 0, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_create(s->dev, 2049, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_create(s->dev, 8, 0x80), -EINVAL);
    assert_int_equal(vidxd_irq_msix_create(s->dev, 2048, 0), 0);
    assert_int_equal(vidxd_irq_msix_create(s->dev, 8, 0), -EEXIST);
    assert_int_equal(VIDXD_IRQ_MSIX_TABLE_BYTES(2048), 0x8000);
    assert_int_equal(VIDXD_IRQ_MSIX_PBA_BYTES(2048), 0x100);
    assert_int_equal(VIDXD_IRQ_MSIX_PBA_BYTES(70), 16);
    /* Last entry and last PBA QWORD are reachable; one past is not. */
    assert_int_equal(rd(s->dev, 2047 * 16 + 12, 4), 1);
    assert_int_equal(pba(s->dev, 0xf8, 8), 0);
}

static void
test_msix_reset_state_and_reserved_bits(void **state)
{
    struct tstate *s = *state;
    uint32_t v;

    assert_int_equal(vidxd_irq_msix_create(s->dev, 4, 0), 0);
    /* PCI: every mask bit set at reset, message zero. */
    for (v = 0; v < 4; v++) {
        assert_int_equal(rd(s->dev, v * 16 + 0, 8), 0);
        assert_int_equal(rd(s->dev, v * 16 + 8, 4), 0);
        assert_int_equal(rd(s->dev, v * 16 + 12, 4), 1);
    }
    /* Address [1:0] and vector control [31:1] read as zero. */
    wr(s->dev, 16 + 0, 4, 0xfee00003);
    assert_int_equal(rd(s->dev, 16 + 0, 4), 0xfee00000);
    wr(s->dev, 16 + 12, 4, 0xfffffffe);
    assert_int_equal(rd(s->dev, 16 + 12, 4), 0);
    wr(s->dev, 16 + 12, 4, 0xffffffff);
    assert_int_equal(rd(s->dev, 16 + 12, 4), 1);
    wr(s->dev, 16 + 4, 4, 0xffffffff);
    wr(s->dev, 16 + 8, 4, 0xffffffff);
    assert_int_equal(rd(s->dev, 16 + 4, 4), 0xffffffff);
    assert_int_equal(rd(s->dev, 16 + 8, 4), 0xffffffff);
}

static void
test_msix_access_widths(void **state)
{
    struct tstate *s = *state;
    uint64_t v = 0;

    assert_int_equal(vidxd_irq_msix_create(s->dev, 4, 0), 0);
    /* QWORD write lands as two DWORDs, little-endian. */
    wr(s->dev, 0x20, 8, 0x00000012fee0100cull);
    assert_int_equal(rd(s->dev, 0x20, 4), 0xfee0100c);
    assert_int_equal(rd(s->dev, 0x24, 4), 0x12);
    wr(s->dev, 0x28, 8, 0x0000000100004021ull);
    assert_int_equal(rd(s->dev, 0x28, 4), 0x4021);
    assert_int_equal(rd(s->dev, 0x2c, 4), 1);
    assert_int_equal(rd(s->dev, 0x28, 8), 0x0000000100004021ull);
    assert_int_equal(rd(s->dev, 0x20, 8), 0x00000012fee0100cull);
    /* Anything but aligned DWORD/QWORD inside the table: refused. */
    assert_int_equal(vidxd_irq_msix_table_write(s->dev, 0x22, 4, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_table_write(s->dev, 0x24, 8, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_table_write(s->dev, 0x20, 2, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_table_write(s->dev, 0x20, 1, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_table_write(s->dev, 0x40, 4, 0), -EINVAL);
    assert_int_equal(vidxd_irq_msix_table_read(s->dev, 0x3c, 8, &v), -EINVAL);
    assert_int_equal(v, 0);
    assert_int_equal(vidxd_irq_msix_table_read(s->dev, 0x21, 4, &v), -EINVAL);
    assert_int_equal(vidxd_irq_msix_table_read(s->dev, UINT64_MAX - 3, 4, &v),
                     -EINVAL);
    /* Nothing changed. */
    assert_int_equal(rd(s->dev, 0x20, 8), 0x00000012fee0100cull);
    assert_int_equal(vidxd_irq_msix_pba_read(s->dev, 1, 4, &v), -EINVAL);
    assert_int_equal(vidxd_irq_msix_pba_read(s->dev, 8, 8, &v), -EINVAL);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 0, 4, &v), -ENOENT);
}

static void
test_msix_pba_and_masking(void **state)
{
    struct tstate *s = *state;
    int fds[1];

    assert_int_equal(vidxd_irq_msix_create(s->dev, 70, 0), 0);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    program(s->dev, 65, 0xfee00000, 0x65, true);
    fds[0] = s->efd;
    assert_int_equal(
        vidxd_irq_set_eventfds(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 65, 1, fds), 0);
    /* Masked vector: pending bit, no message. */
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 65),
                     VIDXD_IRQ_PENDING);
    assert_int_equal(efd_take(s->efd), 0);
    assert_int_equal(pba(s->dev, 8, 8), 0x2);
    assert_int_equal(pba(s->dev, 8, 4), 0x2);
    assert_int_equal(pba(s->dev, 12, 4), 0);
    assert_int_equal(pba(s->dev, 0, 8), 0);
    /* Clearing the mask bit sends it once and clears the PBA bit. */
    wr(s->dev, 65 * 16 + 12, 4, 0);
    assert_int_equal(efd_take(s->efd), 1);
    assert_int_equal(pba(s->dev, 8, 8), 0);
    wr(s->dev, 65 * 16 + 12, 4, 0);
    assert_int_equal(efd_take(s->efd), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 65),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(s->efd), 1);
    /* PBA writes do not exist in this API; vectors never raised stay 0. */
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 3),
                     -ENOENT);
    assert_int_equal(pba(s->dev, 0, 8), 0);
}

static void
test_msix_function_mask_and_enable(void **state)
{
    struct tstate *s = *state;
    int fds[1];

    assert_int_equal(vidxd_irq_msix_create(s->dev, 8, 0), 0);
    program(s->dev, 1, 0xfee00000, 0x11, false);
    fds[0] = s->efd;
    assert_int_equal(
        vidxd_irq_set_eventfds(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1, 1, fds), 0);
    /* MSI-X still disabled (reset state): held pending. */
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1),
                     VIDXD_IRQ_PENDING);
    assert_int_equal(pba(s->dev, 0, 8), 0x2);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, true), 0);
    assert_int_equal(efd_take(s->efd), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1),
                     VIDXD_IRQ_PENDING);
    assert_int_equal(pba(s->dev, 0, 4), 0x2);
    /* Function mask off: one message, PBA clear. */
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    assert_int_equal(efd_take(s->efd), 1);
    assert_int_equal(pba(s->dev, 0, 8), 0);
    /* Per-vector mask and function mask both hold it. */
    wr(s->dev, 16 + 12, 4, 1);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, true), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1),
                     VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    assert_int_equal(efd_take(s->efd), 0);
    wr(s->dev, 16 + 12, 4, 0);
    assert_int_equal(efd_take(s->efd), 1);
    assert_int_equal(vidxd_irq_msix_set_ctrl(NULL, true, false), -EINVAL);
}

static void
test_msix_unmasked_write_takes_effect_at_unmask(void **state)
{
    struct tstate *s = *state;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);

    assert_int_equal(vidxd_irq_msix_create(s->dev, 4, 0), 0);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    program(s->dev, 2, 0xfee00000, 0xd1, false);
    assert_int_equal(vidxd_irq_bind(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 2, &t), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 2),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.last.data, 0xd1);
    /* Written while unmasked: reads back now, delivered from next unmask. */
    wr(s->dev, 2 * 16 + 8, 4, 0xd2);
    assert_int_equal(rd(s->dev, 2 * 16 + 8, 4), 0xd2);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 2),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.last.data, 0xd1);
    wr(s->dev, 2 * 16 + 12, 4, 1);
    wr(s->dev, 2 * 16 + 12, 4, 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 2),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(rec.last.data, 0xd2);
    /* Data and unmask in one QWORD: the pending one goes with new data. */
    wr(s->dev, 2 * 16 + 12, 4, 1);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 2),
                     VIDXD_IRQ_PENDING);
    wr(s->dev, 2 * 16 + 8, 8, 0xd4);
    assert_int_equal(rec.count, 4);
    assert_int_equal(rec.last.data, 0xd4);
    assert_int_equal(rec.last.address_lo, 0xfee00000);
}

static void
test_msix_vmm_emulated(void **state)
{
    struct tstate *s = *state;
    int fds[2] = {-1, s->efd};

    /* QEMU keeps the table: our copy stays at reset, yet delivers. */
    assert_int_equal(
        vidxd_irq_msix_create(s->dev, 2, VIDXD_IRQ_MSIX_VMM_EMULATED), 0);
    assert_int_equal(
        vidxd_irq_set_eventfds(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 0, 2, fds), 0);
    assert_int_equal(rd(s->dev, 16 + 12, 4), 1);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(s->efd), 1);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, false, true), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1),
                     VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(s->efd), 1);
    /* Vector 0 had no fd: no entry, nothing raised. */
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 0),
                     -ENOENT);
}

static void
test_msix_reset(void **state)
{
    struct tstate *s = *state;
    int fds[1] = {s->efd};

    assert_int_equal(vidxd_irq_msix_create(s->dev, 4, 0), 0);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    program(s->dev, 0, 0xfee00000, 0x70, true);
    assert_int_equal(
        vidxd_irq_set_eventfds(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 0, 1, fds), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 0),
                     VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_table_reset(s->dev, VIDXD_IRQ_DOMAIN_MSIX), 0);
    assert_int_equal(rd(s->dev, 0, 8), 0);
    assert_int_equal(rd(s->dev, 8, 8), 0x100000000ull);
    assert_int_equal(pba(s->dev, 0, 8), 0);
    /* Disabled again, and the stale pending one is gone. */
    wr(s->dev, 12, 4, 0);
    assert_int_equal(efd_take(s->efd), 0);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    assert_int_equal(efd_take(s->efd), 0);
    assert_int_equal(vidxd_irq_table_reset(s->dev, 1), -ENOENT);
}

static void
test_msix_handle_creates_entry(void **state)
{
    struct tstate *s = *state;
    uint16_t h = 0;
    int fds[1] = {s->efd};

    assert_int_equal(vidxd_irq_msix_create(s->dev, 4, 0), 0);
    assert_int_equal(vidxd_irq_msix_set_ctrl(s->dev, true, false), 0);
    program(s->dev, 1, 0xfee00000, 0x1, false);
    /* REQUEST_INT_HANDLE before any eventfd: entry created, pending kept. */
    assert_int_equal(
        vidxd_irq_handle_alloc(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1, &h), 0);
    assert_int_equal(vidxd_irq_raise_handle(s->dev, h), VIDXD_IRQ_PENDING);
    assert_int_equal(pba(s->dev, 0, 8), 0x2);
    assert_int_equal(
        vidxd_irq_set_eventfds(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 1, 1, fds), 0);
    assert_int_equal(efd_take(s->efd), 1);
    assert_int_equal(
        vidxd_irq_handle_alloc(s->dev, VIDXD_IRQ_DOMAIN_MSIX, 4, &h), -ERANGE);
}

static void
test_ims_array_dsa_format(void **state)
{
    struct tstate *s = *state;
    const uint32_t ctrl = VIDXD_IRQ_CTRL_PASID_EN | 0x12345u << 12 | 1;
    uint64_t v = 0;
    struct sink_rec rec = {0};
    struct vidxd_irq_target t = sink_target(&rec);

    assert_int_equal(
        vidxd_irq_ims_array_create(s->dev, VIDXD_IRQ_DOMAIN_IMS, 2048,
                                   VIDXD_IRQ_IMS_PASID | VIDXD_IRQ_IMS_GUEST),
        0);
    assert_int_equal(vidxd_irq_ims_array_create(s->dev, 2, 16, 0x4), -EINVAL);
    assert_int_equal(vidxd_irq_ims_array_create(s->dev, 2, 0, 0), -EINVAL);
    /* dsa.md §4: mask bit 0, PASID enable bit 3, PASID [31:12]. */
    assert_int_equal(vidxd_irq_ims_array_write(s->dev, 1, 5 * 16 + 12, 4,
                                               ctrl | 0x6 | 0xff0),
                     0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 5 * 16 + 12, 4, &v),
                     0);
    assert_int_equal(v, 0x12345009);
    assert_true(vidxd_irq_ims_array_pasid_ok(s->dev, 1, 5, true, 0x12345));
    assert_false(vidxd_irq_ims_array_pasid_ok(s->dev, 1, 5, true, 0x12344));
    assert_false(vidxd_irq_ims_array_pasid_ok(s->dev, 1, 5, false, 0));
    assert_true(vidxd_irq_ims_array_pasid_ok(s->dev, 1, 6, false, 0));
    assert_false(vidxd_irq_ims_array_pasid_ok(s->dev, 1, 2048, false, 0));
    assert_false(vidxd_irq_ims_array_pasid_ok(s->dev, 0, 0, false, 0));
    assert_int_equal(
        vidxd_irq_ims_array_write(s->dev, 1, 5 * 16, 8, 0xfee00000ull), 0);
    assert_int_equal(vidxd_irq_ims_array_write(s->dev, 1, 5 * 16 + 8, 4, 0x55),
                     0);
    /* Bound entry, masked in the array: pending until the guest unmasks. */
    assert_int_equal(vidxd_irq_bind(s->dev, 1, 5, &t), 0);
    assert_int_equal(vidxd_irq_raise(s->dev, 1, 5), VIDXD_IRQ_PENDING);
    assert_int_equal(
        vidxd_irq_ims_array_write(s->dev, 1, 5 * 16 + 12, 4, ctrl & ~1u), 0);
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.last.data, 0x55);
    assert_int_equal(rec.last.address_lo, 0xfee00000);
    /* Last slot reachable, one past refused. */
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 2047 * 16 + 8, 8, &v),
                     0);
    assert_int_equal(v, 0x100000000ull);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 2048 * 16, 4, &v),
                     -EINVAL);
    /* A non-PASID array keeps only the mask bit and accepts any request. */
    assert_int_equal(
        vidxd_irq_ims_array_create(s->dev, 2, 4, VIDXD_IRQ_IMS_GUEST), 0);
    assert_int_equal(vidxd_irq_ims_array_write(s->dev, 2, 12, 4, ctrl), 0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 2, 12, 4, &v), 0);
    assert_int_equal(v, 1);
    assert_true(vidxd_irq_ims_array_pasid_ok(s->dev, 2, 0, true, 7));
}

static void
test_ims_array_guest_routes_by_message(void **state)
{
    struct tstate *s = *state;
    struct vidxd_irq_msg m = mk_msg(0xfee00000, 0x4041);
    struct vidxd_irq_target t = efd_target(s->efd);
    uint16_t h = 0;

    assert_int_equal(
        vidxd_irq_ims_array_create(s->dev, 1, 16, VIDXD_IRQ_IMS_GUEST), 0);
    assert_int_equal(
        vidxd_irq_ims_array_write(s->dev, 1, 7 * 16, 8, 0xfee00000), 0);
    assert_int_equal(
        vidxd_irq_ims_array_write(s->dev, 1, 7 * 16 + 8, 8, 0x4041), 0);
    /* The guest's completion handle names slot 7; no route yet. */
    assert_int_equal(vidxd_irq_handle_alloc(s->dev, 1, 7, &h), 0);
    assert_int_equal(vidxd_irq_raise_handle(s->dev, h), VIDXD_IRQ_PENDING);
    assert_int_equal(vidxd_irq_route_set(s->dev, &m, &t), 0);
    assert_int_equal(efd_take(s->efd), 1);
    assert_int_equal(vidxd_irq_raise_handle(s->dev, h), VIDXD_IRQ_DELIVERED);
    assert_int_equal(efd_take(s->efd), 1);
    /* The guest reprograms the slot under mask: the route no longer fits. */
    assert_int_equal(vidxd_irq_ims_array_write(s->dev, 1, 7 * 16 + 12, 4, 1),
                     0);
    assert_int_equal(vidxd_irq_ims_array_write(s->dev, 1, 7 * 16 + 8, 8, 0x42),
                     0);
    assert_int_equal(vidxd_irq_raise_handle(s->dev, h), VIDXD_IRQ_PENDING);
    assert_int_equal(efd_take(s->efd), 0);
}

static void
test_ims_array_host_programmed(void **state)
{
    struct tstate *s = *state;
    const uint64_t cookie = VIDXD_IRQ_CTRL_PASID_EN | 7u << 12;
    struct vidxd_irq_msg m = mk_msg(0xfee00000, 0x2a);
    struct vidxd_irq_entry_info info;
    uint64_t v = 0;

    assert_int_equal(
        vidxd_irq_ims_array_create(s->dev, 1, 64, VIDXD_IRQ_IMS_PASID), 0);
    /* The instance cookie lands in vector control, masked (ims.md §1.6). */
    assert_int_equal(vidxd_irq_alloc(s->dev, 1, 3, 1, cookie, NULL), 0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 3 * 16 + 12, 4, &v),
                     0);
    assert_int_equal(v, 0x7009);
    assert_int_equal(
        vidxd_irq_activate(s->dev, 1, 3, 1, &m, VIDXD_IRQ_ACT_UNMASK), 0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 3 * 16, 8, &v), 0);
    assert_int_equal(v, 0xfee00000);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 3 * 16 + 8, 8, &v), 0);
    assert_int_equal(v, 0x000070080000002aull);
    assert_true(vidxd_irq_ims_array_pasid_ok(s->dev, 1, 3, true, 7));
    assert_int_equal(vidxd_irq_mask(s->dev, 1, 3), 0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 3 * 16 + 12, 4, &v),
                     0);
    assert_int_equal(v, 0x7009);
    /* The host owns it: no register writes, no reset. */
    assert_int_equal(vidxd_irq_ims_array_write(s->dev, 1, 3 * 16 + 12, 4, 0),
                     -EPERM);
    assert_int_equal(vidxd_irq_table_reset(s->dev, 1), -EPERM);
    /* Free: zero message, masked, PASID gone. */
    assert_int_equal(vidxd_irq_free(s->dev, 1, 3, 1), 0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 3 * 16, 8, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(vidxd_irq_ims_array_read(s->dev, 1, 3 * 16 + 8, 8, &v), 0);
    assert_int_equal(v, 0x100000000ull);
    /* A cookie with bits outside PASID enable / PASID: nothing allocated. */
    assert_int_equal(vidxd_irq_alloc(s->dev, 1, 4, 2, 0x7004, NULL), -EINVAL);
    assert_int_equal(vidxd_irq_entry_info(s->dev, 1, 4, &info), -ENOENT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

const struct CMUnitTest irq_table_tests[] = {
    T(test_msix_create),
    T(test_msix_reset_state_and_reserved_bits),
    T(test_msix_access_widths),
    T(test_msix_pba_and_masking),
    T(test_msix_function_mask_and_enable),
    T(test_msix_unmasked_write_takes_effect_at_unmask),
    T(test_msix_vmm_emulated),
    T(test_msix_reset),
    T(test_msix_handle_creates_entry),
    T(test_ims_array_dsa_format),
    T(test_ims_array_guest_routes_by_message),
    T(test_ims_array_host_programmed),
};
const size_t irq_table_ntests =
    sizeof(irq_table_tests) / sizeof(irq_table_tests[0]);
