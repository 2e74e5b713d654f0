/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the pci layer: the DSA-shaped config space byte for byte
 * as lspci reads it (dsa.md §1.1, §5.1, §8 item 1), BAR sizing, Command
 * and Status semantics, capability registers, hooks, FLR, reset, builder
 * rejections and access bounds.  Expected values are hand-computed from
 * the PCI 3.0 / PCIe 4.0 register layouts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vidxd/pci.h"

static uint32_t
rd32(const struct vidxd_pci_cfg *cfg, uint32_t off)
{
    uint8_t b[4];

    assert_int_equal(vidxd_pci_cfg_read(cfg, off, b, 4), 0);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t
rd16(const struct vidxd_pci_cfg *cfg, uint32_t off)
{
    uint8_t b[2];

    assert_int_equal(vidxd_pci_cfg_read(cfg, off, b, 2), 0);
    return (uint16_t)(b[0] | b[1] << 8);
}

static void
wr32(struct vidxd_pci_cfg *cfg, uint32_t off, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};

    assert_int_equal(vidxd_pci_cfg_write(cfg, off, b, 4), 0);
}

static void
wr16(struct vidxd_pci_cfg *cfg, uint32_t off, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    assert_int_equal(vidxd_pci_cfg_write(cfg, off, b, 2), 0);
}

/* The DSA function as the lead will build it (dsa.md §8 item 1). */
static struct vidxd_pci_cfg *
build_dsa(unsigned num_wqs)
{
    const struct vidxd_pci_ids ids = {
        .vendor_id = 0x8086,
        .device_id = 0x0b25,
        .subsys_vendor_id = 0x8086,
        .subsys_id = 0x0000,
        .revision = 0,
        .class_code = 0x088000,
    };
    const struct vidxd_pci_msix_desc msix = {
        .nvec = (uint16_t)(num_wqs + 1),
        .table_bir = 0,
        .table_offset = 0x2000,
        .pba_bir = 0,
        .pba_offset = 0x3000,
    };
    struct vidxd_pci_cfg *cfg;
    uint8_t off;

    assert_int_equal(vidxd_pci_cfg_create(&ids, VIDXD_PCIE_CFG_SIZE, &cfg),
                     0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 64 * 1024,
                                           VIDXD_PCI_BAR_MEM64 |
                                               VIDXD_PCI_BAR_PREFETCH),
                     0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 2, num_wqs * 16 * 1024,
                                           VIDXD_PCI_BAR_MEM64 |
                                               VIDXD_PCI_BAR_PREFETCH),
                     0);
    assert_int_equal(
        vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_RCIEP, VIDXD_PCIE_CAP_FLR, &off),
        0);
    assert_int_equal(off, 0x40);
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &msix, &off), 0);
    assert_int_equal(off, 0x7c);
    return cfg;
}

static void
test_dsa_config_space_bytes(void **state)
{
    /* What `lspci -xxx` prints for the first 0x88 bytes, hand-assembled. */
    static const uint8_t want[0x88] = {
        /* 0x00 vendor 8086, device 0b25, command 0, status 0x0010 */
        0x86, 0x80, 0x25, 0x0b, 0x00, 0x00, 0x10, 0x00,
        /* 0x08 revision 0, class 08 80 00; cache line, latency, hdr 0 */
        0x00, 0x00, 0x80, 0x08, 0x00, 0x00, 0x00, 0x00,
        /* 0x10 BAR0 64-bit prefetchable (0xc), BAR1 upper half */
        0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* 0x18 BAR2 64-bit prefetchable, BAR3 upper half */
        0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* 0x20 BAR4, BAR5 unused */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* 0x28 cardbus CIS, subsystem 8086:0000 */
        0x00, 0x00, 0x00, 0x00, 0x86, 0x80, 0x00, 0x00,
        /* 0x30 no ROM; 0x34 capabilities at 0x40 */
        0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
        /* 0x38 reserved; 0x3c line 0, pin 0 (no INTx) */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* 0x40 PCIe cap, next 0x7c, v2 RCiEP (0x0092) */
        0x10, 0x7c, 0x92, 0x00,
        /* 0x44 DevCap: RBER (bit 15) | FLR (bit 28) */
        0x00, 0x80, 0x00, 0x10,
        /* 0x48 DevCtl 0x2810 (RO en, no snoop, MRRS 512), DevSta 0 */
        0x10, 0x28, 0x00, 0x00,
        /* 0x4c-0x7b: no link, slot, root or v2 fields for an RCiEP */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        /* 0x7c MSI-X cap, next 0, table size 9 - 1 */
        0x11, 0x00, 0x08, 0x00,
        /* 0x80 table BAR0 + 0x2000; 0x84 PBA BAR0 + 0x3000 */
        0x00, 0x20, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00,
    };
    struct vidxd_pci_cfg *cfg = build_dsa(8);
    uint8_t got[4096];

    (void)state;
    assert_int_equal(vidxd_pci_cfg_size(cfg), 4096);
    assert_int_equal(vidxd_pci_cfg_read(cfg, 0, got, sizeof(got)), 0);
    assert_memory_equal(got, want, sizeof(want));
    /* The rest of the header page and the extended area read zero. */
    for (size_t i = sizeof(want); i < sizeof(got); i++) {
        assert_int_equal(got[i], 0);
    }
    assert_int_equal(vidxd_pci_cfg_find_cap(cfg, 0x10), 0x40);
    assert_int_equal(vidxd_pci_cfg_find_cap(cfg, 0x11), 0x7c);
    assert_int_equal(vidxd_pci_cfg_find_cap(cfg, 0x05), 0);
    /* BAR sizing: 64 KiB and 8 x 16 KiB = 128 KiB. */
    wr32(cfg, 0x10, 0xffffffff);
    wr32(cfg, 0x14, 0xffffffff);
    wr32(cfg, 0x18, 0xffffffff);
    wr32(cfg, 0x1c, 0xffffffff);
    assert_int_equal(rd32(cfg, 0x10), 0xffff000c);
    assert_int_equal(rd32(cfg, 0x14), 0xffffffff);
    assert_int_equal(rd32(cfg, 0x18), 0xfffe000c);
    assert_int_equal(rd32(cfg, 0x1c), 0xffffffff);
    assert_int_equal(vidxd_pci_cfg_bar_size(cfg, 0), 0x10000);
    assert_int_equal(vidxd_pci_cfg_bar_size(cfg, 1), 0);
    assert_int_equal(vidxd_pci_cfg_bar_size(cfg, 2), 0x20000);
    vidxd_pci_cfg_destroy(cfg);
}

static void
test_bar_sizing_and_programming(void **state)
{
    const struct vidxd_pci_ids ids = {0x1234, 0x5678, 0, 0, 1, 0xff0000};
    struct vidxd_pci_cfg *cfg;

    (void)state;
    assert_int_equal(vidxd_pci_cfg_create(&ids, VIDXD_PCI_CFG_SIZE, &cfg), 0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 0x1000, 0), 0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 1, 0x40, VIDXD_PCI_BAR_IO), 0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 4, 1ull << 33,
                                           VIDXD_PCI_BAR_MEM64),
                     0);
    /* 32-bit, non-prefetchable 4 KiB. */
    assert_int_equal(rd32(cfg, 0x10), 0);
    wr32(cfg, 0x10, 0xffffffff);
    assert_int_equal(rd32(cfg, 0x10), 0xfffff000);
    wr32(cfg, 0x10, 0xfebf1234);
    assert_int_equal(rd32(cfg, 0x10), 0xfebf1000);
    assert_int_equal(vidxd_pci_cfg_bar_addr(cfg, 0), 0xfebf1000);
    /* I/O, 64 bytes: bit 0 stays set. */
    wr32(cfg, 0x14, 0xffffffff);
    assert_int_equal(rd32(cfg, 0x14), 0xffffffc1);
    /* 64-bit 8 GiB: the low dword has no address bits at all. */
    wr32(cfg, 0x20, 0xffffffff);
    wr32(cfg, 0x24, 0xffffffff);
    assert_int_equal(rd32(cfg, 0x20), 0x00000004);
    assert_int_equal(rd32(cfg, 0x24), 0xfffffffe);
    wr32(cfg, 0x24, 0x00000004);
    assert_int_equal(vidxd_pci_cfg_bar_addr(cfg, 4), 0x400000000ull);
    /* Unused BARs and the ROM BAR read 0 after sizing (QEMU's ROM probe). */
    wr32(cfg, 0x18, 0xffffffff);
    assert_int_equal(rd32(cfg, 0x18), 0);
    wr32(cfg, 0x30, 0xfffff800);
    assert_int_equal(rd32(cfg, 0x30), 0);
    /* Reset restores the type bits with no address. */
    vidxd_pci_cfg_reset(cfg);
    assert_int_equal(rd32(cfg, 0x10), 0);
    assert_int_equal(rd32(cfg, 0x14), 1);
    assert_int_equal(rd32(cfg, 0x20), 4);
    vidxd_pci_cfg_destroy(cfg);
}

static void
test_bar_rejections(void **state)
{
    const struct vidxd_pci_ids ids = {0x1234, 0x5678, 0, 0, 1, 0xff0000};
    struct vidxd_pci_cfg *cfg;

    (void)state;
    assert_int_equal(vidxd_pci_cfg_create(&ids, 512, &cfg), -EINVAL);
    {
        struct vidxd_pci_ids wide = ids;

        wide.class_code = 0x1000000;
        assert_int_equal(vidxd_pci_cfg_create(&wide, 256, &cfg), -EINVAL);
    }
    assert_int_equal(vidxd_pci_cfg_create(&ids, VIDXD_PCI_CFG_SIZE, &cfg), 0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 6, 0x1000, 0), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 0x1800, 0), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 8, 0), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 1ull << 32, 0), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 5, 0x1000, VIDXD_PCI_BAR_MEM64),
                     -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 0x1000,
                                           VIDXD_PCI_BAR_IO |
                                               VIDXD_PCI_BAR_PREFETCH),
                     -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 512, VIDXD_PCI_BAR_IO),
                     -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 0x1000, 0x10), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 2, 0x1000, VIDXD_PCI_BAR_MEM64),
                     0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 3, 0x1000, 0), -EBUSY);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 2, 0x1000, 0), -EBUSY);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 1, 0x1000, VIDXD_PCI_BAR_MEM64),
                     -EBUSY);
    /* PCIe needs the 4 KiB space. */
    assert_int_equal(vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_ENDPOINT, 0, NULL),
                     -EINVAL);
    vidxd_pci_cfg_destroy(cfg);
    vidxd_pci_cfg_destroy(NULL);
}

static void
test_msix_rejections(void **state)
{
    const struct vidxd_pci_ids ids = {0x1234, 0x5678, 0, 0, 1, 0xff0000};
    struct vidxd_pci_msix_desc d = {4, 0, 0x800, 0, 0xc00};
    struct vidxd_pci_cfg *cfg;

    (void)state;
    assert_int_equal(vidxd_pci_cfg_create(&ids, VIDXD_PCIE_CFG_SIZE, &cfg), 0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 0, 0x1000, 0), 0);
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 1, 0x40, VIDXD_PCI_BAR_IO), 0);
    d.nvec = 0;
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.nvec = 2049;
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.nvec = 4;
    d.table_offset = 0x804; /* not 8-byte aligned */
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.table_offset = 0xfc8; /* 64 bytes from 0xfc8 leave the 4 KiB BAR */
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.table_offset = 0xc00; /* on top of the PBA */
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.table_offset = 0x800;
    d.pba_bir = 1; /* an I/O BAR */
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.pba_bir = 3; /* unset */
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EINVAL);
    d.pba_bir = 0;
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), 0);
    assert_int_equal(vidxd_pci_cfg_add_msix(cfg, &d, NULL), -EEXIST);
    assert_int_equal(vidxd_pci_cfg_add_pcie(cfg, 4, 0, NULL), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_ENDPOINT, 2, NULL),
                     -EINVAL);
    assert_int_equal(vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_ENDPOINT, 0, NULL),
                     0);
    assert_int_equal(vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_RCIEP, 0, NULL),
                     -EEXIST);
    /* MSI-X first at 0x40, PCIe after it at 0x4c. */
    assert_int_equal(vidxd_pci_cfg_find_cap(cfg, 0x11), 0x40);
    assert_int_equal(vidxd_pci_cfg_find_cap(cfg, 0x10), 0x4c);
    assert_int_equal(rd16(cfg, 0x40) >> 8, 0x4c);
    vidxd_pci_cfg_destroy(cfg);
}

static void
test_command_status_semantics(void **state)
{
    const struct vidxd_pci_ids ids = {0x1234, 0x5678, 0xaaaa, 0xbbbb, 3,
                                      0xff0000};
    struct vidxd_pci_cfg *cfg;
    uint8_t hdr[64], again[64];

    (void)state;
    assert_int_equal(vidxd_pci_cfg_create(&ids, VIDXD_PCI_CFG_SIZE, &cfg), 0);
    /* Memory, master, parity, SERR, INTx disable; no I/O without I/O BAR. */
    wr16(cfg, 0x04, 0xffff);
    assert_int_equal(rd16(cfg, 0x04), 0x0546);
    assert_true(vidxd_pci_cfg_bus_master(cfg));
    assert_int_equal(vidxd_pci_cfg_set_bar(cfg, 5, 0x10, VIDXD_PCI_BAR_IO), 0);
    wr16(cfg, 0x04, 0xffff);
    assert_int_equal(rd16(cfg, 0x04), 0x0547);
    /* Status: error bits are RW1C, the rest read-only. */
    assert_int_equal(rd16(cfg, 0x06), 0x0000);
    vidxd_pci_cfg_status_set(cfg, 0x2000 | 0x0010); /* only 0x2000 is RW1C */
    assert_int_equal(rd16(cfg, 0x06), 0x2000);
    wr16(cfg, 0x06, 0x0000);
    assert_int_equal(rd16(cfg, 0x06), 0x2000);
    wr16(cfg, 0x06, 0xdfff);
    assert_int_equal(rd16(cfg, 0x06), 0x2000);
    wr16(cfg, 0x06, 0x2000);
    assert_int_equal(rd16(cfg, 0x06), 0x0000);
    /* Read-only identification survives a write of all ones. */
    assert_int_equal(vidxd_pci_cfg_read(cfg, 0, hdr, sizeof(hdr)), 0);
    memset(again, 0xff, sizeof(again));
    assert_int_equal(vidxd_pci_cfg_write(cfg, 0x08, again, 0x08), 0);
    assert_int_equal(vidxd_pci_cfg_write(cfg, 0x28, again, 0x0c), 0);
    assert_int_equal(vidxd_pci_cfg_write(cfg, 0x00, again, 4), 0);
    wr16(cfg, 0x3c, 0xffff);
    assert_int_equal(vidxd_pci_cfg_read(cfg, 0, again, sizeof(again)), 0);
    assert_memory_equal(again, hdr, 0x0c); /* IDs, command, class */
    assert_int_equal(again[0x0c], 0xff); /* cache line size is RW */
    assert_int_equal(again[0x0d], 0); /* latency timer */
    assert_int_equal(again[0x0e], 0); /* header type 0 */
    assert_memory_equal(again + 0x28, hdr + 0x28, 0x0c);
    assert_int_equal(again[0x3c], 0xff); /* interrupt line is RW */
    assert_int_equal(again[0x3d], 0); /* interrupt pin 0 */
    assert_int_equal(rd16(cfg, 0x2c), 0xaaaa);
    assert_int_equal(rd16(cfg, 0x2e), 0xbbbb);
    assert_int_equal(again[0x08], 3);
    vidxd_pci_cfg_destroy(cfg);
}

struct hook_log {
    unsigned command, msix, flr;
    uint16_t old_cmd, new_cmd;
    bool enabled, masked;
};

static void
hook_command(void *opaque, uint16_t old_cmd, uint16_t new_cmd)
{
    struct hook_log *l = opaque;

    l->command++;
    l->old_cmd = old_cmd;
    l->new_cmd = new_cmd;
}

static void
hook_msix(void *opaque, bool enabled, bool masked)
{
    struct hook_log *l = opaque;

    l->msix++;
    l->enabled = enabled;
    l->masked = masked;
}

static void
hook_flr(void *opaque)
{
    ((struct hook_log *)opaque)->flr++;
}

static const struct vidxd_pci_cfg_hooks hooks = {hook_command, hook_msix,
                                                 hook_flr};

static void
test_hooks_fire_on_changes(void **state)
{
    struct vidxd_pci_cfg *cfg = build_dsa(1);
    struct hook_log log = {0};

    (void)state;
    vidxd_pci_cfg_set_hooks(cfg, &hooks, &log);
    wr16(cfg, 0x04, 0x0006);
    assert_int_equal(log.command, 1);
    assert_int_equal(log.old_cmd, 0);
    assert_int_equal(log.new_cmd, 6);
    wr16(cfg, 0x04, 0x0006); /* no change, no hook */
    assert_int_equal(log.command, 1);
    wr16(cfg, 0x04, 0x0002);
    assert_int_equal(log.command, 2);
    assert_false(vidxd_pci_cfg_bus_master(cfg));
    /* MSI-X: only Enable (15) and Function Mask (14) are writable. */
    wr16(cfg, 0x7e, 0x07ff);
    assert_int_equal(rd16(cfg, 0x7e), 0x0001);
    assert_int_equal(log.msix, 0);
    wr16(cfg, 0x7e, 0xc000);
    assert_int_equal(rd16(cfg, 0x7e), 0xc001);
    assert_int_equal(log.msix, 1);
    assert_true(log.enabled);
    assert_true(log.masked);
    assert_true(vidxd_pci_cfg_msix_enabled(cfg));
    assert_true(vidxd_pci_cfg_msix_masked(cfg));
    wr16(cfg, 0x7e, 0x8000);
    assert_int_equal(log.msix, 2);
    assert_false(log.masked);
    /* Table and PBA offsets are read-only. */
    wr32(cfg, 0x80, 0);
    wr32(cfg, 0x84, 0);
    assert_int_equal(rd32(cfg, 0x80), 0x2000);
    assert_int_equal(rd32(cfg, 0x84), 0x3000);
    /* Capability pointers are read-only. */
    wr16(cfg, 0x40, 0);
    assert_int_equal(rd16(cfg, 0x40), 0x7c10);
    vidxd_pci_cfg_set_hooks(cfg, NULL, NULL);
    wr16(cfg, 0x04, 0x0000);
    assert_int_equal(log.command, 2);
    vidxd_pci_cfg_destroy(cfg);
}

static void
test_pcie_devctl_and_flr(void **state)
{
    struct vidxd_pci_cfg *cfg = build_dsa(4);
    struct hook_log log = {0};

    (void)state;
    vidxd_pci_cfg_set_hooks(cfg, &hooks, &log);
    /* DevCtl RW fields: 0x78ff; DevCap and PCIe flags read-only. */
    wr16(cfg, 0x48, 0x7fff);
    assert_int_equal(rd16(cfg, 0x48), 0x78ff);
    wr32(cfg, 0x44, 0);
    assert_int_equal(rd32(cfg, 0x44), 0x10008000);
    wr16(cfg, 0x42, 0);
    assert_int_equal(rd16(cfg, 0x42), 0x0092);
    /* RCiEP: no link registers to set. */
    wr16(cfg, 0x50, 0xffff);
    assert_int_equal(rd16(cfg, 0x50), 0);
    /* Program some state, then Initiate FLR. */
    wr16(cfg, 0x04, 0x0006);
    wr32(cfg, 0x10, 0xfe000000);
    wr16(cfg, 0x7e, 0x8000);
    log = (struct hook_log){0};
    wr16(cfg, 0x48, 0x8000 | 0x2810);
    assert_int_equal(log.flr, 1);
    assert_int_equal(log.command, 0); /* FLR resets silently */
    assert_int_equal(log.msix, 0);
    assert_int_equal(rd16(cfg, 0x04), 0);
    assert_int_equal(rd32(cfg, 0x10), 0x0c);
    assert_int_equal(rd16(cfg, 0x7e), 0x0004);
    assert_int_equal(rd16(cfg, 0x48), 0x2810); /* the FLR bit reads 0 */
    /* A byte write of the high half works too. */
    {
        uint8_t hi = 0x80;

        assert_int_equal(vidxd_pci_cfg_write(cfg, 0x49, &hi, 1), 0);
    }
    assert_int_equal(log.flr, 2);
    vidxd_pci_cfg_destroy(cfg);
}

static void
test_pcie_endpoint_without_flr(void **state)
{
    const struct vidxd_pci_ids ids = {0x1234, 0x5678, 0, 0, 1, 0xff0000};
    struct vidxd_pci_cfg *cfg;
    struct hook_log log = {0};
    uint8_t off;

    (void)state;
    assert_int_equal(vidxd_pci_cfg_create(&ids, VIDXD_PCIE_CFG_SIZE, &cfg), 0);
    assert_int_equal(vidxd_pci_cfg_add_pcie(cfg, VIDXD_PCIE_ENDPOINT, 0, &off),
                     0);
    vidxd_pci_cfg_set_hooks(cfg, &hooks, &log);
    assert_int_equal(off, 0x40);
    assert_int_equal(rd16(cfg, 0x06), 0x0010);
    assert_int_equal(rd16(cfg, off + 2), 0x0002); /* v2 endpoint */
    assert_int_equal(rd32(cfg, off + 4), 0x00008000); /* no FLR */
    assert_int_equal(rd32(cfg, off + 0x0c), 0x00000011); /* 2.5 GT/s x1 */
    assert_int_equal(rd16(cfg, off + 0x12), 0x0011);
    assert_int_equal(rd32(cfg, off + 0x2c), 0x00000002);
    wr16(cfg, off + 0x10, 0xffff);
    assert_int_equal(rd16(cfg, off + 0x10), 0x00cb);
    /* DevSta error bits are RW1C; without FLR the bit does nothing. */
    wr16(cfg, 0x04, 0x0004);
    wr16(cfg, off + 8, 0x8000);
    assert_int_equal(log.flr, 0);
    assert_int_equal(rd16(cfg, 0x04), 0x0004);
    vidxd_pci_cfg_destroy(cfg);
}

static void
test_access_bounds(void **state)
{
    struct vidxd_pci_cfg *cfg = build_dsa(1);
    uint8_t buf[8] = {0};

    (void)state;
    assert_int_equal(vidxd_pci_cfg_read(cfg, 4095, buf, 1), 0);
    assert_int_equal(vidxd_pci_cfg_read(cfg, 4095, buf, 2), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_read(cfg, 4096, buf, 0), 0);
    assert_int_equal(vidxd_pci_cfg_read(cfg, 4097, buf, 0), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_read(cfg, UINT32_MAX, buf, 2), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_write(cfg, 4094, buf, 4), -EINVAL);
    assert_int_equal(vidxd_pci_cfg_write(cfg, 0, buf, 4097), -EINVAL);
    /* The extended area is read-only zero. */
    memset(buf, 0xff, sizeof(buf));
    assert_int_equal(vidxd_pci_cfg_write(cfg, 0x100, buf, 8), 0);
    assert_int_equal(rd32(cfg, 0x100), 0);
    vidxd_pci_cfg_destroy(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsa_config_space_bytes),
        cmocka_unit_test(test_bar_sizing_and_programming),
        cmocka_unit_test(test_bar_rejections),
        cmocka_unit_test(test_msix_rejections),
        cmocka_unit_test(test_command_status_semantics),
        cmocka_unit_test(test_hooks_fire_on_changes),
        cmocka_unit_test(test_pcie_devctl_and_flr),
        cmocka_unit_test(test_pcie_endpoint_without_flr),
        cmocka_unit_test(test_access_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
